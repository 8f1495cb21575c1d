import { describe, expect, it } from '@jest/globals';
import { imageBuilder, securityOrIam } from '../../src/review/rules/supporting';
import { cabal, change } from '../support/plans';
import { findingsOf, kinds } from '../support/review';

describe('rules/supporting: security groups, IAM and the AMI pipeline', () => {
  it('a NAT security group or IAM change is medium; tags only low', () => {
    const tagged = change('aws_iam_role.nat[0]', ['update'], { name: 'n', tags: {} }, { name: 'n', tags: { a: '1' } });
    const f = findingsOf([securityOrIam], [cabal.securityGroup(['create']), tagged]);
    expect(kinds(f)).toEqual(['medium:nat-security-changed', 'low:nat-tags-changed']);
    expect(f[0]?.title).toBe('NAT security group created');
    expect(f[0]?.why).toContain('a wrong rule silently blocks forwarded traffic');
    expect(f[1]?.title).toBe('NAT IAM: tags only');
  });

  it('a component whose content changes without a version bump fails the apply; with one, a rebuild is due', () => {
    const same = findingsOf(
      [imageBuilder],
      [cabal.component({ version: '1.0.3', data: 'a' }, { version: '1.0.3', data: 'b' })],
    );
    expect(kinds(same)).toEqual(['medium:imagebuilder-version-not-bumped']);
    expect(same[0]?.title).toBe('Image Builder component content changed without a version bump');
    const bumped = findingsOf(
      [imageBuilder],
      [cabal.component({ version: '1.0.3', data: 'a' }, { version: '1.0.4', data: 'b' })],
    );
    expect(kinds(bumped)).toEqual(['medium:imagebuilder-content-changed']);
    expect(bumped[0]?.why).toContain('(version 1.0.3 → 1.0.4)');
  });

  it('the pipeline deleted is medium; other Image Builder changes low', () => {
    const f = findingsOf(
      [imageBuilder],
      [
        cabal.pipeline(['delete'], { name: 'cabal-nat-al2023' }, {}),
        cabal.pipeline(
          ['update'],
          { name: 'cabal-nat-al2023', schedule: 'a' },
          { name: 'cabal-nat-al2023', schedule: 'b' },
        ),
      ],
    );
    expect(kinds(f)).toEqual(['medium:imagebuilder-pipeline-deleted', 'low:imagebuilder-config-changed']);
    expect(f[1]?.title).toBe('Image Builder image pipeline updated');
  });
});
