/**
 * Never hang: build-nat-ami's dist/index.js under Node 24 against loopback AWS endpoints (AWS_ENDPOINT_URL) that
 * never answer, answer 503 forever, or answer slowly; and SIGTERM in each phase, with a call in flight and between
 * polls. Every run must end by itself (no SIGKILL from the harness), with `result` and a summary that says where it
 * stopped and what to do.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { IncomingMessage } from 'node:http';
import { runAction, type ActionRun } from '../../../packages/shared/test/support/action-runner';
import {
  startFaultServer,
  type FaultMode,
  type FaultServer,
  type FaultServerOptions,
} from '../../../packages/shared/test/support/fault-server';

const IMAGE_ARN = 'arn:aws:imagebuilder:us-east-1:123456789012:image/cabal-nat-al2023/1.0.0/5';
const PIPE_ARN = 'arn:aws:imagebuilder:us-east-1:123456789012:image-pipeline/cabal-nat-al2023';

const servers: FaultServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

type Phase =
  'ListImagePipelines' | 'ListImagePipelineImages' | 'StartImagePipelineExecution' | 'GetImage' | 'DescribeImages';

function phaseOf(req: IncomingMessage, body: string): Phase {
  const url = req.url ?? '';
  if (url.startsWith('/GetImage?')) return 'GetImage';
  if (url === '/') return body.includes('Action=DescribeImages') ? 'DescribeImages' : ('?' as Phase);
  return url.slice(1) as Phase;
}

/** A working Image Builder + EC2, except `hangAt`, which is left unanswered. `state` is the image's state. */
function world(hangAt: Phase | undefined, state = 'AVAILABLE'): FaultServerOptions['route'] {
  return (req, body) => {
    const phase = phaseOf(req, body);
    if (phase === hangAt) return undefined;
    const json = (v: unknown) => ({ status: 200, body: JSON.stringify(v), contentType: 'application/json' });
    switch (phase) {
      case 'ListImagePipelines':
        return json({ imagePipelineList: [{ name: 'cabal-nat-al2023', arn: PIPE_ARN, status: 'ENABLED' }] });
      case 'ListImagePipelineImages':
        return json({ imageSummaryList: [] });
      case 'StartImagePipelineExecution':
        return json({ requestId: 'r', clientToken: 't', imageBuildVersionArn: IMAGE_ARN });
      case 'GetImage':
        return json({
          image: {
            arn: IMAGE_ARN,
            version: '1.0.0',
            state: { status: state },
            dateCreated: new Date().toISOString(),
            outputResources: { amis: [{ region: 'us-east-1', image: 'ami-0123456789abcdef0' }] },
          },
        });
      case 'DescribeImages':
        return {
          status: 200,
          body:
            '<DescribeImagesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><imagesSet><item><imageId>ami-0123456789abcdef0</imageId>' +
            '<name>cabal-nat-al2023-1</name><imageState>available</imageState><creationDate>2026-01-01T10:00:00.000Z</creationDate>' +
            '<tagSet><item><key>Role</key><value>cabal-nat</value></item></tagSet></item></imagesSet></DescribeImagesResponse>',
        };
      default:
        return undefined;
    }
  };
}

async function serve(mode: FaultMode, options: FaultServerOptions = {}): Promise<FaultServer> {
  const s = await startFaultServer(mode, options);
  servers.push(s);
  return s;
}

const awsEnv = (url: string) => ({
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_ENDPOINT_URL: url,
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
  GITHUB_RUN_ID: '4242',
  GITHUB_RUN_ATTEMPT: '1',
});

function expectEnded(run: ActionRun, result: 'failed' | 'cancelled'): void {
  expect(run.code).toBe(1); // ended by itself: the harness's SIGKILL would give null
  expect(run.outputs.result).toBe(result);
  expect(run.outputs['ami-id']).toBeUndefined();
  expect(run.summary).toContain(
    result === 'cancelled' ? '### Build NAT AMI: ⏹️ cancelled' : '### Build NAT AMI: ❌ failed',
  );
  expect(run.summary).toContain('**What to do**');
  expect(`${run.stdout}${run.stderr}`).not.toMatch(/^\s+at /m);
}

describe('build-nat-ami against faulty AWS endpoints', () => {
  it('an endpoint that never answers: timeout 3s is a hard deadline, calls in flight included', async () => {
    const server = await serve('hang');
    const started = Date.now();
    const run = await runAction('build-nat-ami', { timeout: '3s' }, { env: awsEnv(server.url), timeoutMs: 60_000 });
    const took = Date.now() - started;
    expectEnded(run, 'failed');
    expect(run.stdout).toContain(
      '::error::timed out after 3s during resolving the pipeline (ListImagePipelines or GetImagePipeline) (an AWS call was still in flight and was abandoned); no build had been started',
    );
    expect(run.summary).toContain('**Stopped while:** resolving the pipeline (ListImagePipelines or GetImagePipeline)');
    expect(run.summary).toContain('An AWS call did not answer within the time left');
    expect(server.requests.length).toBeGreaterThanOrEqual(1);
    expect(took).toBeLessThan(30_000);
  });

  it('an endpoint that answers 503 forever: bounded SDK retries, then one failed line naming HTTP 503', async () => {
    const server = await serve('503');
    const run = await runAction('build-nat-ami', { timeout: '60s' }, { env: awsEnv(server.url), timeoutMs: 60_000 });
    expectEnded(run, 'failed');
    expect(run.stdout).toMatch(/::error::.*\(HTTP 503\)/);
    expect(server.requests).toHaveLength(5); // MAX_ATTEMPTS of one call, then it gives up
  });

  it('a slow endpoint (4 s per answer): the timeout cuts the run mid-flow and says where', async () => {
    const server = await serve('slow', { delayMs: 4_000, route: world(undefined, 'BUILDING') });
    const run = await runAction('build-nat-ami', { timeout: '6s' }, { env: awsEnv(server.url), timeoutMs: 60_000 });
    expectEnded(run, 'failed');
    // ListImagePipelines answered at 4 s; ListImagePipelineImages was in flight at 6 s. The 2 s on either side
    // hold on a loaded machine, where the action's start-up before its first call can take a second or more.
    expect(run.stdout).toContain(
      '::error::timed out after 6s during looking for a build in progress (ListImagePipelineImages) (an AWS call was still in flight and was abandoned); no build had been started',
    );
  });

  const phases: Array<[Phase, string, RegExp]> = [
    [
      'ListImagePipelines',
      'resolving the pipeline \\(ListImagePipelines or GetImagePipeline\\)',
      /Nothing was started in Image Builder/,
    ],
    [
      'ListImagePipelineImages',
      'looking for a build in progress \\(ListImagePipelineImages\\)',
      /Nothing was started in Image Builder/,
    ],
    [
      'StartImagePipelineExecution',
      'starting the build \\(StartImagePipelineExecution\\)',
      /StartImagePipelineExecution was in flight when the job was cancelled: a build of cabal-nat-al2023 may have started/,
    ],
    ['GetImage', 'waiting for the image build', /keeps running in Image Builder: cancelling the job does not stop it/],
    ['DescribeImages', 'checking the AMI with EC2 \\(DescribeImages\\)', /keeps running in Image Builder/],
  ];
  it.each(phases)(
    'SIGTERM with %s in flight: stops at once with result=cancelled and advice that fits',
    async (phase, where, advice) => {
      let kill: ((s: NodeJS.Signals) => void) | undefined;
      let signalledAt = 0;
      const server = await serve('hang', {
        route: world(phase),
        onRequest: (req, body) => {
          if (phaseOf(req, body) === phase && !signalledAt) {
            signalledAt = Date.now();
            kill?.('SIGTERM');
          }
        },
      });
      const run = await runAction(
        'build-nat-ami',
        { timeout: '10m' },
        { env: awsEnv(server.url), timeoutMs: 60_000, onStart: (k) => (kill = k) },
      );
      expectEnded(run, 'cancelled');
      expect(signalledAt).toBeGreaterThan(0);
      expect(run.stdout).toContain('::error::cancelled by SIGTERM');
      expect(run.summary).toMatch(new RegExp(`\\*\\*Stopped while:\\*\\* ${where}`));
      expect(run.summary).toMatch(advice);
    },
  );

  it('SIGTERM between polls (no call in flight): stops at once, the build keeps running and a re-run attaches', async () => {
    let killed = false;
    const server = await serve('hang', { route: world(undefined, 'BUILDING') });
    const run = await runAction(
      'build-nat-ami',
      { timeout: '10m' },
      {
        env: awsEnv(server.url),
        timeoutMs: 60_000,
        onStdout: (out, kill) => {
          if (!killed && out.includes('BUILDING')) {
            killed = true;
            kill('SIGTERM');
          }
        },
      },
    );
    expectEnded(run, 'cancelled');
    expect(run.summary).toContain('**Stopped while:** waiting for the image build');
    expect(run.summary).toContain(
      'Re-run the job to pick it up: with if-building: wait the action attaches to the build in progress',
    );
    expect(run.summary).toContain(
      'aws imagebuilder cancel-image-creation --region us-east-1 --image-build-version-arn',
    );
    expect(server.requests.filter((r) => r.url.startsWith('/CancelImageCreation'))).toHaveLength(0);
  });
});
