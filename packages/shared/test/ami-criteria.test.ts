/**
 * ami/criteria.ts: the `ami-name-pattern` and `required-tags` inputs are parsed once, the same way, by each action
 * that has them (cutover, build-nat-ami, plan-guard), with the same defaults, and read their action.yml defaults.
 */
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DEFAULT_AMI_CRITERIA, amiCriteriaInputs, imageProblems } from '@nat-egress/shared/ami';
import { cutoverInputs } from '@nat-egress/shared/cutover';
import { readBuildNatAmiInputs } from '@nat-egress/shared/imagebuilder';
import { REPO_ROOT } from './support/action-runner';

const reader = (values: Record<string, string>) => (name: string) => values[name] ?? '';
const dir = mkdtempSync(join(tmpdir(), 'ami-criteria-'));

function all(values: Record<string, string>) {
  const build = readBuildNatAmiInputs(reader(values), { AWS_REGION: 'us-east-1' });
  return {
    plan: amiCriteriaInputs(reader(values)),
    cutover: cutoverInputs(reader({ planfile: 'tfplan', ...values }), {}, dir).ami,
    build: { namePattern: build.amiNamePattern, requiredTags: build.requiredTags },
  };
}

describe('the AMI criteria inputs', () => {
  it('default to cabal-nat-al2023-* and Role=cabal-nat in every action, as each action.yml says', () => {
    const got = all({});
    expect(got.plan).toEqual(DEFAULT_AMI_CRITERIA);
    expect(got.cutover).toEqual(got.plan);
    expect(got.build).toEqual(got.plan);
    for (const action of ['plan-guard', 'cutover', 'build-nat-ami']) {
      const yml = parse(readFileSync(join(REPO_ROOT, 'actions', action, 'action.yml'), 'utf8'));
      expect([yml.inputs['ami-name-pattern'].default, yml.inputs['required-tags'].default]).toEqual([
        'cabal-nat-al2023-*',
        'Role=cabal-nat',
      ]);
    }
  });

  it('parse the same values the same way, a tag given twice counting once', () => {
    const got = all({ 'ami-name-pattern': 'nat-*', 'required-tags': 'Role=nat, Tested=yes\nRole=nat' });
    expect(got.plan).toEqual({
      namePattern: 'nat-*',
      requiredTags: [
        { key: 'Role', value: 'nat' },
        { key: 'Tested', value: 'yes' },
      ],
    });
    expect(got.cutover).toEqual(got.plan);
    expect(got.build).toEqual(got.plan);
  });

  it.each([
    [{ 'required-tags': 'Role' }, 'required-tags: "Role" is not Key=Value'],
    [{ 'required-tags': 'Role=a,Role=b' }, 'required-tags: Role is required to be both a and b'],
    [{ 'ami-name-pattern': 'x'.repeat(129) }, 'ami-name-pattern: longer than 128 characters (the AMI name limit)'],
  ])('refuse %j in one line, in every action', (values, message) => {
    expect(() => amiCriteriaInputs(reader(values))).toThrow(message);
    expect(() => cutoverInputs(reader({ planfile: 'tfplan', ...values }), {}, dir)).toThrow(message);
    expect(() => readBuildNatAmiInputs(reader(values), { AWS_REGION: 'us-east-1' })).toThrow(message);
  });

  it('imageProblems checks the image and quotes what may be shown', () => {
    const criteria = DEFAULT_AMI_CRITERIA;
    expect(
      imageProblems({ name: 'cabal-nat-al2023-1', state: 'available', tags: { Role: 'cabal-nat' } }, criteria),
    ).toEqual([]);
    expect(
      imageProblems({ name: 'x', state: 'failed', tags: { Role: 'secret' } }, criteria, {
        tags: { Role: '(sensitive)' },
      }),
    ).toEqual([
      'is failed',
      'has a name that does not match cabal-nat-al2023-*',
      'has tag Role=(sensitive), not Role=cabal-nat',
    ]);
  });
});
