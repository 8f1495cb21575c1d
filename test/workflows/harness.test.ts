/**
 * The workflow harness (test/workflows/harness/) itself: the runner's command parsing, stop-commands, env files,
 * expressions, masking, the canary forms, and one synthetic workflow run end to end. And report/'s inertText
 * against the ported parser: no line of untrusted text survives as a command.
 */
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inertText } from '../../packages/shared/src/report/index';
import { CommandParser, REGISTERED, commandsIn, parseV1, parseV2 } from './harness/commands';
import { evaluate } from './harness/expressions';
import { parseKeyValueFile } from './harness/file-commands';
import { SecretMasker } from './harness/masker';
import { RunRecord, canaryForms, scanForCanaries } from './harness/record';
import { runWorkflow } from './harness/runner';
import { shellCommand } from './harness/step';

const reg = new Set(REGISTERED);

describe('workflow commands, as actions/runner parses them', () => {
  test('V2 after leading whitespace, V1 anywhere, unregistered names are output', () => {
    expect(parseV2('  ::error title=a%3Ab%2Cc,file=x.tf::line1%0Aline2', reg)).toEqual({
      command: 'error',
      properties: { title: 'a:b,c', file: 'x.tf' },
      data: 'line1\nline2',
    });
    expect(parseV2('text ::error::x', reg)).toBeUndefined();
    expect(parseV1('text ##[error]x', reg)?.command).toBe('error');
    expect(parseV2('::set-env-x::y', reg)).toBeUndefined();
    expect(parseV2('\u0085\u00a0::warning::NEL and NBSP are whitespace to .NET', reg)?.command).toBe('warning');
  });

  test('stop-commands pauses until the token, and refuses a command name as token', () => {
    const p = new CommandParser();
    expect(p.process('::stop-commands::tok123456')?.kind).toBe('stop');
    expect(p.process('::error::forged')).toBeUndefined();
    expect(p.process('##[add-mask]x')).toBeUndefined();
    expect(p.process('::TOK123456::')?.kind).toBe('resume');
    expect(p.process('::error::real')).toMatchObject({ command: 'error' });
    expect(() => p.process('::stop-commands::error')).toThrow(/cannot use a endToken/);
  });

  test('a CR ends a line (ReadLine)', () => {
    expect(commandsIn('50%\r::add-mask::203.0.113.10')).toEqual([
      { kind: 'command', command: 'add-mask', properties: {}, data: '203.0.113.10' },
    ]);
  });
});

describe("report's inertText: untrusted text never becomes a command", () => {
  const hostile = [
    '::add-mask::203.0.113.10',
    '  ::error title=x::forged',
    '\t\u0085\u00a0\u3000::warning::behind .NET whitespace',
    'foo ##[warning]bar',
    '##[add-mask]203.0.113.11',
    '::set-output name=healthy::true',
    '::set-env name=A::b',
    '::stop-commands::pause-logging',
    '::stop-commands::abcdefgh',
    '::group::folded',
    'progress\r::error::after a CR',
    'a\r\n::error::after CRLF',
    '::ERROR::upper case',
    '::echo::on',
  ];

  test.each(hostile)('%j', (line) => {
    expect(commandsIn(line).length).toBeGreaterThan(0); // it is a command as it stands
    const safe = inertText(line);
    expect(commandsIn(safe)).toEqual([]);
    expect(safe.replaceAll('\u200b', '')).toBe(line); // the same text to the eye
    expect(inertText(safe)).toBe(safe); // idempotent
  });

  test('text without :: or ##[ is unchanged; IPv6 and a :: inside a line are left alone', () => {
    expect(commandsIn(inertText('\ufeff\u200b::notice::x'))).toEqual([]);
    for (const t of ['plain', 'Error at module.vpc.aws_eip.nat[0]: x', 'fd00::1 is private', 'a :: b'])
      expect(inertText(t)).toBe(t);
  });

  test('a whole multi-line provider message: nothing survives, and the lines stay lines', () => {
    const message = hostile.join('\n');
    expect(commandsIn(inertText(message))).toEqual([]);
    expect(inertText(message).split('\n')).toHaveLength(message.split('\n').length);
  });
});

test('env files: key=value, heredoc, the runner errors', () => {
  expect(parseKeyValueFile('a=1\nb<<EOF\nx\ny\nEOF\n\nc=\n')).toEqual([
    ['a', '1'],
    ['b', 'x\ny'],
    ['c', ''],
  ]);
  expect(() => parseKeyValueFile('b<<EOF\nx\n')).toThrow(/Matching delimiter not found 'EOF'/);
  expect(() => parseKeyValueFile('oops\n')).toThrow(/Invalid format 'oops'/);
});

test('expressions: GitHub semantics (case-insensitive contexts, format, loose equality), shells', () => {
  const ctx = { inputs: { 'working-directory': '' }, steps: { plan: { outputs: { 'has-changes': 'true' } } } };
  expect(evaluate("format('{0}/tfplan.json', inputs.working-directory || '.')", ctx)).toBe('./tfplan.json');
  expect(evaluate("STEPS.plan.outputs.has-changes == 'TRUE'", ctx)).toBe(true);
  expect(evaluate("1 == '1'", ctx)).toBe(true);
  expect(shellCommand('bash', 'f.sh')).toEqual(['bash', '--noprofile', '--norc', '-e', '-o', 'pipefail', 'f.sh']);
});

test('masking: a secret as a whole and line by line; a bare value inside a multi-line secret is not masked', () => {
  const m = new SecretMasker();
  m.addSecret('db_password = "CANARY-x1"\nregion = "us-east-1"\n');
  expect(m.mask('db_password = "CANARY-x1"')).toBe('***');
  expect(m.mask('value CANARY-x1')).toBe('value CANARY-x1');
});

test('canary forms: base64 at every alignment, hex, UTF-16; found inside a log line', () => {
  const c = 'CANARY-abc-123';
  for (const prefix of ['', 'x', 'xy', 'xyz']) {
    const b64 = Buffer.from(`${prefix}${c}tail`).toString('base64');
    expect(canaryForms(c).some((f) => b64.includes(f.text))).toBe(true);
  }
  const r = new RunRecord();
  r.line('j', 's', 'stdout', Buffer.from(c).toString('hex'));
  expect(scanForCanaries(r, [c]).hits[0]?.how).toBe('hex');
});

test('a workflow run: outputs, needs, env files, masking, continue-on-error, stop-commands, call outputs', async () => {
  const record = await runWorkflow({
    workflow: join(import.meta.dirname, 'fixtures', 'mechanics.yml'),
    runDir: mkdtempSync(join(tmpdir(), 'wfh-test-')),
    inputs: { name: 'world' },
    secrets: { TOKEN: 'CANARY-token-77' },
  });
  const log = record.logText();
  expect(record.jobs.first).toMatchObject({ result: 'success', outputs: { word: 'hello' } });
  expect(record.jobs.first?.outputs.leaked).toBeUndefined(); // an output holding a secret is dropped
  expect(record.annotations.map((a) => a.message)).toContain("Skip output 'leaked' since it may contain secret.");
  expect(log).toMatch(/the token is \*\*\*/);
  expect(record.summaries[0]?.markdown).toMatch(/summary with \*\*\*/);
  expect(record.annotations.some((a) => a.properties.title === 'forged')).toBe(false); // no command while stopped
  expect(record.masks.map((m) => m.value)).not.toContain('nothing');
  expect(record.annotations.some((a) => a.properties.title === 'real')).toBe(true);
  expect(record.annotations.some((a) => a.properties.title === 'cr')).toBe(true); // after a CR
  expect(log).toMatch(/::error title=forged::not an annotation/);
  expect(log).toMatch(/Process completed with exit code 3/);
  expect(log).not.toMatch(/^never$/m);
  expect(log).toMatch(/LATER=from-env-file WF=wf-world/);
  expect(record.workflowOutputs.greeting).toBe('hello world');
  expect(record.annotations.some((a) => a.level === 'error' && a.message === 'legacy form anywhere in a line')).toBe(
    true,
  );
  // The secret reached a step output (not shown anywhere by itself), never a place a person sees.
  expect(scanForCanaries(record, ['CANARY-token-77']).hits).toEqual([
    { canary: 'CANARY-token-77', how: 'clear', where: 'step output first/say.secret' },
  ]);
});

test('workflow_call secrets: only the declared ones reach the called workflow, an undeclared one is refused', async () => {
  const run = (o: { secrets: Record<string, string>; inheritSecrets?: boolean }) =>
    runWorkflow({
      workflow: join(import.meta.dirname, 'fixtures', 'mechanics.yml'),
      runDir: mkdtempSync(join(tmpdir(), 'wfh-secrets-')),
      inputs: { name: 'world' },
      ...o,
    });
  await expect(run({ secrets: { TOKEN: 't', OTHER: 'CANARY-other' } })).rejects.toThrow(
    'Invalid secret, OTHER is not defined in the referenced workflow.',
  );
  // `secrets: inherit`: every secret of the caller, declared or not, is in the secrets context (and masked).
  const inherited = await run({
    secrets: { TOKEN: 'CANARY-inherited-1', OTHER: 'CANARY-other' },
    inheritSecrets: true,
  });
  expect(inherited.logText()).toMatch(/the token is \*\*\*/);
  // Declared but not passed: empty, as on GitHub.
  const none = await run({ secrets: {} });
  expect(none.logText()).toMatch(/the token is $/m);
});
