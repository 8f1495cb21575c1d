/**
 * The advice lines several cutover phases give, in one place so they read the same wherever a run ends.
 */
import type { WatchTask } from './watch';

export const EGRESS_DOWN =
  'Egress is down in the affected AZs (their routes point at NAT instances without their public IP) until the ' +
  'Elastic IPs are associated.';

/** The preflight refused or failed: nothing was applied. */
export const NOTHING_APPLIED = 'Nothing was applied; egress is as it was.';

/** Cancelled before the first apply. */
export const RERUN_WHEN_READY = 'Nothing was applied; egress is as it was. Re-run the job when ready.';

/** What to tell the operator about associations cutover made that terraform's state does not have yet. */
export function importAdvice(tasks: readonly WatchTask[]): string[] {
  return tasks
    .filter(
      (t) =>
        t.associate?.outcome === 'associated' &&
        t.associate.associationId &&
        t.error.resourceType === 'aws_eip_association',
    )
    .map(
      (t) =>
        `cutover associated ${t.associate?.allocationId} with ${t.associate?.targetId} ` +
        `(${t.associate?.associationId}); bring it into state before planning: ` +
        `terraform import ${t.error.address} ${t.associate?.associationId}`,
    );
}
