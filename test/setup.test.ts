/**
 * scripts/setup.sh, the README's set-up command and .ci/run's one install path, on a machine with only Node and
 * Python: it installs the pinned pnpm (package.json packageManager) with `npm install -g` when pnpm is missing, of
 * another version, or a corepack shim that cannot fetch it; it leaves the right pnpm alone; a failing npm is one
 * clear line. The script runs for real (bash, the real node) in a scratch copy of the repository's top level, on a
 * PATH whose npm and pnpm are recording stand-ins: the registry is never reached, and the Python step finds its
 * .venv up to date. The README's two commands were run from a clean clone on a PATH without pnpm (issue 21's note).
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './workflows/lib/paths';

const PINNED = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).packageManager as string).replace(
  /^pnpm@/,
  '',
);

let dir = '';
let calls = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'setup-sh-'));
  calls = join(dir, 'calls.log');
  const repo = join(dir, 'repo');
  mkdirSync(join(repo, 'scripts'), { recursive: true });
  copyFileSync(join(repoRoot, 'scripts', 'setup.sh'), join(repo, 'scripts', 'setup.sh'));
  writeFileSync(join(repo, 'package.json'), JSON.stringify({ packageManager: `pnpm@${PINNED}` }));
  writeFileSync(join(repo, 'requirements-dev.txt'), 'moto==0\n');
  // An up-to-date .venv: the Python step has nothing to do.
  mkdirSync(join(repo, '.venv', 'bin'), { recursive: true });
  writeFileSync(join(repo, '.venv', 'bin', 'python'), '#!/bin/sh\n');
  chmodSync(join(repo, '.venv', 'bin', 'python'), 0o755);
  const sha = createHash('sha256').update('moto==0\n').digest('hex');
  writeFileSync(join(repo, '.venv', '.requirements.sha256'), `${sha}\n`);
  for (const d of ['bin', 'prefix/bin', 'other']) mkdirSync(join(dir, d), { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A recording stand-in for pnpm of `version` at `path` (it answers --version, logs every other call). */
function fakePnpm(path: string, version: string): void {
  writeFileSync(
    path,
    `#!/bin/sh\nif [ "$1" = --version ]; then echo ${version}; exit 0; fi\necho "pnpm(${path}) $*" >> ${calls}\n`,
  );
  chmodSync(path, 0o755);
}

/** npm: `prefix -g` answers the scratch prefix; `install -g pnpm@V` installs a fake pnpm V there (or fails). */
function fakeNpm(fails = false): void {
  const prefix = join(dir, 'prefix');
  const pnpmScript =
    `#!/bin/sh\\nif [ \\"\\$1\\" = --version ]; then echo \\$V; exit 0; fi\\n` +
    `echo \\"pnpm(${prefix}/bin/pnpm) \\$*\\" >> ${calls}\\n`;
  writeFileSync(
    join(dir, 'bin', 'npm'),
    [
      '#!/bin/sh',
      `echo "npm $*" >> ${calls}`,
      `if [ "$1" = prefix ]; then echo ${prefix}; exit 0; fi`,
      fails
        ? 'echo "npm error code EACCES" >&2; exit 243'
        : `V=$(echo "$@" | sed 's/.*pnpm@//'); rm -f ${prefix}/bin/pnpm; ` +
          `printf "${pnpmScript}" | sed "s/\\$V/$V/" > ${prefix}/bin/pnpm; chmod +x ${prefix}/bin/pnpm`,
    ].join('\n'),
  );
  chmodSync(join(dir, 'bin', 'npm'), 0o755);
}

/** The few system tools setup.sh uses besides node, npm and pnpm (found on this machine's PATH, linked). */
const TOOLS = ['sh', 'dirname', 'sed', 'tail', 'grep', 'readlink', 'cat', 'cut', 'sha256sum', 'timeout', 'chmod', 'rm'];

/** Runs the copy of setup.sh with PATH = `pathDirs`, then the stand-ins and the linked node and tools only. */
function setup(pathDirs: string[]): { status: number | null; out: string; calls: string[] } {
  symlinkSync(process.execPath, join(dir, 'bin', 'node'));
  for (const tool of TOOLS) {
    const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    if (found.startsWith('/')) symlinkSync(found, join(dir, 'bin', tool));
  }
  const bash = spawnSync('sh', ['-c', 'command -v bash'], { encoding: 'utf8' }).stdout.trim();
  const r = spawnSync(bash, [join(dir, 'repo', 'scripts', 'setup.sh')], {
    encoding: 'utf8',
    env: { PATH: [...pathDirs, join(dir, 'bin')].join(':'), HOME: dir, PYTHON: 'true' },
  });
  let log: string[] = [];
  try {
    log = readFileSync(calls, 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    /* no call */
  }
  return { status: r.status, out: `${r.stdout}${r.stderr}`, calls: log };
}

describe('scripts/setup.sh installs the pinned pnpm itself', () => {
  test('another version on PATH: npm install -g pnpm@<pinned>, then the lockfile install with that pnpm', () => {
    fakeNpm();
    fakePnpm(join(dir, 'other', 'pnpm'), '9.0.0');
    const run = setup([join(dir, 'other')]);
    expect(run.status).toBe(0);
    expect(run.out).toContain(`setup: installing pnpm@${PINNED} with npm install -g (found: ${dir}/other/pnpm)`);
    expect(run.calls).toContain(`npm install -g pnpm@${PINNED}`);
    expect(run.calls.at(-1)).toBe(`pnpm(${dir}/prefix/bin/pnpm) install --frozen-lockfile`);
    // The old pnpm stays first on PATH: the script says how to reach the one it installed.
    expect(run.out).toContain(`setup: put ${dir}/prefix/bin first on PATH to run \`pnpm test\``);
  });

  test('the pinned version already on PATH: npm is not asked, the lockfile install runs', () => {
    fakeNpm();
    fakePnpm(join(dir, 'other', 'pnpm'), PINNED);
    const run = setup([join(dir, 'other')]);
    expect(run.status).toBe(0);
    expect(run.calls).toEqual([`pnpm(${dir}/other/pnpm) install --frozen-lockfile`]);
    expect(run.out).not.toContain('installing pnpm');
  });

  test('no pnpm at all, the global prefix on PATH (the README case): installed there, no PATH advice', () => {
    fakeNpm();
    const run = setup([join(dir, 'prefix', 'bin')]);
    expect(run.status).toBe(0);
    expect(run.out).toContain(`setup: installing pnpm@${PINNED} with npm install -g (found: no pnpm on PATH)`);
    expect(run.calls[0]).toBe(`npm install -g pnpm@${PINNED}`);
    expect(run.calls.at(-1)).toBe(`pnpm(${dir}/prefix/bin/pnpm) install --frozen-lockfile`);
    expect(run.out).not.toContain('first on PATH');
  });

  test('a corepack shim that cannot fetch pnpm is replaced (npm install -g --force)', () => {
    fakeNpm();
    const corepack = join(dir, 'other', 'node_modules', 'corepack', 'dist');
    mkdirSync(corepack, { recursive: true });
    writeFileSync(join(corepack, 'pnpm.js'), '#!/bin/sh\necho "Error: Cannot find matching keyid" >&2\nexit 1\n');
    chmodSync(join(corepack, 'pnpm.js'), 0o755);
    symlinkSync(join(corepack, 'pnpm.js'), join(dir, 'prefix', 'bin', 'pnpm'));
    const run = setup([join(dir, 'prefix', 'bin')]);
    expect(run.status).toBe(0);
    expect(run.calls).toContain(`npm install -g --force pnpm@${PINNED}`);
    expect(run.calls.at(-1)).toBe(`pnpm(${dir}/prefix/bin/pnpm) install --frozen-lockfile`);
  });

  test('npm cannot install: one clear line naming the prefix and what to do, exit 1', () => {
    fakeNpm(true);
    fakePnpm(join(dir, 'other', 'pnpm'), '8.15.0');
    const run = setup([join(dir, 'other')]);
    expect(run.status).toBe(1);
    const last = run.out.trim().split('\n').at(-1);
    expect(last).toBe(
      `setup: npm install -g pnpm@${PINNED} failed (global prefix ${dir}/prefix): run as a user who may write ` +
        'there, or give npm a prefix of your own (npm_config_prefix=$HOME/.local, with $HOME/.local/bin on PATH)',
    );
    expect(run.out).toContain('npm error code EACCES');
    expect(run.calls.some((c) => c.includes('install --frozen-lockfile'))).toBe(false);
  });
});
