import { describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { GetImageCommand, ImagebuilderClient } from '@aws-sdk/client-imagebuilder';
import {
  CLIENT_TOKEN_MAX,
  defaultClientToken,
  fitClientToken,
  imageVersionFromArn,
  isTransientImagebuilderError,
  logLocations,
  newReport,
  readBuildNatAmiInputs,
  renderSummary,
  stateKind,
  waitForImage,
} from '@nat-egress/shared/imagebuilder';
import { InputError } from '@nat-egress/shared/inputs';
import { VirtualClock } from '@nat-egress/shared/runtime';

const PIPE = 'arn:aws:imagebuilder:us-east-1:123456789012:image-pipeline/cabal-nat-al2023';

describe('client token', () => {
  it('is derived from the run id, attempt and pipeline, stable, and at most 36 characters', () => {
    const a = defaultClientToken({ GITHUB_RUN_ID: '12345678901', GITHUB_RUN_ATTEMPT: '1' }, PIPE);
    expect(a.derived).toBe(true);
    expect(a.token).toMatch(/^gh-12345678901-1-[0-9a-f]{19}$/);
    expect(a.token).toHaveLength(CLIENT_TOKEN_MAX);
    expect(defaultClientToken({ GITHUB_RUN_ID: '12345678901', GITHUB_RUN_ATTEMPT: '1' }, PIPE).token).toBe(a.token);
    expect(defaultClientToken({ GITHUB_RUN_ID: '12345678901', GITHUB_RUN_ATTEMPT: '2' }, PIPE).token).not.toBe(a.token);
    expect(defaultClientToken({ GITHUB_RUN_ID: '12345678901', GITHUB_RUN_ATTEMPT: '1' }, `${PIPE}-b`).token).not.toBe(
      a.token,
    );
  });

  it('never exceeds 36 characters, whatever the run id', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{1,40}$/), fc.integer({ min: 1, max: 99999 }), (runId, attempt) => {
        const { token } = defaultClientToken({ GITHUB_RUN_ID: runId, GITHUB_RUN_ATTEMPT: String(attempt) }, PIPE);
        expect(token.length).toBeGreaterThan(0);
        expect(token.length).toBeLessThanOrEqual(36);
      }),
    );
  });

  it('outside GitHub Actions is random (no run to be idempotent with)', () => {
    const t = defaultClientToken({}, PIPE);
    expect(t.derived).toBe(false);
    expect(t.token).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('an explicit token longer than 36 characters is hashed, stably', () => {
    expect(fitClientToken('short')).toBe('short');
    const long = 'x'.repeat(80);
    expect(fitClientToken(long)).toHaveLength(36);
    expect(fitClientToken(long)).toBe(fitClientToken(long));
    expect(fitClientToken(long)).not.toBe(fitClientToken(`${long}y`));
  });
});

describe('inputs', () => {
  const reader = (values: Record<string, string>) => (name: string) => values[name] ?? '';

  it('applies the documented defaults', () => {
    expect(readBuildNatAmiInputs(reader({ region: 'us-east-1' }), {})).toEqual({
      pipelineName: 'cabal-nat-al2023',
      region: 'us-east-1',
      amiNamePattern: 'cabal-nat-al2023-*',
      requiredTags: [{ key: 'Role', value: 'cabal-nat' }],
      build: true,
      ifBuilding: 'wait',
      timeoutMs: 90 * 60_000,
      cancelOnTimeout: true,
    });
  });

  it('reads every input; region falls back to AWS_REGION', () => {
    const inputs = readBuildNatAmiInputs(
      reader({
        'pipeline-arn': PIPE,
        'ami-name-pattern': 'nat-*',
        'required-tags': 'Role=cabal-nat\nTested=true',
        build: 'false',
        'if-building': 'FAIL',
        timeout: '1h30m',
        'cancel-on-timeout': 'false',
        'client-token': 'abc',
      }),
      { AWS_REGION: 'us-east-1' },
    );
    expect(inputs).toMatchObject({
      pipelineArn: PIPE,
      region: 'us-east-1',
      amiNamePattern: 'nat-*',
      requiredTags: [
        { key: 'Role', value: 'cabal-nat' },
        { key: 'Tested', value: 'true' },
      ],
      build: false,
      ifBuilding: 'fail',
      timeoutMs: 90 * 60_000,
      cancelOnTimeout: false,
      clientToken: 'abc',
    });
  });

  it.each([
    [{ 'if-building': 'maybe' }, 'if-building: "maybe" is not one of wait, fail, start'],
    [{ build: 'sometimes' }, 'build: "sometimes" is not true or false'],
    [{ timeout: 'soon' }, 'timeout: "soon" is not a duration'],
    [{ timeout: '0' }, 'timeout: 0 is too short'],
    [{ 'required-tags': 'Role' }, 'required-tags: "Role" is not Key=Value'],
    [{ 'required-tags': 'Role=a,Role=b' }, 'required-tags: Role is required to be both a and b'],
    [{ 'pipeline-arn': 'cabal-nat-al2023' }, 'pipeline-arn: "cabal-nat-al2023" is not an image pipeline ARN'],
    [
      { 'pipeline-arn': PIPE.replace('us-east-1', 'eu-west-1') },
      'pipeline-arn: the pipeline is in eu-west-1 but region is us-east-1',
    ],
    [{ 'pipeline-name': 'bad/name' }, 'pipeline-name: "bad/name" is not an Image Builder pipeline name'],
    [{ region: 'mars' }, 'region: "mars" is not an AWS region name'],
  ])('rejects %j with one line naming the input', (values, message) => {
    const read = reader({ region: 'us-east-1', ...values });
    expect(() => readBuildNatAmiInputs(read, {})).toThrow(InputError);
    expect(() => readBuildNatAmiInputs(read, {})).toThrow(message);
  });
});

describe('states and ARNs', () => {
  it('classifies states, tolerating unknown ones', () => {
    expect(stateKind('AVAILABLE')).toBe('success');
    expect(stateKind('FAILED')).toBe('failure');
    expect(stateKind('CANCELLED')).toBe('failure');
    expect(stateKind('DELETED')).toBe('failure');
    expect(stateKind('INTEGRATING')).toBe('progress');
    expect(stateKind('SOMETHING_NEW')).toBe('unknown');
    expect(stateKind(undefined)).toBe('unknown');
  });

  it('reads the build version from an image ARN', () => {
    expect(imageVersionFromArn('arn:aws:imagebuilder:us-east-1:123456789012:image/cabal-nat-al2023/1.0.0/3')).toBe(
      '1.0.0/3',
    );
    expect(imageVersionFromArn('arn:aws:imagebuilder:us-east-1:123456789012:image/cabal-nat-al2023/2.1.0')).toBe(
      '2.1.0',
    );
    expect(imageVersionFromArn('nonsense')).toBe('');
  });

  it("treats Image Builder's rate-limit error as transient, access denied as not", () => {
    expect(
      isTransientImagebuilderError(Object.assign(new Error('x'), { name: 'CallRateLimitExceededException' })),
    ).toBe(true);
    expect(isTransientImagebuilderError(Object.assign(new Error('x'), { name: 'ThrottlingException' }))).toBe(true);
    expect(
      isTransientImagebuilderError(
        Object.assign(new Error('x'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } }),
      ),
    ).toBe(false);
  });

  it('names the log locations: the configured or default log group, and S3 when configured', () => {
    expect(logLocations({ name: 'cabal-nat-al2023' })).toEqual([
      'CloudWatch Logs group /aws/imagebuilder/cabal-nat-al2023',
    ]);
    expect(
      logLocations({
        name: 'n',
        loggingConfiguration: { logGroupName: '/custom/group' },
        infrastructureConfiguration: { logging: { s3Logs: { s3BucketName: 'b' } } },
      }),
    ).toEqual(['CloudWatch Logs group /custom/group', 's3://b/']);
  });
});

describe('wait loop schedule', () => {
  /** A build that reaches AVAILABLE `terminalSec` seconds after the wait starts. */
  async function simulate(terminalSec: number, finalState = 'AVAILABLE') {
    const clock = new VirtualClock();
    const t0 = clock.now();
    const ib = mockClient(ImagebuilderClient);
    ib.on(GetImageCommand).callsFake(() => {
      const s = (clock.now() - t0) / 1000;
      const status =
        s >= terminalSec ? finalState : s >= terminalSec * 0.55 ? 'TESTING' : s >= 60 ? 'BUILDING' : 'PENDING';
      return { image: { arn: 'arn:img', state: { status } } };
    });
    const logs: number[] = [];
    const outcome = await waitForImage(new ImagebuilderClient({ region: 'us-east-1' }), 'arn:img', {
      clock,
      log: { info: () => logs.push(clock.now()), warning: () => logs.push(clock.now()) },
      deadline: t0 + 90 * 60_000,
    });
    ib.restore();
    if (outcome.kind !== 'terminal') throw new Error('expected a terminal state');
    return { latency: outcome.detectedAt - (t0 + terminalSec * 1000), calls: outcome.stats.getImageCalls, logs, t0 };
  }

  it('notices the terminal state within 30 s with at most 60 GetImage calls for a 20-minute build, whatever the phase', async () => {
    for (let offset = 0; offset < 30; offset++) {
      const { latency, calls } = await simulate(1200 + offset);
      expect(latency).toBeGreaterThanOrEqual(0);
      expect(latency).toBeLessThanOrEqual(30_000);
      expect(calls).toBeLessThanOrEqual(60);
    }
  });

  it('notices a build that fails at once within seconds', async () => {
    const { latency, calls } = await simulate(3, 'FAILED');
    expect(latency).toBeLessThanOrEqual(5_000);
    expect(calls).toBe(2);
  });

  it('never stays silent for more than a minute', async () => {
    const { logs, t0 } = await simulate(1500);
    const times = [t0, ...logs];
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeLessThanOrEqual(60_000);
  });
});

describe('summary', () => {
  it('renders AWS-controlled text inert (no HTML, mentions or links)', () => {
    const report = newReport('us-east-1', 0);
    Object.assign(report, {
      outcome: 'failure',
      failure: 'image ended FAILED: <img src=x onerror=alert(1)> @octocat see https://evil.example/#1',
      pipeline: { name: 'p`|x', arn: 'arn', status: 'ENABLED', disabled: false },
      timeline: [{ state: 'FAILED', at: 1000, elapsedMs: 1000, reason: 'x | y <b>' }],
      finishedAt: 2000,
    });
    const md = renderSummary(report);
    expect(md).not.toContain('<img');
    expect(md).not.toContain('@octocat');
    expect(md).not.toContain('https://');
    expect(md).toContain('&lt;img');
    expect(md).toContain('``p`\\|x``');
    expect(md).toContain('`x \\| y <b>`');
  });
});
