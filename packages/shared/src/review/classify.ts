/**
 * Classifies a plan's changes for NAT egress risk. The NAT topology of the plan's before and after side and their
 * comparison come from nat/ (review/context.ts); the rules of review/rules/ (in the priority order of
 * rules/index.ts) turn them into findings, each claiming the changes it explains (review/claim.ts). Every value
 * shown comes from plan/values.ts `shownValue` (sensitive-aware), mostly through nat/facts.ts.
 */
import { plannedStrategy, strategyLine } from '../nat/index';
import type { ResourceChange } from '../plan/types';
import { claimPass } from './claim';
import { reviewContext, type ReviewContext } from './context';
import { findingOf } from './finding';
import { RULES } from './rules/index';
import { natText } from './text';
import { compareKeys, severityRank, type Analysis, type Finding, type ReviewOptions, type Severity } from './types';

export {
  SEVERITIES,
  compareKeys,
  severityRank,
  type Analysis,
  type Finding,
  type ModeSwitch,
  type ReviewOptions,
  type Severity,
} from './types';

/** Highest severity first; within a severity, by first AZ key (stable: rule order otherwise). */
function byRisk(a: Finding, b: Finding): number {
  return severityRank(b.severity) - severityRank(a.severity) || compareKeys(a.keys[0] ?? '', b.keys[0] ?? '');
}

function analysisOf(ctx: ReviewContext, findings: Finding[]): Analysis {
  const { cmp, items } = ctx;
  const affected = [
    ...new Set(findings.filter((f) => severityRank(f.severity) >= severityRank('high')).flatMap((f) => f.keys)),
  ].sort(compareKeys);
  return {
    risk: findings.reduce<Severity>(
      (max, f) => (severityRank(f.severity) > severityRank(max) ? f.severity : max),
      'none',
    ),
    findings,
    modeSwitch: cmp.modeSwitch,
    expectedApplies: cmp.handovers.length > 0 ? 2 : 1,
    expectedFailures: ctx.handoverTakers,
    azChanges: cmp.perKey
      .map((e) => ({ key: e.key, before: e.before.map(natText), after: e.after.map(natText) }))
      .sort((a, b) => compareKeys(a.key, b.key)),
    affected,
    natChanges: items.length,
    strategy: plannedStrategy(ctx.bridge, ctx.options.strategy ?? 'auto'),
    strategyLine: strategyLine(ctx.bridge, ctx.options.strategy ?? 'auto', undefined, affected),
    natInstancesCreated: items
      .filter(
        (i) => i.rc.type === 'aws_instance' && i.role === 'instance' && (i.kind === 'create' || i.kind === 'replace'),
      )
      .map((i) => i.rc.address),
  };
}

/**
 * The NAT egress analysis of one plan's resource changes (`terraform show -json` resource_changes; other changes
 * are ignored). `options.patterns` overrides the address globs per NAT role (nat/roles.ts); `options.sections` are
 * the plan's prior_state and configuration (the AMI a NAT launches), `options.ami` what makes that AMI tested.
 */
export function classifyChanges(changes: readonly ResourceChange[], options: ReviewOptions = {}): Analysis {
  const ctx = reviewContext(changes, options);
  const findings = claimPass(RULES, ctx).map((d) => findingOf(d, ctx.azByKey));
  return analysisOf(ctx, findings.sort(byRisk));
}
