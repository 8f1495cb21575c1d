/**
 * Which strategy runs, decided before anything is applied. From the plan (nat/bridge.ts bridgePlan: two or more
 * AZs, no regional gateway, aws_route default routes, a NAT taken away and one back in every AZ it changes) and
 * from EC2 (nat/read.ts readServing: every AZ's route table and default route, and a NAT of another AZ that serves
 * now — running / available with one of the plan's Elastic IPs — for the first AZ to bridge to). `strategy: auto`
 * bridges when both allow it and runs in place otherwise; `bridge` refuses when either does not, naming why;
 * `in-place` never bridges. The choice and the outage to expect are said before anything else happens.
 */
import { bridgePlan, expectedOutage, servingView, type BridgePlan, type ServingView } from '../nat/index';
import { readServing } from '../nat/read';
import { describeError } from '../runtime/index';
import { NOTHING_APPLIED } from './advice';
import { within } from './bounded';
import type { Reviewed } from './preflight';
import type { CutoverRun } from './run';
import { routeAt, Switch } from './switch';

export interface BridgeDecision {
  strategy: 'bridge';
  plan: BridgePlan;
  vpcId: string;
  view: ServingView;
}

export type Decision = BridgeDecision | { strategy: 'in-place' };

const READ_MS = 60_000;

/**
 * Runs in place: says so, with why and the outage to expect. `live`: the reason is one only EC2 showed now (EC2
 * unreadable, a route table or its default route missing, no serving bridge target), which plan-guard could not know
 * at review (its report said bridge): said as a warning annotation and kept in the result's warnings (the summary's
 * warnings), not only as an info line. Plan-based reasons (one AZ, a regional gateway…) the review already said.
 */
function inPlace(run: CutoverRun, plan: BridgePlan, why: string, live = false): Decision {
  const r = run.result;
  r.strategy = 'in-place';
  r.strategyReason = why;
  r.expectedOutage = expectedOutage(plan, 'in-place');
  const line = `Strategy: in-place (${why}). Expected outage: ${r.expectedOutage}.`;
  if (!live) {
    run.info(line);
    return { strategy: 'in-place' };
  }
  const warning =
    `strategy: auto runs in place, not bridged as plan-guard's review expected: ${why}. Outage now expected: ` +
    `${r.expectedOutage}.`;
  run.warn(warning);
  r.warnings.push(warning);
  return { strategy: 'in-place' };
}

/** strategy: bridge and bridging cannot apply: refuse before anything is changed. */
function refuse(run: CutoverRun, started: number, why: string): undefined {
  run.step('strategy', started, 'refused', { detail: why });
  run.fail(`strategy: bridge cannot apply: ${why}; refusing to apply`, [
    NOTHING_APPLIED,
    'Set strategy: auto (or in-place) to apply it in place with the outage plan-guard names, or fix what ' +
      'prevents bridging, then re-run the job.',
  ]);
  return undefined;
}

/** What one read of EC2 gave: the view, or why there is none (`planBased` when the plan says it). */
interface LiveRead {
  why?: string;
  view?: ServingView;
  planBased?: boolean;
}

/** One bounded read of the plan's route tables, NAT instances and Elastic IPs (readServing). */
async function readView(run: CutoverRun, plan: BridgePlan): Promise<LiveRead> {
  const missing = plan.allAzs.find((a) => !a.routeTableId);
  if (missing) return { why: `the route table of AZ ${missing.key} is known only after apply`, planBased: true };
  try {
    const d = await within(
      (signal) =>
        readServing(run.deps.ec2(), {
          routeTableIds: plan.allAzs.map((a) => a.routeTableId as string),
          instanceIds: plan.allAzs.flatMap((a) => a.beforeInstanceIds),
          allocationIds: plan.eipAllocationIds,
          signal,
        }),
      {
        clock: run.clock,
        deadline: run.clock.now() + Math.min(READ_MS, run.options.releaseTimeoutMs),
        ...(run.deps.signal ? { signal: run.deps.signal } : {}),
        what: 'EC2 reads of the route tables and NATs',
      },
    );
    return { view: servingView(d) };
  } catch (err) {
    return { why: `EC2 could not be read (${describeError(err)}); bridging needs ec2:DescribeRouteTables and more` };
  }
}

/** The reason bridging cannot apply now, or undefined (with the view), from `read` (made here when not given). */
async function liveCheck(run: CutoverRun, plan: BridgePlan, read?: LiveRead): Promise<LiveRead> {
  const got = read ?? (await readView(run, plan));
  const view = got.view;
  if (!view) return got;
  for (const a of plan.azs) {
    const route = view.routes.get(a.routeTableId as string);
    if (!route) return { why: `route table ${a.routeTableId} (AZ ${a.key}) was not found`, view };
    if (route.kind === 'none')
      return { why: `route table ${a.routeTableId} (AZ ${a.key}) has no 0.0.0.0/0 route`, view };
  }
  return { view };
}

/** The first AZ's bridge target exists now (a serving NAT of another AZ with one of the plan's Elastic IPs). */
function firstTarget(run: CutoverRun, plan: BridgePlan, vpcId: string, view: ServingView): string | undefined {
  const first = plan.azs[0];
  if (!first) return 'the plan changes no AZ';
  const sw = new Switch(run, plan, vpcId, view);
  if (sw.candidates(first.key).length > 0) return undefined;
  const others = sw.azs
    .filter((s) => s.az.key !== first.key)
    .map((s) => `AZ ${s.az.key} → ${s.record.target ?? 'no route'}${s.record.serving ? '' : ' (not serving)'}`);
  return `no healthy bridge target: no NAT of another AZ serves from one of the Elastic IPs now (${others.join('; ')})`;
}

/**
 * The AZs whose private default route EC2 shows at a NAT of another AZ (none of the AZ's own before-side NATs):
 * bridges an interrupted bridged switch left (the journal's open `bridge` entries say the same; EC2 wins), with
 * the read (reused by the decision). No AZ when the plan has fewer than two AZs or EC2 cannot be read (the decision
 * says why).
 */
async function bridgedNow(run: CutoverRun, plan: BridgePlan): Promise<{ keys: string[]; read?: LiveRead }> {
  if (plan.allAzs.length < 2) return { keys: [] };
  const read = await readView(run, plan);
  if (!read.view) return { keys: [], read };
  const sw = new Switch(run, plan, read.view.vpcId ?? '', read.view);
  const keys = sw.azs
    .filter(
      (s) =>
        !!s.record.target &&
        !routeAt(s.record, s.own) &&
        sw.view.nats.some((n) => n.ids.includes(s.record.target ?? '')),
    )
    .map((s) => s.az.key);
  return { keys, read };
}

/**
 * Decides and says the strategy; undefined when the run ended (strategy: bridge refused, or cancelled).
 * `notNow`: a reason bridging cannot apply whatever the plan and EC2 say ('' = none), e.g. an orphan import's
 * re-plan (only what is left of the reviewed plan: run in place) — unless an AZ is on a bridge an interrupted
 * bridged switch left: in place would delete the NAT it is bridged to (or move its route before its new NAT is
 * healthy), so what is left is bridged too, as it is when the plan takes no NAT away (the AZ's NAT already gone).
 */
export async function decideStrategy(
  run: CutoverRun,
  reviewed: Reviewed,
  notNowReason = '',
): Promise<Decision | undefined> {
  let notNow = notNowReason;
  const started = run.clock.now();
  const wanted = run.options.strategy ?? 'auto';
  let plan = bridgePlan(reviewed.plan.natChanges);
  if (wanted === 'in-place') return inPlace(run, plan, 'strategy: in-place');
  const now = notNow || (!plan.applies && !plan.takesNatAway) ? await bridgedNow(run, plan) : { keys: [] };
  const onBridge = now.keys;
  if (onBridge.length > 0) {
    plan = bridgePlan(reviewed.plan.natChanges, { onBridge: new Set(onBridge) });
    run.info(
      `AZ ${onBridge.join(', AZ ')} ${onBridge.length > 1 ? 'are' : 'is'} on a bridge an earlier run left (EC2)` +
        `${notNow ? ` (and ${notNow})` : ''}: the rest is bridged too, AZ by AZ, so no route loses its NAT.`,
    );
    notNow = '';
  }
  if (notNow)
    return wanted === 'bridge' ? refuse(run, started, notNow) : inPlace(run, plan, `bridging cannot apply: ${notNow}`);
  if (!plan.applies)
    return wanted === 'bridge'
      ? refuse(run, started, plan.reason as string)
      : inPlace(run, plan, `bridging cannot apply: ${plan.reason}`);
  // The plan's AZs and addresses do not depend on onBridge: a read bridgedNow made serves here too.
  const live = await liveCheck(run, plan, onBridge.length > 0 ? now.read : undefined);
  if (run.cancelled) {
    run.fail('cancelled before anything was applied', [NOTHING_APPLIED], { cancelled: true });
    return undefined;
  }
  const vpcId = live.view?.vpcId ?? '';
  const why = live.why ?? (live.view ? firstTarget(run, plan, vpcId, live.view) : undefined);
  if (why || !live.view) {
    if (wanted === 'bridge') return refuse(run, started, why ?? 'EC2 showed no route table');
    // Known only after apply is the plan's own (the review said it); everything else EC2 showed now.
    return inPlace(run, plan, `bridging cannot apply: ${why ?? 'EC2 showed no route table'}`, !live.planBased);
  }
  const r = run.result;
  r.strategy = 'bridge';
  r.strategyReason = `${wanted === 'bridge' ? 'strategy: bridge' : 'strategy: auto'}: ${plan.azKeys.length} AZs`;
  r.expectedOutage = expectedOutage(plan, 'bridge');
  run.step('strategy', started, 'bridge', { detail: `AZs ${plan.azs.map((a) => a.key).join(', ')} one at a time` });
  run.info(
    `Strategy: bridge — AZ ${plan.azs.map((a) => a.key).join(', AZ ')} one at a time. Expected outage: ` +
      `${r.expectedOutage}.`,
  );
  return { strategy: 'bridge', plan, vpcId, view: live.view };
}
