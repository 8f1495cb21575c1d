/**
 * The mode advisor end to end: NAT topology (EC2) → instance network figures (EC2) → measured traffic
 * (CloudWatch, batched) → prices (Price List API or the dated table) → priced modes and one recommendation.
 * Callable from verify-egress (`advise: true`) and from a terminal entry: `adviseMode(clients, clock, options)`.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { PricingClient } from '@aws-sdk/client-pricing';
import { InputError, intInput, boolInput, stringInput, type InputReader } from '../inputs/index';
import type { Clock } from '../runtime/index';
import {
  azOf,
  azTopologies,
  detectMode,
  liveModeOf,
  modelFromEc2,
  servingNats,
  type NatNode,
  type NatTopology,
} from '../nat/index';
import { readTopology } from '../nat/read';
import { readInstanceTypes, type InstanceTypeNetwork } from './instance-types';
import { MAX_ADVISE_DAYS, metricWindow, readMetrics, type MetricWindow, type RawMetrics } from './metrics';
import type { ModelResult } from './model';
import { priceModes } from './recommend';
import { readPrices, type PriceBook } from './prices';
import { natTraffic } from './traffic';
import type { Advice, AdvisorNat, ModeId, NatTraffic } from './types';

export interface AdvisorClients {
  ec2: EC2Client;
  cloudwatch: CloudWatchClient;
  /** Absent: prices from the dated table only. */
  pricing?: PricingClient;
}

export interface AdviseOptions {
  region: string;
  vpcId?: string;
  vpcName?: string;
  /** Glob on the Name tag of NAT instances (as verify-egress's nat-name-pattern). */
  natNamePattern: string;
  /** Days of traffic to read, 1..455. */
  days: number;
  /** Instance type to price instance mode with besides today's (e.g. a larger one when today's would throttle). */
  instanceType?: string;
}

/** nat_instance_type's default in the runbook's module: what instance mode is priced with when no instance runs. */
export const DEFAULT_INSTANCE_TYPE = 't3.micro';
export const DEFAULT_ADVISE_DAYS = 30;

export interface AdviseInputs {
  advise: boolean;
  days: number;
  instanceType?: string;
}

/** `advise`, `advise-days` (1..455, CloudWatch's 1-hour retention) and `advise-instance-type`, one-line errors. */
export function readAdviseInputs(read: InputReader): AdviseInputs {
  const advise = boolInput('advise', read('advise'), false);
  const days = intInput('advise-days', read('advise-days'), DEFAULT_ADVISE_DAYS, { min: 1, max: MAX_ADVISE_DAYS });
  const instanceType = stringInput('advise-instance-type', read('advise-instance-type'));
  if (instanceType && !/^[a-z][a-z0-9-]*\.[a-z0-9-]+$/.test(instanceType)) {
    throw new InputError(
      `advise-instance-type: ${JSON.stringify(instanceType)} is not an EC2 instance type (e.g. t3.small)`,
    );
  }
  if (instanceType && !advise) throw new InputError('advise-instance-type: only applies with advise: true');
  return { advise, days, ...(instanceType ? { instanceType } : {}) };
}

/** The most common entry (ties: alphabetical), or undefined. */
function mostCommon(items: string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const i of items) counts.set(i, (counts.get(i) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
}

/** Running NAT instances and available or pending gateways: what carries the VPC's egress today. */
function isRunning(n: NatNode): boolean {
  const state = n.live?.state;
  return liveModeOf(n) === 'instance' ? state === 'running' : state === 'available' || state === 'pending';
}

/**
 * The NATs the VPC's private subnets use today (the detected mode's, and any a private route reaches), each with
 * the AZs whose routes lead to it, and the AZs with private subnets.
 */
function advisorNats(model: NatTopology): { nats: AdvisorNat[]; azs: string[] } {
  const views = azTopologies(model);
  const live = servingNats(model, detectMode(model)).filter(isRunning);
  const nats = live.map((n): AdvisorNat => {
    const az = azOf(n);
    const servesAzs = views.filter((a) => a.egressNatRefs.includes(n.ref)).map((a) => a.az);
    if (liveModeOf(n) === 'instance') {
      return {
        id: n.ref,
        kind: 'instance',
        az,
        servesAzs: servesAzs.length ? servesAzs : [az],
        ...(n.live?.instanceType ? { instanceType: n.live.instanceType } : {}),
        detailedMonitoring: n.live?.detailedMonitoring === true,
      };
    }
    const regional = n.kind === 'regional-gateway';
    const active = [...new Set((n.zones ?? []).map((z) => z.az))].sort();
    return {
      id: n.ref,
      kind: 'gateway',
      az: regional ? '' : az,
      servesAzs: servesAzs.length ? servesAzs : regional ? active : [az],
      availabilityMode: regional ? 'regional' : 'zonal',
      ...(regional ? { activeAzs: active } : {}),
    };
  });
  return { nats, azs: views.filter((a) => a.privateSubnetIds.length > 0).map((a) => a.az) };
}

/** Today's mode, and which priced mode it is (null when it is none of them). */
function currentModeOf(
  nats: AdvisorNat[],
  allAzs: string[],
): { currentMode: Advice['currentMode']; current: ModeId | null } {
  const kinds = new Set(nats.map((n) => n.kind));
  const currentMode: Advice['currentMode'] =
    nats.length === 0 ? 'none' : kinds.size > 1 ? 'mixed' : nats[0]!.kind === 'instance' ? 'instance' : 'gateway';
  let current: ModeId | null = null;
  if (currentMode === 'instance') current = 'instance';
  else if (currentMode === 'gateway') {
    if (nats.some((n) => n.availabilityMode === 'regional')) current = nats.length === 1 ? 'regional-gateway' : null;
    else if (nats.length === 1 && allAzs.length > 1) current = 'single-zonal-gateway';
    else if (allAzs.every((az) => nats.some((n) => n.az === az && n.servesAzs.includes(az))))
      current = 'zonal-gateway-per-az';
  }
  return { currentMode, current };
}

/** The instance type today's instances run (most common), the types to price, and notes on the choice. */
function instanceTypesOf(nats: AdvisorNat[], chosen: string | undefined) {
  const notes: string[] = [];
  const instanceTypes = nats.map((n) => n.instanceType).filter((t): t is string => !!t);
  const todayType = mostCommon(instanceTypes) ?? chosen ?? DEFAULT_INSTANCE_TYPE;
  if (new Set(instanceTypes).size > 1)
    notes.push(
      `NAT instances run several types (${[...new Set(instanceTypes)].join(', ')}): ` +
        `instance mode is priced with ${todayType}`,
    );
  if (instanceTypes.length === 0 && !chosen)
    notes.push(
      `No NAT instance runs: instance mode is priced with ${DEFAULT_INSTANCE_TYPE} ` +
        "(the runbook's default nat_instance_type)",
    );
  const types = [...new Set([todayType, ...(chosen ? [chosen] : []), ...instanceTypes])];
  return { todayType, types, notes };
}

/** What the advice is assembled from. */
interface Measured {
  options: AdviseOptions;
  clock: Clock;
  vpcId: string;
  window: MetricWindow;
  currentMode: Advice['currentMode'];
  allAzs: string[];
  traffic: NatTraffic[];
  prices: PriceBook;
  model: ModelResult;
  raw: RawMetrics;
  ec2Calls: number;
  notes: string[];
}

const TRANSFER_NOTES = {
  instances:
    'NAT instance metrics count forwarded bytes in both directions together, so what left for the internet ' +
    'cannot be told apart.',
  gateways:
    'BytesOutToDestination is an upper bound: it includes traffic to public AWS endpoints in the region, and the ' +
    'first 100 GB/month of internet transfer out are free account-wide.',
};

function assembleAdvice(m: Measured): Advice {
  const { window, traffic, prices, model } = m;
  const gwTraffic = traffic.filter((t) => t.kind === 'gateway');
  const toDest =
    gwTraffic.length > 0 && traffic.every((t) => t.kind === 'gateway')
      ? gwTraffic.reduce((a, t) => a + (t.monthlyToDestinationGB ?? 0), 0)
      : null;
  return {
    version: 1,
    region: m.options.region,
    vpcId: m.vpcId,
    generatedAt: new Date(m.clock.now()).toISOString(),
    window: {
      days: window.days,
      start: new Date(window.startMs).toISOString(),
      end: new Date(window.endMs).toISOString(),
      periodSeconds: window.periodSeconds,
    },
    currentMode: m.currentMode,
    azs: m.allAzs,
    traffic: {
      perNat: traffic,
      measured: traffic.some((t) => t.status !== 'missing'),
      monthlyProcessedGB: model.monthlyProcessedGB,
      monthlyToDestinationGB: toDest,
    },
    prices: {
      source: prices.source,
      ...(prices.table && prices.source !== 'price-list-api' ? { table: prices.table } : {}),
      notes: prices.notes,
    },
    modes: model.modes,
    dataTransferOut: {
      monthlyGB: toDest,
      usdPerGB: prices.dataTransferOutGB.usd,
      monthlyUsd: toDest === null ? null : toDest * prices.dataTransferOutGB.usd,
      note: toDest === null ? TRANSFER_NOTES.instances : TRANSFER_NOTES.gateways,
    },
    breakEvens: model.breakEvens,
    recommendation: model.recommendation,
    notes: [...m.notes, ...model.notes],
    calls: { cloudwatch: m.raw.calls, pricing: prices.calls, ec2: m.ec2Calls, cloudwatchQueries: m.raw.queries },
  };
}

/** The NAT topology (EC2): the VPC's id, the NATs in use, the AZs to price and the EC2 calls made. */
async function readNats(clients: AdvisorClients, options: AdviseOptions) {
  const snap = await readTopology(clients.ec2, {
    region: options.region,
    natNamePattern: options.natNamePattern,
    expectedIps: [],
    ...(options.vpcId ? { vpcId: options.vpcId } : { vpcName: options.vpcName ?? '' }),
  });
  const { nats, azs } = advisorNats(modelFromEc2(snap));
  const notes: string[] = [];
  const allAzs = azs.length > 0 ? azs : [...new Set(nats.flatMap((n) => n.servesAzs))].filter(Boolean).sort();
  if (allAzs.length === 0) notes.push('No private subnets and no NAT found: priced for one AZ at zero volume');
  if (azs.length === 0 && allAzs.length > 0) notes.push('No private subnets found: AZs taken from the NATs');
  const ec2Calls = Object.values(snap.calls).reduce((a, b) => a + b, 0);
  return { vpcId: snap.vpc.VpcId as string, nats, allAzs, notes, ec2Calls };
}

/** Network figures of the instance types (EC2 DescribeInstanceTypes); marks the burstable NAT instances. */
async function readNetwork(
  clients: AdvisorClients,
  nats: AdvisorNat[],
  types: string[],
): Promise<{ types: Record<string, InstanceTypeNetwork>; calls: number; notes: string[] }> {
  const network = await readInstanceTypes(clients.ec2, types);
  for (const n of nats) if (n.instanceType) n.burstableCpu = network.types[n.instanceType]?.burstableCpu ?? false;
  return network;
}

/**
 * Advice for one VPC. Errors: ActionFailure when the VPC is not found (from readTopology); AWS errors from
 * EC2 or CloudWatch after the SDK's retries propagate (the Price List API falls back to the table instead).
 */
export async function adviseMode(clients: AdvisorClients, clock: Clock, options: AdviseOptions): Promise<Advice> {
  const window = metricWindow(clock.now(), options.days);
  const { vpcId, nats, allAzs, notes, ec2Calls } = await readNats(clients, options);
  const { currentMode, current } = currentModeOf(nats, allAzs);
  if (currentMode === 'mixed')
    notes.push(
      `Mixed modes today: ${nats.map((n) => `${n.id} (${n.kind}${n.az ? `, ${n.az}` : ''})`).join('; ')}; ` +
        'each mode below is priced for the whole VPC',
    );
  const chosen = instanceTypesOf(nats, options.instanceType);
  notes.push(...chosen.notes);
  const network = await readNetwork(clients, nats, chosen.types);
  notes.push(...network.notes);
  const raw = await readMetrics(clients.cloudwatch, nats, window);
  const traffic = natTraffic(nats, raw, window);
  const prices = await readPrices(clients.pricing, options.region, chosen.types);
  const model = priceModes({
    azs: allAzs.length ? allAzs : ['(none)'],
    traffic,
    prices,
    instanceType: chosen.todayType,
    ...(options.instanceType ? { chosenInstanceType: options.instanceType } : {}),
    network: network.types,
    current,
  });
  return assembleAdvice({
    options,
    clock,
    vpcId,
    window,
    currentMode,
    allAzs,
    traffic,
    prices,
    model,
    raw,
    ec2Calls: ec2Calls + network.calls,
    notes,
  });
}
