/**
 * Workflow lint over .github/workflows/*.yml, the example callers (docs/examples/*.yml), every action.yml and
 * .github/dependabot.yml with the field's linters (lib/linters.ts): native actionlint with ShellCheck on every
 * `run:` script, and zizmor. What is left of the project's own checks is what only this project knows: the
 * action input/output contracts.
 *
 * REQUIRE_ACTIONLINT=1 / REQUIRE_ZIZMOR=1 / REQUIRE_SHELLCHECK=1 turn "not installed" from a skip into a
 * failure (ci.yml sets all three).
 */
import { describe, expect, test } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { CONTRACTS } from './lib/contracts';
import {
  findActionlint,
  findShellcheck,
  findZizmor,
  type LintMessage,
  type Linter,
  type Unavailable,
} from './lib/linters';
import { repoRoot, workflowFiles } from './lib/paths';
import { checkActionMetadata } from './lib/workflow-checks';

const files = workflowFiles();
const rel = (f: string): string => relative(repoRoot, f);
const format = (messages: LintMessage[]): string =>
  messages
    .map((m) => `${m.file.startsWith('/') ? rel(m.file) : m.file}:${m.line}:${m.column}: [${m.kind}] ${m.message}`)
    .join('\n');
const actionFiles = readdirSync(join(repoRoot, 'actions'))
  .map((name) => join(repoRoot, 'actions', name, 'action.yml'))
  .filter((f) => existsSync(f));

test('there are workflows, example callers and actions to lint', () => {
  const names = files.map(rel);
  for (const expected of [
    '.github/workflows/ci.yml',
    '.github/workflows/release.yml',
    '.github/workflows/infra.yml',
    '.github/workflows/nat_ami_build.yml',
    '.github/workflows/egress_watch.yml',
    '.github/workflows/plan_guard_comment.yml',
  ]) {
    expect(names).toContain(expected);
  }
  expect(names.filter((n) => n.startsWith('docs/examples/')).length).toBeGreaterThanOrEqual(3);
  expect(actionFiles.map(rel).sort()).toEqual(
    Object.keys(CONTRACTS)
      .map((n) => `actions/${n}/action.yml`)
      .sort(),
  );
});

describe('action metadata keeps the contract', () => {
  test.each(Object.keys(CONTRACTS))('%s', (name) => {
    expect(checkActionMetadata(repoRoot, name)).toEqual([]);
  });
});

/** A scratch repository with one local action and one workflow, for the "really linting" tests. */
function scratchRepo(workflow: string): { dir: string; file: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'wf-lint-'));
  mkdirSync(join(dir, '.git'));
  mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
  mkdirSync(join(dir, 'act', 'dist'), { recursive: true });
  writeFileSync(join(dir, 'act', 'dist', 'index.js'), '');
  writeFileSync(
    join(dir, 'act', 'action.yml'),
    'name: act\ndescription: probe\ninputs:\n  plan-json:\n    description: x\noutputs:\n  risk:\n    description: x\nruns:\n  using: node24\n  main: dist/index.js\n',
  );
  const file = join(dir, '.github', 'workflows', 'bad.yml');
  writeFileSync(file, workflow);
  return { dir, file, done: () => rmSync(dir, { recursive: true, force: true }) };
}

function requireOrSkip(name: string, found: Linter | Unavailable, envVar: string, run: (l: Linter) => void): void {
  if ('kind' in found) {
    const message = `${name} not run: ${found.reason}`;
    if (process.env[envVar] === '1') {
      test(`${name} is available (${envVar}=1)`, () => {
        throw new Error(message);
      });
    } else {
      console.warn(message);
      test.skip(`${name} (skipped: ${found.reason})`, () => undefined);
    }
    return;
  }
  run(found);
}

const shellcheck = findShellcheck();
if (!shellcheck) {
  const message = 'shellcheck not found (Debian package `shellcheck`; .ci/run installs it): actionlint runs without it';
  if (process.env.REQUIRE_SHELLCHECK === '1') {
    test('shellcheck is available (REQUIRE_SHELLCHECK=1)', () => {
      throw new Error(message);
    });
  } else {
    console.warn(message);
  }
}

requireOrSkip('actionlint', findActionlint(shellcheck), 'REQUIRE_ACTIONLINT', (actionlint) => {
  test(`actionlint: ${actionlint.describe}`, () => {
    expect(format(actionlint.lint(files))).toBe('');
  });

  test('actionlint is really linting: injection, unpinned uses, a local action used outside its action.yml', () => {
    const repo = scratchRepo(
      'on: pull_request\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    timeout-minutes: 5\n    permissions: {}\n    steps:\n' +
        '      - uses: actions/checkout@v5\n' +
        '      - run: echo "${{ github.event.pull_request.title }}"\n' +
        '      - id: g\n        uses: $/act\n        with:\n          plan-file: p.json\n' +
        '      - run: echo "$R"\n        env:\n          R: ${{ steps.g.outputs.is-risky }}\n',
    );
    try {
      // The scratch repository has no config: the policy comes from this repository's.
      writeFileSync(join(repo.dir, '.github', 'actionlint.yaml'), 'policy:\n  require-commit-hash: true\n');
      const text = actionlint
        .lint([repo.file])
        .map((m) => `[${m.kind}] ${m.message}`)
        .join('\n');
      expect(text).toMatch(/github\.event\.pull_request\.title.*potentially untrusted/);
      expect(text).toMatch(/input "plan-file" is not defined in action "act"/);
      expect(text).toMatch(/property "is-risky" is not defined/);
      expect(text).toMatch(/\[require-commit-hash\]/);
    } finally {
      repo.done();
    }
  });

  if (shellcheck) {
    test('actionlint runs ShellCheck on run: scripts', () => {
      const repo = scratchRepo(
        'on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    timeout-minutes: 5\n    permissions: {}\n    steps:\n' +
          '      - run: if [ $x = 1 ]; then echo hi; fi\n',
      );
      try {
        expect(format(actionlint.lint([repo.file]))).toMatch(/SC2086/);
      } finally {
        repo.done();
      }
    });
  }
});

requireOrSkip('zizmor', findZizmor(), 'REQUIRE_ZIZMOR', (zizmor) => {
  const inputs = [...files, ...actionFiles, join(repoRoot, '.github', 'dependabot.yml')].map(rel);

  test(`zizmor: ${zizmor.describe}`, () => {
    expect(format(zizmor.lint(inputs))).toBe('');
  });

  test('zizmor is really auditing: template injection, dangerous trigger, persisted credentials, unpinned uses', () => {
    const repo = scratchRepo(
      'on:\n  pull_request_target:\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    timeout-minutes: 5\n    permissions: {}\n    steps:\n' +
        '      - uses: actions/checkout@v5\n' +
        '      - run: echo "${{ github.event.pull_request.title }}"\n',
    );
    try {
      const kinds = new Set(zizmor.lint([repo.file]).map((m) => m.kind));
      for (const k of ['template-injection', 'dangerous-triggers', 'artipacked', 'unpinned-uses'])
        expect([k, kinds.has(k)]).toEqual([k, true]);
    } finally {
      repo.done();
    }
  });
});
