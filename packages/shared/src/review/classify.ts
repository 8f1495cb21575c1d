/**
 * Classifies a plan's changes for NAT egress risk. Whole-environment events (mode switches, Elastic IPs
 * changing hands inside one apply, quiesce) come from comparing the NAT topology model of the plan's before
 * and after sides (topology/model.ts); every other NAT change gets one finding, grouped with the changes of the
 * same AZ key that it explains. Every value shown comes from plan/values.ts `shownValue` (sensitive-aware).
 */
import { ROLLBACK_LEVER_LINE } from '../report/index';
import {
  azKeyOf,
  compareModels,
  modeOf,
  linkKeys,
  modelFromPlan,
  type ModeSwitch,
  type NatMode,
  type NatKind,
  type NatNode,
  type NatTopology,
} from '../nat/index';
import { canonicalJson } from '../plan/digest';
import { actionKind } from '../plan/load';
import { NAT_TARGETS, inlineNatRouteIndex, natNamed, natRoles, type ClassifyOptions, type Role } from '../nat/index';
import type { ResourceChange } from '../plan/types';
import { asObj, marksAny, rawString, rawValue, shownValue, unknownAt } from '../plan/values';

export type { ModeSwitch } from '../nat/index';
export const SEVERITIES = ['none', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export interface Finding {
  severity: Exclude<Severity, 'none'>;
  kind: string;
  /** One-line title, plain text. */
  title: string;
  addresses: string[];
  /** AZ keys: the indexed module instance, else the count index or for_each key; "-" for unindexed resources. */
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
  /** Resources expected to fail in the first apply (they take an Elastic IP a deleting NAT gateway still holds). */
  expectedFailures: string[];
  /** Per AZ key whose NAT changes: what serves it before and after the apply (NAT kind and resource address). */
  azChanges: { key: string; before: string[]; after: string[] }[];
  /** Keys that lose egress (high and critical findings). */
  affected: string[];
  /** NAT-related resource changes considered (no-ops excluded). */
  natChanges: number;
  /** Addresses of NAT instances the plan creates (cutover's AMI check needs them). */
  natInstancesCreated: string[];
}

/** Attributes whose in-place update stops (or stops routing on) an EC2 instance. */
const STOPPING_ATTRS = [
  'instance_type',
  'user_data',
  'user_data_base64',
  'ebs_optimized',
  'cpu_options',
  'cpu_core_count',
  'cpu_threads_per_core',
  'hibernation',
  'enclave_options',
  'metadata_options',
];
const IMAGEBUILDER_CONTENT = new Set(['aws_imagebuilder_component', 'aws_imagebuilder_image_recipe']);
const TAG_ATTRS = new Set(['tags', 'tags_all']);
const MAINTENANCE = 'Apply in a maintenance window and run verify-egress right after.';
const ROLLBACK = ROLLBACK_LEVER_LINE;
const NO_IMPACT = 'No egress impact expected.';
const MODE_TEXT: Record<NatMode, string> = {
  gateway: 'gateway',
  'regional-gateway': 'regional gateway',
  instance: 'instance',
};

/**
 * Terraform's `action_reason` values worded (terraform JSON output format, "Resource Changes"). The common
 * replace_because_cannot_update is left out: replace_paths already says which argument forces it.
 */
const REASONS: Record<string, string> = {
  replace_because_tainted: 'the object is tainted (an earlier apply did not finish creating it)',
  replace_by_request: 'a replacement was requested (-replace)',
  replace_by_triggers: 'replace_triggered_by fired',
  delete_because_no_resource_config: 'its resource block is no longer in the configuration',
  delete_because_no_module: 'its module call is no longer in the configuration',
  delete_because_wrong_repetition: 'the resource switched between count, for_each and neither',
  delete_because_count_index: 'its count index is beyond the new count',
  delete_because_each_key: 'its for_each key is no longer in the map or set',
  delete_because_no_move_target: "its moved block's target is not in the configuration",
};

interface Item {
  rc: ResourceChange;
  role: Role;
  /** create | delete | update | replace | forget | no-op (no-ops only when moved or imported) */
  kind: string;
  key: string;
  changed: string[];
  used: boolean;
}

function changedAttrs(rc: ResourceChange): string[] {
  const before = asObj(rc.change.before) ?? {};
  const after = asObj(rc.change.after) ?? {};
  const unknown = asObj(rc.change.after_unknown) ?? {};
  const names = new Set([...Object.keys(before), ...Object.keys(after), ...Object.keys(unknown)]);
  return [...names]
    .filter((n) => marksAny(unknown[n]) || canonicalJson(before[n] ?? null) !== canonicalJson(after[n] ?? null))
    .sort();
}

function replacePaths(rc: ResourceChange): string[] {
  const paths = rc.change.replace_paths;
  return Array.isArray(paths) ? paths.filter(Array.isArray).map((p) => String(p[0])) : [];
}

/** "nat_gateway_id=…" for a route's NAT target on one side (value through shownValue), or ''. */
function routeTarget(rc: ResourceChange, side: 'before' | 'after'): string {
  const obj = asObj(rawValue(rc, side, []));
  const path = rc.type === 'aws_route_table' ? ['route', inlineNatRouteIndex(obj)] : [];
  if (rc.type === 'aws_route_table' && inlineNatRouteIndex(obj) < 0) return '';
  for (const t of NAT_TARGETS) {
    const v = shownValue(rc, side, [...path, t]);
    if (v) return `${t}=${v}`;
  }
  return '';
}

function verb(kind: string): string {
  return (
    (
      {
        create: 'created',
        delete: 'deleted',
        update: 'updated',
        replace: 'replaced',
        forget: 'removed from state',
      } as Record<string, string>
    )[kind] ?? kind
  );
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

/**
 * What shows an Elastic IP to be NAT egress: the allocation ids NAT gateways, instances and interfaces hold, and
 * the ids of NATs an address can be associated with (on either side of the plan).
 */
function natEvidence(models: NatTopology[]): { allocations: Set<string>; natIds: Set<string> } {
  const allocations = new Set<string>();
  const natIds = new Set<string>();
  for (const m of models) {
    for (const n of m.nats) {
      n.allocationIds.forEach((a) => allocations.add(a));
      n.ids.forEach((i) => natIds.add(i));
    }
  }
  for (const m of models)
    for (const c of m.claims)
      if (c.allocationId && c.targetIds.some((t) => natIds.has(t))) allocations.add(c.allocationId);
  return { allocations, natIds };
}

/** Is the Elastic IP shown by anything in the plan to be NAT egress (held by a NAT, associated with one, or named so)? */
function natEgressEip(
  it: Item,
  evidence: { allocations: Set<string>; natIds: Set<string> },
  explicitPattern: boolean,
): boolean {
  if (explicitPattern || natNamed(it.rc)) return true;
  const ids = [rawString(it.rc, 'before', ['allocation_id']), rawString(it.rc, 'before', ['id'])];
  const targets = ['instance', 'network_interface'].map((k) => rawString(it.rc, 'before', [k]));
  return ids.some((a) => !!a && evidence.allocations.has(a)) || targets.some((t) => !!t && evidence.natIds.has(t));
}

export function classifyChanges(changes: readonly ResourceChange[], options: ClassifyOptions = {}): Analysis {
  const roles = natRoles(changes, options);
  const before = modelFromPlan(changes, roles, 'before');
  const after = modelFromPlan(changes, roles, 'after');
  const linked = linkKeys(roles, compareKeys);
  const keyOf = (rc: ResourceChange) => linked.get(azKeyOf(rc)) ?? azKeyOf(rc);
  for (const node of [...before.nats, ...after.nats, ...before.routes, ...after.routes])
    node.key = linked.get(node.key) ?? node.key;
  const cmp = compareModels(before, after);

  const items: Item[] = [];
  for (const [rc, role] of roles) {
    const kind = actionKind(rc.change.actions);
    if (kind === 'read' || (kind === 'no-op' && !rc.previous_address && !rc.change.importing)) continue;
    items.push({ rc, role, kind, key: keyOf(rc), changed: kind === 'update' ? changedAttrs(rc) : [], used: false });
  }

  const azByKey = new Map<string, string>();
  for (const it of items) {
    if (it.rc.type !== 'aws_instance' || azByKey.has(it.key)) continue;
    const az = shownValue(it.rc, 'after', ['availability_zone']) ?? shownValue(it.rc, 'before', ['availability_zone']);
    if (az) azByKey.set(it.key, az);
  }
  const findings: Finding[] = [];
  const add = (
    severity: Finding['severity'],
    kind: string,
    title: string,
    group: Item[],
    why: string,
    action: string,
  ) => {
    for (const g of group) g.used = true;
    const keys = [...new Set(group.map((g) => g.key))].sort(compareKeys);
    const reasons = [...new Set(group.map((g) => REASONS[g.rc.action_reason ?? '']).filter(Boolean))];
    const moved = group
      .filter((g) => g.rc.previous_address && g.rc.previous_address !== g.rc.address)
      .map((g) => `${g.rc.address} was ${g.rc.previous_address}`);
    const extra = [
      reasons.length ? ` Terraform's reason: ${reasons.join('; ')}.` : '',
      moved.length ? ` Moved (moved block): ${moved.join(', ')}.` : '',
    ].join('');
    findings.push({
      severity,
      kind,
      title,
      addresses: [...new Set(group.map((g) => g.rc.address))],
      keys,
      azs: [...new Set(keys.map((k) => azByKey.get(k)).filter((a): a is string => !!a))],
      why: `${why}${extra}`,
      action,
    });
  };
  const pick = (pred: (it: Item) => boolean) => items.filter((it) => !it.used && pred(it));
  const sameKey = (it: Item, pred: (o: Item) => boolean) => pick((o) => o.key === it.key && o !== it && pred(o));
  const tagsOnly = (it: Item) =>
    it.kind === 'update' && it.changed.length > 0 && it.changed.every((a) => TAG_ATTRS.has(a));
  const itemByChange = new Map(items.map((i) => [i.rc, i]));
  const itemOf = (n: NatNode) => (n.rc ? itemByChange.get(n.rc) : undefined);
  const what = (it: Item) =>
    it.rc.type === 'aws_network_interface'
      ? 'NAT network interface'
      : it.rc.type === 'aws_nat_gateway'
        ? 'NAT gateway'
        : 'NAT instance';

  // 0. Bookkeeping that changes no infrastructure: moved, imported, removed from state.
  for (const it of pick((i) => i.kind === 'no-op' || i.kind === 'forget')) {
    if (it.kind === 'forget') {
      add(
        'low',
        'nat-forgotten',
        `${what(it)} removed from terraform state (removed block)`,
        [it],
        `${it.rc.address} leaves terraform state but is not destroyed: it keeps serving egress, and terraform no longer manages it.`,
        'No egress impact expected. Manage or delete it outside this configuration from now on.',
      );
    } else if (it.rc.change.importing) {
      add(
        'low',
        'nat-imported',
        `NAT resource imported (${it.rc.address})`,
        [it],
        `${it.rc.address} is imported into terraform state; the infrastructure does not change.`,
        NO_IMPACT,
      );
    } else {
      add(
        'low',
        'nat-moved',
        `NAT resource moved to ${it.rc.address}`,
        [it],
        `${it.rc.address} is the same object under a new address (moved block): nothing is destroyed or re-created, so egress is not interrupted.`,
        NO_IMPACT,
      );
    }
  }

  for (const it of pick(
    (i) =>
      i.role === 'gateway' &&
      rawValue(i.rc, i.kind === 'create' ? 'after' : 'before', ['connectivity_type']) === 'private',
  )) {
    add(
      'low',
      'private-nat-gateway-changed',
      `Private NAT gateway ${verb(it.kind)}`,
      [it],
      `${it.rc.address} is a private NAT gateway (connectivity_type = private): it gives no internet egress, so this is not an egress risk.`,
      'Check the private (VPC-to-VPC or on-premises) traffic it translates.',
    );
  }
  // 1. Elastic IPs: the outbound addresses everything outside depends on.
  const evidence = natEvidence([before, after]);
  for (const it of pick((i) => i.role === 'eip' && (i.kind === 'delete' || i.kind === 'replace'))) {
    const ip = shownValue(it.rc, 'before', ['public_ip']);
    const gone = it.kind === 'delete' ? 'deleted' : 'replaced';
    if (natEgressEip(it, evidence, !!options.patterns?.eip)) {
      add(
        'critical',
        `eip-${gone}`,
        `NAT Elastic IP ${gone}${ip ? ` (${ip})` : ''}`,
        [it],
        `${it.rc.address} is ${it.kind === 'delete' ? 'destroyed' : 'destroyed and re-created'}: the outbound IP${ip ? ` ${ip}` : ''} is released for good, breaking SPF records, reverse DNS, partner allow-lists and the AWS port-25 unblock.`,
        'Do not apply unless the IP change is intended: keep the EIP (prevent_destroy, or `terraform state mv` for a rename). If intended, update SPF, reverse DNS, allow-lists and request the port-25 unblock for the new IP first.',
      );
    } else {
      add(
        'medium',
        `other-eip-${gone}`,
        `Elastic IP ${gone}${ip ? ` (${ip})` : ''}, not shown to be NAT egress`,
        [it],
        `${it.rc.address} is ${it.kind === 'delete' ? 'released' : 'released and re-allocated'}; nothing in this plan shows it to be a NAT's outbound address (no NAT gateway, NAT instance or NAT interface holds it), so NAT egress is not affected. Whatever uses the address loses it for good.`,
        'Confirm nothing allow-lists this address. If it is NAT egress, name it in nat-address-patterns (eip=…) so plan-guard rates its loss critical.',
      );
    }
  }

  // 2. Whole-environment events, from the before/after topology models.
  const handoverTakers = [...new Set(cmp.handovers.map((h) => h.to))];
  const crossHandovers = cmp.handovers.filter((h) => h.to !== h.from.rc?.address);
  const natGroup = (nodes: NatNode[]) => nodes.map(itemOf).filter((i): i is Item => !!i && !i.used);
  if (cmp.modeSwitch !== 'none') {
    const [from, to] = cmp.modeSwitch.split('-to-') as [NatMode, NatMode];
    const group = [
      ...natGroup([...cmp.removed, ...cmp.added]),
      ...pick((i) => ['association', 'asg', 'security', 'iam'].includes(i.role) && i.kind !== 'update'),
      ...pick((i) => i.role === 'route' || (i.role === 'eip' && i.kind === 'update')),
    ];
    const race = handoverTakers.length > 0;
    const toText = to === 'instance' ? 'NAT instances' : to === 'gateway' ? 'NAT gateways' : 'a regional NAT gateway';
    add(
      'high',
      'mode-switch',
      `NAT mode switch: ${MODE_TEXT[from]} → ${MODE_TEXT[to]}${race ? ' (expect two applies)' : ''}`,
      group,
      race
        ? `The NAT ${from === 'instance' ? 'instances are' : 'gateways are'} deleted and ${toText} take over the same Elastic IPs in the same apply. ${raceText(handoverTakers, changes)} Egress in the affected AZs is down from the route repoint until each new NAT has its address.`
        : `The old NATs are deleted and ${toText} are created; egress in the affected AZs is down for a few minutes per AZ while the addresses and routes move. This direction has no EIP race: one apply.`,
      race
        ? `Apply through the cutover action (it waits until the gateways release the EIPs, associates them at once and converges to this plan), in a maintenance window.${to === 'instance' ? ' A tested cabal-nat-al2023-* AMI tagged Role=cabal-nat must exist first (build-nat-ami).' : ''} ${ROLLBACK}`
        : MAINTENANCE,
    );
  } else if (crossHandovers.length > 0) {
    // A gateway replaced onto its own address is worded with the gateway (below); this is one resource taking another's.
    const takers = [...new Set(crossHandovers.map((h) => h.to))];
    const group = [...natGroup(crossHandovers.map((h) => h.from)), ...pick((i) => takers.includes(i.rc.address))];
    add(
      'high',
      'eip-handover',
      'Elastic IP taken from a deleting NAT gateway in the same apply (expect two applies)',
      group,
      `${crossHandovers.map((h) => h.from.ref).join(', ')} still hold the Elastic IPs that ${takers.join(', ')} take. ${raceText(takers, changes)}`,
      `Apply through the cutover action (it waits for the release, associates the address at once and converges to this plan), in a maintenance window. ${MAINTENANCE}`,
    );
  } else if (cmp.removed.some((n) => modeOf(n.kind)) && cmp.removedRoutes.length > 0 && cmp.added.length === 0) {
    const eipsKept = !items.some((i) => i.role === 'eip' && (i.kind === 'delete' || i.kind === 'replace'));
    const gateways = cmp.removed.some((n) => n.kind.endsWith('gateway'));
    add(
      'high',
      'quiesce',
      `Quiesce: NAT and private default routes destroyed${eipsKept ? ', Elastic IPs kept' : ''}`,
      [
        ...natGroup(cmp.removed),
        ...pick((i) => (i.role === 'route' || i.role === 'association' || i.role === 'asg') && i.kind === 'delete'),
      ],
      `The NAT ${gateways ? 'gateways' : 'instances'} and the private subnets' 0.0.0.0/0 routes are destroyed: every private workload in the affected AZs loses internet and AWS API egress until NAT is restored.${eipsKept ? ' The Elastic IPs are kept, so SPF and allow-lists survive.' : ''}`,
      'Intended only for non-production cost saving (quiesced=true). Restore egress with quiesced=false and apply.',
    );
  } else if (cmp.added.some((n) => modeOf(n.kind)) && cmp.addedRoutes.length > 0 && cmp.removed.length === 0) {
    add(
      'low',
      'nat-restored',
      'NAT and private default routes created (capacity only added)',
      [
        ...natGroup(cmp.added),
        ...pick((i) => (i.role === 'route' || i.role === 'association' || i.role === 'asg') && i.kind === 'create'),
      ],
      'NAT and the private 0.0.0.0/0 routes are created where none existed (un-quiesce, a new environment or a new AZ): egress comes up, nothing existing is interrupted.',
      'Run verify-egress after the apply.',
    );
  }

  // 3. Regional NAT gateway in automatic mode: AWS chooses (and may add) the outbound addresses.
  for (const n of after.nats.filter((x) => x.kind === 'regional-gateway' && x.regionalMode === 'automatic')) {
    const it = itemOf(n);
    const was = before.nats.find((b) => b.ref === n.ref);
    if (!it || (was && was.regionalMode === 'automatic' && !it.rc.change.actions.includes('create'))) continue;
    const eipsDestroyed = items.some((i) => i.role === 'eip' && (i.kind === 'delete' || i.kind === 'replace'));
    add(
      eipsDestroyed ? 'critical' : 'high',
      'regional-automatic-addresses',
      `Regional NAT gateway in automatic mode: outbound IPs chosen by AWS${eipsDestroyed ? ', and the old Elastic IPs are destroyed' : ''}`,
      [it],
      `${it.rc.address} has no availability_zone_address blocks, so AWS picks the AZs and the Elastic IPs${n.autoScalingIps ? ' and adds addresses under load (auto_scaling_ips)' : ''}: the outbound addresses are not yours to choose and can change or grow, which breaks allow-lists, SPF and reverse DNS that name specific IPs.${eipsDestroyed ? ' This plan also destroys Elastic IPs, so the old outbound addresses are gone for good.' : ''}`,
      'For an environment whose outbound IPs are allow-listed, use manual mode: one availability_zone_address block per AZ with the existing allocation_ids (see the runbook, zonal → regional migration).',
    );
  }

  // 4. Per-resource NAT events.
  for (const it of pick((i) => (i.role === 'instance' || i.role === 'gateway') && !!i.rc.deposed)) {
    add(
      'high',
      `${it.role === 'gateway' ? 'nat-gateway' : 'nat-instance'}-deposed-deleted`,
      `Deposed ${what(it)} deleted (left by an unfinished create-before-destroy)`,
      [it],
      `${it.rc.address} has a deposed object (${it.rc.deposed}) left from an earlier create-before-destroy replacement that did not finish; this plan deletes it. Egress through it stops when it goes.${cmp.handovers.some((h) => h.from.rc === it.rc) ? ` The replacement at ${it.rc.address} reuses its allocation_id and is created before the deposed gateway is deleted (create_before_destroy), so it cannot get the address: ${raceText([it.rc.address], changes)}` : ''}`,
      MAINTENANCE,
    );
  }
  for (const it of pick((i) => i.role === 'instance' && (i.kind === 'replace' || i.kind === 'delete'))) {
    const eni = it.rc.type === 'aws_network_interface';
    const related = sameKey(it, (o) => o.role === 'association' || (o.role === 'route' && o.kind !== 'create'));
    if (it.kind === 'delete') {
      add(
        'high',
        eni ? 'nat-interface-deleted' : 'nat-instance-deleted',
        `${what(it)} deleted`,
        [it, ...related],
        `${it.rc.address} is destroyed: the private subnets routed through it lose egress.`,
        `${MAINTENANCE} ${ROLLBACK}`,
      );
      continue;
    }
    const paths = replacePaths(it.rc);
    const amiBefore = shownValue(it.rc, 'before', ['ami']);
    const amiAfter = shownValue(it.rc, 'after', ['ami']);
    const [rawBefore, rawAfter] = [rawValue(it.rc, 'before', ['ami']), rawValue(it.rc, 'after', ['ami'])];
    const amiChanged =
      !eni &&
      (paths.includes('ami') ||
        unknownAt(it.rc, ['ami']) ||
        (rawBefore !== undefined && rawAfter !== undefined && rawBefore !== rawAfter));
    const gap =
      it.rc.change.actions[0] === 'create'
        ? ' (create-before-destroy shortens the gap, but the EIP and route still move)'
        : '';
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
        `${what(it)} replaced${paths.length > 0 ? ` (forced by ${paths.join(', ')})` : ''}`,
        [it, ...related],
        `${it.rc.address} is destroyed and re-created; egress in this AZ is down until the replacement forwards traffic and has its EIP${gap}.`,
        `${MAINTENANCE} ${ROLLBACK}`,
      );
    }
  }
  for (const it of pick((i) => i.role === 'instance' && i.kind === 'update')) {
    const stopping = it.changed.filter((a) => STOPPING_ATTRS.includes(a));
    if (it.changed.includes('source_dest_check') && rawValue(it.rc, 'after', ['source_dest_check']) === true) {
      add(
        'high',
        'nat-routing-disabled',
        `${what(it)}: source/destination check turned on`,
        [it],
        `${it.rc.address} gets source_dest_check = true: EC2 then drops the traffic it forwards, so it stops being a NAT.`,
        'Keep source_dest_check = false on NAT instances and their interfaces.',
      );
    } else if (stopping.length > 0) {
      add(
        'high',
        'nat-instance-stopped',
        `${what(it)} updated in a way that stops it (${stopping.join(', ')})`,
        [it],
        `${it.rc.address} must be stopped to change ${stopping.join(', ')}: egress in this AZ is down while it restarts.`,
        `${MAINTENANCE} ${ROLLBACK}`,
      );
    } else if (tagsOnly(it)) {
      add(
        'low',
        'nat-tags-changed',
        `${what(it)}: tags only`,
        [it],
        `Only tags change on ${it.rc.address}.`,
        NO_IMPACT,
      );
    } else {
      add(
        'medium',
        'nat-instance-changed',
        `${what(it)} updated in place (${it.changed.join(', ') || 'attributes'})`,
        [it],
        `${it.rc.address} changes in place (${it.changed.join(', ')}); these changes do not require a stop, but they touch the NAT path.`,
        'Review the attribute changes; run verify-egress after the apply.',
      );
    }
  }
  for (const it of pick((i) => i.role === 'gateway' && (i.kind === 'replace' || i.kind === 'delete'))) {
    const replaced = it.kind === 'replace';
    const paths = replacePaths(it.rc);
    const fails = handoverTakers.includes(it.rc.address);
    add(
      'high',
      replaced ? 'nat-gateway-replaced' : 'nat-gateway-deleted',
      `NAT gateway ${replaced ? 'replaced' : 'deleted'}${replaced && paths.length ? ` (forced by ${paths.join(', ')})` : ''}`,
      [it, ...sameKey(it, (o) => o.role === 'route' && o.kind !== 'create')],
      `${it.rc.address} is ${replaced ? 'destroyed and re-created' : 'destroyed'}: the private subnets routed through it lose egress${replaced ? ' until the new gateway is available and the routes point at it' : ''}.${fails ? ` ${raceText([it.rc.address], changes)}` : ''}`,
      `${fails ? 'Apply through the cutover action (expect two applies). ' : ''}${MAINTENANCE}${replaced ? '' : ' If this is a mode switch, the new NATs must be in the same plan.'}`,
    );
  }
  for (const it of pick((i) => i.role === 'gateway' && i.kind === 'update')) {
    // Regional gateway (manual mode): an AZ whose address block goes, or whose addresses change, loses or changes its egress.
    const [was, will] = [before.nats.find((n) => n.rc === it.rc), after.nats.find((n) => n.rc === it.rc)];
    const zones = (n: NatNode | undefined) =>
      new Map((n?.zones ?? []).map((z) => [z.az, [...z.allocationIds].sort().join()]));
    const [zb, za] = [zones(was), zones(will)];
    const dropped = [...zb.keys()].filter((az) => !za.has(az));
    const moved = [...zb.keys()].filter((az) => za.has(az) && za.get(az) !== zb.get(az));
    if (will?.regionalMode === 'manual' && (dropped.length > 0 || moved.length > 0)) {
      add(
        'high',
        'regional-zone-changed',
        `Regional NAT gateway: ${dropped.length ? `AZ address removed (${dropped.length})` : 'AZ addresses changed'}`,
        [it],
        `${it.rc.address} ${dropped.length ? `no longer has an availability_zone_address for ${dropped.length} AZ(s): private subnets there that route to it lose egress (manual mode does not expand to unlisted AZs)` : ''}${dropped.length && moved.length ? '; and ' : ''}${moved.length ? `changes the Elastic IPs of ${moved.length} AZ(s): their outbound address changes` : ''}.`,
        `Keep one availability_zone_address per AZ with private subnets, on the allow-listed Elastic IPs. ${MAINTENANCE}`,
      );
      continue;
    }
    if (tagsOnly(it))
      add(
        'low',
        'nat-tags-changed',
        'NAT gateway: tags only',
        [it],
        `Only tags change on ${it.rc.address}.`,
        NO_IMPACT,
      );
    else
      add(
        'medium',
        'nat-gateway-changed',
        `NAT gateway updated in place (${it.changed.join(', ')})`,
        [it],
        `${it.rc.address} changes in place (${it.changed.join(', ')}).`,
        'Review the change; run verify-egress after the apply.',
      );
  }
  for (const it of pick((i) => i.role === 'asg')) {
    const template = it.rc.type === 'aws_launch_template';
    if (template && it.kind === 'update' && it.changed.includes('image_id')) {
      const [a, b] = [shownValue(it.rc, 'before', ['image_id']), shownValue(it.rc, 'after', ['image_id'])];
      add(
        'medium',
        'nat-launch-template-image-changed',
        `NAT launch template image changed${a && b ? ` (${a} → ${b})` : ''}`,
        [it],
        `${it.rc.address} gets a new image: the running NAT instance keeps the old one; the new image takes effect when the Auto Scaling group next replaces its instance, and that replacement is an egress gap while the interface moves to the new instance.`,
        'Roll it in a maintenance window: start an instance refresh (aws autoscaling start-instance-refresh) or terminate the NAT instance, one AZ at a time, and run verify-egress after each.',
      );
    } else if (it.kind === 'delete' || it.kind === 'replace') {
      add(
        'high',
        template ? 'nat-launch-template-deleted' : 'nat-asg-deleted',
        `NAT ${template ? 'launch template' : 'Auto Scaling group'} ${verb(it.kind)}`,
        [it, ...sameKey(it, (o) => o.role === 'asg')],
        `${it.rc.address} is ${it.kind === 'delete' ? 'destroyed' : 'destroyed and re-created'}: ${template ? 'the group can no longer launch its NAT instance' : 'the group terminates its NAT instance, so the interface has nothing behind it'} and egress through it stops.`,
        `${MAINTENANCE} ${ROLLBACK}`,
      );
    } else if (tagsOnly(it)) {
      add(
        'low',
        'nat-tags-changed',
        `NAT ${template ? 'launch template' : 'Auto Scaling group'}: tags only`,
        [it],
        `Only tags change on ${it.rc.address}.`,
        NO_IMPACT,
      );
    } else if (it.kind === 'update') {
      add(
        'medium',
        'nat-asg-changed',
        `NAT ${template ? 'launch template' : 'Auto Scaling group'} updated (${it.changed.join(', ')})`,
        [it],
        `${it.rc.address} changes (${it.changed.join(', ')}); ${template ? 'it takes effect when the group next launches an instance' : 'a capacity or launch change can replace the NAT instance'}.`,
        'Review the change; roll it in a maintenance window and run verify-egress after.',
      );
    }
  }

  // 5. Associations and routes not explained above.
  for (const it of pick((i) => i.role === 'association')) {
    if (it.kind === 'delete') {
      add(
        'high',
        'eip-disassociated',
        'NAT Elastic IP disassociated',
        [it],
        `${it.rc.address} is destroyed: the NAT loses its public IP, so egress in this AZ stops.`,
        `${MAINTENANCE} ${ROLLBACK}`,
      );
    } else if (
      it.kind === 'create' &&
      items.some((o) => o.role === 'instance' && o.kind === 'create' && o.key === it.key)
    ) {
      continue; // capacity added, reported with the new instance below
    } else {
      add(
        'medium',
        'eip-reassociated',
        'NAT Elastic IP re-associated',
        [it],
        `${it.rc.address} is ${it.kind === 'update' ? 'updated' : it.kind === 'create' ? 'created' : 're-created'}: the EIP moves, and the NAT has no public IP for a moment.`,
        'Expect a brief egress blip in this AZ; run verify-egress after the apply.',
      );
    }
  }
  for (const it of pick((i) => i.role === 'eip' && i.kind === 'update')) {
    if (tagsOnly(it))
      add(
        'low',
        'nat-tags-changed',
        'NAT Elastic IP: tags only',
        [it],
        `Only tags change on ${it.rc.address}.`,
        NO_IMPACT,
      );
    else if (
      it.changed.some((a) => a === 'instance' || a === 'network_interface' || a === 'associate_with_private_ip')
    ) {
      add(
        'medium',
        'eip-reassociated',
        'NAT Elastic IP re-associated',
        [it],
        `${it.rc.address} moves to another ${it.changed.includes('instance') ? 'instance' : 'network interface'}: the old NAT loses its public IP.`,
        'Expect a brief egress blip; run verify-egress after the apply.',
      );
    } else
      add(
        'low',
        'eip-changed',
        `NAT Elastic IP updated in place (${it.changed.join(', ')})`,
        [it],
        `${it.rc.address} changes in place; its address stays.`,
        NO_IMPACT,
      );
  }
  for (const it of pick((i) => i.role === 'route')) {
    const table = it.rc.type === 'aws_route_table';
    const [had, has] = (['before', 'after'] as const).map((s) =>
      table
        ? inlineNatRouteIndex(asObj(rawValue(it.rc, s, []))) >= 0
        : rawValue(it.rc, s, []) !== null && rawValue(it.rc, s, []) !== undefined,
    );
    const label = table ? `the inline 0.0.0.0/0 route of ${it.rc.address}` : it.rc.address;
    if (it.kind === 'delete' || (had && !has && it.kind !== 'create')) {
      add(
        'high',
        'route-deleted',
        'Private default route deleted',
        [it],
        `${label} is destroyed: the private subnets using it have no way out.`,
        `${MAINTENANCE} If NAT is being removed on purpose, this is a quiesce.`,
      );
    } else if (it.kind === 'replace') {
      add(
        'high',
        'route-replaced',
        'Private default route replaced',
        [it],
        `${label} is destroyed and re-created: egress for its subnets is down in between.`,
        MAINTENANCE,
      );
    } else if (it.kind === 'create' || (!had && has)) {
      if (
        !table &&
        items.some((o) => (o.role === 'instance' || o.role === 'gateway') && o.kind === 'create' && o.key === it.key)
      )
        continue;
      add(
        'low',
        'nat-capacity-added',
        'Private default route added',
        [it],
        `${label} is created: egress capacity is only added.`,
        'Run verify-egress after the apply.',
      );
    } else if (it.kind === 'update') {
      const [from, to] = [routeTarget(it.rc, 'before'), routeTarget(it.rc, 'after')];
      const retarget = table
        ? canonicalJson(rawValue(it.rc, 'before', ['route']) ?? null) !==
          canonicalJson(rawValue(it.rc, 'after', ['route']) ?? null)
        : NAT_TARGETS.some((t) => it.changed.includes(t));
      if (retarget)
        add(
          'medium',
          'route-retargeted',
          'Private default route target changed',
          [it],
          `${label} moves ${from ? `from ${from} ` : ''}${to ? `to ${to}` : 'to a target known after apply'}: connections through the old target are cut.`,
          'Expect a brief egress blip in this AZ; run verify-egress after the apply.',
        );
    }
  }

  // 6. NAT capacity added (new instances, interfaces, gateways, groups with their associations).
  for (const it of pick(
    (i) => (i.role === 'instance' || i.role === 'gateway' || i.role === 'asg') && i.kind === 'create',
  )) {
    const related = sameKey(
      it,
      (o) => (o.role === 'association' || o.role === 'route' || o.role === 'asg') && o.kind === 'create',
    );
    add(
      'low',
      'nat-capacity-added',
      `${it.role === 'gateway' ? 'NAT gateway' : it.role === 'asg' ? 'NAT Auto Scaling group' : what(it)} added`,
      [it, ...related],
      `${it.rc.address} is created: egress capacity is only added.`,
      'Run verify-egress after the apply.',
    );
  }
  for (const it of pick((i) => i.role === 'eip' && i.kind === 'create')) {
    add(
      'low',
      'nat-capacity-added',
      'NAT Elastic IP added',
      [it],
      `${it.rc.address} is created: a new outbound IP.`,
      'Add the new IP to SPF, allow-lists and reverse DNS, and request the port-25 unblock for it.',
    );
  }

  // 7. Security groups, IAM and the AMI pipeline.
  for (const it of pick((i) => i.role === 'security' || i.role === 'iam')) {
    const label = it.role === 'security' ? 'NAT security group' : 'NAT IAM';
    if (tagsOnly(it))
      add('low', 'nat-tags-changed', `${label}: tags only`, [it], `Only tags change on ${it.rc.address}.`, NO_IMPACT);
    else
      add(
        'medium',
        it.role === 'security' ? 'nat-security-changed' : 'nat-iam-changed',
        `${label} ${verb(it.kind)}`,
        [it],
        `${it.rc.address} is ${verb(it.kind)}${it.changed.length ? ` (${it.changed.join(', ')})` : ''}: ${it.role === 'security' ? 'a wrong rule silently blocks forwarded traffic' : 'the NAT instances lose or gain permissions (SSM access for mitigation among them)'}.`,
        'Review the rules; run verify-egress after the apply.',
      );
  }
  for (const it of pick((i) => i.role === 'imagebuilder')) {
    const name = it.rc.type.replace('aws_imagebuilder_', '').replace(/_/g, ' ');
    if (IMAGEBUILDER_CONTENT.has(it.rc.type) && (it.kind === 'update' || it.kind === 'replace')) {
      const [vBefore, vAfter] = [shownValue(it.rc, 'before', ['version']), shownValue(it.rc, 'after', ['version'])];
      const same =
        vBefore !== undefined && rawValue(it.rc, 'before', ['version']) === rawValue(it.rc, 'after', ['version']);
      if (same)
        add(
          'medium',
          'imagebuilder-version-not-bumped',
          `Image Builder ${name} content changed without a version bump`,
          [it],
          `${it.rc.address} changes content but keeps version ${vBefore}: Image Builder versions are immutable, so this apply will fail.`,
          'Bump the version in the same change, then plan again.',
        );
      else
        add(
          'medium',
          'imagebuilder-content-changed',
          `Image Builder ${name} changed`,
          [it],
          `${it.rc.address} changes${vBefore && vAfter ? ` (version ${vBefore} → ${vAfter})` : ''}: the next AMI build bakes the new NAT bootstrap.`,
          'Build a new AMI (build-nat-ami) and review its adoption plan before applying it to the NAT instances.',
        );
    } else if (it.kind === 'delete' && it.rc.type === 'aws_imagebuilder_image_pipeline') {
      add(
        'medium',
        'imagebuilder-pipeline-deleted',
        'NAT AMI pipeline deleted',
        [it],
        `${it.rc.address} is destroyed: NAT AMIs stop receiving AL2023 security patches.`,
        'Keep build_nat_ami=true unless the environment runs gateways only.',
      );
    } else {
      add(
        'low',
        'imagebuilder-config-changed',
        `Image Builder ${name} ${verb(it.kind)}`,
        [it],
        `${it.rc.address} is ${verb(it.kind)}; running NAT instances are not affected.`,
        NO_IMPACT,
      );
    }
  }

  findings.sort(
    (a, b) => severityRank(b.severity) - severityRank(a.severity) || compareKeys(a.keys[0] ?? '', b.keys[0] ?? ''),
  );
  const risk = findings.reduce<Severity>(
    (max, f) => (severityRank(f.severity) > severityRank(max) ? f.severity : max),
    'none',
  );
  return {
    risk,
    findings,
    modeSwitch: cmp.modeSwitch,
    expectedApplies: cmp.handovers.length > 0 ? 2 : 1,
    expectedFailures: handoverTakers,
    azChanges: cmp.perKey
      .map((e) => ({ key: e.key, before: e.before.map(natText), after: e.after.map(natText) }))
      .sort((a, b) => compareKeys(a.key, b.key)),
    affected: [
      ...new Set(findings.filter((f) => severityRank(f.severity) >= severityRank('high')).flatMap((f) => f.keys)),
    ].sort(compareKeys),
    natChanges: items.length,
    natInstancesCreated: items
      .filter(
        (i) => i.rc.type === 'aws_instance' && i.role === 'instance' && (i.kind === 'create' || i.kind === 'replace'),
      )
      .map((i) => i.rc.address),
  };
}

const KIND_TEXT: Record<NatKind, string> = {
  'zonal-gateway': 'NAT gateway',
  'regional-gateway': 'regional NAT gateway',
  instance: 'NAT instance',
  interface: 'NAT interface',
  'private-gateway': 'private NAT gateway',
};

/** "<kind> <address>", with "(replaced)" when the plan replaces it. */
function natText(n: NatNode): string {
  const replaced = n.rc && n.rc.change.actions.includes('create') && n.rc.change.actions.includes('delete');
  return `${KIND_TEXT[n.kind]} ${n.ref}${replaced ? ' (replaced)' : ''}`;
}

/** What the first apply is expected to do at the resources that take an address still held by a deleting gateway. */
function raceText(takers: string[], changes: readonly ResourceChange[]): string {
  const types = new Set(takers.map((t) => changes.find((c) => c.address === t)?.type));
  const messages = [
    types.has('aws_eip_association') || types.has('aws_eip')
      ? '"AuthFailure: You do not have permission to access the specified resource" (not an IAM problem)'
      : '',
    types.has('aws_nat_gateway')
      ? 'a NAT gateway creation that ends `failed` because the Elastic IP is still associated'
      : '',
    types.has('aws_nat_gateway_eip_association')
      ? 'an association error because the Elastic IP is still associated'
      : '',
  ].filter(Boolean);
  return `The first apply is expected to fail at ${takers.join(', ')} with ${messages.join(' or ') || 'an error'}: EC2 keeps the Elastic IP on the deleting NAT gateway for a while after terraform deletes it. A second apply after the release completes the change.`;
}
