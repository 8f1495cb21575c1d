/**
 * The bridge's capacity check, before the first bridge: a bridged AZ's traffic goes through another AZ's NAT, so
 * that NAT carries two AZs' traffic. For every bridge the switch will make to a NAT instance (an old instance of
 * an AZ not switched yet, or the new instance of an AZ already switched), the measured peak of both AZs (their
 * NATs' CloudWatch metrics over 14 days, read and reduced by the mode advisor: advisor/metrics.ts, traffic.ts) is
 * compared with the instance type's baseline bandwidth (advisor/instance-types.ts: EC2 DescribeInstanceTypes, else
 * its table). Above it, a warning before anything changes: the serving instance would throttle while the bridge
 * lasts. NAT gateways scale to 100 Gbit/s (VPC user guide, NAT gateway basics): never warned about. Best effort:
 * no CloudWatch client, no metrics or an error gives one note, never a refusal.
 */
import { metricWindow, readMetrics } from '../advisor/metrics';
import { readInstanceTypes } from '../advisor/instance-types';
import { natTraffic } from '../advisor/traffic';
import type { AdvisorNat } from '../advisor/types';
import { servingNatOfRoute, type NatNode } from '../nat/index';
import { describeError } from '../runtime/index';
import { within } from './bounded';
import type { CutoverRun } from './run';
import type { Switch } from './switch';

const DAYS = 14;
const CHECK_MS = 60_000;
const GBPS = 1e9 / 8;

/** The NAT that carries a bridge: kind, instance type and the AZ whose own it is. */
interface Carrier {
  kind: 'gateway' | 'instance';
  ownerAz: string;
  type?: string;
  /** An existing NAT's id (the one whose metrics count for its AZ). */
  natId?: string;
}

/** Each AZ's NAT now (the one its route serves through), by AZ key. */
function currentNats(sw: Switch): Map<string, NatNode> {
  const out = new Map<string, NatNode>();
  for (const st of sw.azs) {
    const nat = servingNatOfRoute(sw.view, st.record.routeTableId);
    if (nat) out.set(st.az.key, nat);
  }
  return out;
}

/** The bridges the switch will make, as its target rule picks them (gateways first, then the AZs after). */
function projectedBridges(sw: Switch, now: Map<string, NatNode>): { az: string; carrier: Carrier }[] {
  const keys = sw.azs.map((s) => s.az.key);
  const switched = new Set<string>();
  const out: { az: string; carrier: Carrier }[] = [];
  for (const az of sw.plan.azs) {
    const carriers = sw.plan.allAzs
      .filter((o) => o.key !== az.key)
      .flatMap((o): Carrier[] => {
        if (switched.has(o.key))
          return o.afterMode
            ? [{ kind: o.afterMode, ownerAz: o.key, ...(o.afterInstanceType ? { type: o.afterInstanceType } : {}) }]
            : [];
        const nat = now.get(o.key);
        if (!nat) return [];
        const kind = nat.kind === 'instance' || nat.kind === 'interface' ? 'instance' : 'gateway';
        const type = nat.live?.instanceType;
        return [{ kind, ownerAz: o.key, natId: nat.ref, ...(type ? { type } : {}) }];
      });
    const distance = (k: string) => (keys.indexOf(k) - keys.indexOf(az.key) + keys.length) % keys.length;
    carriers.sort(
      (a, b) =>
        Number(b.kind === 'gateway') - Number(a.kind === 'gateway') || distance(a.ownerAz) - distance(b.ownerAz),
    );
    if (carriers[0]) out.push({ az: az.key, carrier: carriers[0] });
    switched.add(az.key);
  }
  return out;
}

function advisorNat(key: string, nat: NatNode): AdvisorNat {
  const instance = nat.kind === 'instance' || nat.kind === 'interface';
  return instance
    ? {
        id: nat.ref,
        kind: 'instance',
        az: key,
        servesAzs: [key],
        ...(nat.live?.instanceType ? { instanceType: nat.live.instanceType } : {}),
        detailedMonitoring: nat.live?.detailedMonitoring === true,
      }
    : { id: nat.ref, kind: 'gateway', az: key, servesAzs: [key], availabilityMode: 'zonal' };
}

const gbit = (bytesPerSecond: number) => `${(bytesPerSecond / GBPS).toFixed(3)} Gbit/s`;

/** The warnings (or one note) for the switch about to run. */
async function check(run: CutoverRun, sw: Switch): Promise<string[]> {
  const now = currentNats(sw);
  const bridges = projectedBridges(sw, now).filter((b) => b.carrier.kind === 'instance' && b.carrier.type);
  if (bridges.length === 0 || !run.deps.cloudwatch) return [];
  const nats = [...now].map(([key, nat]) => advisorNat(key, nat));
  const window = metricWindow(run.clock.now(), DAYS);
  const traffic = natTraffic(nats, await readMetrics(run.deps.cloudwatch(), nats, window), window);
  const peak = (az: string) => traffic.find((t) => t.az === az && t.status !== 'missing')?.peakBytesPerSecond;
  const types = await readInstanceTypes(
    run.deps.ec2(),
    bridges.map((b) => b.carrier.type as string),
  );
  const out: string[] = [];
  for (const { az, carrier } of bridges) {
    const [mine, theirs] = [peak(az), peak(carrier.ownerAz)];
    const net = types.types[carrier.type as string];
    if (mine === undefined || theirs === undefined || !net) continue;
    const load = mine + theirs;
    if (load / GBPS <= net.baselineGbps) continue;
    out.push(
      `capacity: while AZ ${az} is bridged, AZ ${carrier.ownerAz}'s NAT instance (${carrier.type}, ` +
        `${net.baselineGbps} Gbit/s baseline) carries both AZs: their measured peaks add up to ${gbit(load)} ` +
        `(${gbit(mine)} + ${gbit(theirs)}, ${DAYS} days): it may throttle while the bridge lasts (a few minutes); ` +
        'switch in a quiet hour, or to a larger nat_instance_type first',
    );
  }
  if (traffic.every((t) => t.status === 'missing'))
    out.push(`capacity: no NAT metrics in CloudWatch for the last ${DAYS} days: the bridges' load was not checked`);
  return out;
}

/** The capacity warnings, bounded; a failure is one note. */
export async function capacityWarnings(run: CutoverRun, sw: Switch): Promise<string[]> {
  try {
    return await within(() => check(run, sw), {
      clock: run.clock,
      deadline: run.clock.now() + CHECK_MS,
      ...(run.deps.signal ? { signal: run.deps.signal } : {}),
      what: 'the capacity check (CloudWatch GetMetricData, EC2 DescribeInstanceTypes)',
    });
  } catch (err) {
    if (run.cancelled) return [];
    return [`capacity: not checked (${describeError(err)})`];
  }
}
