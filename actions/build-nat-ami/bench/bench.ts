/**
 * Benchmark: a simulated 20-minute Image Builder build on virtual time (no real waiting), run through the whole
 * build-nat-ami flow (pipeline lookup, start, wait, AMI check). Prints terminal-state detection latency and the
 * number of GetImage calls, worst case over every alignment of the build's end with the poll schedule, next to
 * the targets (≤ 30 s, ≤ 60 calls) and to the fixed 60 s polling of the shell loop it replaces.
 *
 * Run: node scripts/run-ts.mjs actions/build-nat-ami/bench/bench.ts
 */
import { mockClient } from 'aws-sdk-client-mock';
import { DescribeImagesCommand, EC2Client } from '@nat-egress/shared/ami';
import {
  buildNatAmi,
  GetImageCommand,
  ImagebuilderClient,
  ListImagePipelineImagesCommand,
  ListImagePipelinesCommand,
  newReport,
  StartImagePipelineExecutionCommand,
  readBuildNatAmiInputs,
  type BuildNatAmiInputs,
  type PollPolicy,
} from '@nat-egress/shared/imagebuilder';
import { VirtualClock } from '@nat-egress/shared/runtime';

const REGION = 'us-east-1';
const PIPE_ARN = `arn:aws:imagebuilder:${REGION}:123456789012:image-pipeline/cabal-nat-al2023`;
const IMAGE_ARN = `arn:aws:imagebuilder:${REGION}:123456789012:image/cabal-nat-al2023/1.0.0/1`;
const TARGET_LATENCY_MS = 30_000;
const TARGET_CALLS = 60;

/** Seconds after the start at which each state begins; the build ends (AVAILABLE) at 20 min + offset. */
function phases(endSec: number): [string, number][] {
  return [
    ['PENDING', 0],
    ['CREATING', 25],
    ['BUILDING', 95],
    ['TESTING', Math.round(endSec * 0.55)],
    ['DISTRIBUTING', endSec - 180],
    ['INTEGRATING', endSec - 60],
    ['AVAILABLE', endSec],
  ];
}

interface Sample {
  latencyMs: number;
  getImageCalls: number;
  maxSilenceMs: number;
  transientErrors: number;
}

const ib = mockClient(ImagebuilderClient);
const ec2 = mockClient(EC2Client);

async function simulate(
  endSec: number,
  options: { poll?: Partial<PollPolicy>; throttleEvery?: number } = {},
): Promise<Sample> {
  ib.reset();
  ec2.reset();
  const clock = new VirtualClock();
  const t0 = clock.now();
  const schedule = phases(endSec);
  let started = 0;
  let calls = 0;
  ib.on(ListImagePipelinesCommand).resolves({
    imagePipelineList: [{ name: 'cabal-nat-al2023', arn: PIPE_ARN, status: 'ENABLED' }],
  });
  ib.on(ListImagePipelineImagesCommand).resolves({ imageSummaryList: [] });
  ib.on(StartImagePipelineExecutionCommand).callsFake(() => {
    started = clock.now();
    return { imageBuildVersionArn: IMAGE_ARN };
  });
  ib.on(GetImageCommand).callsFake(() => {
    calls++;
    if (options.throttleEvery && calls % options.throttleEvery === 0) {
      throw Object.assign(new Error('Rate exceeded'), {
        name: 'ThrottlingException',
        $metadata: { httpStatusCode: 400 },
      });
    }
    const s = (clock.now() - started) / 1000;
    let status = 'PENDING';
    for (const [state, at] of schedule) if (s >= at) status = state;
    return {
      image: {
        arn: IMAGE_ARN,
        version: '1.0.0',
        dateCreated: new Date(started).toISOString(),
        state: { status },
        outputResources: status === 'AVAILABLE' ? { amis: [{ region: REGION, image: 'ami-0bench' }] } : {},
      },
    };
  });
  ec2.on(DescribeImagesCommand).resolves({
    Images: [
      {
        ImageId: 'ami-0bench',
        Name: 'cabal-nat-al2023-bench',
        State: 'available',
        Tags: [{ Key: 'Role', Value: 'cabal-nat' }],
      },
    ],
  });

  const logTimes: number[] = [t0];
  // The action's defaults, read the way the action reads them.
  const inputs: BuildNatAmiInputs = readBuildNatAmiInputs(() => '', { AWS_REGION: REGION });
  const report = newReport(REGION, t0);
  await buildNatAmi(
    inputs,
    {
      imagebuilder: new ImagebuilderClient({ region: REGION }),
      ec2: new EC2Client({ region: REGION }),
      clock,
      env: { GITHUB_RUN_ID: '1', GITHUB_RUN_ATTEMPT: '1' },
      log: { info: () => logTimes.push(clock.now()), warning: () => logTimes.push(clock.now()) },
      ...(options.poll ? { poll: options.poll } : {}),
    },
    report,
  );
  const available = report.timeline.find((c) => c.state === 'AVAILABLE');
  if (!available) throw new Error('bench: the simulated build did not reach AVAILABLE');
  let maxSilenceMs = 0;
  for (let i = 1; i < logTimes.length; i++) maxSilenceMs = Math.max(maxSilenceMs, logTimes[i]! - logTimes[i - 1]!);
  return {
    latencyMs: available.at - (started + endSec * 1000),
    getImageCalls: calls,
    maxSilenceMs,
    transientErrors: report.stats?.transientErrors ?? 0,
  };
}

async function sweep(options: Parameters<typeof simulate>[1] = {}) {
  const samples: Sample[] = [];
  // Every alignment of the build's end with the poll schedule (1 s steps over one 60 s window).
  for (let offset = 0; offset < 60; offset++) samples.push(await simulate(1200 + offset, options));
  const max = (f: (s: Sample) => number) => Math.max(...samples.map(f));
  const mean = (f: (s: Sample) => number) => samples.reduce((a, s) => a + f(s), 0) / samples.length;
  return {
    maxLatency: max((s) => s.latencyMs),
    meanLatency: mean((s) => s.latencyMs),
    maxCalls: max((s) => s.getImageCalls),
    meanCalls: mean((s) => s.getImageCalls),
    maxSilence: max((s) => s.maxSilenceMs),
    transient: mean((s) => s.transientErrors),
  };
}

const wallStart = process.hrtime.bigint();
const adaptive = await sweep();
const throttled = await sweep({ throttleEvery: 5 });
const shellLoop = await sweep({ poll: { firstMs: 60_000, maxMs: 60_000, growth: 1 } });
const wallMs = Number(process.hrtime.bigint() - wallStart) / 1e6;

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const pass = adaptive.maxLatency <= TARGET_LATENCY_MS && adaptive.maxCalls <= TARGET_CALLS;
console.log(
  'build-nat-ami bench: simulated 20-minute build (20m00s–20m59s, 60 alignments), full flow on a VirtualClock',
);
console.log('');
console.log('| scenario | detection latency max (mean) | GetImage calls max (mean) | longest log silence |');
console.log('| --- | --- | --- | --- |');
console.log(
  `| adaptive polling (this action) | ${s(adaptive.maxLatency)} (${s(adaptive.meanLatency)}) | ${adaptive.maxCalls} (${adaptive.meanCalls.toFixed(1)}) | ${s(adaptive.maxSilence)} |`,
);
console.log(
  `| same, every 5th GetImage throttled | ${s(throttled.maxLatency)} (${s(throttled.meanLatency)}) | ${throttled.maxCalls} (${throttled.meanCalls.toFixed(1)}) | ${s(throttled.maxSilence)} |`,
);
console.log(
  `| fixed 60 s polling (old shell loop) | ${s(shellLoop.maxLatency)} (${s(shellLoop.meanLatency)}) | ${shellLoop.maxCalls} (${shellLoop.meanCalls.toFixed(1)}) | ${s(shellLoop.maxSilence)} |`,
);
console.log('');
console.log(
  `targets (adaptive): detection latency ≤ ${s(TARGET_LATENCY_MS)}: ${adaptive.maxLatency <= TARGET_LATENCY_MS ? 'PASS' : 'FAIL'} (${s(adaptive.maxLatency)}); GetImage calls ≤ ${TARGET_CALLS}: ${adaptive.maxCalls <= TARGET_CALLS ? 'PASS' : 'FAIL'} (${adaptive.maxCalls}); heartbeat ≤ 60.0 s: ${adaptive.maxSilence <= 60_000 ? 'PASS' : 'FAIL'} (${s(adaptive.maxSilence)})`,
);
console.log(`(180 simulated builds in ${wallMs.toFixed(0)} ms of real time)`);
if (!pass || adaptive.maxSilence > 60_000) process.exitCode = 1;
