/**
 * Queries over a NAT topology (either builder): the NAT a route reaches, the allocations and public IPs of a
 * NAT, who holds an allocation, the NATs of a mode, and the per-AZ view (its NATs, its routes and where they
 * lead, the IPs it egresses from). Live-state queries (`isLive`, `detectMode`) need the EC2 builder's facts.
 */
import { modeOf, type AzTopology, type NatNode, type NatTopology, type RouteNode } from './types';

/** A NAT that gives internet egress (private NAT gateways do not). */
export function isEgressNat(nat: NatNode): boolean {
  return modeOf(nat.kind) !== undefined;
}

/** Instance mode (an instance or an interface) or gateway mode (zonal or regional), as verify-egress counts them. */
export function liveModeOf(nat: NatNode): 'instance' | 'gateway' | undefined {
  const mode = modeOf(nat.kind);
  if (mode === undefined) return undefined;
  return mode === 'instance' ? 'instance' : 'gateway';
}

/**
 * The NAT a route leads to: the first egress NAT (model order) one of whose ids is a target of the route, or
 * undefined (no target, a target known only after apply, a private NAT gateway, or something that is no NAT).
 */
export function natOfRoute(model: NatTopology, route: RouteNode): NatNode | undefined {
  return model.nats.find((n) => isEgressNat(n) && route.targetIds.some((t) => n.ids.includes(t)));
}

/** The Elastic IP allocations a NAT holds, unique, in model order. */
export function allocationsOf(nat: NatNode): string[] {
  return [...new Set(nat.allocationIds)];
}

/** The NATs holding an allocation (a contested one can have several), in model order. */
export function holdersOf(model: NatTopology, allocationId: string): NatNode[] {
  return model.nats.filter((n) => n.allocationIds.includes(allocationId));
}

/**
 * The public IPs a workload in `az` egresses from through `nat` (EC2 builder): a regional gateway's addresses
 * in that AZ, else the NAT's public IP; [] without a NAT or live facts.
 */
export function egressIpsOf(nat: NatNode | undefined, az: string): string[] {
  if (!nat) return [];
  if (nat.kind === 'regional-gateway') return nat.zones?.find((z) => z.az === az)?.publicIps ?? [];
  return nat.live?.publicIp ? [nat.live.publicIp] : [];
}

/** Every public IP a NAT egresses from (EC2 builder): a regional gateway's in every AZ, else its public IP. */
export function publicIpsOf(nat: NatNode): string[] {
  if (nat.kind === 'regional-gateway') return (nat.zones ?? []).flatMap((z) => z.publicIps ?? []);
  return nat.live?.publicIp ? [nat.live.publicIp] : [];
}

/**
 * The NAT's AZ as verify-egress and the advisor print it: its AZ, else "regional" for a gateway without a subnet
 * (a regional gateway), else "unknown".
 */
export function azOf(nat: NatNode): string {
  if (nat.az) return nat.az;
  const gateway = nat.kind !== 'instance' && nat.kind !== 'interface';
  return gateway && !nat.subnetId ? 'regional' : 'unknown';
}

const LIVE_INSTANCE = new Set(['pending', 'running']);
const LIVE_GATEWAY = new Set(['pending', 'available']);

/** Is the NAT up or coming up (EC2 builder): an instance pending/running, a gateway pending/available? */
export function isLive(nat: NatNode): boolean {
  const state = nat.live?.state ?? '';
  return liveModeOf(nat) === 'instance' ? LIVE_INSTANCE.has(state) : LIVE_GATEWAY.has(state);
}

/**
 * The mode a live topology is in (EC2 builder): what most private default routes target (instance when more
 * routes lead to instances or interfaces than to gateways), else what most live NATs are, else 'none'.
 */
export function detectMode(model: NatTopology): 'instance' | 'gateway' | 'none' {
  const viaInstance = model.routes.filter((r) => r.route?.kind === 'instance').length;
  const viaGateway = model.routes.filter((r) => r.route?.kind === 'nat-gateway').length;
  const egress = model.nats.filter(isEgressNat);
  const liveInstances = egress.filter((n) => liveModeOf(n) === 'instance' && isLive(n)).length;
  const liveGateways = egress.filter((n) => liveModeOf(n) === 'gateway' && isLive(n)).length;
  if (viaInstance + viaGateway > 0) return viaInstance > viaGateway ? 'instance' : 'gateway';
  if (liveInstances + liveGateways > 0) return liveInstances > liveGateways ? 'instance' : 'gateway';
  return 'none';
}

/** The egress NATs of `mode` and every egress NAT a route reaches: what runs the VPC's egress (model order). */
export function servingNats(model: NatTopology, mode: 'instance' | 'gateway' | 'none'): NatNode[] {
  const reached = new Set(model.routes.map((r) => natOfRoute(model, r)));
  return model.nats.filter((n) => isEgressNat(n) && (liveModeOf(n) === mode || reached.has(n)));
}

const sorted = <T>(items: Iterable<T>): T[] => [...items].sort();

/**
 * The per-AZ view (EC2 builder): every AZ with private subnets (sorted; "unknown" for a subnet EC2 gives no AZ),
 * its private subnets, the private route tables serving it, the egress NATs located in it, the NATs its routes
 * reach and the public IPs it egresses from through them (a regional gateway: its addresses in that AZ).
 */
export function azTopologies(model: NatTopology): AzTopology[] {
  const priv = (model.subnets ?? []).filter((s) => !s.public);
  return sorted(new Set(priv.map((s) => s.az ?? 'unknown'))).map((az) => {
    const routes = model.routes.filter((r) => (r.azs ?? [r.key]).includes(az));
    const reached = routes.map((r) => natOfRoute(model, r)).filter((n): n is NatNode => !!n);
    const egressNatRefs = sorted(new Set(reached.map((n) => n.ref)));
    const byRef = (ref: string) => model.nats.find((n) => n.ref === ref);
    return {
      az,
      privateSubnetIds: sorted(priv.filter((s) => (s.az ?? 'unknown') === az).map((s) => s.id)),
      routes,
      nats: model.nats.filter((n) => isEgressNat(n) && azOf(n) === az),
      egressNatRefs,
      egressIps: sorted(new Set(egressNatRefs.flatMap((ref) => egressIpsOf(byRef(ref), az)))),
    };
  });
}
