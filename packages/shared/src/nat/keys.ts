/**
 * AZ keys: which resources of a plan belong to one AZ's NAT path. A key is the indexed module instance
 * (`module.nat[1]`), else the resource's count index / for_each key, else "-"; keys are linked into one when
 * their resources share a subnet, a route table, an Elastic IP or a NAT id.
 */
import type { ResourceChange } from '../plan/types';
import { rawValue } from '../plan/values';
import type { Role } from './types';

/** Keys of an address's indexed module instances, e.g. `module.nat[1]` or `module.fck_nat["us-east-1a"]`. */
export function azKeyOf(rc: ResourceChange): string {
  const mod = rc.module_address ?? '';
  if (/\]/.test(mod)) return mod;
  return rc.index === undefined || rc.index === null ? '-' : String(rc.index);
}

/** Plan attributes that tie a resource to one AZ's NAT path (matching only), per role. */
const LINK_ATTRS: Partial<Record<Role, string[]>> = {
  gateway: ['subnet_id', 'allocation_id'],
  instance: ['subnet_id', 'id', 'primary_network_interface_id'],
  route: ['route_table_id'], // not its target: one NAT serving several AZs does not make them one AZ
  association: ['allocation_id', 'instance_id', 'network_interface_id'],
  eip: ['allocation_id', 'instance', 'network_interface'],
  asg: ['vpc_zone_identifier'],
};

const AZ_NAME = /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/;

/**
 * AZ keys that name the same AZ: resources of different keys are linked when they share a subnet, a private
 * route table, an Elastic IP allocation or a NAT id on either side of the plan (a gateway-per-index module
 * replaced by an instance-per-AZ module keeps the same subnets, route tables and addresses). A NAT's subnet links
 * on the side it had first: a NAT the plan moves into another AZ's subnet keeps its own key
 * (`aws_nat_gateway.nat[1]` moved into AZ 0's subnet is still key 1, reported as a move), while a created NAT
 * links through its new subnet. Regional gateways span AZs and link nothing. Returns key → the linked group's
 * name: an AZ name when one of its keys is one, else an indexed module instance, else the first key in key order.
 */
export function linkKeys(
  roles: ReadonlyMap<ResourceChange, Role>,
  compare: (a: string, b: string) => number,
): Map<string, string> {
  const parent = new Map<string, string>();
  const find = (k: string): string => {
    let r = k;
    while (parent.get(r) !== r) r = parent.get(r) ?? r;
    parent.set(k, r);
    return r;
  };
  const owner = new Map<string, string>();
  for (const [rc, role] of roles) {
    const key = azKeyOf(rc);
    if (!parent.has(key)) parent.set(key, key);
    if (
      role === 'gateway' &&
      (rawValue(rc, 'before', ['availability_mode']) === 'regional' ||
        rawValue(rc, 'after', ['availability_mode']) === 'regional')
    )
      continue;
    const hadBefore = !(rc.change.actions.length === 1 && rc.change.actions[0] === 'create');
    for (const side of ['before', 'after'] as const) {
      for (const attr of LINK_ATTRS[role] ?? []) {
        if (attr === 'subnet_id' && side === 'after' && hadBefore) continue;
        const v = rawValue(rc, side, [attr]);
        for (const value of Array.isArray(v) ? v : [v]) {
          if (typeof value !== 'string' || value === '') continue;
          const other = owner.get(value);
          if (other === undefined) owner.set(value, key);
          else if (find(other) !== find(key)) parent.set(find(other), find(key));
        }
      }
    }
  }
  const groups = new Map<string, string[]>();
  for (const k of parent.keys()) groups.set(find(k), [...(groups.get(find(k)) ?? []), k]);
  const out = new Map<string, string>();
  for (const keys of groups.values()) {
    keys.sort(compare);
    const name = keys.find((k) => AZ_NAME.test(k)) ?? keys.find((k) => k.startsWith('module.')) ?? (keys[0] as string);
    for (const k of keys) out.set(k, name);
  }
  return out;
}
