import { describe, expect, it } from '@jest/globals';
import { changedAttributes, knownAfterValues, replacePaths } from '@nat-egress/shared/plan';
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

  it('known after values: every top-level after attribute with nothing unknown inside, as canonical JSON', () => {
    const rc = change(
      'aws_eip_association.x',
      ['create'],
      null,
      { allocation_id: 'eipalloc-1', tags: { b: 2, a: 1 }, id: null, nested: { k: 'v' }, gone: null },
      { after_unknown: { id: true, nested: { k: true }, tags: { a: false } } },
    );
    expect(knownAfterValues(rc)).toEqual({ allocation_id: '"eipalloc-1"', tags: '{"a":1,"b":2}', gone: 'null' });
    expect(knownAfterValues(change('aws_eip_association.x', ['delete'], { id: 'eipassoc-1' }, null))).toBeUndefined();
  });

  it('replace paths: the top-level attribute of each path, in plan order; none when absent or malformed', () => {
    const rc = change('aws_instance.x', ['delete', 'create'], {}, {}, { replace_paths: [['ami'], ['ebs', 0, 'size']] });
    expect(replacePaths(rc)).toEqual(['ami', 'ebs']);
    expect(replacePaths(change('aws_instance.x', ['update'], {}, {}))).toEqual([]);
    const odd = change('aws_instance.x', ['delete', 'create'], {}, {}, { replace_paths: ['ami' as never, ['id']] });
    expect(replacePaths(odd)).toEqual(['id']);
  });
});
