import { describe, expect, it } from '@jest/globals';
import { classifyChanges } from '@nat-egress/shared/review';
import { eipDeletedOrReplaced } from '../../src/review/rules/addresses';
import { cabal, change } from '../support/plans';
import { findingsOf, kinds } from '../support/review';

const other = (actions: string[]) =>
  change(
    'aws_eip.bastion',
    actions,
    { id: 'eipalloc-0b', allocation_id: 'eipalloc-0b', public_ip: '192.0.2.7' },
    actions.length === 1 ? null : { id: null, allocation_id: null, public_ip: null },
  );

describe('rules/addresses: Elastic IPs deleted or replaced', () => {
  it('a NAT-named EIP deleted is critical and names its IP', () => {
    const f = findingsOf([eipDeletedOrReplaced], [cabal.eip(1, ['delete'])]);
    expect(kinds(f)).toEqual(['critical:eip-deleted']);
    expect(f[0]?.title).toBe('NAT Elastic IP deleted (203.0.113.11)');
    expect(f[0]?.why).toContain('the outbound IP 203.0.113.11 is released for good');
    expect(f[0]?.action).toContain('prevent_destroy');
  });

  it('replaced says destroyed and re-created', () => {
    const f = findingsOf([eipDeletedOrReplaced], [cabal.eip(0, ['delete', 'create'])]);
    expect(kinds(f)).toEqual(['critical:eip-replaced']);
    expect(f[0]?.why).toContain('is destroyed and re-created');
  });

  it('an EIP nothing shows to be NAT egress is medium', () => {
    const f = findingsOf([eipDeletedOrReplaced], [other(['delete'])]);
    expect(kinds(f)).toEqual(['medium:other-eip-deleted']);
    expect(f[0]?.title).toBe('Elastic IP deleted (192.0.2.7), not shown to be NAT egress');
    expect(f[0]?.action).toContain('nat-address-patterns (eip=…)');
  });

  it('an EIP a NAT gateway of the plan holds, or one the operator names, is NAT egress', () => {
    const gateway = change('aws_nat_gateway.main', ['no-op'], { id: 'nat-9', allocation_id: 'eipalloc-0b' }, null);
    const held = classifyChanges([
      other(['delete']),
      { ...gateway, change: { ...gateway.change, after: gateway.change.before } },
    ]);
    expect(kinds(held.findings)).toEqual(['critical:eip-deleted']);
    const named = findingsOf([eipDeletedOrReplaced], [other(['delete'])], { patterns: { eip: ['aws_eip.bastion'] } });
    expect(kinds(named)).toEqual(['critical:eip-deleted']);
  });

  it('shows a sensitive public IP as (sensitive)', () => {
    const eip = { ...cabal.eip(1, ['delete']) };
    eip.change = { ...eip.change, before_sensitive: { public_ip: true } };
    expect(findingsOf([eipDeletedOrReplaced], [eip])[0]?.title).toBe('NAT Elastic IP deleted ((sensitive))');
  });
});
