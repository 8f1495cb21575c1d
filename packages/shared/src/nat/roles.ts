/**
 * Which resource changes play a NAT role, recognised by type and attributes first (an instance or interface
 * with source_dest_check = false forwards traffic; every aws_nat_gateway; a 0.0.0.0/0 route whose target is or
 * may become a NAT), with address globs that operators can override per role (`nat-address-patterns`).
 */
import { globToRegExp } from '../inputs/index';
import { asObj, type Obj } from '../plan/values';
import type { ResourceChange } from '../plan/types';
import { claimOf, gatewayAllocationIds, inlineNatRouteIndex, natInstanceOf, natRouteState } from './plan';
import { ROLES, type Role } from './types';

const NAT_NAMES = ['*aws_instance.nat*', '*nat_instance*', '*nat-instance*', '*fck_nat*', '*fck-nat*'];

/**
 * Default address patterns per role (globs over the full address). Attribute-based recognition applies on
 * top of these for instances, gateways, routes, associations and Auto Scaling NAT. For `eip` the default is
 * every Elastic IP; the classifier words an address that nothing shows to be NAT egress on its own.
 */
export const DEFAULT_PATTERNS: Record<Role, string[]> = {
  // Cabalmail: module.vpc.aws_instance.nat[i]; fck-nat and nat-instance community modules.
  instance: NAT_NAMES,
  gateway: ['*'],
  eip: ['*'],
  // Besides these, an association is NAT when its address names NAT or it targets a NAT instance/ENI.
  association: ['*aws_eip_association.nat*'],
  // Cabalmail: module.vpc.aws_route.private[i]; terraform-aws-modules/vpc: aws_route.private_nat_gateway[i].
  route: ['*aws_route.private*'],
  security: [],
  iam: [],
  imagebuilder: [],
  // Launch templates and Auto Scaling groups that run NAT instances (fck-nat's HA mode, seed 004).
  asg: NAT_NAMES,
};

export interface ClassifyOptions {
  /** Per-role glob overrides; a role given here replaces that role's defaults. */
  patterns?: Partial<Record<Role, string[]>>;
}

const ROLE_TYPES: Record<Role, string[]> = {
  instance: ['aws_instance', 'aws_network_interface'],
  gateway: ['aws_nat_gateway'],
  eip: ['aws_eip'],
  association: ['aws_eip_association', 'aws_nat_gateway_eip_association'],
  route: ['aws_route', 'aws_route_table'],
  security: [
    'aws_security_group',
    'aws_security_group_rule',
    'aws_vpc_security_group_ingress_rule',
    'aws_vpc_security_group_egress_rule',
    'aws_network_interface_sg_attachment',
  ],
  iam: [
    'aws_iam_role',
    'aws_iam_instance_profile',
    'aws_iam_role_policy',
    'aws_iam_role_policy_attachment',
    'aws_iam_policy',
  ],
  imagebuilder: [
    'aws_imagebuilder_component',
    'aws_imagebuilder_image_recipe',
    'aws_imagebuilder_image_pipeline',
    'aws_imagebuilder_infrastructure_configuration',
    'aws_imagebuilder_distribution_configuration',
    'aws_imagebuilder_workflow',
    'aws_imagebuilder_lifecycle_policy',
  ],
  asg: ['aws_launch_template', 'aws_autoscaling_group'],
};

const TYPE_ROLE = new Map<string, Role>();
for (const role of ROLES) for (const t of ROLE_TYPES[role]) TYPE_ROLE.set(t, role);

/** Every resource type that can play a NAT role (the loader's fast-path filter). */
export const NAT_CANDIDATE_TYPES: ReadonlySet<string> = new Set(TYPE_ROLE.keys());

/**
 * Changes that play no NAT role but that the model reads around the NATs: aws_ami data sources terraform reads only
 * during apply (nat/ami.ts), subnets and their route table associations (the AZ a NAT and a private subnet are in).
 */
export const NAT_CONTEXT_TYPES: ReadonlySet<string> = new Set(['aws_ami', 'aws_subnet', 'aws_route_table_association']);

/** The loader's filter for those context changes (aws_ami only as a data source, the others only managed). */
export function isNatContext(rc: ResourceChange): boolean {
  if (rc.type === 'aws_ami') return rc.mode === 'data';
  return NAT_CONTEXT_TYPES.has(rc.type) && rc.mode !== 'data';
}

/**
 * What of a plan's prior_state and configuration the NAT model reads (plan/sections.ts): the aws_ami data sources
 * as read while planning, and the configuration of NAT instances, launch templates, NAT gateways and aws_ami data
 * sources (which image an `ami` / `image_id` references; which arguments a gateway sets).
 */
export const NAT_SECTIONS = {
  priorTypes: new Set(['aws_ami']) as ReadonlySet<string>,
  configTypes: new Set(['aws_instance', 'aws_launch_template', 'aws_nat_gateway', 'aws_ami']) as ReadonlySet<string>,
};

/** Cheap pre-filter for the loader: could this change matter to NAT egress at all? */
export function isNatCandidate(rc: ResourceChange): boolean {
  return TYPE_ROLE.has(rc.type) && rc.mode !== 'data';
}

/** The address globs of every role as regular expressions: a role given in `patterns` replaces its defaults. */
export function compilePatterns(patterns: Partial<Record<Role, string[]>> = {}): Record<Role, RegExp[]> {
  const out = {} as Record<Role, RegExp[]>;
  for (const role of ROLES) out[role] = (patterns[role] ?? DEFAULT_PATTERNS[role]).map(globToRegExp);
  return out;
}

/** Does a token of the address outside the resource type (module names, resource name, key) say "nat"? */
export function natNamed(rc: ResourceChange): boolean {
  const withoutType = rc.address.replace(`${rc.type}.`, '');
  return withoutType.split(/[^A-Za-z0-9]+/).some((t) => t.toLowerCase() === 'nat');
}

/** Allocation ids NAT gateways hold on either side of the plan (zonal, secondary and regional per-AZ addresses). */
export function gatewayAllocations(changes: readonly ResourceChange[]): Set<string> {
  const ids = new Set<string>();
  for (const rc of changes) {
    if (rc.type !== 'aws_nat_gateway' || rc.mode === 'data') continue;
    for (const side of ['before', 'after'] as const) for (const id of gatewayAllocationIds(rc, side)) ids.add(id);
  }
  return ids;
}

/** Ids of NAT instances and their interfaces, from every instance change in the plan (no-ops included). */
function natTargetIds(changes: readonly ResourceChange[], patterns: Record<Role, RegExp[]>): Set<string> {
  const ids = new Set<string>();
  for (const rc of changes) {
    if (rc.type !== 'aws_instance' && rc.type !== 'aws_network_interface') continue;
    if (roleOf(rc, patterns, ids) !== 'instance') continue;
    for (const side of ['before', 'after'] as const) for (const id of natInstanceOf(rc, side)?.ids ?? []) ids.add(id);
  }
  return ids;
}

function roleOf(
  rc: ResourceChange,
  patterns: Record<Role, RegExp[]>,
  natIds: Set<string>,
  natAllocations: Set<string> = new Set(),
): Role | undefined {
  if (rc.mode === 'data') return undefined;
  const role = TYPE_ROLE.get(rc.type);
  if (!role) return undefined;
  const matches = patterns[role].some((re) => re.test(rc.address));
  const c = rc.change;
  switch (role) {
    case 'instance': {
      const router =
        natInstanceOf(rc, 'before')?.sourceDestCheck === false || natInstanceOf(rc, 'after')?.sourceDestCheck === false;
      if (rc.type === 'aws_network_interface') return router ? role : undefined;
      return router || matches ? role : undefined;
    }
    case 'route': {
      if (rc.type === 'aws_route_table')
        return inlineNatRouteIndex(asObj(c.before)) >= 0 || inlineNatRouteIndex(asObj(c.after)) >= 0 ? role : undefined;
      const states = [natRouteState(asObj(c.before)), natRouteState(asObj(c.after), asObj(c.after_unknown))];
      if (states.includes('nat') || states.includes('maybe')) return role;
      // A pattern names routes whose target is not visible; a route known to lead elsewhere is never NAT.
      const known = (side: Obj | undefined) =>
        !!side && (side.destination_cidr_block ?? side.cidr_block) === '0.0.0.0/0';
      return matches && !known(asObj(c.before)) && !known(asObj(c.after)) ? role : undefined;
    }
    case 'association': {
      if (rc.type === 'aws_nat_gateway_eip_association') return role;
      // Linked to a NAT instance or interface, or taking an address a NAT gateway holds in this plan.
      const linked = (['before', 'after'] as const).some((side) => {
        const claim = claimOf(rc, side);
        return (
          !!claim &&
          (claim.targets.some((t) => !!t.id && natIds.has(t.id)) || natAllocations.has(claim.allocationId ?? ''))
        );
      });
      return linked || natNamed(rc) || matches ? role : undefined;
    }
    case 'security':
    case 'iam':
    case 'imagebuilder':
    case 'asg':
      return natNamed(rc) || matches ? role : undefined;
    default:
      return matches ? role : undefined;
  }
}

/**
 * The NAT role of every change that plays one, recognised exactly as the classifier does (types,
 * attributes, address patterns). Used elsewhere (cutover's egress-gap timeline) so both agree on what NAT is.
 */
export function natRoles(changes: readonly ResourceChange[], options: ClassifyOptions = {}): Map<ResourceChange, Role> {
  const patterns = compilePatterns(options.patterns);
  const natIds = natTargetIds(changes, patterns);
  const natAllocations = gatewayAllocations(changes);
  const roles = new Map<ResourceChange, Role>();
  for (const rc of changes) {
    const role = roleOf(rc, patterns, natIds, natAllocations);
    if (role) roles.set(rc, role);
  }
  return roles;
}
