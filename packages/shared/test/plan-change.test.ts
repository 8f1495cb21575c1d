import { describe, expect, it } from '@jest/globals';
import { changedAttributes, replacePaths } from '@nat-egress/shared/plan';
import { change } from './support/plans';

describe('plan/change.ts: which attributes change, which force the replacement', () => {
  it('changed attributes: differing values, absent on one side, or unknown until apply; sorted names', () => {
    const rc = change(
      'aws_instance.x',
      ['update'],
      { b: 1, a: { k: [1, 2] }, same: { x: 1, y: 2 }, gone: 'v' },
      { b: 2, a: { k: [1, 2] }, same: { y: 2, x: 1 }, added: null, id: null },
      { after_unknown: { id: true, nested: { deep: [false, true] } } },
    );
    expect(changedAttributes(rc)).toEqual(['b', 'gone', 'id', 'nested']);
  });

  it('replace paths: the top-level attribute of each path, in plan order; none when absent or malformed', () => {
    const rc = change('aws_instance.x', ['delete', 'create'], {}, {}, { replace_paths: [['ami'], ['ebs', 0, 'size']] });
    expect(replacePaths(rc)).toEqual(['ami', 'ebs']);
    expect(replacePaths(change('aws_instance.x', ['update'], {}, {}))).toEqual([]);
    const odd = change('aws_instance.x', ['delete', 'create'], {}, {}, { replace_paths: ['ami' as never, ['id']] });
    expect(replacePaths(odd)).toEqual(['id']);
  });
});
