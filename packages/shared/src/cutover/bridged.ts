/**
 * The bridged switch: the reviewed plan applied one AZ at a time while that AZ's private default route points at a
 * serving NAT of another AZ, so no AZ loses egress or leaves the allow-listed Elastic IPs. Per AZ, in key order:
 *
 *   bridge  every route at the AZ's NATs (its own first) moved with EC2 ReplaceRoute to a serving NAT of another
 *           AZ, recorded in the journal before, confirmed with EC2 after (switch.ts)
 *   NAT     a targeted plan of the AZ's NAT path (+ the supporting resources the first step creates), checked as
 *           the re-plan is (every change reviewed, inside the step), applied through the apply loop: the race
 *           watch, the fast restore and the instance → gateway race included (steps.ts, apply-loop.ts)
 *   route   a targeted plan of the AZ's route (its gateway and instance targeted by index; the last AZ also carries
 *           the supporting deletes), whose new target must pass verify-egress's NAT checks (health.ts) before the
 *           route moves home — by that apply, or, when the plan deletes supporting resources and other AZs still
 *           run on them, by EC2 ReplaceRoute to the NAT terraform created (the next plan shows it no-op)
 *
 * then a full plan that must be empty (what is left, outside the NAT path and reviewed, is applied first). The
 * bridge watch (bridge-watch.ts) runs throughout: a target that stops serving is replaced within one poll. On any
 * failure every AZ is left on a serving NAT and the summary says where each route points and what to run next.
 */
import { EGRESS_DOWN } from './advice';
import { rescue, rescueAll, BridgeWatch, WATCH_INTERVAL_MS } from './bridge-watch';
import { bridgeStatusLines } from './bridge-report';
import { capacityWarnings } from './capacity';
import { routeApplies, worstGap } from './gaps';
import { waitHealthy } from './health';
import type { Reviewed } from './preflight';
import type { CutoverResult, CutoverRun } from './run';
import { applyStep, checkStep, targetArgs, targetedPlan } from './steps';
import type { BridgeDecision } from './strategy';
import { routeAt, routeTargetOf, Switch, type AzState } from './switch';
import { natRouteOf, type BridgeAz, type BridgePlan } from '../nat/index';
import { describeError } from '../runtime/index';

/** What every step of one bridged switch shares. */
export interface Bridged {
  run: CutoverRun;
  reviewed: Reviewed;
  plan: BridgePlan;
  sw: Switch;
  /** Addresses some step planned (the union of the steps, against the reviewed plan). */
  seen: Set<string>;
}

/** The advice a failed bridged step leads with (the AZ keeps egress on its bridge). */
const BRIDGED_DOWN =
  'Every AZ is on a serving NAT (see the bridged switch table); re-run the job (plan, review, apply) to finish.';

/** Step 1: every route at the AZ's own NATs moved to a serving NAT of another AZ (the AZ's own route first). */
async function bridge(b: Bridged, az: BridgeAz): Promise<boolean> {
  const { run, sw } = b;
  const st = sw.state(az.key);
  const started = run.clock.now();
  sw.avoid.clear();
  for (const id of st.own) sw.avoid.add(id);
  return sw.exclusive(async () => {
    await sw.read();
    const atOwn = (s: AzState) => routeAt(s.record, st.own);
    const onBridge = st.record.serving && !atOwn(st);
    if (onBridge) {
      st.record.state = 'bridged';
      run.info(`AZ ${az.key}: ${st.record.routeTableId} is already on ${st.record.targetNat} (serving): kept`);
    }
    for (const s of [st, ...sw.azs.filter((x) => x !== st)]) {
      if (s === st ? onBridge : !atOwn(s)) continue;
      const to = sw.candidates(s.az.key, { avoid: sw.avoid })[0];
      if (!to) {
        run.step('bridge', started, 'no target', { detail: `AZ ${s.az.key}` });
        run.fail(
          `AZ ${az.key}: no NAT of another AZ serves from one of the Elastic IPs: nothing of AZ ${az.key} applied`,
          [BRIDGED_DOWN],
        );
        return false;
      }
      const from = s.record.target;
      const ok = await sw.moveRoute(s.az.key, to, 'bridge');
      if (!ok && !(await rescue(sw, s, `${to.nat.ref} did not serve once the route was on it`))) {
        run.fail(`AZ ${s.az.key}: the bridge to ${to.nat.ref} was not confirmed by EC2`, [BRIDGED_DOWN]);
        return false;
      }
      s.record.state = 'bridged';
      const onto = `${to.nat.ref}${to.az ? ` (AZ ${to.az})` : ''}`;
      const detail = `AZ ${s.az.key}: ${s.record.routeTableId} ${from ?? ''} → ${onto}`;
      run.step('bridge', started, 'active', { detail });
      run.info(`Bridged ${detail}: active and serving (EC2).`);
    }
    return true;
  });
}

/** Step 2: the AZ's NAT path (targeted plan, checked, applied with the race handling). */
async function natStep(b: Bridged, az: BridgeAz, first: boolean, last: boolean): Promise<boolean> {
  const { run, plan, sw } = b;
  if (az.natPath.length === 0) return true;
  const label = `AZ ${az.key} NAT`;
  const targets = [...az.natPath, ...(first ? plan.supportingFirst : [])];
  const step = await targetedPlan(run, label, targetArgs(targets, az.replace), BRIDGED_DOWN);
  if (!step) return false;
  const scope = new Set([...az.natPath, ...plan.supportingFirst, ...plan.supportingLast]);
  if (!checkStep(run, b.reviewed, step, label, scope, BRIDGED_DOWN)) return false;
  for (const r of step.plan.refs) b.seen.add(r.address);
  if (step.plan.refs.length === 0) {
    run.info(`${label}: nothing left to apply.`);
    return true;
  }
  const hooksBefore = run.hooks.length;
  const ok = await applyStep(run, b.reviewed, label, step);
  const hooks = run.hooks.slice(hooksBefore);
  for (const h of hooks)
    if (h.type === 'apply_complete' && h.resourceType === 'aws_instance' && h.idValue) sw.instanceIds.add(h.idValue);
  if (!last)
    for (const h of hooks.filter((x) => x.type === 'apply_complete' && plan.supportingLast.includes(x.address)))
      run.warn(`${label}: terraform applied ${h.action} ${h.address}, which the last AZ's route step should carry`);
  return ok;
}

/** Moves the AZ's route home by EC2 (the NAT terraform created), recorded and confirmed. */
async function routeByEc2(b: Bridged, az: BridgeAz, target: string): Promise<boolean> {
  const { run, sw } = b;
  const st = sw.state(az.key);
  const started = run.clock.now();
  return sw.exclusive(async () => {
    await sw.read();
    const nat = sw.view.nats.find((n) => n.ids.includes(target));
    if (!nat) {
      run.fail(`AZ ${az.key}: EC2 does not show ${target}, the route's new target`, [BRIDGED_DOWN]);
      return false;
    }
    if (!(await sw.moveRoute(az.key, { nat, target: routeTargetOf(nat) }, 'unbridge'))) {
      await rescue(sw, st, `${nat.ref} did not serve once the route was on it`);
      run.fail(`AZ ${az.key}: the route's move to ${nat.ref} was not confirmed by EC2`, [BRIDGED_DOWN]);
      return false;
    }
    st.record.state = 'home';
    run.step('route', started, 'active', { detail: `AZ ${az.key}: ${st.record.routeTableId} → ${nat.ref} (EC2)` });
    return true;
  });
}

/** Step 3: the AZ's route, once its new NAT passes verify-egress's checks. */
async function routeStep(b: Bridged, az: BridgeAz, last: boolean): Promise<boolean> {
  const { run, plan, sw } = b;
  const st = sw.state(az.key);
  const label = `AZ ${az.key} route`;
  const carries = plan.routeByEc2 && last ? plan.supportingLast : [];
  const step = await targetedPlan(run, label, targetArgs([az.route, ...az.natAddresses, ...carries]), BRIDGED_DOWN);
  if (!step) return false;
  const scope = new Set([az.route, ...az.natPath, ...plan.supportingLast]);
  if (!checkStep(run, b.reviewed, step, label, scope, BRIDGED_DOWN)) return false;
  const rc = step.plan.natChanges.find((c) => c.address === az.route && !c.deposed);
  const target = rc ? natRouteOf(rc, 'after')?.targets[0]?.id : undefined;
  if (!target) {
    run.fail(`AZ ${az.key}: the route's new target is known only after apply (its NAT was not created)`, [
      BRIDGED_DOWN,
    ]);
    return false;
  }
  st.own.add(target);
  if (!(await waitHealthy(run, sw, az, target))) return false;
  if (plan.routeByEc2 && !last) {
    b.seen.add(az.route);
    return routeByEc2(b, az, target);
  }
  for (const r of step.plan.refs) b.seen.add(r.address);
  if (!step.plan.refs.some((r) => r.address === az.route)) return routeByEc2(b, az, target);
  sw.frozen.add(st.record.routeTableId);
  const hooksBefore = run.hooks.length;
  try {
    if (!(await applyStep(run, b.reviewed, label, step))) return false;
  } finally {
    sw.frozen.delete(st.record.routeTableId);
    // terraform's own move of the route home drops connections as ReplaceRoute does: egress-gaps counts it
    st.routeChanges += routeApplies(run.hooks.slice(hooksBefore), az.route);
  }
  const ok = await sw.exclusive(() => sw.confirm(st.record.routeTableId, target));
  if (ok) st.record.state = 'home';
  else run.warn(`AZ ${az.key}: EC2 does not show ${st.record.routeTableId} active at ${target} yet`);
  return true;
}

/** The full plan after the last AZ: empty, or only reviewed changes outside the NAT path (applied, then empty). */
async function finalPlan(b: Bridged): Promise<boolean> {
  const { run, plan } = b;
  const natPath = new Set(plan.allAzs.flatMap((a) => [a.route, ...a.natPath]));
  for (let round = 1; round <= 2; round++) {
    const step = await targetedPlan(run, 'final', [], BRIDGED_DOWN);
    if (!step) return false;
    const scope = new Set(b.reviewed.plan.refs.map((r) => r.address).filter((a) => !natPath.has(a)));
    if (!checkStep(run, b.reviewed, step, 'final', scope, BRIDGED_DOWN)) return false;
    if (step.plan.refs.length === 0) {
      run.info('The final plan has no changes: the reviewed plan is fully applied.');
      const missing = b.reviewed.plan.refs.map((r) => r.address).filter((a) => !b.seen.has(a));
      if (missing.length > 0)
        run.info(`Reviewed changes no step planned (found done on refresh): ${missing.join(', ')}`);
      return true;
    }
    if (round === 2) {
      run.fail(`the final plan still has ${step.plan.refs.length} change(s) after applying the rest`, [BRIDGED_DOWN]);
      return false;
    }
    for (const r of step.plan.refs) b.seen.add(r.address);
    if (!(await applyStep(run, b.reviewed, 'rest', step))) return false;
  }
  return false;
}

/** One AZ: bridge, NAT step, route step. */
async function switchAz(b: Bridged, az: BridgeAz, first: boolean, last: boolean): Promise<boolean> {
  if (b.run.cancelled) {
    b.run.fail(`cancelled before AZ ${az.key}`, [BRIDGED_DOWN], { cancelled: true });
    return false;
  }
  b.run.info(`AZ ${az.key}: bridge, NAT step, route step.`);
  return (await bridge(b, az)) && (await natStep(b, az, first, last)) && (await routeStep(b, az, last));
}

/** The result: per-AZ routes and gaps, and on failure every AZ on a serving NAT and the advice that says so. */
async function finish(b: Bridged, ok: boolean): Promise<CutoverResult> {
  const { run, sw } = b;
  const r = run.result;
  if (!ok) {
    try {
      await sw.exclusive(async () => {
        await sw.read();
        // No step runs any more: the NATs the failed step would have removed may carry a route again if they serve.
        sw.avoid.clear();
        const down = sw.azs.filter((st) => !st.record.serving);
        await rescueAll(sw, down, () => 'not serving when the switch stopped');
      });
    } catch (err) {
      run.warn(`could not check every AZ's route after the failure: ${String(err)}`);
    }
  }
  r.bridges = sw.azs.map((s) => s.record);
  r.egressGaps = sw.gaps();
  const worst = worstGap(r.egressGaps);
  if (worst !== undefined) r.egressGapSeconds = worst;
  if (sw.records) r.journal = sw.records;
  if (ok) {
    run.succeed(r.retriedBecause ? 'converged' : 'applied');
    return r;
  }
  r.nextSteps = [...bridgeStatusLines(r), ...r.nextSteps.filter((s) => s !== EGRESS_DOWN && s !== BRIDGED_DOWN)];
  return r;
}

/** Runs the bridged switch (see the file comment). */
export async function bridgedSwitch(run: CutoverRun, reviewed: Reviewed, d: BridgeDecision): Promise<CutoverResult> {
  const sw = new Switch(run, d.plan, d.vpcId, d.view);
  const b: Bridged = { run, reviewed, plan: d.plan, sw, seen: new Set() };
  for (const w of await capacityWarnings(run, sw)) {
    run.warn(w);
    run.result.warnings.push(w);
  }
  const watch = new BridgeWatch(sw, run.options.watchIntervalMs ?? WATCH_INTERVAL_MS);
  let ok = true;
  watch.start();
  try {
    for (const [i, az] of d.plan.azs.entries()) {
      ok = await switchAz(b, az, i === 0, i === d.plan.azs.length - 1);
      if (!ok) break;
    }
    if (ok) ok = await finalPlan(b);
  } catch (err) {
    // A journal that cannot record, EC2 refusing a route change, a read that times out: stop, every AZ serving.
    ok = false;
    run.fail(`the bridged switch stopped: ${describeError(err)}`, [BRIDGED_DOWN], { cancelled: run.cancelled });
  } finally {
    await watch.stop();
  }
  return finish(b, ok);
}
