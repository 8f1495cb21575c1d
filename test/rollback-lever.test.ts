/**
 * The rollback lever is worded the same everywhere, as the runbook gives it: every line of a README, doc, workflow or
 * source that describes the lever (names it together with gateway mode) carries ROLLBACK_LEVER verbatim, and no
 * source spells its own version.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROLLBACK_LEVER, ROLLBACK_LEVER_LINE } from '../packages/shared/src/report/index';

const ROOT = join(import.meta.dirname, '..');
const SKIP = [/(^|\/)node_modules\//, /(^|\/)dist\//, /^\.git\//, /^test\//, /\/test\//];

function files(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const rel = relative(ROOT, path);
    if (SKIP.some((r) => r.test(rel) || r.test(`${rel}/`))) continue;
    if (statSync(path).isDirectory()) files(path, out);
    else if (/\.(md|ya?ml|ts)$/.test(name)) out.push(rel);
  }
  return out;
}

/**
 * Line index → the whitespace-joined text of the fenced block it is in (a line of a block that starts the block
 * carries its text, the block's other lines ''), for the lines inside ``` fences.
 */
function fencedBlocks(lines: string[]): Map<number, string> {
  const out = new Map<number, string>();
  let start = -1;
  lines.forEach((line, i) => {
    if (/^\s*```/.test(line)) {
      if (start < 0) start = i;
      else {
        const text = lines
          .slice(start + 1, i)
          .join(' ')
          .replace(/\s+/g, ' ');
        for (let j = start; j <= i; j++) out.set(j, j === start ? text : '');
        start = -1;
      }
    }
  });
  return out;
}

describe('rollback lever wording', () => {
  it('is the runbook sentence', () => {
    const runbook = join(ROOT, '..', 'shared', 'seeds');
    if (!existsSync(runbook)) return console.log('skipped: corpus not present');
    const text = readdirSync(runbook)
      .filter((f) => f.startsWith('000_'))
      .map((f) => readFileSync(join(runbook, f), 'utf8'))
      .join('\n')
      .replace(/\s+/g, ' ');
    // The runbook: "Rollback lever. If … the culprit, flip the environment to gateway mode (…) and apply: … in a window."
    expect(text).toContain(ROLLBACK_LEVER.replace(/^Flip/, 'flip'));
    expect(ROLLBACK_LEVER_LINE).toBe(`Rollback lever: ${ROLLBACK_LEVER}`);
  });

  it('every description of the lever in docs, workflows and sources uses it verbatim', () => {
    const offenders: string[] = [];
    for (const rel of [
      ...files(ROOT),
      ...['.github/workflows'].flatMap((d) =>
        existsSync(join(ROOT, d)) ? readdirSync(join(ROOT, d)).map((f) => `${d}/${f}`) : [],
      ),
    ]) {
      const lines = readFileSync(join(ROOT, rel), 'utf8').split('\n');
      // A terminal run pasted into a fenced block wraps the lever over lines: it is read joined, block by block.
      const fenced = rel.endsWith('.md') ? fencedBlocks(lines) : new Map<number, string>();
      lines.forEach((line, i) => {
        const block = fenced.get(i);
        if (block !== undefined) {
          if (/rollback lever/i.test(block) && /gateway mode/.test(block) && !block.includes(ROLLBACK_LEVER))
            offenders.push(`${rel}:${i + 1}: fenced block without the lever verbatim`);
          return;
        }
        const describes =
          /rollback lever/i.test(line) &&
          /gateway mode|use_nat_instance|USE_NAT_INSTANCE/.test(line) &&
          !/^#+ /.test(line);
        if (describes && !line.includes(ROLLBACK_LEVER) && !line.includes('ROLLBACK_LEVER'))
          offenders.push(`${rel}:${i + 1}: ${line.trim().slice(0, 120)}`);
        // Sources may not spell a lever of their own.
        if (
          rel.endsWith('.ts') &&
          !rel.endsWith('report/index.ts') &&
          /flip[^'`"]*gateway mode[^'`"]*and apply/i.test(line)
        )
          offenders.push(`${rel}:${i + 1}: own wording`);
      });
    }
    expect(offenders).toEqual([]);
  });
});
