import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NAT_CANDIDATE_TYPES, isNatCandidate } from '@nat-egress/shared/nat';
import { PlanFormatError, loadPlanFile, loadPlanText } from '@nat-egress/shared/plan';
import { classifyChanges } from '@nat-egress/shared/review';
import { PlanScanner } from '../src/plan/scan';
import { planJson, scenarios } from './support/plans';

const CORPUS = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'fixtures', 'real', 'plans');
const corpusPresent = existsSync(CORPUS);
const tmp = mkdtempSync(join(tmpdir(), 'plan-load-'));

function refusal(input: string | Buffer): string {
  try {
    loadPlanText(input);
  } catch (err) {
    expect(err).toBeInstanceOf(PlanFormatError);
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected the input to be refused');
}

describe('plan loading: refusals are one clear line', () => {
  it.each([
    ['empty', '', 'is empty'],
    ['whitespace only', '  \n', 'holds no JSON document'],
    [
      'not JSON',
      'Terraform will perform the following actions:',
      'does not start with JSON (it starts with character "T")',
    ],
    ['truncated', JSON.stringify(planJson(scenarios.gatewayToInstance())).slice(0, 500), 'truncated'],
    ['a top-level array', '[{"format_version":"1.2"}]', 'is an array, not a plan'],
    [
      'a raw state file',
      JSON.stringify({ version: 4, terraform_version: '1.9.8', serial: 3, lineage: 'x', outputs: {}, resources: [] }),
      'is a Terraform state file',
    ],
    [
      'show -json of state',
      JSON.stringify({ format_version: '1.0', terraform_version: '1.9.8', values: { root_module: {} } }),
      'of the state, not of a plan',
    ],
    [
      'format_version 2',
      JSON.stringify({ ...planJson([]), format_version: '2.0' }),
      'format_version 2.0 is newer than this action understands',
    ],
    [
      'an errored plan',
      JSON.stringify({ format_version: '1.2', planned_values: {}, errored: true }),
      'is an errored plan',
    ],
    [
      'a bad resource change',
      JSON.stringify(planJson([{ address: 'a' } as never])),
      'resource_changes[0] is not a resource change',
    ],
    ['garbage between tokens', '{"format_version": "1.2", "resource_changes": [] xyz}', 'unexpected character "x"'],
    ['mismatched brackets', '{"resource_changes": [}', 'unexpected character "}"'],
    [
      'text after the document',
      '{"resource_changes": []} trailing',
      'unexpected character "t" after the end of a JSON document',
    ],
    ['an unrelated JSON object', '{"hello": "world"}', 'is not a Terraform plan'],
  ])('%s', (_name, input, expected) => {
    expect(refusal(input)).toContain(expected);
  });

  it('names the file problem when reading from disk', async () => {
    await expect(loadPlanFile(join(tmp, 'missing.json'))).rejects.toThrow('does not exist');
    writeFileSync(join(tmp, 'empty.json'), '');
    await expect(loadPlanFile(join(tmp, 'empty.json'))).rejects.toThrow('is empty');
    await expect(loadPlanFile(tmp)).rejects.toThrow('is a directory');
  });
});

describe('plan loading: inputs that are read', () => {
  const text = JSON.stringify(planJson(scenarios.gatewayToInstance(2)), null, 2);

  it('reads a plan and keeps only what the filter asks for, counting everything', () => {
    const all = loadPlanText(text).documents[0]!;
    const nat = loadPlanText(text, { keep: isNatCandidate }).documents[0]!;
    expect(all.totalChanges).toBe(11);
    expect(nat.totalChanges).toBe(11);
    expect(all.actionCounts).toEqual({ delete: 2, create: 7, update: 2 });
    expect(all.header).toMatchObject({
      formatVersion: '1.2',
      terraformVersion: '1.9.8',
      errored: false,
      applyable: true,
      complete: true,
    });
    expect(all.digest).toBe(nat.digest);
  });

  it('gives the same result whatever the chunk boundaries', () => {
    const expected = loadPlanText(text).documents[0]!;
    for (const size of [1, 2, 3, 7, 64, 1000]) {
      const docs: unknown[] = [];
      const elements: string[] = [];
      const scanner = new PlanScanner({
        documentStart: () => docs.push(1),
        key: (k) => (k === 'resource_changes' ? 'elements' : k === 'format_version' ? 'capture' : 'skip'),
        value: (_k, raw) => expect(raw.toString()).toBe('"1.2"'),
        element: (_k, raw) => void elements.push(JSON.parse(raw.toString()).address),
        documentEnd: () => undefined,
        noise: () => undefined,
      });
      const buf = Buffer.from(text);
      for (let i = 0; i < buf.length; i += size) scanner.write(buf.subarray(i, i + size));
      scanner.end();
      expect(docs).toHaveLength(1);
      expect(elements).toHaveLength(expected.totalChanges);
    }
  });

  it('digest ignores formatting and changes with any planned value', () => {
    const plan = planJson(scenarios.amiAdoption(2)) as {
      resource_changes: Array<{ change: { after: Record<string, unknown> } }>;
    };
    const a = loadPlanText(JSON.stringify(plan)).documents[0]!.digest;
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(loadPlanText(JSON.stringify(plan, null, 2)).documents[0]!.digest).toBe(a);
    expect(loadPlanText(`\ufeff${JSON.stringify(plan, null, '\t')}\r\n`).documents[0]!.digest).toBe(a);
    const edited = JSON.parse(JSON.stringify(plan));
    edited.resource_changes[0].change.after.instance_type = 't3.small';
    expect(loadPlanText(JSON.stringify(edited)).documents[0]!.digest).not.toBe(a);
    const withOutputs = {
      ...plan,
      output_changes: { relay_ips: { actions: ['update'], before: ['203.0.113.10'], after: null } },
    };
    expect(loadPlanText(JSON.stringify(withOutputs)).documents[0]!.digest).not.toBe(a);
  });

  it('the fast path (keepTypes) counts and digests unparsed changes exactly like a full parse', () => {
    const changes = [...scenarios.unrelatedOnly(), ...scenarios.amiAdoption(2)];
    const compact = JSON.stringify(planJson(changes));
    const full = loadPlanText(compact).documents[0]!;
    const fast = loadPlanText(compact, { keepTypes: NAT_CANDIDATE_TYPES, keep: isNatCandidate }).documents[0]!;
    expect(fast.digest).toBe(full.digest);
    expect(fast.actionCounts).toEqual(full.actionCounts);
    expect(fast.totalChanges).toBe(full.totalChanges);
    expect(fast.changes.map((c) => c.address)).toEqual(full.changes.filter(isNatCandidate).map((c) => c.address));
    expect(classifyChanges(fast.changes)).toEqual(classifyChanges(full.changes));
  });

  it('reads JSON lines (terragrunt show --all -json) as one document per line', () => {
    const lines = [planJson(scenarios.amiAdoption(1)), planJson(scenarios.unrelatedOnly()), planJson([])]
      .map((p) => JSON.stringify(p))
      .join('\n');
    const result = loadPlanText(lines);
    expect(result.documents.map((d) => d.totalChanges)).toEqual([3, 7, 0]);
    expect(classifyChanges(result.documents[0]!.changes).risk).toBe('high');
    expect(classifyChanges(result.documents[1]!.changes).risk).toBe('none');
  });

  it('decodes UTF-16 with a BOM (PowerShell redirection) and says so', () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const result = loadPlanText(utf16);
    expect(result.documents[0]!.totalChanges).toBe(11);
    expect(result.warnings.join(' ')).toContain('UTF-16');
  });

  it('skips hashicorp/setup-terraform wrapper noise and recommends terraform_wrapper: false', () => {
    const json = JSON.stringify(planJson(scenarios.amiAdoption(1)));
    const noisy = `[command]/home/runner/work/_temp/terraform-bin show -json tfplan\n${json}\n::debug::Terraform exited with code 0.\n::debug::stdout: ${json}%0A\n::set-output name=stdout::${json}%0A\n::set-output name=exitcode::0\n`;
    const result = loadPlanText(noisy);
    expect(result.documents).toHaveLength(1);
    expect(result.documents[0]!.totalChanges).toBe(3);
    expect(result.warnings.join(' ')).toContain('terraform_wrapper: false');
  });
});

describe('plan loading: generated malformed input never escapes as an uncaught exception', () => {
  const valid = JSON.stringify(planJson(scenarios.gatewayToInstance(1)));
  const expectClean = (input: Buffer) => {
    try {
      loadPlanText(input);
    } catch (err) {
      expect(err).toBeInstanceOf(PlanFormatError);
      expect((err as Error).message.length).toBeGreaterThan(0);
    }
  };

  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => expectClean(Buffer.from(bytes))),
      { numRuns: 500 },
    );
  });

  it('a valid plan cut, spliced or corrupted anywhere', () => {
    fc.assert(
      fc.property(fc.nat(valid.length), fc.nat(valid.length), fc.string({ maxLength: 5 }), (at, len, insert) => {
        expectClean(Buffer.from(valid.slice(0, at)));
        expectClean(Buffer.from(valid.slice(0, at) + insert + valid.slice(at + (len % 10))));
      }),
      { numRuns: 500 },
    );
  });

  it('arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.json(), (j) => expectClean(Buffer.from(j))),
      { numRuns: 500 },
    );
  });

  it('plan-shaped objects with arbitrary resource changes', () => {
    fc.assert(
      fc.property(fc.array(fc.anything(), { maxLength: 5 }), fc.anything(), (changes, version) => {
        expectClean(Buffer.from(JSON.stringify({ format_version: version, resource_changes: changes }) ?? ''));
      }),
      { numRuns: 300 },
    );
  });
});

describe('the real corpus (../shared/fixtures/real/plans)', () => {
  if (!corpusPresent) {
    it('skipped: corpus not present', () => {
      console.log(`skipped: corpus not present (${CORPUS})`);
      expect(corpusPresent).toBe(false);
    });
    return;
  }
  const files = readdirSync(CORPUS).filter((f) => f.endsWith('.json'));

  it.each(files)('%s is analysed or refused in one line', async (file) => {
    try {
      const result = await loadPlanFile(join(CORPUS, file), { keep: isNatCandidate });
      expect(result.documents.length).toBeGreaterThan(0);
      for (const doc of result.documents) {
        expect(doc.digest).toMatch(/^[0-9a-f]{64}$/);
        classifyChanges(doc.changes);
      }
    } catch (err) {
      expect(err).toBeInstanceOf(PlanFormatError);
      expect((err as Error).message).not.toContain('\n');
      expect(file).toMatch(/errored/);
    }
  });

  it('counts every resource change the same as a full JSON parse', async () => {
    for (const file of files) {
      let parsed: { resource_changes?: unknown[] };
      try {
        parsed = JSON.parse(readFileSync(join(CORPUS, file), 'utf8'));
      } catch {
        continue; // UTF-16 and wrapper files: covered separately
      }
      if (parsed && (parsed as { errored?: boolean }).errored) continue;
      const result = await loadPlanFile(join(CORPUS, file));
      expect(result.documents[0]!.totalChanges).toBe(parsed.resource_changes?.length ?? 0);
    }
  });

  it('reads the UTF-16 and the wrapper-polluted captures', async () => {
    const utf16 = await loadPlanFile(join(CORPUS, 'checkov__plan-with-utf16-encoding__UTF16LE-BOM.json'));
    expect(utf16.documents[0]!.totalChanges).toBe(3);
    const wrapped = await loadPlanFile(
      join(CORPUS, 'infracost__plan-with-terraform-wrapper__tf1.0.11__WRAPPER-POLLUTED.json'),
    );
    expect(wrapped.documents).toHaveLength(1);
    expect(wrapped.documents[0]!.totalChanges).toBe(2);
  });

  it('refuses the errored plan, reads HCP redacted and version-less plans with a note', async () => {
    await expect(loadPlanFile(join(CORPUS, 'terraform__show-json-plan-error__golden__errored.json'))).rejects.toThrow(
      'is an errored plan',
    );
    const tfc = await loadPlanFile(join(CORPUS, 'terraform__cloud-plan-json-full__TFC-REDACTED-FORMAT.json'));
    expect(tfc.documents[0]!.warnings.join(' ')).toContain('HCP Terraform redacted plan JSON');
    const overmind = await loadPlanFile(
      join(CORPUS, 'overmind__tfutils-plan__NO-FORMAT-VERSION__delete-count-index.json'),
    );
    expect(overmind.documents[0]!.warnings.join(' ')).toContain('no format_version');
  });

  it('real NAT plans (create-only) are low risk: capacity added', async () => {
    for (const file of [
      'tfcompliance__issue-158__tf0.12.8__vpc-module-nat-eip-routes.json',
      'tfcompliance__pull-330__tf0.12.28__nat-gateway.json',
      'infracost__examples-wip__tf0.13.1__7-nat-gateways-modules.json',
    ]) {
      const doc = (await loadPlanFile(join(CORPUS, file), { keep: isNatCandidate })).documents[0]!;
      const a = classifyChanges(doc.changes);
      expect(a.risk).toBe('low');
      expect(a.findings.every((f) => f.severity === 'low')).toBe(true);
      expect(a.modeSwitch).toBe('none');
    }
  });
});
