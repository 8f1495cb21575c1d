#!/usr/bin/env node
/**
 * Release logic for .github/workflows/release.yml, kept here so it is tested (test/release/release.test.ts) and
 * can be dry-run from a terminal before pushing a tag:
 *
 *   node scripts/release.mjs plan --tag v1.2.0 [--changelog CHANGELOG.md] [--tags "v1.0.0 v1.1.0"] [--notes-file notes.md]
 *
 * prints (and, under Actions, writes to $GITHUB_OUTPUT) the release plan:
 *   version      1.2.0
 *   major        v1           the moving major tag callers pin (`@v1`)
 *   prerelease   true|false   a `-rc.1`-style suffix: released as a GitHub pre-release
 *   move-major   true|false   whether v1 moves to this commit: not for a pre-release, and not when a newer
 *                             release of the same major already exists (a hotfix of an older minor)
 *   latest       true|false   whether the GitHub release is marked Latest: newer than every final release
 * and writes the CHANGELOG section of the version (Keep a Changelog: `## [1.2.0] - 2026-11-30`) to --notes-file.
 * Exits 1 with a one-line error when the tag is not a version, or the changelog has no dated, non-empty section
 * for it.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const TAG = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

/**
 * A release tag, `vMAJOR.MINOR.PATCH` or `vMAJOR.MINOR.PATCH-PRERELEASE` (semver 2.0.0, no build metadata).
 * @param {string} tag
 * @returns {{ tag: string, version: string, major: string, numbers: [number, number, number], prerelease: string | undefined }}
 * @throws {Error} when the tag is anything else (`v1`, `1.2.3`, `v1.2`, `v01.2.3`, ...)
 */
export function parseTag(tag) {
  const m = TAG.exec(tag);
  if (!m)
    throw new Error(
      `tag ${JSON.stringify(tag)} is not a release version: expected vMAJOR.MINOR.PATCH, e.g. v1.2.0 or v1.2.0-rc.1`,
    );
  const numbers = /** @type {[number, number, number]} */ ([Number(m[1]), Number(m[2]), Number(m[3])]);
  return { tag, version: tag.slice(1), major: `v${m[1]}`, numbers, prerelease: m[4] };
}

/** semver precedence of two parsed tags (negative, 0, positive). */
function compare(a, b) {
  for (let i = 0; i < 3; i++) if (a.numbers[i] !== b.numbers[i]) return a.numbers[i] - b.numbers[i];
  if (a.prerelease === b.prerelease) return 0;
  if (a.prerelease === undefined) return 1;
  if (b.prerelease === undefined) return -1;
  const pa = a.prerelease.split('.');
  const pb = b.prerelease.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    if (pa[i] === undefined) return -1;
    if (pb[i] === undefined) return 1;
    const na = /^\d+$/.test(pa[i]);
    const nb = /^\d+$/.test(pb[i]);
    if (na && nb && Number(pa[i]) !== Number(pb[i])) return Number(pa[i]) - Number(pb[i]);
    if (na !== nb) return na ? -1 : 1;
    if (pa[i] !== pb[i]) return pa[i] < pb[i] ? -1 : 1;
  }
  return 0;
}

/**
 * Whether the major tag (v1) should move to this release: only for a final release that is the newest of its
 * major among the existing release tags (other tags, such as `v1` itself, are ignored).
 * @param {string} tag
 * @param {string[]} existingTags
 */
export function shouldMoveMajor(tag, existingTags) {
  const release = parseTag(tag);
  if (release.prerelease !== undefined) return false;
  for (const other of existingTags) {
    if (!TAG.test(other) || other === tag) continue;
    const o = parseTag(other);
    if (o.prerelease === undefined && o.major === release.major && compare(o, release) > 0) return false;
  }
  return true;
}

/**
 * Whether GitHub should mark this release "Latest": a final release newer than every other final release, of
 * any major (a v1.9.1 hotfix published after v2.0.0 is not the latest).
 * @param {string} tag
 * @param {string[]} existingTags
 */
export function isLatest(tag, existingTags) {
  const release = parseTag(tag);
  if (release.prerelease !== undefined) return false;
  return existingTags
    .filter((t) => TAG.test(t) && t !== tag)
    .map(parseTag)
    .every((o) => o.prerelease !== undefined || compare(o, release) < 0);
}

/**
 * The body of a version's section in a Keep a Changelog file: the lines after `## [1.2.0] - YYYY-MM-DD` up to
 * the next `## ` heading or the link references at the end, trimmed.
 * @param {string} changelog
 * @param {string} version  without the `v`
 * @returns {string}
 * @throws {Error} when the section is missing, undated (still "Unreleased"), or empty
 */
export function changelogSection(changelog, version) {
  const lines = changelog.split(/\r?\n/);
  const escaped = version.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const heading = new RegExp(`^## \\[?v?${escaped}\\]?(?:\\s+-\\s+(.*))?\\s*$`);
  const start = lines.findIndex((l) => heading.test(l));
  if (start < 0)
    throw new Error(
      `CHANGELOG.md has no section for ${version}: add "## [${version}] - YYYY-MM-DD" with the release notes`,
    );
  const date = heading.exec(lines[start])[1];
  if (!date || !/^\d{4}-\d{2}-\d{2}$/.test(date.trim())) {
    throw new Error(`CHANGELOG.md section ${version} has no release date: write "## [${version}] - YYYY-MM-DD"`);
  }
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    if (/^## /.test(lines[i]) || /^\[[^\]]+\]:\s*\S/.test(lines[i])) {
      end = i;
      break;
    }
  }
  const body = lines
    .slice(start + 1, end)
    .join('\n')
    .trim();
  if (!body) throw new Error(`CHANGELOG.md section ${version} is empty`);
  return body;
}

/**
 * The whole release plan of a tag.
 * @param {{ tag: string, changelog: string, existingTags: string[] }} input
 */
export function releasePlan({ tag, changelog, existingTags }) {
  const release = parseTag(tag);
  const notes = changelogSection(changelog, release.version);
  return {
    tag,
    version: release.version,
    major: release.major,
    prerelease: release.prerelease !== undefined,
    moveMajor: shouldMoveMajor(tag, existingTags),
    latest: isLatest(tag, existingTags),
    notes,
  };
}

const USAGE = `release.mjs plan --tag vX.Y.Z [--changelog FILE] [--tags "vA.B.C ..."] [--notes-file FILE]
  Checks the tag and the changelog's section for it, and prints what the release would do (version, major,
  prerelease, move-major, latest); --notes-file writes that section (the release notes) to FILE.
  --tags lists the repository's existing version tags (whether the major tag moves, whether it is the latest).`;

function main(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      tag: { type: 'string' },
      changelog: { type: 'string', default: 'CHANGELOG.md' },
      tags: { type: 'string', default: '' },
      'notes-file': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (positionals[0] !== 'plan' || positionals.length !== 1) throw new Error(`usage: ${USAGE.split('\n')[0]}`);
  if (!values.tag) throw new Error('--tag is required (the pushed tag, e.g. v1.2.0)');
  let changelog;
  try {
    changelog = readFileSync(values.changelog, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${values.changelog}: ${err.code ?? err.message}`, { cause: err });
  }
  const plan = releasePlan({ tag: values.tag, changelog, existingTags: values.tags.split(/\s+/).filter(Boolean) });
  if (values['notes-file']) writeFileSync(values['notes-file'], `${plan.notes}\n`);
  const outputs = {
    version: plan.version,
    major: plan.major,
    prerelease: String(plan.prerelease),
    'move-major': String(plan.moveMajor),
    latest: String(plan.latest),
  };
  if (process.env.GITHUB_OUTPUT)
    appendFileSync(
      process.env.GITHUB_OUTPUT,
      Object.entries(outputs)
        .map(([k, v]) => `${k}=${v}\n`)
        .join(''),
    );
  for (const [k, v] of Object.entries(outputs)) console.log(`${k}: ${v}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    console.error(`release: ${err.message}`);
    process.exit(1);
  }
}
