/**
 * The release logic release.yml runs (scripts/release.mjs): tag validation, the changelog section that becomes
 * the release notes, and whether the major tag moves. Also a dry run of the script as the workflow calls it.
 */
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWorkflow, stepsOf } from '../workflows/lib/workflow-checks';
import { repoRoot } from '../workflows/lib/paths';
// @ts-expect-error: plain ESM JavaScript without type declarations
import * as release from '../../scripts/release.mjs';

const { parseTag, shouldMoveMajor, isLatest, changelogSection, releasePlan } = release as {
  parseTag(tag: string): { version: string; major: string; prerelease: string | undefined };
  shouldMoveMajor(tag: string, existing: string[]): boolean;
  isLatest(tag: string, existing: string[]): boolean;
  changelogSection(changelog: string, version: string): string;
  releasePlan(i: { tag: string; changelog: string; existingTags: string[] }): Record<string, unknown>;
};

const CHANGELOG = `# Changelog

## [Unreleased]

### Added
- something not released yet

## [1.2.0] - 2026-11-30

### Added
- \`nat-egress\` command line.

### Fixed
- cutover: waits for the release of every address.

## [1.1.0] - 2026-10-01

### Changed
- older change

[Unreleased]: https://github.com/o/r/compare/v1.2.0...HEAD
[1.2.0]: https://github.com/o/r/compare/v1.1.0...v1.2.0
`;

describe('tag validation', () => {
  test.each([
    ['v1.2.0', '1.2.0', 'v1', undefined],
    ['v0.3.1', '0.3.1', 'v0', undefined],
    ['v10.0.0', '10.0.0', 'v10', undefined],
    ['v1.2.0-rc.1', '1.2.0-rc.1', 'v1', 'rc.1'],
  ])('%s is a release', (tag, version, major, prerelease) => {
    expect(parseTag(tag)).toMatchObject({ version, major, prerelease });
  });

  test.each(['v1', 'v1.2', '1.2.0', 'v01.2.0', 'v1.2.0+build.5', 'v1.2.0-', 'release-1.2.0', 'v1.2.0 '])(
    '%j is refused with a one-line error',
    (tag) => {
      expect(() => parseTag(tag)).toThrow(/is not a release version: expected vMAJOR\.MINOR\.PATCH/);
    },
  );
});

describe('major tag', () => {
  test('moves for the newest release of its major', () => {
    expect(shouldMoveMajor('v1.2.0', ['v1', 'v1.0.0', 'v1.1.0', 'v0.9.0'])).toBe(true);
    expect(shouldMoveMajor('v1.0.0', [])).toBe(true);
  });
  test('does not move back for a hotfix of an older minor', () => {
    expect(shouldMoveMajor('v1.1.1', ['v1.0.0', 'v1.1.0', 'v1.2.0'])).toBe(false);
  });
  test('never for a pre-release, and a newer pre-release does not hold a final release back', () => {
    expect(shouldMoveMajor('v2.0.0-rc.1', ['v1.2.0'])).toBe(false);
    expect(shouldMoveMajor('v1.2.0', ['v1.3.0-rc.1', 'v2.0.0'])).toBe(true);
  });
  test('re-running the same tag moves it again (the tag itself is in the list)', () => {
    expect(shouldMoveMajor('v1.2.0', ['v1.1.0', 'v1.2.0'])).toBe(true);
  });
});

describe('Latest release', () => {
  test('a final release newer than every other final release, of any major', () => {
    expect(isLatest('v2.0.0', ['v1.9.0', 'v2.0.0-rc.2'])).toBe(true);
    expect(isLatest('v1.9.1', ['v1.9.0', 'v2.0.0'])).toBe(false); // moves v1, but v2.0.0 stays Latest
    expect(shouldMoveMajor('v1.9.1', ['v1.9.0', 'v2.0.0'])).toBe(true);
    expect(isLatest('v2.1.0-rc.1', ['v2.0.0'])).toBe(false);
  });
});

describe('changelog section', () => {
  test('is the body between the version heading and the next heading', () => {
    const notes = changelogSection(CHANGELOG, '1.2.0');
    expect(notes).toBe(
      '### Added\n- `nat-egress` command line.\n\n### Fixed\n- cutover: waits for the release of every address.',
    );
  });
  test('the last section stops at the link references', () => {
    expect(changelogSection(CHANGELOG, '1.1.0')).toBe('### Changed\n- older change');
  });
  test('a version is matched exactly (1.2.0 is not 1.2.01 or 11.2.0)', () => {
    expect(() => changelogSection(CHANGELOG.replace('[1.2.0] -', '[11.2.0] -'), '1.2.0')).toThrow(
      /no section for 1\.2\.0/,
    );
  });
  test('refuses a missing, undated or empty section', () => {
    expect(() => changelogSection(CHANGELOG, '1.3.0')).toThrow(
      'CHANGELOG.md has no section for 1.3.0: add "## [1.3.0] - YYYY-MM-DD" with the release notes',
    );
    expect(() => changelogSection('## [1.3.0]\n- x\n', '1.3.0')).toThrow(/has no release date/);
    expect(() => changelogSection('## [1.3.0] - 2026-12-01\n\n## [1.2.0] - 2026-11-30\n- y\n', '1.3.0')).toThrow(
      /section 1\.3\.0 is empty/,
    );
  });
});

test('the whole plan', () => {
  expect(releasePlan({ tag: 'v1.2.0', changelog: CHANGELOG, existingTags: ['v1.1.0'] })).toMatchObject({
    version: '1.2.0',
    major: 'v1',
    prerelease: false,
    moveMajor: true,
    latest: true,
  });
});

test("the project's CHANGELOG.md keeps the format release.mjs reads", () => {
  const text = readFileSync(join(repoRoot, 'CHANGELOG.md'), 'utf8');
  expect(text).toMatch(/^## \[Unreleased\]$/m);
  for (const m of text.matchAll(/^## \[(\d+\.\d+\.\d+[^\]]*)\]/gm))
    expect(changelogSection(text, m[1]!).length).toBeGreaterThan(0);
});

describe('dry run of the script as release.yml calls it', () => {
  const run = (
    args: string[],
    env: Record<string, string> = {},
  ): { status: number | null; stdout: string; stderr: string } =>
    spawnSync(process.execPath, [join(repoRoot, 'scripts', 'release.mjs'), ...args], {
      encoding: 'utf8',
      env: { ...process.env, GITHUB_OUTPUT: '', ...env },
    });

  test('writes the notes and the step outputs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'release-'));
    try {
      writeFileSync(join(dir, 'CHANGELOG.md'), CHANGELOG);
      writeFileSync(join(dir, 'out'), '');
      const r = run(
        [
          'plan',
          '--tag',
          'v1.2.0',
          '--changelog',
          join(dir, 'CHANGELOG.md'),
          '--tags',
          'v1 v1.0.0 v1.1.0',
          '--notes-file',
          join(dir, 'notes.md'),
        ],
        {
          GITHUB_OUTPUT: join(dir, 'out'),
        },
      );
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(readFileSync(join(dir, 'notes.md'), 'utf8')).toBe(`${changelogSection(CHANGELOG, '1.2.0')}\n`);
      expect(readFileSync(join(dir, 'out'), 'utf8')).toBe(
        'version=1.2.0\nmajor=v1\nprerelease=false\nmove-major=true\nlatest=true\n',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a bad tag or a missing changelog section fails with one line and exit 1', () => {
    const bad = run(['plan', '--tag', 'v1.2']);
    expect([bad.status, bad.stderr.trim().split('\n').length]).toEqual([1, 1]);
    expect(bad.stderr).toMatch(/^release: tag "v1\.2" is not a release version/);
    const missing = run(['plan', '--tag', 'v9.9.9', '--changelog', join(repoRoot, 'CHANGELOG.md')]);
    expect([missing.status, missing.stderr.trim()]).toEqual([
      1,
      'release: CHANGELOG.md has no section for 9.9.9: add "## [9.9.9] - YYYY-MM-DD" with the release notes',
    ]);
    const unreadable = run(['plan', '--tag', 'v1.0.0', '--changelog', '/nonexistent/CHANGELOG.md']);
    expect([unreadable.status, unreadable.stderr.trim()]).toEqual([
      1,
      'release: cannot read /nonexistent/CHANGELOG.md: ENOENT',
    ]);
  });
});

test('release.yml runs that script on the pushed tag, verifies dist and the tests before publishing', () => {
  const wf = parseWorkflow('release.yml', readFileSync(join(repoRoot, '.github', 'workflows', 'release.yml'), 'utf8'));
  const runs = stepsOf(wf.doc).map((s) => `${s.job}: ${String(s.step.run ?? s.step.uses)}`);
  const at = (re: RegExp): number => runs.findIndex((r) => re.test(r));
  expect(at(/^verify: node scripts\/release\.mjs plan --tag "\$TAG"/)).toBeGreaterThan(-1);
  expect(at(/^verify: pnpm check-dist$/)).toBeGreaterThan(-1);
  expect(at(/^verify: pnpm test$/)).toBeGreaterThan(at(/^verify: pnpm check-dist$/));
  expect(at(/^release: .*gh release create "\$TAG"/s)).toBeGreaterThan(-1);
  expect(at(/^release: .*refs\/tags\/\$MAJOR/s)).toBeGreaterThan(-1);
  expect((wf.doc.jobs as Record<string, Record<string, unknown>>).release!.needs).toBe('verify');
});
