import { describe, expect, it } from '@jest/globals';
import { classifyChanges } from '@nat-egress/shared/review';
import { claimPass, type ItemRule, type PlanRule, type Rule } from '../../src/review/claim';
import { reviewContext } from '../../src/review/context';
import { findingOf } from '../../src/review/finding';
import { RULES } from '../../src/review/rules/index';
import type { Draft, Item } from '../../src/review/types';
import { cabal, change, scenarios } from '../support/plans';

const draft = (kind: string, group: Item[]): Draft => ({
  severity: 'low',
  kind,
  title: kind,
  group,
  why: 'why',
  action: 'do',
});
const itemRule = (name: string, selects: ItemRule['selects'], review?: ItemRule['review']): ItemRule => ({
  over: 'item',
  name,
  selects,
  review: review ?? ((it) => draft(name, [it])),
});

describe('claim pass (review/claim.ts)', () => {
  const plan = scenarios.gatewayToInstance(2);

  it('hands each rule only the items no earlier finding claimed', () => {
    const ctx = reviewContext(plan);
    const seen: string[] = [];
    const rules: Rule[] = [
      itemRule('routes', (i) => i.role === 'route'),
      itemRule(
        'everything',
        () => true,
        (it) => (seen.push(it.rc.address), undefined),
      ),
    ];
    const drafts = claimPass(rules, ctx);
    expect(drafts.map((d) => d.kind)).toEqual(['routes', 'routes']);
    expect(seen).toHaveLength(ctx.items.length - 2);
    expect(seen.some((a) => a.includes('aws_route.'))).toBe(false);
  });

  it('an item no rule claims makes no finding, and stays free for later rules', () => {
    const ctx = reviewContext(plan);
    const rules: Rule[] = [
      itemRule(
        'skips',
        (i) => i.role === 'gateway',
        () => undefined,
      ),
      itemRule('gateways', (i) => i.role === 'gateway'),
    ];
    expect(claimPass(rules, ctx).map((d) => d.group[0]?.rc.address)).toEqual([
      'module.vpc.aws_nat_gateway.nat[0]',
      'module.vpc.aws_nat_gateway.nat[1]',
    ]);
  });

  it('a draft claims its whole group at once; the rule still gets the items it selected when its turn came', () => {
    const eni = change('module.vpc.aws_network_interface.nat[0]', ['create'], null, { source_dest_check: false });
    const ctx = reviewContext([cabal.instance(0, ['create']), eni, cabal.association(0, ['create'])]); // key 0
    const related: string[][] = [];
    const rule = itemRule(
      'nat-with-key',
      (i) => i.role === 'instance',
      (it, _ctx, free) => {
        const same = free.sameKey(it, () => true);
        related.push([it.rc.address, ...same.map((o) => o.rc.address)]);
        return draft('nat', [it, ...same]);
      },
    );
    const planRule: PlanRule = {
      over: 'plan',
      name: 'rest',
      review: (_c, free) => [
        draft(
          'rest',
          free.items(() => true),
        ),
      ],
    };
    const drafts = claimPass([rule, planRule], ctx);
    expect(related).toEqual([
      [
        'module.vpc.aws_instance.nat[0]',
        'module.vpc.aws_network_interface.nat[0]',
        'module.vpc.aws_eip_association.nat[0]',
      ],
      ['module.vpc.aws_network_interface.nat[0]'],
    ]);
    expect(drafts.map((d) => d.kind)).toEqual(['nat', 'nat', 'rest']);
    expect(drafts[2]?.group).toEqual([]);
  });

  it('the rule table runs bookkeeping first, the environment events before the per-resource rules, capacity late', () => {
    const names = RULES.map((r) => r.name);
    expect(names[0]).toBe('bookkeeping');
    expect(names.indexOf('environment')).toBeLessThan(names.indexOf('instance-deleted-or-replaced'));
    expect(names.indexOf('gateway-deleted-or-replaced')).toBeLessThan(names.indexOf('route-changed'));
    expect(names.indexOf('regional-zone-changed')).toBeLessThan(names.indexOf('gateway-updated'));
    expect(names.indexOf('route-changed')).toBeLessThan(names.indexOf('nat-added'));
    expect(new Set(names).size).toBe(names.length);
  });

  it('a mode switch claims the routes and associations, so they are not worded again', () => {
    const a = classifyChanges(plan);
    expect(a.findings.map((f) => f.kind)).toEqual(['mode-switch']);
    expect(a.findings[0]?.addresses).toContain('module.vpc.aws_route.private[0]');
  });
});

describe('findings from drafts (review/finding.ts)', () => {
  it('keys in key order, the AZs they show, addresses once, terraform reason and moved note appended', () => {
    const moved = { ...cabal.instance(1, ['update']), previous_address: 'module.vpc.aws_instance.old[1]' };
    const tainted = { ...cabal.instance(0, ['delete', 'create']), action_reason: 'replace_because_tainted' };
    const ctx = reviewContext([moved, tainted]);
    const [a, b] = ctx.items as [Item, Item];
    expect(findingOf(draft('k', [a, b, a]), ctx.azByKey).addresses).toEqual([
      'module.vpc.aws_instance.nat[1]',
      'module.vpc.aws_instance.nat[0]',
    ]);
    const f = findingOf(draft('k', [a, b]), ctx.azByKey);
    expect(f.keys).toEqual(['0', '1']);
    expect(f.azs).toEqual(['us-east-1a', 'us-east-1b']);
    expect(f.why).toBe(
      "why Terraform's reason: the object is tainted (an earlier apply did not finish creating it). " +
        'Moved (moved block): module.vpc.aws_instance.nat[1] was module.vpc.aws_instance.old[1].',
    );
  });

  it('replace_because_cannot_update adds no reason (replace_paths says it)', () => {
    const rc = change('aws_nat_gateway.x', ['delete', 'create'], { id: 'nat-1' }, { id: null });
    expect(rc.action_reason).toBe('replace_because_cannot_update');
    const ctx = reviewContext([rc]);
    expect(findingOf(draft('k', ctx.items), ctx.azByKey).why).toBe('why');
  });
});
