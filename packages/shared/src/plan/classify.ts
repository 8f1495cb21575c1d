/**
 * Classifies a plan's changes for NAT egress risk. NAT resources are recognised by type and attributes
 * (an instance with source_dest_check = false is a router; any aws_nat_gateway; a 0.0.0.0/0 route via
 * nat_gateway_id / network_interface_id / instance_id), with address patterns that operators can override.
 * Findings are grouped per AZ/index key so one AZ's outage reads as one finding.
 */
import { globToRegExp } from '../inputs/index';
import { canonicalJson } from './digest';
import { actionKind } from './load';
import type { ResourceChange } from './types';

export const SEVERITIES = ['none', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
export type ModeSwitch = 'none' | 'gateway-to-instance' | 'instance-to-gateway';

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export interface Finding {
  severity: Exclude<Severity, 'none'>;
  kind: string;
  /** One-line title, plain text. */
  title: string;
  addresses: string[];
  /** AZ/index keys (count index or for_each key; "-" for unindexed resources). */
  keys: string[];
  /** Availability zones, where the plan shows them. */
  azs: string[];
  why: string;
  action: string;
}

export interface Analysis {
  risk: Severity;
  findings: Finding[];
  modeSwitch: ModeSwitch;
  expectedApplies: 1 | 2;
  /** Keys that lose egress (high and critical findings). */
  affected: string[];
  /** NAT-related resource changes considered (no-ops excluded). */
  natChanges: number;
  /** Addresses of NAT instances the plan creates (cutover's AMI check needs them). */
  natInstancesCreated: string[];
}

export type Role = 'instance' | 'gateway' | 'eip' | 'association' | 'route' | 'security' | 'iam' | 'imagebuilder';
export const ROLES: readonly Role[] = ['instance', 'gateway', 'eip', 'association', 'route', 'security', 'iam', 'imagebuilder'];

/**
 * Default address patterns per role (globs over the full address). Attribute-based recognition applies
 * on top of these for instances, gateways, routes and associations. For `eip` the default is every
 * Elastic IP: narrow it when a configuration has Elastic IPs that are not NAT egress.
 */
export const DEFAULT_PATTERNS: Record<Role, string[]> = {
  // Cabalmail: module.vpc.aws_instance.nat[i]; fck-nat and nat-instance community modules.
  instance: ['*aws_instance.nat*', '*nat_instance*', '*nat-instance*', '*fck_nat*', '*fck-nat*'],
  gateway: ['*'],
  eip: ['*'],
  // Besides these, an association is NAT when its address names NAT or it targets a NAT instance/ENI.
  association: ['*aws_eip_association.nat*'],
  // Cabalmail: module.vpc.aws_route.private[i]; terraform-aws-modules/vpc: aws_route.private_nat_gateway[i].
  route: ['*aws_route.private*'],
  security: [],
  iam: [],
  imagebuilder: [],
};

export interface ClassifyOptions {
  /** Per-role glob overrides; a role given here replaces that role's defaults. */
  patterns?: Partial<Record<Role, string[]>>;
}

const ROLE_TYPES: Record<Role, string[]> = {
  instance: ['aws_instance', 'aws_network_interface'],
  gateway: ['aws_nat_gateway'],
  eip: ['aws_eip'],
  association: ['aws_eip_association'],
  route: ['aws_route', 'aws_route_table'],
  security: ['aws_security_group', 'aws_security_group_rule', 'aws_vpc_security_group_ingress_rule', 'aws_vpc_security_group_egress_rule', 'aws_network_interface_sg_attachment'],
  iam: ['aws_iam_role', 'aws_iam_instance_profile', 'aws_iam_role_policy', 'aws_iam_role_policy_attachment', 'aws_iam_policy'],
  imagebuilder: [
    'aws_imagebuilder_component',
    'aws_imagebuilder_image_recipe',
    'aws_imagebuilder_image_pipeline',
    'aws_imagebuilder_infrastructure_configuration',
    'aws_imagebuilder_distribution_configuration',
    'aws_imagebuilder_workflow',
    'aws_imagebuilder_lifecycle_policy',
  ],
};

const TYPE_ROLE = new Map<string, Role>();
for (const role of ROLES) for (const t of ROLE_TYPES[role]) TYPE_ROLE.set(t, role);

/** Every resource type that can play a NAT role (the loader's fast-path filter). */
export const NAT_CANDIDATE_TYPES: ReadonlySet<string> = new Set(TYPE_ROLE.keys());

/** Cheap pre-filter for the loader: could this change matter to NAT egress at all? */
export function isNatCandidate(rc: ResourceChange): boolean {
  return TYPE_ROLE.has(rc.type) && rc.mode !== 'data';
}

/** Attributes whose in-place update stops (or stops routing on) an EC2 instance. */
const STOPPING_ATTRS = ['instance_type', 'user_data', 'user_data_base64', 'ebs_optimized', 'cpu_options', 'cpu_core_count', 'cpu_threads_per_core', 'hibernation', 'enclave_options', 'metadata_options'];
const IMAGEBUILDER_CONTENT = new Set(['aws_imagebuilder_component', 'aws_imagebuilder_image_recipe']);
const TAG_ATTRS = new Set(['tags', 'tags_all']);
const NAT_TARGETS = ['nat_gateway_id', 'network_interface_id', 'instance_id'];

type Obj = Record<string, unknown>;

interface Item {
  rc: ResourceChange;
  role: Role;
  kind: string; // create | delete | update | replace | forget
  key: string;
  changed: string[];
  used: boolean;
}

/** The value as a plain object, or undefined. */
export function asObj(v: unknown): Obj | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
}

/** Does an after_unknown / *_sensitive marker mark anything (true itself, or true anywhere inside)? */
export function marksAny(marker: unknown): boolean {
  return marker === true || (marker !== undefined && marker !== null && marker !== false && typeof marker === 'object' && JSON.stringify(marker).includes('true'));
}

function keyOf(rc: ResourceChange): string {
  return rc.index === undefined || rc.index === null ? '-' : String(rc.index);
}

/** Does a sensitivity marker (before_sensitive / after_sensitive) cover `attr`? */
function sensitive(marker: unknown, attr: string): boolean {
  if (marker === true) return true;
  const m = asObj(marker);
  if (!m) return false;
  return marksAny(m[attr]);
}

/** A scalar attribute value that may be shown (never a sensitive one), else undefined. */
function shown(rc: ResourceChange, side: 'before' | 'after', attr: string): string | undefined {
  const c = rc.change;
  if (sensitive(side === 'before' ? c.before_sensitive : c.after_sensitive, attr)) return undefined;
  const v = asObj(side === 'before' ? c.before : c.after)?.[attr];
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

function isUnknown(rc: ResourceChange, attr: string): boolean {
  return asObj(rc.change.after_unknown)?.[attr] === true;
}

function changedAttrs(rc: ResourceChange): string[] {
  const before = asObj(rc.change.before) ?? {};
  const after = asObj(rc.change.after) ?? {};
  const unknown = asObj(rc.change.after_unknown) ?? {};
  const names = new Set([...Object.keys(before), ...Object.keys(after), ...Object.keys(unknown)]);
  const out: string[] = [];
  for (const n of names) {
    if (marksAny(unknown[n])) out.push(n);
    else if (canonicalJson(before[n] ?? null) !== canonicalJson(after[n] ?? null)) out.push(n);
  }
  return out.sort();
}

function replacePaths(rc: ResourceChange): string[] {
  const paths = rc.change.replace_paths;
  if (!Array.isArray(paths)) return [];
  return paths.filter(Array.isArray).map((p) => String(p[0]));
}

/** Tokens of the address outside the resource type: module names, resource name, index. */
function natNamed(rc: ResourceChange): boolean {
  const withoutType = rc.address.replace(`${rc.type}.`, '');
  return withoutType.split(/[^A-Za-z0-9]+/).some((t) => t.toLowerCase() === 'nat');
}

/** Is this a 0.0.0.0/0 route through a NAT (gateway, ENI or instance), in `side`? */
function natDefaultRoute(route: Obj | undefined, unknown: Obj | undefined): boolean {
  if (!route) return false;
  const dest = route.destination_cidr_block ?? route.cidr_block;
  if (dest !== '0.0.0.0/0') return false;
  return NAT_TARGETS.some((t) => (typeof route[t] === 'string' && route[t] !== '') || unknown?.[t] === true);
}

function routeTarget(route: Obj | undefined): string {
  if (!route) return '';
  for (const t of NAT_TARGETS) if (typeof route[t] === 'string' && route[t] !== '') return `${t}=${route[t] as string}`;
  return '';
}

function inlineDefaultRoute(table: Obj | undefined): Obj | undefined {
  const routes = table?.route;
  if (!Array.isArray(routes)) return undefined;
  return routes.map(asObj).find((r) => natDefaultRoute(r, undefined));
}

export function compilePatterns(patterns: Partial<Record<Role, string[]>> = {}): Record<Role, RegExp[]> {
  const out = {} as Record<Role, RegExp[]>;
  for (const role of ROLES) out[role] = (patterns[role] ?? DEFAULT_PATTERNS[role]).map(globToRegExp);
  return out;
}

/** Ids of NAT instances and their interfaces, from every instance change in the plan (no-ops included). */
function natTargetIds(changes: readonly ResourceChange[], patterns: Record<Role, RegExp[]>): Set<string> {
  const ids = new Set<string>();
  for (const rc of changes) {
    if (rc.type !== 'aws_instance' && rc.type !== 'aws_network_interface') continue;
    if (roleOf(rc, patterns, ids) !== 'instance') continue;
    for (const side of [rc.change.before, rc.change.after]) {
      const o = asObj(side);
      for (const k of ['id', 'primary_network_interface_id']) if (typeof o?.[k] === 'string' && o[k] !== '') ids.add(o[k] as string);
    }
  }
  return ids;
}

function roleOf(rc: ResourceChange, patterns: Record<Role, RegExp[]>, natIds: Set<string>): Role | undefined {
  if (rc.mode === 'data') return undefined;
  const role = TYPE_ROLE.get(rc.type);
  if (!role) return undefined;
  const matches = patterns[role].some((re) => re.test(rc.address));
  const c = rc.change;
  switch (role) {
    case 'instance': {
      const router = asObj(c.before)?.source_dest_check === false || asObj(c.after)?.source_dest_check === false;
      if (rc.type === 'aws_network_interface') return router ? role : undefined;
      return router || matches ? role : undefined;
    }
    case 'route': {
      if (rc.type === 'aws_route_table') {
        return inlineDefaultRoute(asObj(c.before)) || inlineDefaultRoute(asObj(c.after)) ? role : undefined;
      }
      const attr = natDefaultRoute(asObj(c.before), undefined) || natDefaultRoute(asObj(c.after), asObj(c.after_unknown));
      return attr || matches ? role : undefined;
    }
    case 'association': {
      const linked = [c.before, c.after].some((side) => {
        const o = asObj(side);
        return ['instance_id', 'network_interface_id'].some((k) => typeof o?.[k] === 'string' && natIds.has(o[k] as string));
      });
      return linked || natNamed(rc) || matches ? role : undefined;
    }
    case 'security':
    case 'iam':
    case 'imagebuilder':
      return natNamed(rc) || matches ? role : undefined;
    default:
      return matches ? role : undefined;
  }
}

const MAINTENANCE = 'Apply in a maintenance window and run verify-egress right after.';
const ROLLBACK = 'Rollback lever: flip to gateway mode (use_nat_instance=false) and apply.';

/**
 * The NAT role of every change that plays one, recognised exactly as the classifier does (types,
 * attributes, address patterns). Used elsewhere (cutover's egress-gap timeline) so both agree on what NAT is.
 */
export function natRoles(changes: readonly ResourceChange[], options: ClassifyOptions = {}): Map<ResourceChange, Role> {
  const patterns = compilePatterns(options.patterns);
  const natIds = natTargetIds(changes, patterns);
  const roles = new Map<ResourceChange, Role>();
  for (const rc of changes) {
    const role = roleOf(rc, patterns, natIds);
    if (role) roles.set(rc, role);
  }
  return roles;
}

export function classifyChanges(changes: readonly ResourceChange[], options: ClassifyOptions = {}): Analysis {
  const items: Item[] = [];
  const liveAddresses = new Set(changes.filter((c) => !c.deposed).map((c) => c.address));
  const roles = natRoles(changes, options);
  for (const rc of changes) {
    const kind = actionKind(rc.change.actions);
    if (kind === 'no-op' || kind === 'read') continue;
    if (rc.deposed && liveAddresses.has(rc.address)) continue; // the old half of a create-before-destroy replace
    const role = roles.get(rc);
    if (!role) continue;
    items.push({ rc, role, kind, key: keyOf(rc), changed: kind === 'update' ? changedAttrs(rc) : [], used: false });
  }

  const findings: Finding[] = [];
  const azByKey = new Map<string, string>();
  for (const it of items) {
    if (it.rc.type !== 'aws_instance') continue;
    const az = shown(it.rc, 'after', 'availability_zone') ?? shown(it.rc, 'before', 'availability_zone');
    if (az) azByKey.set(it.key, az);
  }
  const add = (severity: Finding['severity'], kind: string, title: string, group: Item[], why: string, action: string) => {
    for (const g of group) g.used = true;
    const keys = [...new Set(group.map((g) => g.key))].sort(compareKeys);
    findings.push({
      severity,
      kind,
      title,
      addresses: [...new Set(group.map((g) => g.rc.address))],
      keys,
      azs: [...new Set(keys.map((k) => azByKey.get(k)).filter((a): a is string => !!a))],
      why,
      action,
    });
  };
  const pick = (pred: (it: Item) => boolean) => items.filter((it) => !it.used && pred(it));
  const isType = (it: Item, t: string) => it.rc.type === t;
  const tagsOnly = (it: Item) => it.kind === 'update' && it.changed.length > 0 && it.changed.every((a) => TAG_ATTRS.has(a));

  // 1. Elastic IPs: the outbound addresses everything outside depends on.
  for (const it of pick((i) => i.role === 'eip' && (i.kind === 'delete' || i.kind === 'replace'))) {
    const ip = shown(it.rc, 'before', 'public_ip');
    add(
      'critical',
      it.kind === 'delete' ? 'eip-deleted' : 'eip-replaced',
      `NAT Elastic IP ${it.kind === 'delete' ? 'deleted' : 'replaced'}${ip ? ` (${ip})` : ''}`,
      [it],
      `${it.rc.address} is ${it.kind === 'delete' ? 'destroyed' : 'destroyed and re-created'}: the outbound IP${ip ? ` ${ip}` : ''} is released for good, breaking SPF records, reverse DNS, partner allow-lists and the AWS port-25 unblock.`,
      'Do not apply unless the IP change is intended: keep the EIP (prevent_destroy, or `terraform state mv` for a rename). If intended, update SPF, reverse DNS, allow-lists and request the port-25 unblock for the new IP first.',
    );
  }

  // 2. Mode switch and quiesce: whole-environment events.
  const gwDeleted = items.filter((i) => i.role === 'gateway' && i.kind === 'delete');
  const gwCreated = items.filter((i) => i.role === 'gateway' && i.kind === 'create');
  const instDeleted = items.filter((i) => isType(i, 'aws_instance') && i.role === 'instance' && i.kind === 'delete');
  const instCreated = items.filter((i) => isType(i, 'aws_instance') && i.role === 'instance' && i.kind === 'create');
  const routeDeleted = items.filter((i) => i.role === 'route' && i.kind === 'delete');
  const routeCreated = items.filter((i) => i.role === 'route' && i.kind === 'create');
  let modeSwitch: ModeSwitch = 'none';
  if (gwDeleted.length > 0 && instCreated.length > 0) modeSwitch = 'gateway-to-instance';
  else if (instDeleted.length > 0 && gwCreated.length > 0) modeSwitch = 'instance-to-gateway';

  if (modeSwitch === 'gateway-to-instance') {
    const assoc = pick((i) => i.role === 'association' && (i.kind === 'create' || i.kind === 'replace'));
    const group = [
      ...gwDeleted,
      ...instCreated,
      ...assoc,
      ...pick((i) => i.role === 'route' && (i.kind === 'update' || i.kind === 'replace' || i.kind === 'create')),
      ...pick((i) => (i.role === 'security' || i.role === 'iam') && i.kind === 'create'),
      ...pick((i) => i.role === 'eip' && i.kind === 'update'),
    ];
    const failAt = assoc.length > 0 ? assoc.map((a) => a.rc.address).join(', ') : 'the aws_eip_association of each NAT instance';
    add(
      'high',
      'mode-switch',
      'NAT mode switch: gateway → instance (expect two applies)',
      group,
      `Every NAT gateway is deleted and NAT instances take over the same Elastic IPs. The first apply is expected to fail at ${failAt} with "AuthFailure: You do not have permission to access the specified resource" — not an IAM problem: the deleting gateway still holds the EIP. Egress in the affected AZs is down from the route repoint until each instance has its EIP.`,
      `Apply through the cutover action (it waits until the gateways release the EIPs, then re-applies), in a maintenance window. A tested cabal-nat-al2023-* AMI tagged Role=cabal-nat must exist first (build-nat-ami). ${ROLLBACK}`,
    );
  } else if (modeSwitch === 'instance-to-gateway') {
    const group = [
      ...instDeleted,
      ...gwCreated,
      ...pick((i) => i.role === 'association' && i.kind === 'delete'),
      ...pick((i) => i.role === 'route' && (i.kind === 'update' || i.kind === 'replace' || i.kind === 'create')),
      ...pick((i) => (i.role === 'security' || i.role === 'iam') && i.kind === 'delete'),
      ...pick((i) => i.role === 'instance' && i.kind === 'delete'),
    ];
    add(
      'high',
      'mode-switch',
      'NAT mode switch: instance → gateway',
      group,
      'NAT instances and their EIP associations are deleted and NAT gateways are created on the same Elastic IPs; egress in the affected AZs is down for a few minutes per AZ while the EIPs and routes move. This direction has no EIP race: one apply.',
      MAINTENANCE,
    );
  } else if ((gwDeleted.length > 0 || instDeleted.length > 0) && routeDeleted.length > 0 && gwCreated.length === 0 && instCreated.length === 0) {
    const group = [
      ...gwDeleted,
      ...instDeleted,
      ...routeDeleted,
      ...pick((i) => i.role === 'association' && i.kind === 'delete'),
      ...pick((i) => i.role === 'instance' && i.kind === 'delete'),
    ];
    const eipsKept = !items.some((i) => i.role === 'eip' && (i.kind === 'delete' || i.kind === 'replace'));
    add(
      'high',
      'quiesce',
      `Quiesce: NAT and private default routes destroyed${eipsKept ? ', Elastic IPs kept' : ''}`,
      group,
      `The NAT ${gwDeleted.length > 0 ? 'gateways' : 'instances'} and the private subnets' 0.0.0.0/0 routes are destroyed: every private workload in the affected AZs loses internet and AWS API egress until NAT is restored.${eipsKept ? ' The Elastic IPs are kept, so SPF and allow-lists survive.' : ''}`,
      'Intended only for non-production cost saving (quiesced=true). Restore egress with quiesced=false and apply.',
    );
  } else if ((gwCreated.length > 0 || instCreated.length > 0) && routeCreated.length > 0 && gwDeleted.length === 0 && instDeleted.length === 0) {
    const group = [...gwCreated, ...instCreated, ...routeCreated, ...pick((i) => i.role === 'association' && i.kind === 'create')];
    add(
      'low',
      'nat-restored',
      'NAT and private default routes created (capacity only added)',
      group,
      'NAT and the private 0.0.0.0/0 routes are created where none existed (un-quiesce, a new environment or a new AZ): egress comes up, nothing existing is interrupted.',
      'Run verify-egress after the apply.',
    );
  }

  // 3. Per-key NAT events.
  const sameKey = (it: Item, pred: (o: Item) => boolean) => pick((o) => o.key === it.key && o !== it && pred(o));
  for (const it of pick((i) => i.role === 'instance' && (i.kind === 'replace' || i.kind === 'delete'))) {
    const eni = isType(it, 'aws_network_interface');
    const what = eni ? 'NAT network interface' : 'NAT instance';
    const related = sameKey(it, (o) => o.role === 'association' || (o.role === 'route' && o.kind !== 'create'));
    if (it.kind === 'delete') {
      add('high', eni ? 'nat-interface-deleted' : 'nat-instance-deleted', `${what} deleted`, [it, ...related], `${it.rc.address} is destroyed: the private subnets routed through it lose egress.`, `${MAINTENANCE} ${ROLLBACK}`);
      continue;
    }
    const paths = replacePaths(it.rc);
    const amiBefore = shown(it.rc, 'before', 'ami');
    const amiAfter = shown(it.rc, 'after', 'ami');
    const amiChanged = !eni && (paths.includes('ami') || isUnknown(it.rc, 'ami') || (amiBefore !== undefined && amiAfter !== undefined && amiBefore !== amiAfter));
    const cbd = it.rc.change.actions[0] === 'create';
    const gap = cbd ? ' (create-before-destroy shortens the gap, but the EIP and route still move)' : '';
    if (amiChanged) {
      add(
        'high',
        'nat-ami-adopted',
        `New NAT AMI adopted: NAT instance replaced${amiBefore && amiAfter ? ` (${amiBefore} → ${amiAfter})` : ''}`,
        [it, ...related],
        `${it.rc.address} is replaced to launch from a new AMI; egress in this AZ is down until the new instance runs and has its EIP${gap}.`,
        `Confirm the AMI passed its tests (tag Role=cabal-nat; build-nat-ami checks it). ${MAINTENANCE} ${ROLLBACK}`,
      );
    } else {
      add(
        'high',
        eni ? 'nat-interface-replaced' : 'nat-instance-replaced',
        `${what} replaced${paths.length > 0 ? ` (forced by ${paths.join(', ')})` : ''}`,
        [it, ...related],
        `${it.rc.address} is destroyed and re-created; egress in this AZ is down until the replacement forwards traffic and has its EIP${gap}.`,
        `${MAINTENANCE} ${ROLLBACK}`,
      );
    }
  }
  for (const it of pick((i) => i.role === 'instance' && i.kind === 'update')) {
    const what = isType(it, 'aws_network_interface') ? 'NAT network interface' : 'NAT instance';
    const sdc = it.changed.includes('source_dest_check') && asObj(it.rc.change.after)?.source_dest_check === true;
    const stopping = it.changed.filter((a) => STOPPING_ATTRS.includes(a));
    if (sdc) {
      add('high', 'nat-routing-disabled', `${what}: source/destination check turned on`, [it], `${it.rc.address} gets source_dest_check = true: EC2 then drops the traffic it forwards, so it stops being a NAT.`, 'Keep source_dest_check = false on NAT instances and their interfaces.');
    } else if (stopping.length > 0) {
      add('high', 'nat-instance-stopped', `${what} updated in a way that stops it (${stopping.join(', ')})`, [it], `${it.rc.address} must be stopped to change ${stopping.join(', ')}: egress in this AZ is down while it restarts.`, `${MAINTENANCE} ${ROLLBACK}`);
    } else if (tagsOnly(it)) {
      add('low', 'nat-tags-changed', `${what}: tags only`, [it], `Only tags change on ${it.rc.address}.`, 'No egress impact expected.');
    } else {
      add('medium', 'nat-instance-changed', `${what} updated in place (${it.changed.join(', ') || 'attributes'})`, [it], `${it.rc.address} changes in place (${it.changed.join(', ')}); these changes do not require a stop, but they touch the NAT path.`, 'Review the attribute changes; run verify-egress after the apply.');
    }
  }
  for (const it of pick((i) => i.role === 'gateway' && (i.kind === 'replace' || i.kind === 'delete'))) {
    const related = sameKey(it, (o) => o.role === 'route' && o.kind !== 'create');
    const replaced = it.kind === 'replace';
    add(
      'high',
      replaced ? 'nat-gateway-replaced' : 'nat-gateway-deleted',
      `NAT gateway ${replaced ? 'replaced' : 'deleted'}${replaced && replacePaths(it.rc).length ? ` (forced by ${replacePaths(it.rc).join(', ')})` : ''}`,
      [it, ...related],
      `${it.rc.address} is ${replaced ? 'destroyed and re-created' : 'destroyed'}: the private subnets routed through it lose egress${replaced ? ' until the new gateway is available and the routes point at it' : ''}.`,
      `${MAINTENANCE}${replaced ? '' : ' If this is a mode switch, the NAT instances must be in the same plan.'}`,
    );
  }
  for (const it of pick((i) => i.role === 'gateway' && i.kind === 'update')) {
    if (tagsOnly(it)) add('low', 'nat-tags-changed', 'NAT gateway: tags only', [it], `Only tags change on ${it.rc.address}.`, 'No egress impact expected.');
    else add('medium', 'nat-gateway-changed', `NAT gateway updated in place (${it.changed.join(', ')})`, [it], `${it.rc.address} changes in place (${it.changed.join(', ')}).`, 'Review the change; run verify-egress after the apply.');
  }

  // 4. Associations and routes not explained above.
  for (const it of pick((i) => i.role === 'association')) {
    if (it.kind === 'delete') {
      add('high', 'eip-disassociated', 'NAT Elastic IP disassociated', [it], `${it.rc.address} is destroyed: the NAT loses its public IP, so egress in this AZ stops.`, `${MAINTENANCE} ${ROLLBACK}`);
    } else if (it.kind === 'create' && items.some((o) => o.role === 'instance' && o.kind === 'create' && o.key === it.key)) {
      continue; // capacity added, reported with the new instance below
    } else {
      add('medium', 'eip-reassociated', 'NAT Elastic IP re-associated', [it], `${it.rc.address} is ${it.kind === 'update' ? 'updated' : it.kind === 'create' ? 'created' : 're-created'}: the EIP moves, and the NAT has no public IP for a moment.`, 'Expect a brief egress blip in this AZ; run verify-egress after the apply.');
    }
  }
  for (const it of pick((i) => i.role === 'eip' && i.kind === 'update')) {
    if (tagsOnly(it)) {
      add('low', 'nat-tags-changed', 'NAT Elastic IP: tags only', [it], `Only tags change on ${it.rc.address}.`, 'No egress impact expected.');
    } else if (it.changed.some((a) => a === 'instance' || a === 'network_interface' || a === 'associate_with_private_ip')) {
      add('medium', 'eip-reassociated', 'NAT Elastic IP re-associated', [it], `${it.rc.address} moves to another ${it.changed.includes('instance') ? 'instance' : 'network interface'}: the old NAT loses its public IP.`, 'Expect a brief egress blip; run verify-egress after the apply.');
    } else {
      add('low', 'eip-changed', `NAT Elastic IP updated in place (${it.changed.join(', ')})`, [it], `${it.rc.address} changes in place; its address stays.`, 'No egress impact expected.');
    }
  }
  for (const it of pick((i) => i.role === 'route')) {
    const table = isType(it, 'aws_route_table');
    const c = it.rc.change;
    const before = table ? inlineDefaultRoute(asObj(c.before)) : asObj(c.before);
    const after = table ? inlineDefaultRoute(asObj(c.after)) : asObj(c.after);
    const label = table ? `the inline 0.0.0.0/0 route of ${it.rc.address}` : it.rc.address;
    if (it.kind === 'delete' || (table && before && !after && it.kind !== 'create')) {
      add('high', 'route-deleted', 'Private default route deleted', [it], `${label} is destroyed: the private subnets using it have no way out.`, `${MAINTENANCE} If NAT is being removed on purpose, this is a quiesce.`);
    } else if (it.kind === 'replace') {
      add('high', 'route-replaced', 'Private default route replaced', [it], `${label} is destroyed and re-created: egress for its subnets is down in between.`, MAINTENANCE);
    } else if (it.kind === 'create' || (table && !before && after)) {
      if (!table && items.some((o) => (o.role === 'instance' || o.role === 'gateway') && o.kind === 'create' && o.key === it.key)) continue;
      add('low', 'nat-capacity-added', 'Private default route added', [it], `${label} is created: egress capacity is only added.`, 'Run verify-egress after the apply.');
    } else if (it.kind === 'update') {
      const from = routeTarget(before);
      const to = routeTarget(after);
      const retarget = table ? canonicalJson(before ?? null) !== canonicalJson(after ?? null) : NAT_TARGETS.some((t) => it.changed.includes(t));
      if (retarget) {
        add('medium', 'route-retargeted', 'Private default route target changed', [it], `${label} moves ${from ? `from ${from} ` : ''}${to ? `to ${to}` : 'to a target known after apply'}: connections through the old target are cut.`, 'Expect a brief egress blip in this AZ; run verify-egress after the apply.');
      }
    }
  }

  // 5. NAT capacity added (new instances or gateways with their associations).
  for (const it of pick((i) => (i.role === 'instance' || i.role === 'gateway') && i.kind === 'create')) {
    const related = sameKey(it, (o) => (o.role === 'association' || o.role === 'route') && o.kind === 'create');
    add('low', 'nat-capacity-added', `${it.role === 'gateway' ? 'NAT gateway' : 'NAT instance'} added`, [it, ...related], `${it.rc.address} is created: egress capacity is only added.`, 'Run verify-egress after the apply.');
  }
  for (const it of pick((i) => i.role === 'eip' && i.kind === 'create')) {
    add('low', 'nat-capacity-added', 'NAT Elastic IP added', [it], `${it.rc.address} is created: a new outbound IP.`, 'Add the new IP to SPF, allow-lists and reverse DNS, and request the port-25 unblock for it.');
  }

  // 6. Security groups, IAM and the AMI pipeline.
  for (const it of pick((i) => i.role === 'security' || i.role === 'iam')) {
    const what = it.role === 'security' ? 'NAT security group' : 'NAT IAM';
    if (tagsOnly(it)) add('low', 'nat-tags-changed', `${what}: tags only`, [it], `Only tags change on ${it.rc.address}.`, 'No egress impact expected.');
    else
      add(
        'medium',
        it.role === 'security' ? 'nat-security-changed' : 'nat-iam-changed',
        `${what} ${verb(it.kind)}`,
        [it],
        `${it.rc.address} is ${verb(it.kind)}${it.changed.length ? ` (${it.changed.join(', ')})` : ''}: ${it.role === 'security' ? 'a wrong rule silently blocks forwarded traffic' : 'the NAT instances lose or gain permissions (SSM access for mitigation among them)'}.`,
        'Review the rules; run verify-egress after the apply.',
      );
  }
  for (const it of pick((i) => i.role === 'imagebuilder')) {
    const content = IMAGEBUILDER_CONTENT.has(it.rc.type);
    if (content && (it.kind === 'update' || it.kind === 'replace')) {
      const vBefore = shown(it.rc, 'before', 'version');
      const vAfter = shown(it.rc, 'after', 'version');
      const same = vBefore !== undefined && vBefore === vAfter;
      add(
        'medium',
        same ? 'imagebuilder-version-not-bumped' : 'imagebuilder-content-changed',
        same ? `Image Builder ${it.rc.type.replace('aws_imagebuilder_', '').replace('_', ' ')} content changed without a version bump` : `Image Builder ${it.rc.type.replace('aws_imagebuilder_', '').replace('_', ' ')} changed`,
        [it],
        same
          ? `${it.rc.address} changes content but keeps version ${vBefore}: Image Builder versions are immutable, so this apply will fail.`
          : `${it.rc.address} changes${vBefore && vAfter ? ` (version ${vBefore} → ${vAfter})` : ''}: the next AMI build bakes the new NAT bootstrap.`,
        same ? 'Bump the version in the same change, then plan again.' : 'Build a new AMI (build-nat-ami) and review its adoption plan before applying it to the NAT instances.',
      );
    } else if (it.kind === 'delete' && it.rc.type === 'aws_imagebuilder_image_pipeline') {
      add('medium', 'imagebuilder-pipeline-deleted', 'NAT AMI pipeline deleted', [it], `${it.rc.address} is destroyed: NAT AMIs stop receiving AL2023 security patches.`, 'Keep build_nat_ami=true unless the environment runs gateways only.');
    } else {
      add('low', 'imagebuilder-config-changed', `Image Builder ${it.rc.type.replace('aws_imagebuilder_', '').replace(/_/g, ' ')} ${verb(it.kind)}`, [it], `${it.rc.address} is ${verb(it.kind)}; running NAT instances are not affected.`, 'No egress impact expected.');
    }
  }

  findings.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || compareKeys(a.keys[0] ?? '', b.keys[0] ?? ''));
  const risk: Severity = findings.reduce<Severity>((max, f) => (severityRank(f.severity) > severityRank(max) ? f.severity : max), 'none');
  const affected = [...new Set(findings.filter((f) => severityRank(f.severity) >= severityRank('high')).flatMap((f) => f.keys))].sort(compareKeys);
  return {
    risk,
    findings,
    modeSwitch,
    expectedApplies: modeSwitch === 'gateway-to-instance' ? 2 : 1,
    affected,
    natChanges: items.length,
    natInstancesCreated: items.filter((i) => isType(i, 'aws_instance') && i.role === 'instance' && (i.kind === 'create' || i.kind === 'replace')).map((i) => i.rc.address),
  };
}

function verb(kind: string): string {
  return ({ create: 'created', delete: 'deleted', update: 'updated', replace: 'replaced', forget: 'removed from state' } as Record<string, string>)[kind] ?? kind;
}

/** Numeric keys in number order, then string keys. */
export function compareKeys(a: string, b: string): number {
  const na = /^\d+$/.test(a) ? Number(a) : NaN;
  const nb = /^\d+$/.test(b) ? Number(b) : NaN;
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  if (!Number.isNaN(na)) return -1;
  if (!Number.isNaN(nb)) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
