/**
 * The NAT model of one side of a plan (`terraform show -json`): which NATs exist, which private default routes
 * lead where, which resources claim which Elastic IPs. Sources: aws_nat_gateway (hashicorp/aws ≥ 6.24:
 * `availability_mode`, `availability_zone_address` {allocation_ids, availability_zone}, `regional_nat_gateway_address`,
 * `auto_provision_zones`, `auto_scaling_ips`), aws_instance / aws_network_interface, aws_eip(_association), aws_route(_table).
 */
import { actionKind } from '../plan/load';
import type { ResourceChange } from '../plan/types';
import { asObj, rawString, rawValue, unknownAt, type Side } from '../plan/values';
import { azKeyOf } from './keys';
import { NAT_TARGETS, inlineNatRouteIndex, natRouteState, type Role } from './roles';
import type { NatNode, NatTopology, RegionalZone } from './types';

function refOf(rc: ResourceChange): string {
  return rc.deposed ? `${rc.address} (deposed ${rc.deposed})` : rc.address;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : [];
}

/** Does this side of the change exist (before: it existed; after: it will exist)? */
export function sideExists(rc: ResourceChange, side: Side): boolean {
  const kind = actionKind(rc.change.actions);
  if (kind === 'read' || kind === 'forget') return side === 'before';
  if (side === 'before') return kind !== 'create';
  return kind !== 'delete';
}

function gatewayNode(rc: ResourceChange, side: Side): NatNode {
  const get = (path: (string | number)[]) => rawValue(rc, side, path);
  const base = {
    ref: refOf(rc),
    key: azKeyOf(rc),
    rc,
    ids: [rawString(rc, side, ['id'])].filter((x): x is string => !!x),
  };
  if (get(['connectivity_type']) === 'private') return { ...base, kind: 'private-gateway', allocationIds: [] };
  if (get(['availability_mode']) === 'regional') {
    const zones: RegionalZone[] = (
      Array.isArray(get(['availability_zone_address'])) ? (get(['availability_zone_address']) as unknown[]) : []
    )
      .map(asObj)
      .filter((z): z is Record<string, unknown> => !!z)
      .map((z) => ({
        az: String(z.availability_zone ?? z.availability_zone_id ?? ''),
        allocationIds: strings(z.allocation_ids),
      }));
    const current = (
      Array.isArray(get(['regional_nat_gateway_address'])) ? (get(['regional_nat_gateway_address']) as unknown[]) : []
    ).map(asObj);
    const manual = zones.length > 0 || get(['auto_provision_zones']) === 'disabled';
    return {
      ...base,
      kind: 'regional-gateway',
      regionalMode: manual ? 'manual' : 'automatic',
      zones,
      autoScalingIps: get(['auto_scaling_ips']) === 'enabled' || (!manual && get(['auto_scaling_ips']) !== 'disabled'),
      allocationIds: [
        ...new Set([
          ...zones.flatMap((z) => z.allocationIds),
          ...current.map((a) => String(a?.allocation_id ?? '')).filter(Boolean),
        ]),
      ],
    };
  }
  const allocation = rawString(rc, side, ['allocation_id']);
  return {
    ...base,
    kind: 'zonal-gateway',
    allocationIds: [...(allocation ? [allocation] : []), ...strings(get(['secondary_allocation_ids']))],
  };
}

/**
 * The model of one side of a plan. `roles` is the classifier's role map (plan/roles.ts natRoles), so the model
 * and the findings agree on what NAT is. Deposed objects are part of the before side.
 */
export function modelFromPlan(
  changes: readonly ResourceChange[],
  roles: ReadonlyMap<ResourceChange, Role>,
  side: Side,
): NatTopology {
  const model: NatTopology = { nats: [], routes: [], claims: [] };
  for (const [rc, role] of roles) {
    if (!sideExists(rc, side)) continue;
    const key = azKeyOf(rc);
    if (role === 'gateway') model.nats.push(gatewayNode(rc, side));
    else if (role === 'instance') {
      const ids = ['id', 'primary_network_interface_id']
        .map((k) => rawString(rc, side, [k]))
        .filter((x): x is string => !!x);
      model.nats.push({
        ref: refOf(rc),
        kind: rc.type === 'aws_network_interface' ? 'interface' : 'instance',
        key,
        ids,
        allocationIds: [],
        rc,
      });
    } else if (role === 'route') {
      const unknownSide = side === 'after' ? asObj(rc.change.after_unknown) : undefined;
      const obj = asObj(rawValue(rc, side, []));
      const route =
        rc.type === 'aws_route_table' ? asObj((obj?.route as unknown[] | undefined)?.[inlineNatRouteIndex(obj)]) : obj;
      const state = natRouteState(route, rc.type === 'aws_route_table' ? undefined : unknownSide);
      if (state === 'no') continue;
      const targetIds = NAT_TARGETS.map((t) => route?.[t]).filter(
        (x): x is string => typeof x === 'string' && x !== '',
      );
      model.routes.push({
        ref: refOf(rc),
        key,
        targetIds,
        unknown: state === 'maybe' || (side === 'after' && rc.type === 'aws_route_table' && unknownAt(rc, ['route'])),
        rc,
      });
    } else if (role === 'association' || role === 'eip') {
      const targets = ['instance_id', 'network_interface_id', 'nat_gateway_id', 'instance', 'network_interface']
        .map((k) => rawString(rc, side, [k]))
        .filter((x): x is string => !!x);
      const allocationId =
        rawString(rc, side, ['allocation_id']) ?? (role === 'eip' ? rawString(rc, side, ['id']) : undefined);
      if (role === 'eip' && targets.length === 0) continue; // an unassociated address claims nothing
      model.claims.push({ ref: refOf(rc), ...(allocationId ? { allocationId } : {}), targetIds: targets, rc });
    }
  }
  // NAT instances and interfaces hold the addresses associated with them.
  for (const nat of model.nats) {
    if (nat.kind !== 'instance' && nat.kind !== 'interface') continue;
    for (const claim of model.claims) {
      if (
        claim.allocationId &&
        claim.targetIds.some((t) => nat.ids.includes(t)) &&
        !nat.allocationIds.includes(claim.allocationId)
      )
        nat.allocationIds.push(claim.allocationId);
    }
  }
  return model;
}
