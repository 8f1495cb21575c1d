/**
 * The mode advisor end to end: NAT topology (EC2) → instance network figures (EC2) → measured traffic
 * (CloudWatch, batched) → prices (Price List API or the dated table) → priced modes and one recommendation.
 * Callable from verify-egress (`advise: true`) and from a terminal entry: `adviseMode(clients, clock, options)`.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { EC2Client, Instance, NatGateway } from '@aws-sdk/client-ec2';
import type { PricingClient } from '@aws-sdk/client-pricing';
import { InputError, intInput, boolInput, stringInput, type InputReader } from '../inputs/index';
import type { Clock } from '../runtime/index';
import { analyzeTopology } from '../egress/topology';
import { readTopology } from '../nat/read';
import { readInstanceTypes } from './instance-types';
import { MAX_ADVISE_DAYS, metricWindow, readMetrics } from './metrics';
import { priceModes } from './model';
import { readPrices } from './prices';
import { natTraffic } from './traffic';
import type { Advice, AdvisorNat, ModeId } from './types';

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

function regionalAzs(g: NatGateway): string[] {
  return [
    ...new Set((g.NatGatewayAddresses ?? []).map((a) => a.AvailabilityZone).filter((az): az is string => !!az)),
  ].sort();
}

/** The most common entry (ties: alphabetical), or undefined. */
function mostCommon(items: string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const i of items) counts.set(i, (counts.get(i) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
}

/**
 * Advice for one VPC. Errors: ActionFailure when the VPC is not found (from readTopology); AWS errors from
 * EC2 or CloudWatch after the SDK's retries propagate (the Price List API falls back to the table instead).
 */
export async function adviseMode(clients: AdvisorClients, clock: Clock, options: AdviseOptions): Promise<Advice> {
  const window = metricWindow(clock.now(), options.days);
  const snap = await readTopology(clients.ec2, {
    region: options.region,
    natNamePattern: options.natNamePattern,
    expectedIps: [],
    ...(options.vpcId ? { vpcId: options.vpcId } : { vpcName: options.vpcName ?? '' }),
  });
  const analysis = analyzeTopology(snap, {
    mode: 'auto',
    natNamePattern: options.natNamePattern,
    expectedIps: [],
    expectQuiesced: false,
  });
  const notes: string[] = [];
  let ec2Calls = Object.values(snap.calls).reduce((a, b) => a + b, 0);

  const instances = new Map<string, Instance>(snap.natInstances.map((i) => [i.InstanceId ?? '', i]));
  const gateways = new Map<string, NatGateway>(snap.natGateways.map((g) => [g.NatGatewayId ?? '', g]));
  const azs = analysis.azs
    .filter((a) => a.privateSubnetIds.length > 0)
    .map((a) => a.az)
    .sort();
  const live = analysis.nats.filter((n) =>
    n.kind === 'instance' ? n.state === 'running' : n.state === 'available' || n.state === 'pending',
  );
  const nats: AdvisorNat[] = live.map((n) => {
    const servesAzs = analysis.azs.filter((a) => a.egressNatIds.includes(n.id)).map((a) => a.az);
    if (n.kind === 'instance') {
      const i = instances.get(n.id);
      return {
        id: n.id,
        kind: 'instance',
        az: n.az,
        servesAzs: servesAzs.length ? servesAzs : [n.az],
        ...(i?.InstanceType ? { instanceType: i.InstanceType } : {}),
        detailedMonitoring: i?.Monitoring?.State === 'enabled',
      };
    }
    const g = gateways.get(n.id);
    const regional = g?.AvailabilityMode === 'regional';
    const active = g ? regionalAzs(g) : [];
    return {
      id: n.id,
      kind: 'gateway',
      az: regional ? '' : n.az,
      servesAzs: servesAzs.length ? servesAzs : regional ? active : [n.az],
      availabilityMode: regional ? 'regional' : 'zonal',
      ...(regional ? { activeAzs: active } : {}),
    };
  });
  const allAzs = azs.length > 0 ? azs : [...new Set(nats.flatMap((n) => n.servesAzs))].filter(Boolean).sort();
  if (allAzs.length === 0) notes.push('No private subnets and no NAT found: priced for one AZ at zero volume');
  if (azs.length === 0 && allAzs.length > 0) notes.push('No private subnets found: AZs taken from the NATs');

  // Today's mode.
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
  if (currentMode === 'mixed')
    notes.push(
      `Mixed modes today: ${nats.map((n) => `${n.id} (${n.kind}${n.az ? `, ${n.az}` : ''})`).join('; ')}; each mode below is priced for the whole VPC`,
    );

  const instanceTypes = nats.map((n) => n.instanceType).filter((t): t is string => !!t);
  const todayType = mostCommon(instanceTypes) ?? options.instanceType ?? DEFAULT_INSTANCE_TYPE;
  if (new Set(instanceTypes).size > 1)
    notes.push(
      `NAT instances run several types (${[...new Set(instanceTypes)].join(', ')}): instance mode is priced with ${todayType}`,
    );
  if (instanceTypes.length === 0 && !options.instanceType)
    notes.push(
      `No NAT instance runs: instance mode is priced with ${DEFAULT_INSTANCE_TYPE} (the runbook's default nat_instance_type)`,
    );
  const types = [...new Set([todayType, ...(options.instanceType ? [options.instanceType] : []), ...instanceTypes])];
  const network = await readInstanceTypes(clients.ec2, types);
  ec2Calls += network.calls;
  notes.push(...network.notes);
  for (const n of nats) if (n.instanceType) n.burstableCpu = network.types[n.instanceType]?.burstableCpu ?? false;

  const raw = await readMetrics(clients.cloudwatch, nats, window);
  const traffic = natTraffic(nats, raw, window);
  const prices = await readPrices(clients.pricing, options.region, types);

  const model = priceModes({
    azs: allAzs.length ? allAzs : ['(none)'],
    traffic,
    prices,
    instanceType: todayType,
    ...(options.instanceType ? { chosenInstanceType: options.instanceType } : {}),
    network: network.types,
    current,
  });
  const gwTraffic = traffic.filter((t) => t.kind === 'gateway');
  const toDest =
    gwTraffic.length > 0 && traffic.every((t) => t.kind === 'gateway')
      ? gwTraffic.reduce((a, t) => a + (t.monthlyToDestinationGB ?? 0), 0)
      : null;
  return {
    version: 1,
    region: options.region,
    vpcId: analysis.vpcId,
    generatedAt: new Date(clock.now()).toISOString(),
    window: {
      days: window.days,
      start: new Date(window.startMs).toISOString(),
      end: new Date(window.endMs).toISOString(),
      periodSeconds: window.periodSeconds,
    },
    currentMode,
    azs: allAzs,
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
      note:
        toDest === null
          ? 'NAT instance metrics count forwarded bytes in both directions together, so what left for the internet cannot be told apart.'
          : 'BytesOutToDestination is an upper bound: it includes traffic to public AWS endpoints in the region, and the first 100 GB/month of internet transfer out are free account-wide.',
    },
    breakEvens: model.breakEvens,
    recommendation: model.recommendation,
    notes: [...notes, ...model.notes],
    calls: { cloudwatch: raw.calls, pricing: prices.calls, ec2: ec2Calls, cloudwatchQueries: raw.queries },
  };
}
