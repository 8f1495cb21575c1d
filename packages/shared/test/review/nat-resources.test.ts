import { describe, expect, it } from '@jest/globals';
import {
  deposedDeleted,
  gatewayDeletedOrReplaced,
  gatewayUpdated,
  instanceDeletedOrReplaced,
  instanceUpdated,
} from '../../src/review/rules/nat-resources';
import { cabal, change, scenarios } from '../support/plans';
import { findingsOf, kinds } from '../support/review';

type Obj = Record<string, unknown>;

/** A NAT instance (Cabalmail) updated: `after` overrides on the before side's attributes. */
function instanceUpdate(after: Obj) {
  const rc = cabal.instance(0, ['update']);
  rc.change.after = { ...(rc.change.before as Obj), ...after };
  return rc;
}

describe('rules/nat-resources: NAT instances, interfaces and gateways', () => {
  it('a deposed gateway deleted is high and names the deposed key', () => {
    const rc = { ...cabal.gateway(0, ['delete']), deposed: 'a1b2c3d4' };
    const f = findingsOf([deposedDeleted], [rc]);
    expect(kinds(f)).toEqual(['high:nat-gateway-deposed-deleted']);
    expect(f[0]?.title).toBe('Deposed NAT gateway deleted (left by an unfinished create-before-destroy)');
    expect(f[0]?.why).toContain('has a deposed object (a1b2c3d4)');
  });

  it('an instance deleted claims its association and route', () => {
    const f = findingsOf([instanceDeletedOrReplaced], scenarios.quiesceDownInstance(1));
    expect(kinds(f)).toEqual(['high:nat-instance-deleted']);
    expect(f[0]?.addresses).toEqual([
      'module.vpc.aws_instance.nat[0]',
      'module.vpc.aws_eip_association.nat[0]',
      'module.vpc.aws_route.private[0]',
    ]);
  });

  it('a replacement for a new AMI says so, with both AMIs; another replacement names what forces it', () => {
    const ami = findingsOf([instanceDeletedOrReplaced], scenarios.amiAdoption(1));
    expect(ami[0]?.title).toBe(
      'New NAT AMI adopted: NAT instance replaced (ami-0aaa1111bbbb22223 → ami-0ccc3333dddd44445)',
    );
    const eni = change(
      'aws_network_interface.nat[0]',
      ['delete', 'create'],
      { id: 'eni-1', source_dest_check: false, subnet_id: 'subnet-a' },
      { id: null, source_dest_check: false, subnet_id: 'subnet-b' },
      { replace_paths: [['subnet_id']] },
    );
    const f = findingsOf([instanceDeletedOrReplaced], [eni]);
    expect(kinds(f)).toEqual(['high:nat-interface-replaced']);
    expect(f[0]?.title).toBe('NAT network interface replaced (forced by subnet_id)');
  });

  it('instance updates: routing off, a stopping change, tags only, anything else', () => {
    const f = findingsOf(
      [instanceUpdated],
      [
        instanceUpdate({ source_dest_check: true }),
        instanceUpdate({ instance_type: 't3.small' }),
        instanceUpdate({ tags: { Name: 'x' }, tags_all: { Name: 'x' } }),
        instanceUpdate({ monitoring: true }),
      ],
    );
    expect(kinds(f)).toEqual([
      'high:nat-routing-disabled',
      'high:nat-instance-stopped',
      'low:nat-tags-changed',
      'medium:nat-instance-changed',
    ]);
    expect(f[1]?.title).toBe('NAT instance updated in a way that stops it (instance_type)');
    expect(f[2]?.title).toBe('NAT instance: tags only');
    expect(f[3]?.title).toBe('NAT instance updated in place (monitoring)');
  });

  it('a gateway deleted claims its route and warns about mode switches', () => {
    const f = findingsOf([gatewayDeletedOrReplaced], scenarios.quiesceDownGateway(1));
    expect(kinds(f)).toEqual(['high:nat-gateway-deleted']);
    expect(f[0]?.addresses).toEqual(['module.vpc.aws_nat_gateway.nat[0]', 'module.vpc.aws_route.private[0]']);
    expect(f[0]?.action).toContain('If this is a mode switch, the new NATs must be in the same plan.');
  });

  it('a gateway replaced onto its own Elastic IP expects the first apply to fail there', () => {
    const rc = change(
      'aws_nat_gateway.main',
      ['delete', 'create'],
      { id: 'nat-1', allocation_id: 'eipalloc-1', subnet_id: 'subnet-a' },
      { id: null, allocation_id: 'eipalloc-1', subnet_id: 'subnet-b' },
      { replace_paths: [['subnet_id']] },
    );
    const f = findingsOf([gatewayDeletedOrReplaced], [rc]);
    expect(f[0]?.title).toBe('NAT gateway replaced (forced by subnet_id)');
    expect(f[0]?.why).toContain('The first apply is expected to fail at aws_nat_gateway.main');
    expect(f[0]?.action).toMatch(/^Apply through the cutover action \(expect two applies\)\. /);
  });

  it('gateway updates: tags only is low, anything else medium', () => {
    const gw = (after: Obj) => {
      const rc = cabal.gateway(0, ['update']);
      rc.change.after = { ...(rc.change.before as Obj), ...after };
      rc.change.after_unknown = {};
      return rc;
    };
    const f = findingsOf(
      [gatewayUpdated],
      [gw({ tags: { a: '1' } }), gw({ secondary_allocation_ids: ['eipalloc-2'] })],
    );
    expect(kinds(f)).toEqual(['low:nat-tags-changed', 'medium:nat-gateway-changed']);
    expect(f[1]?.title).toBe('NAT gateway updated in place (secondary_allocation_ids)');
  });
});
