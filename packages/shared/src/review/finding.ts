/** From a rule's draft to the finding plan-guard reports: its keys, AZs, and terraform's own notes on the changes. */
import { compareKeys, type Draft, type Finding } from './types';

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

/** " Terraform's reason: …." and " Moved (moved block): …." for the group's changes, or ''. */
function terraformNotes(group: Draft['group']): string {
  const reasons = [...new Set(group.map((g) => REASONS[g.rc.action_reason ?? '']).filter(Boolean))];
  const moved = group
    .filter((g) => g.rc.previous_address && g.rc.previous_address !== g.rc.address)
    .map((g) => `${g.rc.address} was ${g.rc.previous_address}`);
  return [
    reasons.length ? ` Terraform's reason: ${reasons.join('; ')}.` : '',
    moved.length ? ` Moved (moved block): ${moved.join(', ')}.` : '',
  ].join('');
}

/**
 * The finding of a draft: the group's addresses (plan order, once each), AZ keys (key order), the AZs those keys
 * show (`azByKey`), and terraform's action_reason and moved-from address appended to `why`.
 */
export function findingOf(draft: Draft, azByKey: ReadonlyMap<string, string>): Finding {
  const { severity, kind, title, group, why, action, related } = draft;
  const keys = [...new Set(group.map((g) => g.key))].sort(compareKeys);
  return {
    severity,
    kind,
    title,
    addresses: [...new Set([...group.map((g) => g.rc.address), ...(related ?? [])])],
    keys,
    azs: [...new Set(keys.map((k) => azByKey.get(k)).filter((a): a is string => !!a))],
    why: `${why}${terraformNotes(group)}`,
    action,
  };
}
