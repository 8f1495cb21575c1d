/**
 * The claim pass: which finding explains which change. Rules run in the priority order of the rule table
 * (review/rules/index.ts). An item rule is handed, one by one, the items it selects that no earlier finding has
 * claimed (the selection is taken when the rule's turn comes); a plan rule looks at the whole plan once. Every
 * draft a rule returns claims its `group`, at once: a later item of the same rule, and every later rule, no longer
 * sees those items. An item no rule claims makes no finding.
 */
import type { ReviewContext } from './context';
import type { Draft, Item } from './types';
import type { NatNode } from '../nat/index';

/** The items no finding has claimed yet, as the rules may ask for them. */
export interface Unclaimed {
  /** The unclaimed items that match, in plan order. */
  items(pred: (it: Item) => boolean): Item[];
  /** The unclaimed items of `it`'s AZ key, other than `it`, that match. */
  sameKey(it: Item, pred: (o: Item) => boolean): Item[];
  /** The unclaimed items the NAT nodes were read from, in the nodes' order. */
  ofNats(nodes: readonly NatNode[]): Item[];
}

/** A rule about one change at a time. */
export interface ItemRule {
  over: 'item';
  name: string;
  /** Which unclaimed items the rule is handed. */
  selects(it: Item, ctx: ReviewContext): boolean;
  /** The finding for the item (its group claims the item and whatever else it explains), or undefined: none. */
  review(it: Item, ctx: ReviewContext, free: Unclaimed): Draft | undefined;
}

/** A rule about the plan as a whole (the NAT comparison, every NAT of a side). */
export interface PlanRule {
  over: 'plan';
  name: string;
  review(ctx: ReviewContext, free: Unclaimed): Draft[];
}

export type Rule = ItemRule | PlanRule;

function unclaimedView(ctx: ReviewContext, claimed: ReadonlySet<Item>): Unclaimed {
  const items = (pred: (it: Item) => boolean) => ctx.items.filter((it) => !claimed.has(it) && pred(it));
  return {
    items,
    sameKey: (it, pred) => items((o) => o.key === it.key && o !== it && pred(o)),
    ofNats: (nodes) => nodes.map(ctx.itemOf).filter((i): i is Item => !!i && !claimed.has(i)),
  };
}

/** Runs the rules in order over the context; returns the drafts in the order they were made. */
export function claimPass(rules: readonly Rule[], ctx: ReviewContext): Draft[] {
  const claimed = new Set<Item>();
  const free = unclaimedView(ctx, claimed);
  const drafts: Draft[] = [];
  const take = (draft: Draft | undefined) => {
    if (!draft) return;
    for (const it of draft.group) claimed.add(it);
    drafts.push(draft);
  };
  for (const rule of rules) {
    if (rule.over === 'plan') rule.review(ctx, free).forEach(take);
    else for (const it of free.items((i) => rule.selects(i, ctx))) take(rule.review(it, ctx, free));
  }
  return drafts;
}
