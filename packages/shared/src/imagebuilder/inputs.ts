/**
 * The build-nat-ami inputs (names are the action's contract), parsed and validated into one object.
 * Every problem is an InputError naming the input.
 */
import {
  boolInput,
  durationInput,
  enumInput,
  InputError,
  regionInput,
  stringInput,
  type InputReader,
  type Tag,
} from '../inputs/index';
import { fitClientToken } from './token';
import { DEFAULT_AMI_CRITERIA, amiCriteriaInputs } from '../ami/criteria';

export const IF_BUILDING = ['wait', 'fail', 'start'] as const;
export type IfBuilding = (typeof IF_BUILDING)[number];

export const DEFAULTS = {
  pipelineName: 'cabal-nat-al2023',
  amiNamePattern: DEFAULT_AMI_CRITERIA.namePattern,
  requiredTags: DEFAULT_AMI_CRITERIA.requiredTags as Tag[],
  timeoutMs: 90 * 60_000,
} as const;

export interface BuildNatAmiInputs {
  pipelineName: string;
  /** Takes precedence over pipelineName. */
  pipelineArn?: string;
  region: string;
  amiNamePattern: string;
  requiredTags: Tag[];
  build: boolean;
  ifBuilding: IfBuilding;
  timeoutMs: number;
  cancelOnTimeout: boolean;
  /** Explicit token (already fitted to 36 characters); undefined = derive from the run. */
  clientToken?: string;
}

const PIPELINE_ARN = /^arn:aws[^:]*:imagebuilder:([^:]+):(?:\d{12}|aws):image-pipeline\/[a-z0-9_-]+$/;
const PIPELINE_NAME = /^[-_A-Za-z0-9][-_A-Za-z0-9 ]{0,126}[-_A-Za-z0-9]$|^[-_A-Za-z0-9]$/;

export function readBuildNatAmiInputs(read: InputReader, env: NodeJS.ProcessEnv = process.env): BuildNatAmiInputs {
  const region = regionInput('region', read('region'), env);

  const pipelineName = stringInput('pipeline-name', read('pipeline-name'), DEFAULTS.pipelineName);
  if (!PIPELINE_NAME.test(pipelineName)) {
    throw new InputError(
      `pipeline-name: ${JSON.stringify(pipelineName)} is not an Image Builder pipeline name ` +
        '(letters, digits, -, _ and inner spaces, up to 128)',
    );
  }
  const pipelineArn = stringInput('pipeline-arn', read('pipeline-arn'));
  if (pipelineArn) {
    const m = PIPELINE_ARN.exec(pipelineArn);
    if (!m)
      throw new InputError(
        `pipeline-arn: ${JSON.stringify(pipelineArn)} is not an image pipeline ARN ` +
          '(arn:aws:imagebuilder:<region>:<account>:image-pipeline/<name>)',
      );
    if (m[1] !== region) throw new InputError(`pipeline-arn: the pipeline is in ${m[1]} but region is ${region}`);
  }

  const { namePattern: amiNamePattern, requiredTags } = amiCriteriaInputs(read);

  const build = boolInput('build', read('build'), true);
  const ifBuilding = enumInput('if-building', read('if-building'), IF_BUILDING, 'wait');
  const timeoutMs = durationInput('timeout', read('timeout'), DEFAULTS.timeoutMs, { maxMs: 24 * 3_600_000 });
  if (timeoutMs < 1000)
    throw new InputError(`timeout: ${read('timeout')} is too short (at least 1s; an image build takes 15-20 minutes)`);
  const cancelOnTimeout = boolInput('cancel-on-timeout', read('cancel-on-timeout'), true);

  const inputs: BuildNatAmiInputs = {
    pipelineName,
    region,
    amiNamePattern,
    requiredTags,
    build,
    ifBuilding,
    timeoutMs,
    cancelOnTimeout,
  };
  if (pipelineArn) inputs.pipelineArn = pipelineArn;
  const token = stringInput('client-token', read('client-token'));
  if (token) inputs.clientToken = fitClientToken(token);
  return inputs;
}
