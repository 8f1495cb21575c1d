/**
 * Bookkeeping that changes no infrastructure: a NAT change moved to a new address (moved block), imported, or
 * removed from state (removed block). Runs first, so these changes are never worded as infrastructure changes.
 */
import type { ItemRule } from '../claim';
import { NO_IMPACT, natLabel } from '../text';
import type { Draft, Item } from '../types';

function forgotten(it: Item): Draft {
  return {
    severity: 'low',
    kind: 'nat-forgotten',
    title: `${natLabel(it)} removed from terraform state (removed block)`,
    group: [it],
    why:
      `${it.rc.address} leaves terraform state but is not destroyed: it keeps serving egress, ` +
      'and terraform no longer manages it.',
    action: 'No egress impact expected. Manage or delete it outside this configuration from now on.',
  };
}

function imported(it: Item): Draft {
  return {
    severity: 'low',
    kind: 'nat-imported',
    title: `NAT resource imported (${it.rc.address})`,
    group: [it],
    why: `${it.rc.address} is imported into terraform state; the infrastructure does not change.`,
    action: NO_IMPACT,
  };
}

function moved(it: Item): Draft {
  return {
    severity: 'low',
    kind: 'nat-moved',
    title: `NAT resource moved to ${it.rc.address}`,
    group: [it],
    why:
      `${it.rc.address} is the same object under a new address (moved block): ` +
      'nothing is destroyed or re-created, so egress is not interrupted.',
    action: NO_IMPACT,
  };
}

/** no-op (moved or imported) and forget changes. */
export const bookkeeping: ItemRule = {
  over: 'item',
  name: 'bookkeeping',
  selects: (i) => i.kind === 'no-op' || i.kind === 'forget',
  review: (it) => (it.kind === 'forget' ? forgotten(it) : it.rc.change.importing ? imported(it) : moved(it)),
};
