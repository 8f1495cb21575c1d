/**
 * What every rule reviews: the plan's NAT changes as items (with their linked AZ keys), the NAT topology of the
 * plan's before and after side and their comparison (nat/), and the facts several rules share.
 */
import { DEFAULT_AMI_CRITERIA, type AmiCriteria } from '../ami/criteria';
import {
  azKeyOf,
  azMoveOf,
  bridgePlan,
  compareModels,
  linkKeys,
  modelFromPlan,
  natAmiOf,
  natEgressEvidence,
  natRoles,
  placementOf,
  plannedStrategy,
  subnetIndex,
  type BridgePlan,
  type ClassifyOptions,
  type StrategyInput,
  type Handover,
  type ModelComparison,
  type AzMove,
  type NatAmiFacts,
  type NatEgressEvidence,
  type NatNode,
  type NatTopology,
  type Role,
  type SubnetIndex,
} from '../nat/index';
import { changedAttributes } from '../plan/change';
import { NO_SECTIONS } from '../plan/config';
import { actionKind } from '../plan/load';
import type { PlanSections, ResourceChange } from '../plan/types';
import { compareKeys, type Item, type ReviewOptions } from './types';

export interface ReviewContext {
  changes: readonly ResourceChange[];
  /** The NAT address patterns, and the strategy the apply will use (plan-guard's `strategy` input). */
  options: ClassifyOptions & { strategy?: StrategyInput };
  /** The plan's prior_state and configuration (what plan-guard kept of them; empty without). */
  sections: PlanSections;
  /** What makes a NAT AMI tested (ami-name-pattern, required-tags). */
  ami: AmiCriteria;
  /** The AMI facts of a NAT instance or launch template item (nat/ami.ts), else undefined. */
  amiOf(it: Item): NatAmiFacts | undefined;
  /** The plan's subnets and route table associations (nat/subnets.ts). */
  subnets: SubnetIndex;
  /** NAT gateways, instances and interfaces the plan moves into another AZ. */
  azMoves: Map<ResourceChange, AzMove>;
  /** Every NAT-related change, in plan order (reads and plain no-ops left out). */
  items: Item[];
  before: NatTopology;
  after: NatTopology;
  cmp: ModelComparison;
  /**
   * AZ key → the availability zone its NAT shows (first one in plan order): a NAT instance's availability_zone, else
   * the AZ of the NAT's subnet, its before side first (a NAT moved to another AZ keeps its key's AZ).
   */
  azByKey: Map<string, string>;
  /** The item a NAT node of either topology was read from. */
  itemOf(node: NatNode): Item | undefined;
  /** What shows an Elastic IP to be NAT egress (both sides). */
  evidence: NatEgressEvidence;
  /** Addresses that take an Elastic IP a deleting NAT gateway still holds (the expected first-apply failures). */
  handoverTakers: string[];
  /** Handovers where one resource takes another's address (not a gateway replaced onto its own). */
  crossHandovers: Handover[];
  /** The bridged switch as the plan allows it (nat/bridge.ts), and whether cutover will bridge this plan. */
  bridge: BridgePlan;
  bridged: boolean;
}

const TAG_ATTRS = new Set(['tags', 'tags_all']);

/** Does the update change tags only? */
export function tagsOnly(it: Item): boolean {
  return it.kind === 'update' && it.changed.length > 0 && it.changed.every((a) => TAG_ATTRS.has(a));
}

/** The items: every change with a NAT role except reads and no-ops that are neither moved nor imported. */
function itemsOf(roles: ReadonlyMap<ResourceChange, Role>, keyOf: (rc: ResourceChange) => string): Item[] {
  const items: Item[] = [];
  for (const [rc, role] of roles) {
    const kind = actionKind(rc.change.actions);
    if (kind === 'read' || (kind === 'no-op' && !rc.previous_address && !rc.change.importing)) continue;
    items.push({ rc, role, kind, key: keyOf(rc), changed: kind === 'update' ? changedAttributes(rc) : [] });
  }
  return items;
}

function zonesByKey(items: readonly Item[], subnets: SubnetIndex): Map<string, string> {
  const azByKey = new Map<string, string>();
  for (const it of items) {
    if ((it.role !== 'instance' && it.role !== 'gateway') || azByKey.has(it.key)) continue;
    const az = placementOf(it.rc, 'before', subnets).azText ?? placementOf(it.rc, 'after', subnets).azText;
    if (az) azByKey.set(it.key, az);
  }
  return azByKey;
}

/**
 * Builds the context of one plan: NAT roles (nat/roles.ts, with the operator's address patterns), both sides'
 * topologies with their AZ keys linked (nat/keys.ts), their comparison (nat/compare.ts) and the items.
 */
export function reviewContext(changes: readonly ResourceChange[], options: ReviewOptions = {}): ReviewContext {
  const roles = natRoles(changes, options);
  const sections = options.sections ?? NO_SECTIONS;
  const amis = new Map<ResourceChange, NatAmiFacts | undefined>();
  const amiOf = (it: Item) => {
    if (!amis.has(it.rc)) amis.set(it.rc, natAmiOf(it.rc, sections, changes));
    return amis.get(it.rc);
  };
  const before = modelFromPlan(changes, roles, 'before');
  const after = modelFromPlan(changes, roles, 'after');
  const linked = linkKeys(roles, compareKeys);
  const keyOf = (rc: ResourceChange) => linked.get(azKeyOf(rc)) ?? azKeyOf(rc);
  for (const node of [...before.nats, ...after.nats, ...before.routes, ...after.routes])
    node.key = linked.get(node.key) ?? node.key;
  const cmp = compareModels(before, after);
  const bridge = bridgePlan(changes, options);
  const items = itemsOf(roles, keyOf);
  const itemByChange = new Map(items.map((i) => [i.rc, i]));
  const subnets = subnetIndex(changes);
  const azMoves = new Map<ResourceChange, AzMove>();
  for (const it of items) {
    const move = it.role === 'instance' || it.role === 'gateway' ? azMoveOf(it.rc, subnets) : undefined;
    if (move) azMoves.set(it.rc, move);
  }
  return {
    changes,
    options: {
      ...(options.patterns ? { patterns: options.patterns } : {}),
      ...(options.strategy ? { strategy: options.strategy } : {}),
    },
    sections,
    ami: options.ami ?? DEFAULT_AMI_CRITERIA,
    amiOf,
    items,
    before,
    after,
    cmp,
    subnets,
    azMoves,
    azByKey: zonesByKey(items, subnets),
    itemOf: (n) => (n.rc ? itemByChange.get(n.rc) : undefined),
    evidence: natEgressEvidence([before, after]),
    handoverTakers: [...new Set(cmp.handovers.map((h) => h.to))],
    crossHandovers: cmp.handovers.filter((h) => h.to !== h.from.rc?.address),
    bridge,
    bridged: plannedStrategy(bridge, options.strategy ?? 'auto') === 'bridge',
  };
}
