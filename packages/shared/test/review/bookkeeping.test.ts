import { describe, expect, it } from '@jest/globals';
import { classifyChanges } from '@nat-egress/shared/review';
import { bookkeeping } from '../../src/review/rules/bookkeeping';
import { cabal } from '../support/plans';
import { findingsOf, kinds } from '../support/review';

const moved = { ...cabal.gateway(0, ['no-op']), previous_address: 'module.vpc.aws_nat_gateway.old[0]' };
const forgotten = cabal.gateway(1, ['forget']);
const imported = { ...cabal.instance(2, ['no-op']), change: { ...cabal.instance(2, ['no-op']).change, importing: {} } };

describe('rules/bookkeeping: moved, imported, removed from state', () => {
  it('words each as low, with no egress impact', () => {
    const f = findingsOf([bookkeeping], [moved, forgotten, imported]);
    expect(kinds(f)).toEqual(['low:nat-moved', 'low:nat-forgotten', 'low:nat-imported']);
    expect(f[0]?.title).toBe('NAT resource moved to module.vpc.aws_nat_gateway.nat[0]');
    expect(f[0]?.why).toContain('same object under a new address (moved block)');
    expect(f[0]?.why).toContain(
      'Moved (moved block): module.vpc.aws_nat_gateway.nat[0] was module.vpc.aws_nat_gateway.old[0].',
    );
    expect(f[1]?.title).toBe('NAT gateway removed from terraform state (removed block)');
    expect(f[1]?.action).toContain('Manage or delete it outside this configuration');
    expect(f[2]?.title).toBe('NAT resource imported (module.vpc.aws_instance.nat[2])');
    expect(f[2]?.action).toBe('No egress impact expected.');
  });

  it('a plain no-op is not reviewed at all', () => {
    expect(findingsOf([bookkeeping], [cabal.gateway(0, ['no-op'])])).toEqual([]);
    expect(classifyChanges([cabal.gateway(0, ['no-op'])]).natChanges).toBe(0);
  });

  it('runs first: a moved gateway is not also worded as a gateway change', () => {
    const a = classifyChanges([moved, forgotten]);
    expect(kinds(a.findings)).toEqual(['low:nat-moved', 'low:nat-forgotten']);
    expect(a.risk).toBe('low');
  });
});
