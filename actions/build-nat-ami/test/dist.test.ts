/**
 * End-to-end: runs the built bundle (dist/index.js) with the Node 24 binary the way the runner does — inputs as
 * INPUT_* variables, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY as files.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runAction } from '../../../packages/shared/test/support/action-runner';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  output: string;
  summary: string;
}

async function runDist(inputs: Record<string, string>, extraEnv: Record<string, string> = {}): Promise<Run> {
  const run = await runAction('build-nat-ami', inputs, {
    env: { GITHUB_RUN_ID: '4242', GITHUB_RUN_ATTEMPT: '1', AWS_EC2_METADATA_DISABLED: 'true', ...extraEnv },
  });
  rmSync(run.dir, { recursive: true, force: true });
  return { code: run.code, stdout: run.stdout, stderr: run.stderr, output: run.outputText, summary: run.summary };
}

function expectOneLineError(run: Run, message: string): void {
  expect(run.code).toBe(1);
  const errors = run.stdout.split('\n').filter((l) => l.startsWith('::error::'));
  expect(errors).toEqual([`::error::${message}`]);
  expect(`${run.stdout}${run.stderr}`).not.toMatch(/^\s+at /m);
  // Every exit writes result and a summary with what to do; no other output is claimed.
  expect(run.output).toMatch(/^result<<(.+)\nfailed\n\1\n$/);
  expect(run.summary).toContain('### Build NAT AMI: ❌ failed');
  expect(run.summary).toContain('**What to do**');
}

describe('build-nat-ami dist/index.js: input validation', () => {
  it.each([
    [{ region: 'us-east-1', 'if-building': 'maybe' }, 'if-building: "maybe" is not one of wait, fail, start'],
    [
      { region: 'us-east-1', timeout: 'forever' },
      'timeout: "forever" is not a duration (examples: 30s, 15m, 1h30m, 500ms, or seconds as a number)',
    ],
    [{ region: 'us-east-1', build: 'maybe' }, 'build: "maybe" is not true or false'],
    [{ region: 'us-east-1', 'cancel-on-timeout': 'nope' }, 'cancel-on-timeout: "nope" is not true or false'],
    [{ region: 'us-east-1', 'required-tags': 'Role' }, 'required-tags: "Role" is not Key=Value'],
    [
      {
        region: 'us-east-1',
        'pipeline-arn': 'arn:aws:imagebuilder:eu-west-1:123456789012:image-pipeline/cabal-nat-al2023',
      },
      'pipeline-arn: the pipeline is in eu-west-1 but region is us-east-1',
    ],
    [{ region: 'Virginia' }, 'region: "Virginia" is not an AWS region name (like us-east-1)'],
    [
      {},
      'region: not set, and neither AWS_REGION nor AWS_DEFAULT_REGION is in the environment (aws-actions/configure-aws-credentials sets them)',
    ],
  ])('%j → one ::error:: line, exit 1, no stack trace', async (inputs, message) => {
    expectOneLineError(await runDist(inputs), message);
  });
});

const IMAGE_ARN = 'arn:aws:imagebuilder:us-east-1:123456789012:image/cabal-nat-al2023/1.0.0/5';
const PIPE_ARN = 'arn:aws:imagebuilder:us-east-1:123456789012:image-pipeline/cabal-nat-al2023';

/** Image Builder's REST-JSON API, just enough for a build that is already AVAILABLE at the first GetImage. */
function imagebuilderAnswer(path: string): unknown {
  if (path === '/ListImagePipelines')
    return { imagePipelineList: [{ name: 'cabal-nat-al2023', arn: PIPE_ARN, status: 'ENABLED' }] };
  if (path === '/ListImagePipelineImages') return { imageSummaryList: [] };
  if (path === '/StartImagePipelineExecution')
    return { requestId: 'r', clientToken: 't', imageBuildVersionArn: IMAGE_ARN };
  if (path.startsWith('/GetImage?')) {
    return {
      image: {
        arn: IMAGE_ARN,
        name: 'cabal-nat-al2023',
        version: '1.0.0',
        state: { status: 'AVAILABLE' },
        dateCreated: new Date().toISOString(),
        outputResources: {
          amis: [{ region: 'us-east-1', image: 'ami-0123456789abcdef0', name: 'cabal-nat-al2023-20260101' }],
        },
      },
    };
  }
  return undefined;
}

describe('build-nat-ami dist/index.js against local Image Builder and EC2 endpoints', () => {
  let server: Server;
  let endpoint = '';
  let tagged = true;
  const requests: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        requests.push(`${req.method} ${req.url} ${body}`);
        const ib = imagebuilderAnswer(req.url ?? '');
        if (ib !== undefined) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(ib));
          return;
        }
        const tags = tagged
          ? '<item><key>Role</key><value>cabal-nat</value></item><item><key>Ec2ImageBuilderArn</key><value>arn:aws:imagebuilder:us-east-1:123456789012:image/cabal-nat-al2023/1.0.0/5</value></item>'
          : '<item><key>Name</key><value>cabal-nat-al2023</value></item>';
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(
          `<DescribeImagesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r-1</requestId><imagesSet><item>` +
            `<imageId>ami-0123456789abcdef0</imageId><name>cabal-nat-al2023-20260101</name><imageState>available</imageState>` +
            `<creationDate>2026-01-01T10:00:00.000Z</creationDate><tagSet>${tags}</tagSet></item></imagesSet></DescribeImagesResponse>`,
        );
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((ok) => server.close(() => ok()));
  });

  const awsEnv = () => ({
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_ENDPOINT_URL_EC2: endpoint,
    AWS_ENDPOINT_URL_IMAGEBUILDER: endpoint,
    AWS_REGION: 'us-east-1',
  });
  const outputsOf = (run: Run) =>
    Object.fromEntries([...run.output.matchAll(/^(.+?)<<(.+)\n([\s\S]*?)\n\2$/gm)].map((m) => [m[1], m[3]]));

  it('build: true starts the pipeline with the derived token, checks the AMI, writes outputs and summary', async () => {
    tagged = true;
    requests.length = 0;
    const run = await runDist({}, awsEnv());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(requests.map((r) => r.split(' ').slice(0, 2).join(' '))).toEqual([
      'POST /ListImagePipelines',
      'POST /ListImagePipelineImages',
      'PUT /StartImagePipelineExecution',
      `GET /GetImage?imageBuildVersionArn=${encodeURIComponent(IMAGE_ARN)}`,
      'POST /',
    ]);
    const start = JSON.parse(requests[2]!.split(' ').slice(2).join(' '));
    expect(start).toEqual({
      imagePipelineArn: PIPE_ARN,
      clientToken: expect.stringMatching(/^gh-4242-1-[0-9a-f]{26}$/),
    });
    expect(requests[4]).toContain('Action=DescribeImages');
    expect(requests[4]).toContain('ImageId.1=ami-0123456789abcdef0');
    expect(outputsOf(run)).toEqual({
      'ami-id': 'ami-0123456789abcdef0',
      'ami-name': 'cabal-nat-al2023-20260101',
      'image-arn': IMAGE_ARN,
      'image-version': '1.0.0/5',
      'build-seconds': '0',
      reused: 'false',
      result: 'success',
    });
    expect(run.stdout).toContain('AVAILABLE');
    expect(run.summary).toContain('started by this run');
    expect(run.summary).toContain('| `AVAILABLE` |');
  });

  it('build: false writes every output and the job summary', async () => {
    tagged = true;
    const run = await runDist({ build: 'false' }, awsEnv());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(requests.at(-1)).toContain('Action=DescribeImages');
    expect(requests.at(-1)).toContain('Owner.1=self');
    expect(outputsOf(run)).toEqual({
      'ami-id': 'ami-0123456789abcdef0',
      'ami-name': 'cabal-nat-al2023-20260101',
      'image-arn': 'arn:aws:imagebuilder:us-east-1:123456789012:image/cabal-nat-al2023/1.0.0/5',
      'image-version': '1.0.0/5',
      'build-seconds': '0',
      reused: 'true',
      result: 'success',
    });
    expect(run.summary).toContain('`ami-0123456789abcdef0`');
    expect(run.summary).toContain('looked up (build: false)');
  });

  it('build: false fails in one line when the only AMI is untagged, and still writes the summary', async () => {
    tagged = false;
    const run = await runDist({ build: 'false' }, awsEnv());
    expectOneLineError(
      run,
      'no usable AMI named cabal-nat-al2023-* with tags Role=cabal-nat in us-east-1: cabal-nat-al2023-20260101 (ami-0123456789abcdef0) is available but lacks tag Role=cabal-nat',
    );
    expect(run.summary).toContain('❌');
  });
});
