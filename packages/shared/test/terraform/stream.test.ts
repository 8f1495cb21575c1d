import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UiStream, resourceTypeOf, type RenderedLine } from '@nat-egress/shared/terraform';
import { parseUiLine } from '../../src/terraform/messages';
import { elapsedLabel } from '../../src/terraform/render';

const CORPUS = join(import.meta.dirname, '..', '..', '..', '..', '..', 'shared', 'fixtures', 'real', 'ui-json');
const corpusPresent = existsSync(CORPUS);

function render(lines: string[], secrets: string[] = []): { out: RenderedLine[]; stream: UiStream } {
  const stream = new UiStream({ now: () => Date.UTC(2026, 0, 1), onSecret: (v) => secrets.push(v) });
  const out: RenderedLine[] = [];
  for (const l of lines) out.push(...stream.push(l));
  out.push(...stream.end());
  return { out, stream };
}

const text = (out: RenderedLine[]) => out.map((l) => l.text).join('\n');

describe('UI stream: the real captures (../shared/fixtures/real/ui-json)', () => {
  if (!corpusPresent) {
    it('skipped: corpus not present', () => {
      console.log(`skipped: corpus not present (${CORPUS})`);
      expect(corpusPresent).toBe(false);
    });
    return;
  }
  const read = (name: string) => readFileSync(join(CORPUS, name), 'utf8').split('\n');
  const files = readdirSync(CORPUS).filter((f) => f.endsWith('.jsonl'));

  it.each(files)('%s renders without raw JSON and without losing a message', (file) => {
    const lines = read(file);
    const { out, stream } = render(lines);
    expect(stream.textLines).toBe(0);
    expect(stream.messages).toBe(lines.filter((l) => l.trim() !== '').length);
    for (const l of out) expect(l.text.trim().startsWith('{')).toBe(false);
  });

  it('a failed apply: the errored hook and the diagnostic with its address, detail and file', () => {
    const { out, stream } = render(
      read('tfc__apply-json-with-provisioner-error__tf1.3.7__apply-errored-diagnostic.jsonl'),
    );
    expect(stream.hooks.map((h) => `${h.type}:${h.action}`)).toEqual([
      'apply_start:delete',
      'apply_complete:delete',
      'apply_start:create',
      'apply_errored:create',
    ]);
    expect(stream.errors).toEqual([
      expect.objectContaining({
        severity: 'error',
        summary: 'local-exec provisioner error',
        address: 'null_resource.foo',
        where: 'main.tf:2',
      }),
    ]);
    const t = text(out);
    expect(t).toContain('null_resource.foo: FAILED to create after 0s');
    expect(t).toContain('Error at null_resource.foo: local-exec provisioner error');
    expect(t).toContain("    Error running command 'exit 125': exit status 125. Output:");
    expect(t).toContain('null_resource.foo: (local-exec) Provisioning errored');
    // @timestamp with a UTC offset and microseconds
    expect(stream.hooks[0]!.at).toBe(Date.parse('2023-02-16T15:13:14.725Z'));
  });

  it('masks sensitive outputs and hands their values over to be masked everywhere', () => {
    const secrets: string[] = [];
    const { out } = render(read('tfc__apply-json-with-outputs__tf1.3.7__apply-outputs-sensitive.jsonl'), secrets);
    const t = text(out);
    expect(t).toContain('secret = (sensitive value)');
    expect(t).not.toContain('my-secret');
    expect(secrets).toEqual(['my-secret']);
    expect(t).toContain('simple = ["some","list"]');
  });

  it('planned changes are one group; unknown message types (policy_info, policy_result) are shown by their text', () => {
    const { out, stream } = render(read('terraform__command-plan-policy__golden__policy-messages.jsonl'));
    expect([...stream.unknownTypes].sort()).toEqual(['policy_info', 'policy_result']);
    const t = text(out);
    expect(t).toContain('Policy info');
    expect(t).toContain('Planned changes (1): 1 to create\n  +   test_instance.foo  create');
    expect(t).toContain('Plan: 1 to add, 0 to change, 0 to destroy.');
  });

  it('a stream without a version line and without timestamps (golden) still renders with elapsed times', () => {
    const { out } = render(read('terraform__command-apply__golden-no-timestamps__plan-and-apply.jsonl'));
    expect(text(out)).toContain('[    0s] test_instance.foo: created after 0s');
    expect(text(out)).toContain('Warning: Deprecated flag: -state');
    const { stream } = render(read('tfc__apply-json-with-provisioner__NO-VERSION-LINE__apply-provisioner.jsonl'));
    expect(stream.version).toBeUndefined();
    expect(stream.summaries).toEqual([{ operation: 'apply', add: 1, change: 0, remove: 1, import: 0 }]);
  });
});

describe('UI stream: hostile and broken input', () => {
  it('non-JSON lines (a crash) pass through as text and are kept for the report', () => {
    const { out, stream } = render([
      '{"type":"version","terraform":"1.9.8","ui":"1.2"}',
      'panic: runtime error: index out of range [3] with length 3',
      '',
      '\u001b[31mgoroutine 1 [running]:\u001b[0m',
      '{"type": broken json',
    ]);
    expect(stream.text).toEqual([
      'panic: runtime error: index out of range [3] with length 3',
      'goroutine 1 [running]:',
      '{"type": broken json',
    ]);
    expect(text(out)).toContain('goroutine 1 [running]:');
  });

  it('JSON that is not a UI message is text, not a crash', () => {
    expect(parseUiLine('[1,2]')).toEqual({ kind: 'text', text: '[1,2]' });
    expect(parseUiLine('{"no":"type"}')).toEqual({ kind: 'text', text: '{"no":"type"}' });
    expect(parseUiLine('   ')).toBeUndefined();
  });

  it('never throws on arbitrary lines or arbitrary message-shaped objects', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string(),
            fc.json(),
            fc
              .record({
                type: fc.constantFrom(
                  'apply_start',
                  'apply_complete',
                  'apply_errored',
                  'diagnostic',
                  'outputs',
                  'planned_change',
                  'change_summary',
                  'version',
                  'weird',
                ),
                hook: fc.anything(),
                diagnostic: fc.anything(),
                outputs: fc.anything(),
                change: fc.anything(),
                changes: fc.anything(),
                '@timestamp': fc.anything(),
              })
              .map((o) => JSON.stringify(o)),
          ),
        ),
        (lines) => {
          const { out } = render(lines);
          for (const l of out) expect(typeof l.text).toBe('string');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('resource types and elapsed labels', () => {
    expect(resourceTypeOf('module.vpc.aws_eip_association.nat[0]')).toBe('aws_eip_association');
    expect(resourceTypeOf('module.a.module.b.aws_eip.x["k.y"]')).toBe('aws_eip');
    expect(resourceTypeOf('data.aws_ami.custom_nat[0]')).toBe('aws_ami');
    expect(elapsedLabel(4_000)).toBe('[    4s]');
    expect(elapsedLabel(245_000)).toBe('[ 4m05s]');
    expect(elapsedLabel(3_720_000)).toBe('[ 1h02m]');
  });
});
