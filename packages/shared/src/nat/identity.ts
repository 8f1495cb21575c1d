/**
 * The planned identity of what a plan creates on the NAT path: the attributes by which the object an interrupted
 * apply created — but never recorded in the state — can be found in AWS, and the ones it must have to be the object
 * the reviewed configuration wants. One entry per create (or the create half of a replacement) of the types the
 * NAT path creates; from the after side, known values only (matching only: never shown).
 *
 * Look-ups (measured against moto with terraform 1.11.4 + hashicorp/aws 5.100.0, /work/notes/research-19.md §3, §4):
 * aws_instance by tag Name (RunInstances sets it in its TagSpecification, so it is there from the first moment),
 * AMI, subnet and type, import id i-…; aws_nat_gateway by subnet and allocation, nat-…; aws_eip_association by
 * allocation, eipassoc-…; aws_security_group by name and VPC, sg-…; aws_security_group_rule in its group's
 * permissions, `<sg>_<type>_<protocol>_<from>_<to>_<cidr…>`; aws_iam_role / aws_iam_instance_profile by name;
 * aws_route in its table, `<rtb>_<destination>`.
 */
import { actionKind } from '../plan/load';
import type { ResourceChange } from '../plan/types';
import { asObj, rawValue, type ValuePath } from '../plan/values';
import { azKeyOf } from './keys';

export type IdentityType =
  | 'aws_instance'
  | 'aws_nat_gateway'
  | 'aws_eip_association'
  | 'aws_security_group'
  | 'aws_security_group_rule'
  | 'aws_iam_role'
  | 'aws_iam_instance_profile'
  | 'aws_route';

export const IDENTITY_TYPES: readonly IdentityType[] = [
  // In dependency order: a rule's group and an association's instance are found before them.
  'aws_iam_role',
  'aws_iam_instance_profile',
  'aws_security_group',
  'aws_security_group_rule',
  'aws_instance',
  'aws_nat_gateway',
  'aws_eip_association',
  'aws_route',
];

export interface PlannedIdentity {
  address: string;
  /** create, or the create half of a replace (the address is in the state then: not an orphan's). */
  action: 'create' | 'replace';
  type: IdentityType;
  /** The resource's module address ('' at the root) and AZ key (count index / for_each key). */
  module: string;
  key: string;
  /** Known planned string values by attribute (name, tags.Name, ami, subnet_id, …): matching only. */
  known: Record<string, string>;
  /** Known planned list values (cidr_blocks, vpc_security_group_ids). */
  lists: Record<string, string[]>;
}

const WANTED: Record<IdentityType, readonly (string | ValuePath)[]> = {
  aws_instance: [['tags', 'Name'], 'ami', 'subnet_id', 'instance_type'],
  aws_nat_gateway: ['subnet_id', 'allocation_id', 'connectivity_type'],
  aws_eip_association: ['allocation_id', 'instance_id', 'network_interface_id'],
  aws_security_group: ['name', 'vpc_id', 'description'],
  aws_security_group_rule: ['type', 'protocol', 'from_port', 'to_port', 'security_group_id', 'cidr_blocks'],
  aws_iam_role: ['name', 'assume_role_policy'],
  aws_iam_instance_profile: ['name', 'role'],
  aws_route: ['route_table_id', 'destination_cidr_block'],
};

const isType = (t: string): t is IdentityType => (IDENTITY_TYPES as readonly string[]).includes(t);

/** The planned identity of one change, when it creates an object of a type the NAT path creates. */
export function plannedIdentity(rc: ResourceChange): PlannedIdentity | undefined {
  const kind = actionKind(rc.change.actions);
  if (rc.mode === 'data' || !isType(rc.type) || (kind !== 'create' && kind !== 'replace')) return undefined;
  const known: Record<string, string> = {};
  const lists: Record<string, string[]> = {};
  for (const attr of WANTED[rc.type]) {
    const path = typeof attr === 'string' ? [attr] : attr;
    const v = rawValue(rc, 'after', path);
    const name = path.join('.');
    if (typeof v === 'string' && v !== '') known[name] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') known[name] = String(v);
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) lists[name] = v as string[];
  }
  if (rc.type === 'aws_instance' && !known['tags.Name']) {
    const name = asObj(rawValue(rc, 'after', ['tags_all']))?.Name;
    if (typeof name === 'string' && name !== '') known['tags.Name'] = name;
  }
  return {
    address: rc.address,
    action: kind,
    type: rc.type,
    module: rc.module_address ?? '',
    key: azKeyOf(rc),
    known,
    lists,
  };
}

/** The planned identities of a plan's creates, in IDENTITY_TYPES order (then plan order). */
export function plannedIdentities(changes: readonly ResourceChange[]): PlannedIdentity[] {
  const out = changes.map(plannedIdentity).filter((x): x is PlannedIdentity => x !== undefined);
  return out.sort((a, b) => IDENTITY_TYPES.indexOf(a.type) - IDENTITY_TYPES.indexOf(b.type));
}

/** Ids of the objects the plan's prior state already manages (any change's before side): never orphans. */
export function managedIds(changes: readonly ResourceChange[]): Set<string> {
  const ids = new Set<string>();
  for (const rc of changes) {
    const id = rawValue(rc, 'before', ['id']);
    if (typeof id === 'string' && id !== '') ids.add(id);
  }
  return ids;
}
