/** Running plan-guard's rules (review/rules) one at a time or in a table, for the per-section tests. */
import type { ReviewOptions } from '../../src/review/types';
import type { ResourceChange } from '@nat-egress/shared/plan';
import type { Finding } from '@nat-egress/shared/review';
import { claimPass, type Rule } from '../../src/review/claim';
import { reviewContext } from '../../src/review/context';
import { findingOf } from '../../src/review/finding';

/** The findings the rules make on the changes, in the order they make them (not sorted by risk). */
export function findingsOf(
  rules: readonly Rule[],
  changes: readonly ResourceChange[],
  options: ReviewOptions = {},
): Finding[] {
  const ctx = reviewContext(changes, options);
  return claimPass(rules, ctx).map((d) => findingOf(d, ctx.azByKey));
}

/** "severity:kind" per finding. */
export const kinds = (findings: readonly Finding[]) => findings.map((f) => `${f.severity}:${f.kind}`);
