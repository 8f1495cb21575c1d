/**
 * End-to-end: the committed dist/index.js run the way the runner runs it (INPUT_*, GITHUB_OUTPUT,
 * GITHUB_STEP_SUMMARY), under Node 24, commenting on a local stand-in for the GitHub API.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPlanFile } from '@nat-egress/shared/plan';
import { NODE24, REPO_ROOT, runAction } from '../../../packages/shared/test/support/action-runner';
import { startFakeGitHub, type FakeGitHub } from '../../../packages/shared/test/support/github-server';
import { cabal, change, planJson } from '../../../packages/shared/test/support/plans';

const work = mkdtempSync(join(tmpdir(), 'plan-guard-e2e-'));
const EXAMPLES = join(REPO_ROOT, 'examples', 'plans');

function writePlan(name: string, plan: object): string {
  const path = join(work, `${name}.json`);
  writeFileSync(path, JSON.stringify(plan));
  return path;
}

function prEvent(number = 7, eventName = 'pull_request'): Record<string, string> {
  const path = join(work, `event-${number}.json`);
  writeFileSync(path, JSON.stringify({ pull_request: { number } }));
  return { GITHUB_EVENT_PATH: path, GITHUB_EVENT_NAME: eventName, GITHUB_REPOSITORY: 'acme/infra' };
}

let gh: FakeGitHub;
beforeEach(async () => {
  gh = await startFakeGitHub();
});
afterEach(async () => {
  await gh.close();
});

const env = (extra: Record<string, string> = {}) => ({ GITHUB_API_URL: gh.url, ...prEvent(), ...extra });

describe('plan-guard dist on the runner', () => {
  it('gateway → instance: outputs, summary, report file and one sticky comment, updated in place on re-run', async () => {
    const plan = join(EXAMPLES, 'gateway-to-instance.json');
    const run = await runAction(
      'plan-guard',
      { 'plan-json': plan, environment: 'prod', 'github-token': 'ghs_test' },
      { env: env() },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.outputs.risk).toBe('high');
    expect(run.outputs['mode-switch']).toBe('gateway-to-instance');
    expect(run.outputs['expected-applies']).toBe('2');
    expect(JSON.parse(run.outputs.affected as string)).toEqual(['0', '1']);
    const expectedSha = (await loadPlanFile(plan)).documents[0]!.digest;
    expect(run.outputs['plan-sha']).toBe(expectedSha);
    const findings = JSON.parse(run.outputs.findings as string);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'high', kind: 'mode-switch', keys: ['0', '1'] });
    expect(readFileSync(run.outputs['report-file'] as string, 'utf8')).toContain('NAT egress risk: HIGH');
    expect(run.summary).toContain('NAT mode switch: gateway → instance');
    expect(run.stdout).toContain('::warning title=NAT high%3A NAT mode switch');
    expect(gh.comments).toHaveLength(1);
    expect(gh.comments[0]!.body).toContain('<!-- nat-egress/plan-guard environment=prod -->');
    expect(gh.comments[0]!.body).toContain(
      `<!-- nat-egress/plan-guard-meta {"risk":"high","modeSwitch":"gateway-to-instance","expectedApplies":2,"affected":2,"planSha":"${expectedSha}"} -->`,
    );
    expect(run.outputs['comment-url']).toBe(gh.comments[0]!.html_url);
    expect(gh.requests.find((r) => r.method === 'POST')?.auth).toBe('token ghs_test');

    // Same PR, new plan: the same comment is updated, never duplicated; another environment gets its own.
    const again = await runAction(
      'plan-guard',
      { 'plan-json': join(EXAMPLES, 'ami-adoption.json'), environment: 'prod', 'github-token': 't' },
      { env: env() },
    );
    expect(again.code).toBe(0);
    expect(gh.comments).toHaveLength(1);
    expect(gh.comments[0]!.body).toContain('New NAT AMI adopted');
    await runAction('plan-guard', { 'plan-json': plan, environment: 'stage', 'github-token': 't' }, { env: env() });
    expect(gh.comments).toHaveLength(2);

    // Risk drops to none: the existing prod comment says so.
    const clean = await runAction(
      'plan-guard',
      { 'plan-json': join(EXAMPLES, 'unrelated-only.json'), environment: 'prod', 'github-token': 't' },
      { env: env() },
    );
    expect(clean.outputs.risk).toBe('none');
    expect(gh.comments).toHaveLength(2);
    expect(gh.comments[0]!.body).toContain('No NAT risk any more');
  });

  it('finds its comment beyond the first page of a long conversation', async () => {
    for (let i = 0; i < 230; i++)
      gh.comments.push({ id: i + 1, body: `comment ${i}`, html_url: `u${i}`, user: { login: 'someone' } });
    await runAction(
      'plan-guard',
      { 'plan-json': join(EXAMPLES, 'ami-adoption.json'), 'github-token': 't' },
      { env: env() },
    );
    await runAction(
      'plan-guard',
      { 'plan-json': join(EXAMPLES, 'ami-adoption.json'), 'github-token': 't', comment: 'always' },
      { env: env() },
    );
    expect(gh.comments.filter((c) => c.body.includes('nat-egress/plan-guard'))).toHaveLength(1);
    expect(gh.requests.filter((r) => r.method === 'GET').length).toBeGreaterThanOrEqual(6);
  });

  it('no risk and no earlier comment: nothing is posted', async () => {
    const run = await runAction(
      'plan-guard',
      { 'plan-json': join(EXAMPLES, 'unrelated-only.json'), 'github-token': 't' },
      { env: env() },
    );
    expect(run.code).toBe(0);
    expect(run.outputs.risk).toBe('none');
    expect(run.outputs['comment-url']).toBe('');
    expect(gh.comments).toHaveLength(0);
  });

  it('a fork pull request (read-only token): warns, still writes the summary and report file, does not fail', async () => {
    gh.readOnly = true;
    const run = await runAction(
      'plan-guard',
      { 'plan-json': join(EXAMPLES, 'gateway-to-instance.json'), 'github-token': 't' },
      { env: env() },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /::warning::Could not comment on the pull request: the token may not write comments \(HTTP 403/,
    );
    expect(run.summary).toContain('NAT egress risk: HIGH');
    expect(readFileSync(run.outputs['report-file'] as string, 'utf8')).toContain('NAT egress risk: HIGH');
  });

  it('keeps a huge report under the comment limit with a visible note', async () => {
    const changes = Array.from({ length: 1500 }, (_, i) =>
      cabal.instance(i % 4, ['delete', 'create'], { amiAfter: 'ami-0new' }),
    ).map((c, i) => ({
      ...c,
      address: `module.region_${i}.aws_instance.nat[${i % 4}]`,
      index: `${i}-az-with-a-long-key-name-to-make-the-report-larger`,
    }));
    const run = await runAction(
      'plan-guard',
      { 'plan-json': writePlan('huge', planJson(changes)), 'github-token': 't', 'fail-on': 'none' },
      { env: env() },
    );
    expect(run.code).toBe(0);
    expect(gh.comments).toHaveLength(1);
    const comment = gh.comments[0]!.body;
    expect(comment.length).toBeLessThanOrEqual(65_536);
    expect(comment).toContain('**Shortened:**');
    expect(readFileSync(run.outputs['report-file'] as string, 'utf8').length).toBeGreaterThan(65_536);
  });

  it('fails at or above fail-on with error annotations and one error line', async () => {
    const run = await runAction(
      'plan-guard',
      { 'plan-json': join(EXAMPLES, 'eip-destroyed.json'), comment: 'never' },
      { env: env() },
    );
    expect(run.code).toBe(1);
    expect(run.outputs.risk).toBe('critical');
    // The Elastic IP the example plan (written by real terraform, scripts/gen-examples.ts) deletes.
    const eip = (
      JSON.parse(readFileSync(join(EXAMPLES, 'eip-destroyed.json'), 'utf8')) as {
        resource_changes: Array<{ type: string; change: { actions: string[]; before?: { public_ip?: string } } }>;
      }
    ).resource_changes.find((rc) => rc.type === 'aws_eip' && rc.change.actions.includes('delete'))?.change.before
      ?.public_ip;
    expect(run.stdout).toContain(`::error title=NAT critical%3A NAT Elastic IP deleted (${eip})::`);
    expect(run.stdout).toMatch(
      /::error::NAT egress risk is critical, at or above fail-on \(critical\): 1 finding\(s\), see the report/,
    );
    expect(gh.comments).toHaveLength(0);
    const high = await runAction(
      'plan-guard',
      { 'plan-json': join(EXAMPLES, 'quiesce-down.json'), comment: 'never', 'fail-on': 'HIGH' },
      { env: env() },
    );
    expect(high.code).toBe(1);
    const none = await runAction(
      'plan-guard',
      { 'plan-json': join(EXAMPLES, 'eip-destroyed.json'), comment: 'never', 'fail-on': 'none' },
      { env: env() },
    );
    expect(none.code).toBe(0);
  });

  it('ami-name-pattern and required-tags: the tested image the plan read stays high; under other tags it is critical', async () => {
    const plan = join(EXAMPLES, 'ami-adoption.json');
    const kinds = (run: { outputs: Record<string, string | undefined> }) =>
      (JSON.parse(run.outputs.findings as string) as { kind: string; severity: string; why: string }[]).map(
        (f) => `${f.severity} ${f.kind}`,
      );
    const [tested, untested, bad] = await Promise.all([
      runAction('plan-guard', { 'plan-json': plan, comment: 'never' }, { env: env() }),
      runAction(
        'plan-guard',
        { 'plan-json': plan, comment: 'never', 'required-tags': 'Role=cabal-nat\nStage=passed' },
        { env: env() },
      ),
      runAction(
        'plan-guard',
        { 'plan-json': plan, comment: 'never', 'ami-name-pattern': 'x'.repeat(129) },
        { env: env() },
      ),
    ]);
    expect(tested.code).toBe(0);
    expect(tested.outputs.risk).toBe('high');
    expect(kinds(tested)).toContain('high nat-ami-adopted');
    expect(JSON.parse(tested.outputs.findings as string)[0].why).toContain(': tested (it carries Role=cabal-nat).');
    expect(untested.code).toBe(1);
    expect(untested.outputs.risk).toBe('critical');
    expect(kinds(untested)).toContain('critical nat-ami-untested');
    expect(untested.stdout).toContain('lacks tag Stage=passed');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('::error::ami-name-pattern: longer than 128 characters (the AMI name limit)');
  });

  it('never leaks sensitive values, and neutralises markdown, HTML and mentions from the plan', async () => {
    const evilKey = '<img src=x onerror=alert(1)> @octocat [click](https://evil.example) ` | #1';
    const changes = [
      change(
        `module.vpc.aws_eip.nat_eip["${evilKey}"]`,
        ['delete'],
        { public_ip: '198.51.100.77', id: 'eipalloc-9' },
        null,
        { before_sensitive: { public_ip: true } },
      ),
      change(
        'module.vpc.aws_instance.nat[0]',
        ['delete', 'create'],
        { ami: 'ami-TOPSECRET', source_dest_check: false, tags: { Name: '@admins' } },
        { ami: 'ami-TOPSECRET2', source_dest_check: false },
        {
          replace_paths: [['ami']],
          before_sensitive: { ami: true },
          after_sensitive: { ami: true },
        },
      ),
    ];
    const run = await runAction(
      'plan-guard',
      { 'plan-json': writePlan('evil', planJson(changes)), 'github-token': 't', 'fail-on': 'none' },
      { env: env() },
    );
    expect(run.code).toBe(0);
    const everything = [
      run.stdout,
      run.stderr,
      run.summary,
      JSON.stringify(run.outputs),
      readFileSync(run.outputs['report-file'] as string, 'utf8'),
      ...gh.comments.map((c) => c.body),
    ].join('\n');
    expect(everything).not.toContain('198.51.100.77');
    expect(everything).not.toContain('TOPSECRET');
    for (const markdown of [gh.comments[0]!.body, run.summary]) {
      // The hostile key is shown, but only inside code spans, where GitHub renders it as literal text.
      expect(markdown).toContain('``<img src=x onerror=alert(1)> @octocat');
      const prose = outsideCodeSpans(markdown);
      expect(prose).not.toMatch(/<img/);
      expect(prose).not.toMatch(/@octocat/);
      expect(prose).not.toMatch(/\]\(https?:/);
      expect(prose).not.toMatch(/https:\/\//);
    }
  });

  it('runs terraform show -json itself for a saved plan file', async () => {
    const bin = join(work, 'bin');
    const fake = join(bin, 'terraform');
    mkdirSync(bin, { recursive: true });
    writeFileSync(
      fake,
      `#!/bin/sh\nif [ "$1" = show ] && [ "$2" = -json ]; then cat ${JSON.stringify(join(EXAMPLES, 'ami-adoption.json'))}; exit 0; fi\necho "Error: unexpected $*" >&2; exit 1\n`,
    );
    chmodSync(fake, 0o755);
    writeFileSync(join(work, 'tfplan'), 'binary plan');
    const run = await runAction(
      'plan-guard',
      { planfile: 'tfplan', 'working-directory': work, comment: 'never' },
      { env: { ...env(), PATH: `${bin}:${process.env.PATH}` } },
    );
    expect(run.code).toBe(0);
    expect(run.outputs.risk).toBe('high');
    const missing = await runAction(
      'plan-guard',
      { planfile: 'tfplan', 'working-directory': work, terraform: 'no-such-terraform' },
      { env: env() },
    );
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('::error::planfile: tfplan: "no-such-terraform" was not found (install Terraform');
  });

  it.each([
    [
      { 'fail-on': 'hihg', 'plan-json': 'x.json' },
      '::error::fail-on: "hihg" is not one of none, low, medium, high, critical',
    ],
    [
      { comment: 'sometimes', 'plan-json': 'x.json' },
      '::error::comment: "sometimes" is not one of auto, always, never',
    ],
    [{}, '::error::plan-json or planfile: one is required'],
    [{ 'plan-json': 'a.json', planfile: 'b' }, '::error::plan-json and planfile: give one of them, not both'],
    [{ 'plan-json': 'missing.json' }, '::error::plan-json: missing.json: does not exist'],
    [{ planfile: 'missing.tfplan' }, '::error::planfile: missing.tfplan does not exist'],
    [{ 'plan-json': 'state.json' }, '::error::plan-json: state.json: is a Terraform state file, not a plan'],
    [
      { 'plan-json': 'v2.json' },
      '::error::plan-json: v2.json: format_version 2.0 is newer than this action understands',
    ],
    [
      { 'plan-json': 'x.json', 'nat-address-patterns': 'router=*' },
      '::error::nat-address-patterns: "router=*" is not role=glob',
    ],
  ])('bad input %j → one clear error line, no stack trace', async (inputs, expected) => {
    writeFileSync(join(work, 'state.json'), JSON.stringify({ version: 4, serial: 1, lineage: 'l', resources: [] }));
    writeFileSync(join(work, 'v2.json'), JSON.stringify({ ...planJson([]), format_version: '2.0' }));
    const run = await runAction('plan-guard', { 'working-directory': work, ...inputs }, { env: env() });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(expected);
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/\n\s+at /);
  });

  it('prints the report locally (--local) under Node 24 and this Node', async () => {
    for (const node of [NODE24, process.execPath]) {
      const run = await runAction(
        'plan-guard',
        {},
        { node, args: ['--local', join(EXAMPLES, 'gateway-to-instance.json')] },
      );
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('### 🛑 NAT egress risk: HIGH');
      expect(run.stderr).toContain('mode-switch=gateway-to-instance expected-applies=2');
    }
  });
});

/** Markdown with its code spans removed (CommonMark rules): what GitHub would interpret as markup. */
function outsideCodeSpans(markdown: string): string {
  let out = '';
  let i = 0;
  while (i < markdown.length) {
    const c = markdown[i] as string;
    if (c === '\\') {
      out += markdown.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (c !== '`') {
      out += c;
      i++;
      continue;
    }
    let n = 0;
    while (markdown[i + n] === '`') n++;
    const fence = '`'.repeat(n);
    let j = i + n;
    let close = -1;
    while ((j = markdown.indexOf(fence, j)) !== -1) {
      if (markdown[j - 1] !== '`' && markdown[j + n] !== '`') {
        close = j;
        break;
      }
      j += n;
    }
    if (close === -1) {
      out += fence;
      i += n;
    } else {
      i = close + n;
    }
  }
  return out;
}
