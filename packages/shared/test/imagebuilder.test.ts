/**
 * The build-nat-ami flow against a simulated Image Builder + EC2 (aws-sdk-client-mock) on virtual time.
 * The simulation derives every image state from the VirtualClock, so the wait loop sees a build progress
 * exactly as it would in AWS, only without waiting.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import {
  CancelImageCreationCommand,
  GetImageCommand,
  GetImagePipelineCommand,
  ImagebuilderClient,
  ListImagePipelineImagesCommand,
  ListImagePipelinesCommand,
  ListWorkflowExecutionsCommand,
  ListWorkflowStepExecutionsCommand,
  StartImagePipelineExecutionCommand,
  type ImagePipeline,
  type WorkflowStepMetadata,
} from '@aws-sdk/client-imagebuilder';
import { DescribeImagesCommand, EC2Client, type Image as Ec2Image } from '@aws-sdk/client-ec2';
import {
  buildNatAmi,
  newReport,
  readBuildNatAmiInputs,
  renderSummary,
  type BuildNatAmiInputs,
  type BuildReport,
} from '@nat-egress/shared/imagebuilder';
import { ActionFailure, VirtualClock } from '@nat-egress/shared/runtime';
import { globToRegExp } from '@nat-egress/shared/inputs';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const PIPE_ARN = `arn:aws:imagebuilder:${REGION}:${ACCOUNT}:image-pipeline/cabal-nat-al2023`;
const ENV = { GITHUB_RUN_ID: '9876543210', GITHUB_RUN_ATTEMPT: '1' };

/** [state, seconds after the image was created, reason] */
type Phase = [string, number, string?];
const TWENTY_MINUTES: Phase[] = [
  ['PENDING', 0],
  ['CREATING', 20],
  ['BUILDING', 90],
  ['TESTING', 660],
  ['DISTRIBUTING', 1020],
  ['INTEGRATING', 1140],
  ['AVAILABLE', 1200],
];

function awsError(name: string, message: string, status = 400): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
  });
}

interface SimBuild {
  arn: string;
  version: string;
  created: number;
  phases: Phase[];
  amiId: string;
  amiName: string;
}

interface SimAmi {
  id: string;
  name: string;
  created: string;
  state: string;
  tags: Record<string, string>;
  /** Epoch ms from which the tags are visible (distribution tags can lag). */
  tagsVisibleAt?: number;
}

class Sim {
  readonly clock = new VirtualClock();
  readonly ib = mockClient(ImagebuilderClient);
  readonly ec2 = mockClient(EC2Client);
  readonly logs: { at: number; level: 'info' | 'warning'; message: string }[] = [];
  pipelines: ImagePipeline[] = [{ name: 'cabal-nat-al2023', arn: PIPE_ARN, status: 'ENABLED' }];
  readonly builds = new Map<string, SimBuild>();
  readonly tokens = new Map<string, string>();
  readonly amis = new Map<string, SimAmi>();
  /** Phases of the builds StartImagePipelineExecution creates. */
  phases: Phase[] = TWENTY_MINUTES;
  /** Tags the distribution step puts on a new AMI (none = failed test gate). */
  newAmiTags: Record<string, string> = { Name: 'cabal-nat-al2023', Role: 'cabal-nat' };
  newAmiTagDelayMs = 0;
  /** GetImage call numbers (1-based) that fail, and how. */
  readonly getImageFailures = new Map<number, Error>();
  getImageCalls = 0;
  workflowFailure?: { type: string; steps: WorkflowStepMetadata[] } | Error;
  startError?: Error;
  private nextBuild = 3;

  constructor() {
    this.install();
  }

  addBuild(phases: Phase[], createdAt = this.clock.now()): SimBuild {
    const n = this.nextBuild++;
    const stamp = new Date(createdAt + phases.at(-1)![1] * 1000).toISOString().slice(0, 19).replace(/[-:]/g, '');
    const build: SimBuild = {
      arn: `arn:aws:imagebuilder:${REGION}:${ACCOUNT}:image/cabal-nat-al2023/1.0.0/${n}`,
      version: '1.0.0',
      created: createdAt,
      phases,
      amiId: `ami-0${n.toString().padStart(16, '0')}`,
      amiName: `cabal-nat-al2023-${stamp}`,
    };
    this.builds.set(build.arn, build);
    return build;
  }

  stateOf(b: SimBuild): { status: string; reason?: string } {
    let current: Phase = b.phases[0]!;
    for (const p of b.phases) if (b.created + p[1] * 1000 <= this.clock.now()) current = p;
    return current[2] ? { status: current[0], reason: current[2] } : { status: current[0] };
  }

  /** When the build reaches its last phase (epoch ms). */
  terminalAt(b: SimBuild): number {
    return b.created + b.phases.at(-1)![1] * 1000;
  }

  addAmi(ami: SimAmi): void {
    this.amis.set(ami.id, ami);
  }

  private ec2Image(a: SimAmi): Ec2Image {
    const tagsVisible = a.tagsVisibleAt === undefined || this.clock.now() >= a.tagsVisibleAt;
    const tags = tagsVisible ? Object.entries(a.tags).map(([Key, Value]) => ({ Key, Value })) : [];
    return {
      ImageId: a.id,
      Name: a.name,
      CreationDate: a.created,
      State: a.state as Ec2Image['State'],
      Tags: tags,
      OwnerId: ACCOUNT,
    };
  }

  private imageOf(b: SimBuild) {
    const state = this.stateOf(b);
    // Image Builder lists the output AMI once distribution has produced it.
    if (state.status === 'AVAILABLE' && !this.amis.has(b.amiId)) {
      this.addAmi({
        id: b.amiId,
        name: b.amiName,
        created: new Date(this.terminalAt(b) - 60_000).toISOString(),
        state: 'available',
        tags: { ...this.newAmiTags, Ec2ImageBuilderArn: b.arn },
        tagsVisibleAt: this.clock.now() + this.newAmiTagDelayMs,
      });
    }
    return {
      arn: b.arn,
      name: 'cabal-nat-al2023',
      version: b.version,
      state,
      dateCreated: new Date(b.created).toISOString(),
      outputResources:
        state.status === 'AVAILABLE'
          ? { amis: [{ region: REGION, image: b.amiId, name: b.amiName, accountId: ACCOUNT }] }
          : {},
      infrastructureConfiguration: {
        logging: { s3Logs: { s3BucketName: 'cabal-build-logs', s3KeyPrefix: 'imagebuilder/' } },
      },
    };
  }

  private install(): void {
    this.ib.on(ListImagePipelinesCommand).callsFake(() => ({ imagePipelineList: this.pipelines }));
    this.ib.on(GetImagePipelineCommand).callsFake((input: { imagePipelineArn: string }) => {
      const p = this.pipelines.find((x) => x.arn === input.imagePipelineArn);
      if (!p) throw awsError('ResourceNotFoundException', 'The resource ARN was not found', 404);
      return { imagePipeline: p };
    });
    this.ib.on(ListImagePipelineImagesCommand).callsFake(() => ({
      imageSummaryList: [...this.builds.values()].map((b) => ({
        arn: b.arn,
        version: b.version,
        state: this.stateOf(b),
        dateCreated: new Date(b.created).toISOString(),
      })),
    }));
    this.ib.on(StartImagePipelineExecutionCommand).callsFake((input: { clientToken: string }) => {
      if (this.startError) throw this.startError;
      const known = this.tokens.get(input.clientToken);
      if (known) return { imageBuildVersionArn: known, clientToken: input.clientToken };
      const b = this.addBuild(this.phases);
      this.tokens.set(input.clientToken, b.arn);
      return { imageBuildVersionArn: b.arn, clientToken: input.clientToken };
    });
    this.ib.on(GetImageCommand).callsFake((input: { imageBuildVersionArn: string }) => {
      this.getImageCalls++;
      const failure = this.getImageFailures.get(this.getImageCalls);
      if (failure) throw failure;
      const b = this.builds.get(input.imageBuildVersionArn);
      if (!b) throw awsError('ResourceNotFoundException', 'Image not found', 404);
      return { image: this.imageOf(b) };
    });
    this.ib.on(CancelImageCreationCommand).callsFake((input: { imageBuildVersionArn: string }) => {
      const b = this.builds.get(input.imageBuildVersionArn)!;
      const at = (this.clock.now() - b.created) / 1000;
      b.phases = [...b.phases.filter((p) => p[1] <= at), ['CANCELLED', at + 30, 'Image creation cancelled by user']];
      return { imageBuildVersionArn: b.arn };
    });
    this.ib.on(ListWorkflowExecutionsCommand).callsFake(() => {
      const wf = this.workflowFailure;
      if (wf instanceof Error) throw wf;
      return {
        workflowExecutions: [
          {
            workflowExecutionId: 'wf-build',
            type: 'BUILD',
            status: 'COMPLETED',
            workflowBuildVersionArn: 'arn:wf/build-image/1.0.0/1',
          },
          ...(wf
            ? [
                {
                  workflowExecutionId: 'wf-failed',
                  type: wf.type,
                  status: 'FAILED',
                  workflowBuildVersionArn: 'arn:wf/test-image/1.0.0/1',
                },
              ]
            : []),
        ],
      };
    });
    this.ib.on(ListWorkflowStepExecutionsCommand).callsFake((input: { workflowExecutionId: string }) => {
      const wf = this.workflowFailure;
      if (input.workflowExecutionId !== 'wf-failed' || !wf || wf instanceof Error)
        return { steps: [{ name: 'BuildStep', status: 'COMPLETED' }] };
      return { steps: wf.steps };
    });
    this.ec2
      .on(DescribeImagesCommand)
      .callsFake((input: { ImageIds?: string[]; Filters?: { Name: string; Values: string[] }[] }) => {
        if (input.ImageIds) {
          const found = input.ImageIds.map((id) => this.amis.get(id)).filter((a): a is SimAmi => a !== undefined);
          if (found.length === 0)
            throw awsError('InvalidAMIID.NotFound', `The image id '[${input.ImageIds.join(',')}]' does not exist`);
          return { Images: found.map((a) => this.ec2Image(a)) };
        }
        const pattern = input.Filters?.find((f) => f.Name === 'name')?.Values[0] ?? '*';
        const re = globToRegExp(pattern);
        return { Images: [...this.amis.values()].filter((a) => re.test(a.name)).map((a) => this.ec2Image(a)) };
      });
  }

  async run(overrides: Partial<BuildNatAmiInputs> = {}, env: NodeJS.ProcessEnv = ENV) {
    // The action's defaults, read the way the action reads them (asserted literally in imagebuilder-units).
    const inputs: BuildNatAmiInputs = { ...readBuildNatAmiInputs(() => '', { AWS_REGION: REGION }), ...overrides };
    const report: BuildReport = newReport(REGION, this.clock.now());
    const log = {
      info: (message: string) => this.logs.push({ at: this.clock.now(), level: 'info', message }),
      warning: (message: string) => this.logs.push({ at: this.clock.now(), level: 'warning', message }),
    };
    try {
      const result = await buildNatAmi(
        inputs,
        {
          imagebuilder: new ImagebuilderClient({ region: REGION }),
          ec2: new EC2Client({ region: REGION }),
          clock: this.clock,
          log,
          env,
        },
        report,
      );
      return { result, report, error: undefined };
    } catch (error) {
      return { result: undefined, report, error: error as Error };
    }
  }

  messages(): string[] {
    return this.logs.map((l) => l.message);
  }
}

let sim: Sim;
beforeEach(() => {
  sim = new Sim();
});

describe('build-nat-ami: starting and waiting', () => {
  it('happy path: starts the pipeline with the run-derived token, logs the states, outputs the tagged AMI', async () => {
    const t0 = sim.clock.now();
    const { result, report, error } = await sim.run();
    expect(error).toBeUndefined();
    const build = [...sim.builds.values()][0]!;
    expect(result).toEqual({
      amiId: build.amiId,
      amiName: build.amiName,
      imageArn: build.arn,
      imageVersion: '1.0.0/3',
      buildSeconds: expect.any(Number),
      reused: false,
    });
    // Started once, idempotently, with the token derived from the run id and attempt.
    const starts = sim.ib.commandCalls(StartImagePipelineExecutionCommand);
    expect(starts).toHaveLength(1);
    expect(starts[0]!.args[0].input).toEqual({
      imagePipelineArn: PIPE_ARN,
      clientToken: expect.stringMatching(/^gh-9876543210-1-[0-9a-f]+$/),
    });
    expect(starts[0]!.args[0].input.clientToken!.length).toBeLessThanOrEqual(36);
    // Every state, in order, each logged once with the elapsed time.
    expect(report.timeline.map((c) => c.state)).toEqual([
      'PENDING',
      'CREATING',
      'BUILDING',
      'TESTING',
      'DISTRIBUTING',
      'INTEGRATING',
      'AVAILABLE',
    ]);
    expect(sim.messages().filter((m) => /^\[\+.*\] TESTING$/.test(m))).toHaveLength(1);
    // Terminal state noticed within 30 s, economically.
    const latency = report.timeline.at(-1)!.at - sim.terminalAt(build);
    expect(latency).toBeGreaterThanOrEqual(0);
    expect(latency).toBeLessThanOrEqual(30_000);
    expect(sim.getImageCalls).toBeLessThanOrEqual(60);
    expect(result!.buildSeconds).toBe(Math.round((report.timeline.at(-1)!.at - t0) / 1000));
    // The AMI was confirmed with EC2 by id.
    expect(sim.ec2.commandCalls(DescribeImagesCommand)[0]!.args[0].input).toEqual({ ImageIds: [build.amiId] });
  });

  it('logs a heartbeat at least every minute while the state does not change', async () => {
    const { error } = await sim.run();
    expect(error).toBeUndefined();
    const times = sim.logs.map((l) => l.at);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeLessThanOrEqual(60_000);
    expect(sim.messages().some((m) => /still BUILDING/.test(m))).toBe(true);
  });

  it('writes a job summary with pipeline, image version, AMI, duration and the states timeline', async () => {
    const { report } = await sim.run();
    const md = renderSummary(report);
    expect(md).toContain('✅');
    expect(md).toContain('`cabal-nat-al2023` (ENABLED)');
    expect(md).toContain('`1.0.0/3`');
    expect(md).toContain(`\`${report.amiId}\``);
    expect(md).toMatch(/\| Build time \| 20m/);
    for (const state of ['PENDING', 'BUILDING', 'TESTING', 'AVAILABLE']) expect(md).toContain(`| \`${state}\` |`);
  });

  it('tolerates states it does not know and keeps waiting', async () => {
    sim.phases = [
      ['PENDING', 0],
      ['BUILDING', 60],
      ['VALIDATING', 300],
      ['AVAILABLE', 600],
    ];
    const { result, report, error } = await sim.run();
    expect(error).toBeUndefined();
    expect(result!.amiId).toMatch(/^ami-/);
    expect(report.timeline.map((c) => c.state)).toContain('VALIDATING');
    expect(
      sim.messages().some((m) => m.includes('VALIDATING (a state this action does not know: still waiting)')),
    ).toBe(true);
  });

  it('keeps waiting through throttling and transient errors mid-wait', async () => {
    sim.getImageFailures.set(10, awsError('ThrottlingException', 'Rate exceeded'));
    sim.getImageFailures.set(11, awsError('CallRateLimitExceededException', 'Call rate limit exceeded', 429));
    sim.getImageFailures.set(20, awsError('ServiceUnavailableException', 'Service unavailable', 503));
    const { result, report, error } = await sim.run();
    expect(error).toBeUndefined();
    expect(result!.amiId).toMatch(/^ami-/);
    expect(report.stats!.transientErrors).toBe(3);
    expect(sim.logs.filter((l) => l.level === 'warning' && /GetImage failed transiently/.test(l.message))).toHaveLength(
      3,
    );
  });

  it('fails at once on a non-transient GetImage error (no silent retry loop)', async () => {
    sim.getImageFailures.set(
      3,
      awsError('AccessDeniedException', 'User is not authorized to perform: imagebuilder:GetImage', 403),
    );
    const { error } = await sim.run();
    expect(error?.name).toBe('AccessDeniedException');
    expect(sim.getImageCalls).toBe(3);
  });

  it('reports an image that disappears mid-wait as DELETED', async () => {
    sim.getImageFailures.set(5, awsError('ResourceNotFoundException', 'Image not found', 404));
    const { error, report } = await sim.run();
    expect(error).toBeInstanceOf(ActionFailure);
    expect(error!.message).toMatch(/ended DELETED during (CREATING|PENDING)/);
    expect(report.timeline.at(-1)!.state).toBe('DELETED');
  });
});

describe('build-nat-ami: builds already in progress', () => {
  it('attaches to the build in progress instead of starting a second one (if-building: wait)', async () => {
    const running = sim.addBuild(TWENTY_MINUTES, sim.clock.now() - 5 * 60_000);
    const { result, error, report } = await sim.run();
    expect(error).toBeUndefined();
    expect(sim.ib.commandCalls(StartImagePipelineExecutionCommand)).toHaveLength(0);
    expect(result).toMatchObject({ imageArn: running.arn, reused: true, amiId: running.amiId });
    expect(report.mode).toBe('attached');
    // Build time is the attached build's, from its creation.
    expect(result!.buildSeconds).toBeGreaterThanOrEqual(1200);
    expect(result!.buildSeconds).toBeLessThanOrEqual(1230);
    expect(sim.messages().some((m) => m.startsWith('attaching to the build already in progress'))).toBe(true);
  });

  it('if-building: fail fails without starting or waiting', async () => {
    sim.addBuild(TWENTY_MINUTES, sim.clock.now() - 12 * 60_000);
    const { error } = await sim.run({ ifBuilding: 'fail' });
    expect(error).toBeInstanceOf(ActionFailure);
    expect(error!.message).toBe(
      `a build of pipeline cabal-nat-al2023 is already in progress: image 1.0.0/3 (TESTING, created ${new Date(sim.clock.now() - 12 * 60_000).toISOString()}); if-building is fail (use wait to attach to it)`,
    );
    expect(sim.ib.commandCalls(StartImagePipelineExecutionCommand)).toHaveLength(0);
    expect(sim.getImageCalls).toBe(0);
  });

  it('if-building: start starts another build anyway', async () => {
    sim.addBuild(TWENTY_MINUTES, sim.clock.now() - 12 * 60_000);
    const { result, error } = await sim.run({ ifBuilding: 'start' });
    expect(error).toBeUndefined();
    expect(sim.ib.commandCalls(StartImagePipelineExecutionCommand)).toHaveLength(1);
    expect(sim.ib.commandCalls(ListImagePipelineImagesCommand)).toHaveLength(0);
    expect(result!.reused).toBe(false);
    expect(result!.imageVersion).toBe('1.0.0/4');
  });

  it('finished builds are not "in progress": a new build is started', async () => {
    sim.addBuild(
      [
        ['PENDING', 0],
        ['FAILED', 300, 'boom'],
      ],
      sim.clock.now() - 3_600_000,
    );
    sim.addBuild(TWENTY_MINUTES, sim.clock.now() - 7_200_000);
    const { result, error } = await sim.run();
    expect(error).toBeUndefined();
    expect(sim.ib.commandCalls(StartImagePipelineExecutionCommand)).toHaveLength(1);
    expect(result!.reused).toBe(false);
  });

  it('a re-run with the same client token starts no second build', async () => {
    const first = await sim.run();
    expect(first.error).toBeUndefined();
    // The step is re-run later in the same attempt: same token, the first build is finished (not in progress).
    sim.clock.advance(10 * 60_000);
    const second = await sim.run();
    expect(second.error).toBeUndefined();
    expect(sim.builds.size).toBe(1);
    const tokens = sim.ib.commandCalls(StartImagePipelineExecutionCommand).map((c) => c.args[0].input.clientToken);
    expect(tokens).toHaveLength(2);
    expect(tokens[1]).toBe(tokens[0]);
    expect(second.result).toMatchObject({ imageArn: first.result!.imageArn, amiId: first.result!.amiId, reused: true });
    expect(second.report.mode).toBe('rerun');
    expect(sim.messages().some((m) => m.includes('had already started this build'))).toBe(true);
  });

  it('a re-run while its first build is still running attaches to it', async () => {
    const first = await sim.run({ timeoutMs: 5 * 60_000, cancelOnTimeout: false });
    expect(first.error!.message).toMatch(/timed out/);
    const second = await sim.run();
    expect(second.error).toBeUndefined();
    expect(sim.builds.size).toBe(1);
    expect(second.result).toMatchObject({ imageArn: first.report.imageArn, reused: true });
  });

  it('a new run attempt gets a new token (so a failed build can be retried)', async () => {
    await sim.run();
    await sim.run({}, { GITHUB_RUN_ID: '9876543210', GITHUB_RUN_ATTEMPT: '2' });
    const tokens = sim.ib.commandCalls(StartImagePipelineExecutionCommand).map((c) => c.args[0].input.clientToken);
    expect(new Set(tokens).size).toBe(2);
    expect(sim.builds.size).toBe(2);
  });

  it('an explicit client-token is used as given', async () => {
    await sim.run({ clientToken: 'nightly-2026-01-01' });
    expect(sim.ib.commandCalls(StartImagePipelineExecutionCommand)[0]!.args[0].input.clientToken).toBe(
      'nightly-2026-01-01',
    );
  });
});

describe('build-nat-ami: failures', () => {
  it('FAILED at TESTING: the reason, the failing workflow step and where its logs are', async () => {
    sim.phases = [
      ['PENDING', 0],
      ['BUILDING', 60],
      ['TESTING', 600],
      ['FAILED', 780, 'Image testing failed: 1 test component failed'],
    ];
    sim.workflowFailure = {
      type: 'TEST',
      steps: [
        { name: 'LaunchTestInstance', status: 'COMPLETED', action: 'LaunchInstance' },
        {
          name: 'RunTestComponents',
          status: 'FAILED',
          action: 'ExecuteComponents',
          message: 'cabal-nat-nftables test: nftables.service does not exist',
        },
      ],
    };
    const { error, report } = await sim.run();
    expect(error).toBeInstanceOf(ActionFailure);
    expect(error!.message).toBe(
      'image 1.0.0/3 ended FAILED during TESTING: Image testing failed: 1 test component failed; ' +
        'failing step: TEST workflow step RunTestComponents (ExecuteComponents): cabal-nat-nftables test: nftables.service does not exist; ' +
        'logs: CloudWatch Logs group /aws/imagebuilder/cabal-nat-al2023, s3://cabal-build-logs/imagebuilder/',
    );
    expect(
      sim.ib.commandCalls(ListWorkflowStepExecutionsCommand).map((c) => c.args[0].input.workflowExecutionId),
    ).toEqual(['wf-failed']);
    const md = renderSummary(report);
    expect(md).toContain('❌');
    expect(md).toContain('`RunTestComponents`');
    expect(md).toContain('`CloudWatch Logs group /aws/imagebuilder/cabal-nat-al2023`');
    expect(report.amiId).toBeUndefined();
  });

  it('FAILED without permission for the workflow look-ups still fails with the state reason', async () => {
    sim.phases = [
      ['PENDING', 0],
      ['TESTING', 600],
      ['FAILED', 700, 'Image testing failed'],
    ];
    sim.workflowFailure = awsError(
      'AccessDeniedException',
      'not authorized to perform: imagebuilder:ListWorkflowExecutions',
      403,
    );
    const { error, report } = await sim.run();
    expect(error!.message).toMatch(/^image 1\.0\.0\/3 ended FAILED during TESTING: Image testing failed; logs: /);
    expect(report.failureDetails!.notes[0]).toMatch(/workflow step details unavailable: AccessDeniedException/);
    expect(sim.logs.some((l) => l.level === 'warning' && l.message.includes('workflow step details unavailable'))).toBe(
      true,
    );
  });

  it('CANCELLED: fails with the reason and the stage', async () => {
    sim.phases = [
      ['PENDING', 0],
      ['BUILDING', 60],
      ['CANCELLED', 400, 'Image creation cancelled by user'],
    ];
    const { error } = await sim.run();
    expect(error!.message).toMatch(
      /^image 1\.0\.0\/3 ended CANCELLED during BUILDING: Image creation cancelled by user/,
    );
    expect(sim.ec2.commandCalls(DescribeImagesCommand)).toHaveLength(0);
  });

  it('timeout with cancel-on-timeout: cancels the build it started and fails clearly', async () => {
    const t0 = sim.clock.now();
    const { error, report } = await sim.run({ timeoutMs: 10 * 60_000 });
    expect(error!.message).toBe(
      'timed out after 10m waiting for image 1.0.0/3 of pipeline cabal-nat-al2023 (last state BUILDING); cancelled the build (CancelImageCreation accepted)',
    );
    expect(sim.ib.commandCalls(CancelImageCreationCommand).map((c) => c.args[0].input.imageBuildVersionArn)).toEqual([
      report.imageArn,
    ]);
    // It gave up on time: one last check at the deadline, not later.
    expect(report.finishedAt! - t0).toBe(10 * 60_000);
    expect(sim.stateOf(sim.builds.get(report.imageArn!)!).status).toBe('BUILDING');
    sim.clock.advance(60_000);
    expect(sim.stateOf(sim.builds.get(report.imageArn!)!).status).toBe('CANCELLED');
  });

  it('timeout without cancel-on-timeout: leaves the build running and says so', async () => {
    const { error, report } = await sim.run({ timeoutMs: 10 * 60_000, cancelOnTimeout: false });
    expect(error!.message).toBe(
      `timed out after 10m waiting for image 1.0.0/3 of pipeline cabal-nat-al2023 (last state BUILDING); the build keeps running (cancel-on-timeout is false): ${report.imageArn}`,
    );
    expect(sim.ib.commandCalls(CancelImageCreationCommand)).toHaveLength(0);
  });

  it('timeout on a build it attached to: never cancels another run’s build', async () => {
    sim.addBuild(TWENTY_MINUTES, sim.clock.now() - 60_000);
    const { error } = await sim.run({ timeoutMs: 5 * 60_000 });
    expect(error!.message).toMatch(/not cancelling it: this run attached to a build it did not start$/);
    expect(sim.ib.commandCalls(CancelImageCreationCommand)).toHaveLength(0);
  });

  it('missing pipeline: fails listing the pipelines that exist in the region', async () => {
    sim.pipelines = [
      {
        name: 'web-al2023',
        arn: `arn:aws:imagebuilder:${REGION}:${ACCOUNT}:image-pipeline/web-al2023`,
        status: 'ENABLED',
      },
      {
        name: 'cabal-nat-al2',
        arn: `arn:aws:imagebuilder:${REGION}:${ACCOUNT}:image-pipeline/cabal-nat-al2`,
        status: 'ENABLED',
      },
    ];
    const { error } = await sim.run();
    expect(error!.message).toBe(
      'image pipeline "cabal-nat-al2023" not found in us-east-1; pipelines there: cabal-nat-al2, web-al2023',
    );
    expect(sim.ib.commandCalls(StartImagePipelineExecutionCommand)).toHaveLength(0);
  });

  it('missing pipeline in a region with none says so', async () => {
    sim.pipelines = [];
    const { error } = await sim.run();
    expect(error!.message).toMatch(
      /^image pipeline "cabal-nat-al2023" not found in us-east-1: this region has no image pipelines at all/,
    );
  });

  it('pipeline-arn that does not exist: fails listing the pipelines that do', async () => {
    const arn = `arn:aws:imagebuilder:${REGION}:${ACCOUNT}:image-pipeline/nope`;
    const { error } = await sim.run({ pipelineArn: arn });
    expect(error!.message).toBe(`image pipeline ${arn} not found in us-east-1; pipelines there: cabal-nat-al2023`);
  });

  it('pipeline-arn that exists is used directly', async () => {
    const { error, result } = await sim.run({ pipelineArn: PIPE_ARN, pipelineName: 'ignored' });
    expect(error).toBeUndefined();
    expect(result!.amiId).toMatch(/^ami-/);
    expect(sim.ib.commandCalls(ListImagePipelinesCommand)).toHaveLength(0);
  });

  it('finds the pipeline on a later ListImagePipelines page', async () => {
    sim.ib
      .on(ListImagePipelinesCommand)
      .callsFake((input: { nextToken?: string }) =>
        input.nextToken === 'p2'
          ? { imagePipelineList: [{ name: 'cabal-nat-al2023', arn: PIPE_ARN, status: 'ENABLED' }] }
          : { imagePipelineList: [{ name: 'other', arn: 'arn:other', status: 'ENABLED' }], nextToken: 'p2' },
      );
    const { error } = await sim.run();
    expect(error).toBeUndefined();
    expect(sim.ib.commandCalls(ListImagePipelinesCommand)).toHaveLength(2);
  });

  it('disabled pipeline: reported, and a refused start says why', async () => {
    sim.pipelines = [{ name: 'cabal-nat-al2023', arn: PIPE_ARN, status: 'DISABLED' }];
    sim.startError = awsError('InvalidRequestException', 'The pipeline is disabled');
    const { error, report } = await sim.run();
    expect(sim.logs.some((l) => l.level === 'warning' && /pipeline cabal-nat-al2023 is DISABLED/.test(l.message))).toBe(
      true,
    );
    expect(error!.message).toBe(
      'could not start pipeline cabal-nat-al2023, which is DISABLED: InvalidRequestException: The pipeline is disabled (HTTP 400) (enable it, or use build: false to take the newest usable AMI)',
    );
    expect(renderSummary(report)).toContain('is DISABLED');
  });

  it('a client token reused for a different request fails with what to do', async () => {
    sim.startError = awsError('IdempotentParameterMismatchException', 'token mismatch');
    const { error } = await sim.run({ clientToken: 'tok' });
    expect(error!.message).toBe(
      'client-token tok was already used for a different request (another pipeline?): set a different client-token',
    );
  });
});

describe('build-nat-ami: the AMI gate', () => {
  it('AVAILABLE but the AMI lacks the Role tag: fails, never outputs the untested AMI', async () => {
    sim.newAmiTags = { Name: 'cabal-nat-al2023' };
    const { result, error, report } = await sim.run();
    expect(result).toBeUndefined();
    const build = [...sim.builds.values()][0]!;
    expect(error!.message).toBe(
      `image 1.0.0/3 is AVAILABLE but its AMI is not usable: ${build.amiName} (${build.amiId}) is available but lacks tag Role=cabal-nat; ` +
        "not outputting an untested AMI (the required tags are added only after the image's tests pass)",
    );
    // It allowed a short wait for the tag (default 90 s, every 10 s), then gave up.
    const checks = sim.ec2.commandCalls(DescribeImagesCommand).length;
    expect(checks).toBe(10);
    expect(renderSummary(report)).toContain('(not usable)');
  });

  it('tags that appear one poll late: passes', async () => {
    sim.newAmiTagDelayMs = 5_000;
    const { result, error } = await sim.run();
    expect(error).toBeUndefined();
    expect(result!.amiId).toMatch(/^ami-/);
    expect(sim.ec2.commandCalls(DescribeImagesCommand)).toHaveLength(2);
  });

  it('an AMI whose name does not match ami-name-pattern is rejected at once', async () => {
    const { error } = await sim.run({ amiNamePattern: 'other-nat-*' });
    expect(error!.message).toMatch(/has a name that does not match other-nat-\*/);
    expect(sim.ec2.commandCalls(DescribeImagesCommand)).toHaveLength(1);
  });

  it('every required tag is checked', async () => {
    const { error } = await sim.run({
      requiredTags: [
        { key: 'Role', value: 'cabal-nat' },
        { key: 'Tested', value: 'true' },
      ],
    });
    expect(error!.message).toMatch(/is available but lacks tag Tested=true/);
  });

  it('AVAILABLE without an AMI in this region fails', async () => {
    const { error } = await sim.run({ region: 'eu-west-1' });
    expect(error!.message).toMatch(
      /^image 1\.0\.0\/3 is AVAILABLE but produced no AMI in eu-west-1 \(output AMIs: us-east-1:ami-/,
    );
  });
});

describe('build-nat-ami with build: false', () => {
  it('outputs the newest usable AMI and says which newer ones were skipped', async () => {
    const arn = `arn:aws:imagebuilder:${REGION}:${ACCOUNT}:image/cabal-nat-al2023/1.0.0/7`;
    sim.addAmi({
      id: 'ami-new',
      name: 'cabal-nat-al2023-20260103',
      created: '2026-01-03T00:00:00.000Z',
      state: 'available',
      tags: { Name: 'cabal-nat-al2023' },
    });
    sim.addAmi({
      id: 'ami-mid',
      name: 'cabal-nat-al2023-20260102',
      created: '2026-01-02T00:00:00.000Z',
      state: 'available',
      tags: { Role: 'cabal-nat', Ec2ImageBuilderArn: arn },
    });
    sim.addAmi({
      id: 'ami-old',
      name: 'cabal-nat-al2023-20260101',
      created: '2026-01-01T00:00:00.000Z',
      state: 'available',
      tags: { Role: 'cabal-nat' },
    });
    sim.addAmi({
      id: 'ami-web',
      name: 'web-al2023-20260104',
      created: '2026-01-04T00:00:00.000Z',
      state: 'available',
      tags: { Role: 'cabal-nat' },
    });
    const { result, error, report } = await sim.run({ build: false });
    expect(error).toBeUndefined();
    expect(result).toEqual({
      amiId: 'ami-mid',
      amiName: 'cabal-nat-al2023-20260102',
      imageArn: arn,
      imageVersion: '1.0.0/7',
      buildSeconds: 0,
      reused: true,
    });
    expect(sim.logs.filter((l) => l.level === 'warning').map((l) => l.message)).toEqual([
      'skipped a newer AMI: cabal-nat-al2023-20260103 (ami-new) is available but lacks tag Role=cabal-nat',
    ]);
    expect(sim.ib.calls()).toHaveLength(0);
    expect(sim.ec2.commandCalls(DescribeImagesCommand)[0]!.args[0].input).toMatchObject({
      Owners: ['self'],
      Filters: [{ Name: 'name', Values: ['cabal-nat-al2023-*'] }],
    });
    expect(report.mode).toBe('lookup');
  });

  it('fails when no usable AMI exists, explaining each rejection', async () => {
    sim.addAmi({
      id: 'ami-new',
      name: 'cabal-nat-al2023-20260103',
      created: '2026-01-03T00:00:00.000Z',
      state: 'available',
      tags: {},
    });
    sim.addAmi({
      id: 'ami-pend',
      name: 'cabal-nat-al2023-20260104',
      created: '2026-01-04T00:00:00.000Z',
      state: 'pending',
      tags: { Role: 'cabal-nat' },
    });
    const { result, error } = await sim.run({ build: false });
    expect(result).toBeUndefined();
    expect(error!.message).toBe(
      'no usable AMI named cabal-nat-al2023-* with tags Role=cabal-nat in us-east-1: cabal-nat-al2023-20260104 (ami-pend) is pending; cabal-nat-al2023-20260103 (ami-new) is available but lacks tag Role=cabal-nat',
    );
  });

  it('fails when no AMI matches the name at all', async () => {
    const { error } = await sim.run({ build: false });
    expect(error!.message).toMatch(
      /^no usable AMI named cabal-nat-al2023-\* with tags Role=cabal-nat in us-east-1: no AMI owned by self matches the name at all/,
    );
  });
});
