/**
 * Per-resource NAT events: deposed objects deleted, NAT instances and interfaces replaced, deleted or updated,
 * NAT gateways replaced, deleted or updated. A deletion or replacement also claims the routes (and for instances
 * the associations) of the same AZ key that it explains.
 */
import { amiChanges, providerChurn, shownAmi, sourceDestCheckOn } from '../../nat/index';
import { replacePaths } from '../../plan/change';
import { configOf } from '../../plan/config';
import {
  amiVerdict,
  imageLabel,
  originText,
  testedCheckText,
  testedText,
  untestedAction,
  untestedText,
} from '../ami-text';
import { azMoveRelated, azMoveText, azMoveTitle } from '../az-move-text';
import type { ItemRule, Unclaimed } from '../claim';
import { tagsOnly, type ReviewContext } from '../context';
import {
  MAINTENANCE,
  NO_IMPACT,
  ROLLBACK,
  natLabel,
  raceText,
  tagsOnlyDraft,
  twoAppliesText,
  windowText,
} from '../text';
import type { Draft, Item } from '../types';

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

/** A deposed NAT instance or gateway (left by an unfinished create-before-destroy) that the plan deletes. */
export const deposedDeleted: ItemRule = {
  over: 'item',
  name: 'deposed-deleted',
  selects: (i) => (i.role === 'instance' || i.role === 'gateway') && !!i.rc.deposed,
  review: (it, ctx) => {
    const address = it.rc.address;
    const race =
      ` The replacement at ${address} reuses its allocation_id and is created before the deposed gateway is ` +
      `deleted (create_before_destroy), so it cannot get the address: ${raceText([address], ctx.changes, ctx.bridged)}`;
    return {
      severity: 'high',
      kind: `${it.role === 'gateway' ? 'nat-gateway' : 'nat-instance'}-deposed-deleted`,
      title: `Deposed ${natLabel(it)} deleted (left by an unfinished create-before-destroy)`,
      group: [it],
      why:
        `${address} has a deposed object (${it.rc.deposed}) left from an earlier create-before-destroy ` +
        'replacement that did not finish; this plan deletes it. Egress through it stops when it goes.' +
        (ctx.cmp.handovers.some((h) => h.from.rc === it.rc) ? race : ''),
      action: MAINTENANCE,
    };
  },
};

/**
 * A NAT instance replaced to launch another AMI: critical "untested AMI" when the image the plan's data source read
 * lacks what makes it tested, else high, saying whether it is tested and where the new image comes from.
 */
function amiAdopted(it: Item, ctx: ReviewContext, related: Item[], gap: string): Draft {
  const facts = ctx.amiOf(it);
  const verdict = amiVerdict(facts, ctx.ami);
  const [amiBefore, amiAfter] = [shownAmi(it.rc, 'before'), shownAmi(it.rc, 'after')];
  const ids = amiBefore && amiAfter ? ` (${amiBefore} → ${amiAfter})` : '';
  const origin = originText(it.rc, facts);
  const bySource = facts?.origin === 'data-source' && verdict.kind !== 'unknown' ? ' by its data source' : '';
  const move = ctx.azMoves.get(it.rc);
  const outage =
    (ctx.bridged
      ? 'cutover keeps the AZ on a serving NAT of another AZ until the new instance runs, has its EIP and passes ' +
        'the NAT checks.'
      : `egress in this AZ is down until the new instance runs and has its EIP${gap}.`) + azMoveText(move, ctx, it);
  const group = [it, ...related];
  const moved = { related: azMoveRelated(move) };
  if (verdict.kind === 'untested')
    return {
      severity: 'critical',
      kind: 'nat-ami-untested',
      title: `Untested NAT AMI: NAT instance replaced to launch ${imageLabel(verdict.image)}${azMoveTitle(move)}`,
      group,
      ...moved,
      why:
        `${it.rc.address} is replaced to launch ${untestedText(verdict.image, verdict.problems, ctx.ami)} ` +
        `${origin ? `${origin} ` : ''}An instance from it may forward without SNAT, and ${outage}`,
      action: untestedAction(verdict.image, ctx.ami),
    };
  const tested = verdict.kind === 'tested' ? ` ${testedText(verdict.image, ctx.ami)}` : '';
  return {
    severity: 'high',
    kind: 'nat-ami-adopted',
    title: `New NAT AMI adopted${bySource}: NAT instance replaced${ids}${azMoveTitle(move)}`,
    group,
    ...moved,
    why: `${it.rc.address} is replaced to launch from a new AMI; ${outage}${tested}${origin ? ` ${origin}` : ''}`,
    action: (verdict.kind === 'tested' ? '' : testedCheckText(ctx.ami)) + `${windowText(ctx)} ${ROLLBACK}`,
  };
}

function instanceReplaced(it: Item, ctx: ReviewContext, related: Item[]): Draft {
  const eni = it.rc.type === 'aws_network_interface';
  const paths = replacePaths(it.rc);
  const gap =
    it.rc.change.actions[0] === 'create'
      ? ' (create-before-destroy shortens the gap, but the EIP and route still move)'
      : '';
  if (!eni && amiChanges(it.rc)) return amiAdopted(it, ctx, related, gap);
  const move = ctx.azMoves.get(it.rc);
  return {
    severity: 'high',
    kind: eni ? 'nat-interface-replaced' : 'nat-instance-replaced',
    title: `${natLabel(it)} replaced${paths.length > 0 ? ` (forced by ${paths.join(', ')})` : ''}${azMoveTitle(move)}`,
    group: [it, ...related],
    related: azMoveRelated(move),
    why:
      `${it.rc.address} is destroyed and re-created; ` +
      (ctx.bridged
        ? 'cutover keeps the AZ on a serving NAT of another AZ until the replacement forwards and has its EIP.'
        : `egress in this AZ is down until the replacement forwards traffic and has its EIP${gap}.`) +
      azMoveText(move, ctx, it),
    action: `${windowText(ctx)} ${ROLLBACK}`,
  };
}

/** A NAT instance or interface deleted or replaced, with its key's associations and existing routes. */
export const instanceDeletedOrReplaced: ItemRule = {
  over: 'item',
  name: 'instance-deleted-or-replaced',
  selects: (i) => i.role === 'instance' && (i.kind === 'replace' || i.kind === 'delete'),
  review: (it, ctx, free: Unclaimed) => {
    const related = free.sameKey(it, (o) => o.role === 'association' || (o.role === 'route' && o.kind !== 'create'));
    if (it.kind !== 'delete') return instanceReplaced(it, ctx, related);
    return {
      severity: 'high',
      kind: it.rc.type === 'aws_network_interface' ? 'nat-interface-deleted' : 'nat-instance-deleted',
      title: `${natLabel(it)} deleted`,
      group: [it, ...related],
      why: `${it.rc.address} is destroyed: the private subnets routed through it lose egress.`,
      action: `${MAINTENANCE} ${ROLLBACK}`,
    };
  },
};

function instanceUpdate(it: Item): Draft {
  const stopping = it.changed.filter((a) => STOPPING_ATTRS.includes(a));
  const one = (severity: Draft['severity'], kind: string, title: string, why: string, action: string): Draft => ({
    severity,
    kind,
    title,
    group: [it],
    why,
    action,
  });
  const address = it.rc.address;
  if (it.changed.includes('source_dest_check') && sourceDestCheckOn(it.rc, 'after'))
    return one(
      'high',
      'nat-routing-disabled',
      `${natLabel(it)}: source/destination check turned on`,
      `${address} gets source_dest_check = true: EC2 then drops the traffic it forwards, so it stops being a NAT.`,
      'Keep source_dest_check = false on NAT instances and their interfaces.',
    );
  if (stopping.length > 0)
    return one(
      'high',
      'nat-instance-stopped',
      `${natLabel(it)} updated in a way that stops it (${stopping.join(', ')})`,
      `${address} must be stopped to change ${stopping.join(', ')}: egress in this AZ is down while it restarts.`,
      `${MAINTENANCE} ${ROLLBACK}`,
    );
  if (tagsOnly(it)) return tagsOnlyDraft(it, natLabel(it));
  return one(
    'medium',
    'nat-instance-changed',
    `${natLabel(it)} updated in place (${it.changed.join(', ') || 'attributes'})`,
    `${address} changes in place (${it.changed.join(', ')}); these changes do not require a stop, but they touch ` +
      'the NAT path.',
    'Review the attribute changes; run verify-egress after the apply.',
  );
}

/** A NAT instance or interface updated in place: routing turned off, a stopping change, tags, or other. */
export const instanceUpdated: ItemRule = {
  over: 'item',
  name: 'instance-updated',
  selects: (i) => i.role === 'instance' && i.kind === 'update',
  review: (it) => instanceUpdate(it),
};

function gatewayGone(it: Item, ctx: ReviewContext, free: Unclaimed): Draft {
  const replaced = it.kind === 'replace';
  const paths = replacePaths(it.rc);
  const fails = ctx.handoverTakers.includes(it.rc.address);
  const move = ctx.azMoves.get(it.rc);
  return {
    severity: 'high',
    kind: replaced ? 'nat-gateway-replaced' : 'nat-gateway-deleted',
    title:
      `NAT gateway ${replaced ? 'replaced' : 'deleted'}` +
      (replaced && paths.length ? ` (forced by ${paths.join(', ')})` : '') +
      azMoveTitle(move),
    group: [it, ...free.sameKey(it, (o) => o.role === 'route' && o.kind !== 'create')],
    related: azMoveRelated(move),
    why:
      `${it.rc.address} is ${replaced ? 'destroyed and re-created' : 'destroyed'}: ` +
      (ctx.bridged
        ? 'cutover keeps the AZ on a serving NAT of another AZ meanwhile.'
        : `the private subnets routed through it lose egress${
            replaced ? ' until the new gateway is available and the routes point at it' : ''
          }.`) +
      azMoveText(move, ctx, it) +
      (fails ? ` ${raceText([it.rc.address], ctx.changes, ctx.bridged)}` : ''),
    action:
      `${fails ? `Apply through the cutover action${twoAppliesText(ctx)}. ` : ''}${windowText(ctx)}` +
      (replaced ? '' : ' If this is a mode switch, the new NATs must be in the same plan.'),
  };
}

/** A NAT gateway deleted or replaced, with its key's existing routes. */
export const gatewayDeletedOrReplaced: ItemRule = {
  over: 'item',
  name: 'gateway-deleted-or-replaced',
  selects: (i) => i.role === 'gateway' && (i.kind === 'replace' || i.kind === 'delete'),
  review: (it, ctx, free) => gatewayGone(it, ctx, free),
};

/** An update made only of provider churn (nat/churn.ts): low, no change in EC2, never a mode switch. */
function churnDraft(it: Item, churn: string[]): Draft {
  return {
    severity: 'low',
    kind: 'nat-provider-churn',
    title: `${natLabel(it)}: provider-computed attributes only (${churn.join(', ')} known after apply)`,
    group: [it],
    why:
      `${it.rc.address} shows ${churn.join(', ')} as known after apply, but nothing in the configuration sets ` +
      'them: the hashicorp/aws provider computes them itself (attributes added in provider 6.24 for regional NAT ' +
      'gateways) and fills them in on the next apply. The gateway keeps its mode, subnet and addresses.',
    action: NO_IMPACT,
  };
}

/**
 * A NAT gateway updated in place (after regional-zone-changed has taken the regional address changes): provider
 * churn only, tags only, or a change to review; churn beside a real change is named as such.
 */
export const gatewayUpdated: ItemRule = {
  over: 'item',
  name: 'gateway-updated',
  selects: (i) => i.role === 'gateway' && i.kind === 'update',
  review: (it, ctx) => {
    const churn = providerChurn(it.rc, configOf(ctx.sections, it.rc));
    const changed = it.changed.filter((a) => !churn.includes(a));
    if (churn.length > 0 && changed.length === 0) return churnDraft(it, churn);
    if (tagsOnly({ ...it, changed })) return tagsOnlyDraft(it, 'NAT gateway');
    const alsoChurn = churn.length
      ? ` ${churn.join(', ')} ${churn.length === 1 ? 'is' : 'are'} only provider churn (computed by hashicorp/aws).`
      : '';
    return {
      severity: 'medium',
      kind: 'nat-gateway-changed',
      title: `NAT gateway updated in place (${changed.join(', ')})`,
      group: [it],
      why: `${it.rc.address} changes in place (${changed.join(', ')}).${alsoChurn}`,
      action: 'Review the change; run verify-egress after the apply.',
    };
  },
};
