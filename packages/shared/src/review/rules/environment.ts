/**
 * Whole-environment events, from the comparison of the plan's before and after NAT topologies (nat/compare.ts):
 * a NAT mode switch, an Elastic IP handed over from a deleting NAT gateway inside one apply, a quiesce (NAT and
 * private default routes destroyed) and its reverse. At most one of them applies to a plan (environmentEvent),
 * and its finding claims the NATs, routes and supporting changes that make up the event.
 */
import { modeOf, type NatMode } from '../../nat/index';
import type { PlanRule, Unclaimed } from '../claim';
import type { ReviewContext } from '../context';
import { amiVerdict, launchedImageSentence, testedAmiText } from '../ami-text';
import { MAINTENANCE, MODE_TEXT, ROLLBACK, raceText, twoAppliesText, windowText } from '../text';
import { launchedByCreate } from './images';
import type { Draft } from '../types';

export type EnvironmentEvent = 'mode-switch' | 'eip-handover' | 'quiesce' | 'nat-restored';

/** Which whole-environment event the plan is, if any (in this order of precedence). */
export function environmentEvent(ctx: ReviewContext): EnvironmentEvent | undefined {
  const { cmp } = ctx;
  if (cmp.modeSwitch !== 'none') return 'mode-switch';
  if (ctx.crossHandovers.length > 0) return 'eip-handover';
  if (cmp.removed.some((n) => modeOf(n.kind)) && cmp.removedRoutes.length > 0 && cmp.added.length === 0)
    return 'quiesce';
  if (cmp.added.some((n) => modeOf(n.kind)) && cmp.addedRoutes.length > 0 && cmp.removed.length === 0)
    return 'nat-restored';
  return undefined;
}

function modeSwitchText(ctx: ReviewContext, from: NatMode, to: NatMode): { why: string; action: string } {
  const toText = to === 'instance' ? 'NAT instances' : to === 'gateway' ? 'NAT gateways' : 'a regional NAT gateway';
  if (ctx.handoverTakers.length === 0)
    return {
      why: ctx.bridged
        ? `The old NATs are deleted and ${toText} are created, one AZ at a time behind a bridge: no AZ loses ` +
          'egress. Terraform may create a gateway while the association it replaces is still being deleted ' +
          '(Resource.AlreadyAssociated); cutover confirms it with EC2, waits and applies again.'
        : `The old NATs are deleted and ${toText} are created; egress in the affected AZs is down for a few ` +
          'minutes per AZ while the addresses and routes move. One apply, unless a gateway meets its Elastic IP ' +
          'still on the association being deleted (Resource.AlreadyAssociated): cutover then applies again.',
      action: windowText(ctx),
    };
  const image = launchedImageSentence(
    launchedByCreate(ctx)
      .filter((it) => it.rc.type === 'aws_instance')
      .map((it) => amiVerdict(ctx.amiOf(it), ctx.ami)),
    ctx.ami,
    '',
  );
  const ami = image ? '' : ` ${testedAmiText(ctx.ami)} must exist first (build-nat-ami).`;
  return {
    why:
      `The NAT ${from === 'instance' ? 'instances are' : 'gateways are'} deleted and ${toText} take over the ` +
      `same Elastic IPs ${ctx.bridged ? "in each AZ's NAT step" : 'in the same apply'}. ` +
      `${raceText(ctx.handoverTakers, ctx.changes, ctx.bridged)} ` +
      (ctx.bridged
        ? 'Cutover does it one AZ at a time behind a bridge, so no AZ loses egress meanwhile.'
        : 'Egress in the affected AZs is down from the route repoint until each new NAT has its address.') +
      (to === 'instance' ? image : ''),
    action: ctx.bridged
      ? `${windowText(ctx)}${to === 'instance' ? ami : ''} ${ROLLBACK}`
      : 'Apply through the cutover action (it waits until the gateways release the EIPs, associates them at once ' +
        `and converges to this plan), in a maintenance window.${to === 'instance' ? ami : ''} ${ROLLBACK}`,
  };
}

function modeSwitchDraft(ctx: ReviewContext, free: Unclaimed): Draft {
  const [from, to] = ctx.cmp.modeSwitch.split('-to-') as [NatMode, NatMode];
  const group = [
    ...free.ofNats([...ctx.cmp.removed, ...ctx.cmp.added]),
    ...free.items((i) => ['association', 'asg', 'security', 'iam'].includes(i.role) && i.kind !== 'update'),
    ...free.items((i) => i.role === 'route' || (i.role === 'eip' && i.kind === 'update')),
  ];
  const race = ctx.handoverTakers.length > 0;
  return {
    severity: 'high',
    kind: 'mode-switch',
    title: `NAT mode switch: ${MODE_TEXT[from]} → ${MODE_TEXT[to]}${race ? twoAppliesText(ctx) : ''}`,
    group,
    ...modeSwitchText(ctx, from, to),
  };
}

function handoverDraft(ctx: ReviewContext, free: Unclaimed): Draft {
  // A gateway replaced onto its own address is worded with the gateway (nat-resources.ts); this is one resource
  // taking another's.
  const cross = ctx.crossHandovers;
  const takers = [...new Set(cross.map((h) => h.to))];
  return {
    severity: 'high',
    kind: 'eip-handover',
    title: `Elastic IP taken from a deleting NAT gateway in the same apply${twoAppliesText(ctx)}`,
    group: [...free.ofNats(cross.map((h) => h.from)), ...free.items((i) => takers.includes(i.rc.address))],
    why:
      `${cross.map((h) => h.from.ref).join(', ')} still hold the Elastic IPs that ${takers.join(', ')} take. ` +
      raceText(takers, ctx.changes, ctx.bridged),
    action: ctx.bridged
      ? windowText(ctx)
      : 'Apply through the cutover action (it waits for the release, associates the address at once and ' +
        `converges to this plan), in a maintenance window. ${MAINTENANCE}`,
  };
}

function quiesceDraft(ctx: ReviewContext, free: Unclaimed): Draft {
  const eipsKept = !ctx.items.some((i) => i.role === 'eip' && (i.kind === 'delete' || i.kind === 'replace'));
  const gateways = ctx.cmp.removed.some((n) => n.kind.endsWith('gateway'));
  return {
    severity: 'high',
    kind: 'quiesce',
    title: `Quiesce: NAT and private default routes destroyed${eipsKept ? ', Elastic IPs kept' : ''}`,
    group: [
      ...free.ofNats(ctx.cmp.removed),
      ...free.items((i) => (i.role === 'route' || i.role === 'association' || i.role === 'asg') && i.kind === 'delete'),
    ],
    why:
      `The NAT ${gateways ? 'gateways' : 'instances'} and the private subnets' 0.0.0.0/0 routes are destroyed: ` +
      'every private workload in the affected AZs loses internet and AWS API egress until NAT is restored.' +
      (eipsKept ? ' The Elastic IPs are kept, so SPF and allow-lists survive.' : ''),
    action:
      'Intended only for non-production cost saving (quiesced=true). Restore egress with quiesced=false and apply.',
  };
}

function restoredDraft(ctx: ReviewContext, free: Unclaimed): Draft {
  return {
    severity: 'low',
    kind: 'nat-restored',
    title: 'NAT and private default routes created (capacity only added)',
    group: [
      ...free.ofNats(ctx.cmp.added),
      ...free.items((i) => (i.role === 'route' || i.role === 'association' || i.role === 'asg') && i.kind === 'create'),
    ],
    why:
      'NAT and the private 0.0.0.0/0 routes are created where none existed (un-quiesce, a new environment or ' +
      'a new AZ): egress comes up, nothing existing is interrupted.',
    action: 'Run verify-egress after the apply.',
  };
}

const DRAFTS: Record<EnvironmentEvent, (ctx: ReviewContext, free: Unclaimed) => Draft> = {
  'mode-switch': modeSwitchDraft,
  'eip-handover': handoverDraft,
  quiesce: quiesceDraft,
  'nat-restored': restoredDraft,
};

/** The plan's whole-environment event, when it has one (see environmentEvent). */
export const environment: PlanRule = {
  over: 'plan',
  name: 'environment',
  review: (ctx, free) => {
    const event = environmentEvent(ctx);
    return event ? [DRAFTS[event](ctx, free)] : [];
  },
};
