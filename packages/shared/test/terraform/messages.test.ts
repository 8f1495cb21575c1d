/**
 * The `-json` UI message readers (terraform/messages.ts) and the line renderers (terraform/render.ts) on their own;
 * the stream that joins them is tested in stream.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import {
  messageTime,
  readChangeSummary,
  readDiagnostic,
  readHook,
  readOutputs,
  readPlannedChange,
  stringLeaves,
  uiLevel,
  type UiMessage,
} from '../../src/terraform/messages';
import {
  renderChangeBlock,
  renderChangeSummary,
  renderDiagnostic,
  renderHook,
  renderOutputs,
} from '../../src/terraform/render';

const M = 'module.vpc';

describe('messages: what a message says', () => {
  it('a hook: address, type from the resource or the address, elapsed, id and id_key', () => {
    const m = {
      type: 'apply_complete' as const,
      '@message': `${M}.aws_instance.nat[0]: Creation complete after 13s`,
      hook: {
        resource: { addr: `${M}.aws_instance.nat[0]`, resource_type: 'aws_instance' },
        action: 'create',
        elapsed_seconds: 13,
        id_key: 'id',
        id_value: 'i-0abc',
      },
    };
    expect(readHook(m, 5, true)).toEqual({
      event: {
        type: 'apply_complete',
        address: `${M}.aws_instance.nat[0]`,
        resourceType: 'aws_instance',
        action: 'create',
        at: 5,
        stamped: true,
        elapsedSeconds: 13,
        idValue: 'i-0abc',
      },
      idKey: 'id',
    });
    const bare = readHook({ type: 'apply_start', '@message': `${M}.aws_route.private[1]: Modifying...` }, 7, false);
    expect(bare.event).toEqual({
      type: 'apply_start',
      address: `${M}.aws_route.private[1]`,
      resourceType: 'aws_route',
      action: '?',
      at: 7,
      stamped: false,
    });
    expect(bare.idKey).toBeUndefined();
  });

  it('a diagnostic: severity from @level when absent, summary from @message, file:line', () => {
    const m: UiMessage = {
      type: 'diagnostic',
      '@level': 'error',
      '@message': 'Error: creating EC2 EIP Association: AuthFailure',
      diagnostic: {
        detail: 'more',
        address: `${M}.aws_eip_association.nat[0]`,
        range: { filename: 'nat.tf', start: { line: 88 } },
      },
    };
    expect(readDiagnostic(m, 9)).toEqual({
      severity: 'error',
      summary: 'creating EC2 EIP Association: AuthFailure',
      detail: 'more',
      address: `${M}.aws_eip_association.nat[0]`,
      where: 'nat.tf:88',
      at: 9,
    });
    expect(readDiagnostic({ type: 'diagnostic', '@level': 'warn' }, 1).severity).toBe('warning');
  });

  it('planned changes, summaries, outputs, levels, timestamps', () => {
    expect(
      readPlannedChange({ type: 'planned_change', '@message': 'a.b: Plan to create', change: { action: 'create' } }),
    ).toEqual({
      address: 'a.b',
      action: 'create',
    });
    expect(readChangeSummary({ type: 'change_summary', changes: { operation: 'apply', add: 2, remove: 1 } })).toEqual({
      operation: 'apply',
      add: 2,
      change: 0,
      remove: 1,
      import: 0,
    });
    expect(
      readOutputs({
        type: 'outputs',
        outputs: { z: { value: 1 }, a: { sensitive: true, value: 'pw' }, m: { action: 'create' } },
      }),
    ).toEqual([
      { name: 'a', sensitive: true, hasValue: true, value: 'pw' },
      { name: 'm', sensitive: false, hasValue: false, action: 'create' },
      { name: 'z', sensitive: false, hasValue: true, value: 1 },
    ]);
    expect(stringLeaves({ a: ['x', 2, true], b: { c: 'y' } })).toEqual(['x', '2', 'true', 'y']);
    expect(['ERROR', 'warn', 'trace', 'info', undefined].map(uiLevel)).toEqual([
      'error',
      'warning',
      'debug',
      'info',
      'info',
    ]);
    expect(messageTime({ type: 'x', '@timestamp': '2023-02-16T16:13:14.725+01:00' })).toBe(
      Date.parse('2023-02-16T15:13:14.725Z'),
    );
    expect(messageTime({ type: 'x', '@timestamp': 'yesterday' })).toBeUndefined();
  });
});

describe('render: the lines', () => {
  const event = {
    address: 'a.b',
    resourceType: 'aws_instance',
    action: 'create',
    at: 0,
    stamped: true,
    elapsedSeconds: 3,
    idValue: 'i-1',
  };
  it('hooks in terraform words, with the prefix and id', () => {
    expect(renderHook({ ...event, type: 'apply_start' }, '[    1s]', 'id').text).toBe(
      '[    1s] a.b: creating... [id=i-1]',
    );
    expect(renderHook({ ...event, type: 'apply_progress' }, '[    1s]', undefined).text).toBe(
      '[    1s] a.b: still creating (3s elapsed)',
    );
    expect(renderHook({ ...event, type: 'apply_complete', action: 'delete' }, 'p', 'arn').text).toBe(
      'p a.b: destroyed after 3s [arn=i-1]',
    );
    expect(renderHook({ ...event, type: 'apply_errored' }, 'p', 'id')).toEqual({
      level: 'error',
      text: 'p a.b: FAILED to create after 3s',
    });
  });

  it('change blocks, summaries, outputs and diagnostics', () => {
    expect(
      renderChangeBlock('drift', [{ address: 'x', action: 'update', reason: 'replace_because_tainted' }]).map(
        (l) => l.text,
      ),
    ).toEqual(['Changed outside Terraform (1): 1 to update', '  ~   x  update  (replace because tainted)']);
    expect(renderChangeSummary({ operation: 'plan', add: 1, change: 2, remove: 3, import: 0 }, '').text).toBe(
      'plan: 1 to add, 2 to change, 3 to destroy.',
    );
    expect(
      renderOutputs([
        { name: 's', sensitive: true, hasValue: true, value: 'pw' },
        { name: 'v', sensitive: false, hasValue: true, value: 'x'.repeat(300) },
      ]).map((l) => l.text),
    ).toEqual(['Outputs (2):', '  s = (sensitive value)', `  v = "${'x'.repeat(196)}...`]);
    const lines = renderDiagnostic(
      { severity: 'error', summary: 'bad\nsecond', detail: 'd', at: 0, where: 'f.tf:1' },
      'p',
    );
    expect(lines.map((l) => l.text)).toEqual(['p Error: bad', '    second', '    d', '    (f.tf:1)']);
  });
});
