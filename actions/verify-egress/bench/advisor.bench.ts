/**
 * Mode advisor benchmark (verify-egress `advise: true`).
 * 1. CloudWatch GetMetricData calls for 1–64 NAT gateways × 1–455 days, against a simulated CloudWatch that
 *    enforces the service's limits (500 queries per call, pages of at most 100,800 data points, retention
 *    periods). Targets: the same count for every number of days; at most one call per NAT.
 * 2. Wall time of one advice (64 NATs, 455 days: the largest read) on the simulated account.
 * 3. The runbook's cost table (2 AZs, t3.micro instances, us-east-1 table prices), reproduced.
 * Run: node scripts/run-ts.mjs actions/verify-egress/bench/advisor.bench.ts
 */
import { adviseMode, createAdvisorClients, renderAdvice, type Advice } from '@nat-egress/shared/advisor';
import { VirtualClock } from '@nat-egress/shared/runtime';
import {
  describeInstanceTypes,
  ec2Answers,
  getMetricData,
  getProducts,
  type WorldSpec,
} from '../../../packages/shared/test/support/advisor-world';

type Send = (command: { constructor: { name: string }; input: Record<string, unknown> }) => Promise<unknown>;
const REGION = 'us-east-1';
const NOW = Date.UTC(2026, 10, 30, 9, 0, 0);
const AZS = ['us-east-1a', 'us-east-1b', 'us-east-1c'];

function override(client: object, send: Send): void {
  (client as unknown as { send: Send }).send = send;
}

async function run(
  spec: WorldSpec,
  days: number,
  pricing: 'api' | 'table' = 'api',
): Promise<{ advice: Advice; ms: number }> {
  const clients = createAdvisorClients(REGION);
  const ec2 = ec2Answers(spec);
  override(clients.ec2, async (c) => {
    const op = c.constructor.name.replace(/Command$/, '');
    if (op === 'DescribeInstanceTypes') return describeInstanceTypes(c.input as never);
    if (!(op in ec2)) throw new Error(`bench EC2 model: unexpected ${op}`);
    return ec2[op];
  });
  override(clients.cloudwatch, async (c) => getMetricData(spec, c.input as never));
  if (pricing === 'table') delete clients.pricing;
  else override(clients.pricing!, async (c) => getProducts(c.input as never));
  const started = performance.now();
  const advice = await adviseMode(clients, new VirtualClock(spec.now), {
    region: REGION,
    vpcId: 'vpc-0a1b2c3d4e5f60718',
    natNamePattern: 'cabal-nat-*',
    days,
  });
  return { advice, ms: performance.now() - started };
}

const gateways = (count: number): WorldSpec => ({
  now: NOW,
  azs: AZS,
  nats: Array.from({ length: count }, (_, i) => ({
    kind: 'gateway' as const,
    id: `nat-0${String(i).padStart(16, '0')}`,
    az: AZS[i % 3]!,
    outRate: 50_000,
    inRate: 400_000,
  })),
});

console.log('mode advisor bench');
console.log('CloudWatch GetMetricData calls (9 series per NAT gateway; target: same for every window, ≤ 1 per NAT)');
const DAYS = [1, 30, 90, 455];
console.log(`  NATs  ${DAYS.map((d) => `${d} d`.padStart(6)).join(' ')}   series`);
let constant = true;
let linear = true;
for (const n of [1, 3, 8, 16, 64]) {
  const counts: number[] = [];
  let series = 0;
  for (const d of DAYS) {
    const { advice } = await run(gateways(n), d);
    counts.push(advice.calls.cloudwatch);
    series = advice.calls.cloudwatchQueries;
  }
  if (new Set(counts).size !== 1) constant = false;
  if (counts.some((c) => c > n)) linear = false;
  console.log(`  ${String(n).padStart(4)}  ${counts.map((c) => String(c).padStart(6)).join(' ')}   ${series}`);
}
console.log(
  `  → ${constant ? 'constant in days: target met' : 'NOT constant in days: target missed'}; ${linear ? '≤ 1 call per NAT: target met' : 'more than one call per NAT: target missed'}`,
);

await run(gateways(3), 30); // warm-up
const big = await run(gateways(64), 455);
const small = await run(gateways(3), 30);
console.log('Wall time of one advice on the simulated account (no network latency)');
console.log(
  `  3 NATs, 30 days:   ${small.ms.toFixed(0)} ms (${small.advice.calls.cloudwatch} CloudWatch, ${small.advice.calls.pricing} Price List, ${small.advice.calls.ec2} EC2 calls)`,
);
console.log(
  `  64 NATs, 455 days: ${big.ms.toFixed(0)} ms (${big.advice.calls.cloudwatch} CloudWatch, ${big.advice.calls.pricing} Price List, ${big.advice.calls.ec2} EC2 calls)`,
);

console.log(
  "The runbook's cost table, reproduced (2 AZs, 2 × t3.micro, near-zero traffic, the repository's price table):",
);
const runbook: WorldSpec = {
  now: NOW,
  azs: ['us-east-1a', 'us-east-1b'],
  nats: ['us-east-1a', 'us-east-1b'].map((az, i) => ({
    kind: 'instance' as const,
    id: `i-0nat${i}0000000000000`,
    az,
    type: 't3.micro',
    outRate: 0,
    inRate: 0,
  })),
};
const rb = await run(runbook, 30, 'table');
const md = renderAdvice(rb.advice);
const tableLines = md
  .split('\n')
  .filter((l) => l.startsWith('|'))
  .slice(0, 2 + rb.advice.modes.length);
for (const l of tableLines) console.log(`  ${l}`);
if (!constant || !linear) process.exitCode = 1;
