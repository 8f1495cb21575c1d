/**
 * The actions/github-script steps of egress_watch.yml (one issue per failing environment, closed on recovery,
 * never duplicated) and plan_guard_comment.yml (fork PR relay: one sticky comment per environment, untrusted
 * artifact handled as data), run against an in-memory GitHub API the way github-script runs them. And
 * nat_ami_build.yml's summary script under bash: values from AWS cannot split its table's cells.
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './lib/paths';
import { parseWorkflow, stepsOf } from './lib/workflow-checks';

interface Issue {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  state_reason?: string;
  labels: string[];
  pull_request?: object;
  user?: { login: string; type: string };
}
interface Comment {
  id: number;
  issue_number: number;
  body: string;
  user: { login?: string; type: string };
  html_url: string;
}
type Params = Record<string, unknown>;

/** GITHUB_TOKEN's identity on GitHub (REST user of what it writes). */
const BOT = { login: 'github-actions[bot]', type: 'Bot' };

class HttpError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

/** Just enough of Octokit for the two scripts; records every write. */
class FakeGitHub {
  issues: Issue[] = [];
  comments: Comment[] = [];
  labels = new Set<string>();
  pulls = new Map<number, { head: { sha: string } }>();
  writes: string[] = [];
  private next = 1;

  paginate = async (fn: (p: Params) => Promise<{ data: unknown[] }>, params: Params): Promise<unknown[]> =>
    (await fn(params)).data;

  rest = {
    issues: {
      listForRepo: async (p: Params) => ({
        data: this.issues.filter((i) => i.state === p.state && i.labels.includes(String(p.labels))),
      }),
      create: async (p: Params) => {
        this.writes.push('issues.create');
        const issue: Issue = {
          number: this.next++,
          title: String(p.title),
          body: String(p.body),
          state: 'open',
          labels: p.labels as string[],
          user: BOT,
        };
        this.issues.push(issue);
        return { data: issue };
      },
      update: async (p: Params) => {
        this.writes.push(`issues.update#${p.issue_number}`);
        const issue = this.issues.find((i) => i.number === p.issue_number)!;
        if (p.body !== undefined) issue.body = String(p.body);
        if (p.state !== undefined) issue.state = p.state as Issue['state'];
        if (p.state_reason !== undefined) issue.state_reason = String(p.state_reason);
        return { data: issue };
      },
      getLabel: async (p: Params) => {
        if (!this.labels.has(String(p.name))) throw new HttpError(404);
        return { data: { name: p.name } };
      },
      createLabel: async (p: Params) => {
        this.writes.push('issues.createLabel');
        this.labels.add(String(p.name));
        return { data: { name: p.name } };
      },
      listComments: async (p: Params) => ({ data: this.comments.filter((c) => c.issue_number === p.issue_number) }),
      createComment: async (p: Params) => {
        this.writes.push(`issues.createComment#${p.issue_number}`);
        const id = this.next++;
        const c: Comment = {
          id,
          issue_number: Number(p.issue_number),
          body: String(p.body),
          user: BOT,
          html_url: `https://gh/c/${id}`,
        };
        this.comments.push(c);
        return { data: c };
      },
      updateComment: async (p: Params) => {
        this.writes.push(`issues.updateComment#${p.comment_id}`);
        const c = this.comments.find((x) => x.id === p.comment_id)!;
        c.body = String(p.body);
        return { data: c };
      },
    },
    pulls: {
      get: async (p: Params) => {
        const pr = this.pulls.get(Number(p.pull_number));
        if (!pr) throw new HttpError(404);
        return { data: pr };
      },
    },
  };
}

class FakeCore {
  failed: string[] = [];
  logs: string[] = [];
  setFailed = (m: string): void => void this.failed.push(m);
  info = (m: string): void => void this.logs.push(`info: ${m}`);
  notice = (m: string): void => void this.logs.push(`notice: ${m}`);
  warning = (m: string): void => void this.logs.push(`warning: ${m}`);
}

function scriptOf(file: string, job: string): string {
  const wf = parseWorkflow(file, readFileSync(join(repoRoot, file), 'utf8'));
  const step = stepsOf(wf.doc).find(
    (s) => s.job === job && String(s.step.uses ?? '').startsWith('actions/github-script@'),
  );
  const script = (step?.step.with as Record<string, unknown> | undefined)?.script;
  if (typeof script !== 'string') throw new Error(`${file}: no github-script step in job ${job}`);
  return script;
}

type Run = (github: FakeGitHub, core: FakeCore, env: Record<string, string>) => Promise<void>;

/** Runs a github-script body as the action does: an async function of (github, context, core, require, …). */
function compile(script: string): Run {
  const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (
    ...args: string[]
  ) => (...a: unknown[]) => Promise<void>;
  const fn = new AsyncFunction('github', 'context', 'core', 'require', 'process', script);
  const req = createRequire(import.meta.url);
  const context = { repo: { owner: 'acme', repo: 'infra' } };
  return (github, core, env) => fn(github, context, core, req, { env });
}

describe('egress_watch: one issue per environment', () => {
  const run = compile(scriptOf('.github/workflows/egress_watch.yml', 'issue'));
  let gh: FakeGitHub;
  let dir: string;
  const envFor = (healthy: string, environment = 'prod'): Record<string, string> => ({
    ENVIRONMENT: environment,
    HEALTHY: healthy,
    LABEL: 'nat-egress-watch',
    REPORT_PATH: join(dir, 'report.md'),
    RUN_URL: 'https://github.com/acme/infra/actions/runs/42',
  });

  beforeEach(() => {
    gh = new FakeGitHub();
    dir = mkdtempSync(join(tmpdir(), 'watch-'));
    writeFileSync(join(dir, 'report.md'), '| AZ | verdict |\n| --- | --- |\n| `us-east-1a` | **egress broken** |\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('failing egress opens one issue with the report and the rollback lever, and fails the run', async () => {
    const core = new FakeCore();
    await run(gh, core, envFor('false'));
    expect(gh.issues).toHaveLength(1);
    const issue = gh.issues[0]!;
    expect(issue.title).toBe('NAT egress failing: prod');
    expect(issue.labels).toEqual(['nat-egress-watch']);
    expect(issue.body).toContain('<!-- nat-egress-toolkit:egress-watch environment=prod -->');
    expect(issue.body).toContain('**egress broken**');
    expect(issue.body).toMatch(/Rollback lever:.*gateway mode/);
    expect(gh.labels.has('nat-egress-watch')).toBe(true);
    expect(core.failed).toEqual(['egress in prod is failing: opened #1']);
  });

  test('still failing: the open issue is updated, never a second one', async () => {
    await run(gh, new FakeCore(), envFor('false'));
    writeFileSync(join(dir, 'report.md'), 'newer report');
    const core = new FakeCore();
    await run(gh, core, envFor('false'));
    await run(gh, new FakeCore(), envFor('false'));
    expect(gh.issues.filter((i) => i.state === 'open')).toHaveLength(1);
    expect(gh.issues[0]!.body).toContain('newer report');
    expect(gh.writes.filter((w) => w === 'issues.create')).toHaveLength(1);
    expect(core.failed).toEqual(['egress in prod is failing: updated #1']);
  });

  test('recovery comments and closes the issue; a healthy run without an issue writes nothing', async () => {
    await run(gh, new FakeCore(), envFor('false'));
    const core = new FakeCore();
    await run(gh, core, envFor('true'));
    expect(gh.issues[0]).toMatchObject({ state: 'closed', state_reason: 'completed' });
    expect(gh.comments.map((c) => c.body)).toEqual([expect.stringMatching(/^Egress in prod recovered/)]);
    expect(core.failed).toEqual([]);
    const writes = gh.writes.length;
    await run(gh, new FakeCore(), envFor('true'));
    expect(gh.writes.length).toBe(writes);
  });

  test('after recovery a new failure opens a new issue (the closed one is history)', async () => {
    await run(gh, new FakeCore(), envFor('false'));
    await run(gh, new FakeCore(), envFor('true'));
    await run(gh, new FakeCore(), envFor('false'));
    expect(gh.issues.map((i) => i.state)).toEqual(['closed', 'open']);
  });

  test('environments do not share an issue', async () => {
    await run(gh, new FakeCore(), envFor('false', 'prod'));
    await run(gh, new FakeCore(), envFor('false', 'stage'));
    await run(gh, new FakeCore(), envFor('true', 'stage'));
    expect(gh.issues.map((i) => [i.title, i.state])).toEqual([
      ['NAT egress failing: prod', 'open'],
      ['NAT egress failing: stage', 'closed'],
    ]);
  });

  test('duplicates left by an earlier race are closed in favour of the oldest', async () => {
    const marker = '<!-- nat-egress-toolkit:egress-watch environment=prod -->';
    gh.labels.add('nat-egress-watch');
    const labels = ['nat-egress-watch'];
    gh.issues.push({ number: 7, title: 'a', body: `${marker}\nold`, state: 'open', labels, user: BOT });
    gh.issues.push({ number: 9, title: 'b', body: `${marker}\ndup`, state: 'open', labels, user: BOT });
    gh.issues.push({
      number: 11,
      title: 'pr',
      body: marker,
      state: 'open',
      labels: ['nat-egress-watch'],
      pull_request: {},
      user: BOT,
    });
    await run(gh, new FakeCore(), envFor('false'));
    expect(gh.issues.find((i) => i.number === 9)).toMatchObject({ state: 'closed', state_reason: 'not_planned' });
    expect(gh.issues.find((i) => i.number === 7)!.body).toContain('**egress broken**');
    expect(gh.issues.find((i) => i.number === 11)!.state).toBe('open'); // a PR is never touched
    expect(gh.writes).not.toContain('issues.create');
  });

  test('no verdict (verify job failed before deciding): fails the run and leaves the issue alone', async () => {
    await run(gh, new FakeCore(), envFor('false'));
    const before = gh.writes.length;
    const core = new FakeCore();
    await run(gh, core, envFor(''));
    expect(gh.writes.length).toBe(before);
    expect(core.failed[0]).toMatch(/gave no verdict for prod/);
  });

  test('an issue by someone else carrying the marker and the label is never updated or closed', async () => {
    const marker = '<!-- nat-egress-toolkit:egress-watch environment=prod -->';
    const spoof = { login: 'mallory', type: 'User' };
    gh.issues.push({
      number: 3,
      title: 'x',
      body: `${marker}\nmine`,
      state: 'open',
      labels: ['nat-egress-watch'],
      user: spoof,
    });
    await run(gh, new FakeCore(), envFor('true'));
    await run(gh, new FakeCore(), envFor('false'));
    expect(gh.issues.find((i) => i.number === 3)).toMatchObject({ state: 'open', body: `${marker}\nmine` });
    expect(gh.writes).toEqual(['issues.createLabel', 'issues.create']);
  });

  test('a missing report still opens the issue, saying so', async () => {
    rmSync(join(dir, 'report.md'));
    await run(gh, new FakeCore(), envFor('false'));
    expect(gh.issues[0]!.body).toContain('verify-egress wrote no report');
  });
});

describe('plan_guard_comment: relay for PRs from forks', () => {
  const run = compile(scriptOf('.github/workflows/plan_guard_comment.yml', 'relay'));
  const HEAD = 'a'.repeat(40);
  let gh: FakeGitHub;
  let dir: string;
  const env = (): Record<string, string> => ({
    REPORTS_DIR: dir,
    HEAD_SHA: HEAD,
    RUN_URL: 'https://github.com/acme/infra/actions/runs/7',
  });
  const artifact = (name: string, meta: Record<string, unknown>, report: string): void => {
    mkdirSync(join(dir, name), { recursive: true });
    writeFileSync(join(dir, name, 'meta.json'), JSON.stringify(meta));
    writeFileSync(join(dir, name, 'report.md'), report);
  };
  const meta = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
    environment: 'prod',
    pr: 12,
    head_sha: HEAD,
    risk: 'high',
    comment_url: '',
    ...over,
  });

  beforeEach(() => {
    gh = new FakeGitHub();
    gh.pulls.set(12, { head: { sha: HEAD } });
    dir = mkdtempSync(join(tmpdir(), 'relay-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('posts one sticky comment per environment, with @mentions neutralised', async () => {
    artifact('plan-guard-report-prod-1', meta(), '**high**: `module.vpc.aws_instance.nat[0]` replaced, ping @octocat');
    artifact('plan-guard-report-stage-1', meta({ environment: 'stage', risk: 'low' }), 'low risk');
    await run(gh, new FakeCore(), env());
    expect(gh.comments).toHaveLength(2);
    const prod = gh.comments.find((c) => c.body.includes('environment=prod'))!;
    expect(prod.body.startsWith('<!-- nat-egress-toolkit:plan-guard-relay environment=prod -->')).toBe(true);
    expect(prod.body).toContain('`module.vpc.aws_instance.nat[0]` replaced');
    expect(prod.body).not.toMatch(/@octocat/);
    expect(prod.body).toContain('@\u200doctocat');
  });

  test('a later run updates the same comment (newest attempt wins), never a duplicate', async () => {
    artifact('plan-guard-report-prod-1', meta(), 'first');
    await run(gh, new FakeCore(), env());
    rmSync(join(dir, 'plan-guard-report-prod-1'), { recursive: true });
    artifact('plan-guard-report-prod-1', meta(), 'attempt one');
    artifact('plan-guard-report-prod-2', meta({ risk: 'critical' }), 'attempt two');
    await run(gh, new FakeCore(), env());
    expect(gh.comments).toHaveLength(1);
    expect(gh.comments[0]!.body).toContain('attempt two');
  });

  test('risk dropping to none updates the existing comment; none without a comment posts nothing', async () => {
    artifact('plan-guard-report-prod-1', meta({ risk: 'none' }), 'nothing');
    await run(gh, new FakeCore(), env());
    expect(gh.comments).toHaveLength(0);
    artifact('plan-guard-report-prod-2', meta(), 'risky');
    await run(gh, new FakeCore(), env());
    artifact('plan-guard-report-prod-3', meta({ risk: 'none' }), 'nothing');
    await run(gh, new FakeCore(), env());
    expect(gh.comments).toHaveLength(1);
    expect(gh.comments[0]!.body).toContain('No NAT risk any more');
  });

  test("refuses a PR number whose head is not the run's commit (forged artifact)", async () => {
    gh.pulls.set(99, { head: { sha: 'b'.repeat(40) } });
    artifact('plan-guard-report-prod-1', meta({ pr: 99 }), 'forged');
    const core = new FakeCore();
    await run(gh, core, env());
    expect(gh.comments).toHaveLength(0);
    expect(core.logs.join('\n')).toMatch(/not commenting for prod/);
  });

  test.each([
    ['an environment name with markup', { environment: 'prod --><img src=x>' }],
    ['a non-integer PR number', { pr: '12; rm -rf /' }],
    ['an unknown risk', { risk: 'apocalyptic' }],
  ])('skips %s', async (_what, over) => {
    artifact('plan-guard-report-x-1', meta(over), 'x');
    await run(gh, new FakeCore(), env());
    expect(gh.comments).toHaveLength(0);
    expect(gh.writes).toEqual([]);
  });

  test('does not relay when plan-guard could comment itself', async () => {
    artifact(
      'plan-guard-report-prod-1',
      meta({ comment_url: 'https://github.com/acme/infra/pull/12#issuecomment-1' }),
      'x',
    );
    await run(gh, new FakeCore(), env());
    expect(gh.writes).toEqual([]);
  });

  test('a comment by a user that copies the marker is not taken over', async () => {
    gh.comments.push({
      id: 500,
      issue_number: 12,
      body: '<!-- nat-egress-toolkit:plan-guard-relay environment=prod -->\nfake',
      user: { type: 'User' },
      html_url: 'x',
    });
    artifact('plan-guard-report-prod-1', meta(), 'real');
    await run(gh, new FakeCore(), env());
    expect(gh.comments.find((c) => c.id === 500)!.body).toContain('fake');
    expect(gh.comments.filter((c) => c.user.type === 'Bot')).toHaveLength(1);
  });

  test("another bot's comment copying the marker is not taken over either", async () => {
    gh.comments.push({
      id: 501,
      issue_number: 12,
      body: '<!-- nat-egress-toolkit:plan-guard-relay environment=prod -->\nother app',
      user: { login: 'some-app[bot]', type: 'Bot' },
      html_url: 'x',
    });
    artifact('plan-guard-report-prod-1', meta(), 'real');
    await run(gh, new FakeCore(), env());
    expect(gh.comments.find((c) => c.id === 501)!.body).toContain('other app');
    expect(gh.comments.filter((c) => c.user.login === 'github-actions[bot]')).toHaveLength(1);
  });

  test("a report over GitHub's comment limit is shortened visibly to fit", async () => {
    artifact('plan-guard-report-prod-1', meta(), 'x'.repeat(200_000));
    await run(gh, new FakeCore(), env());
    const body = gh.comments[0]!.body;
    expect(body.length).toBeLessThanOrEqual(65536);
    expect(body).toMatch(/Report shortened to fit a GitHub comment/);
  });

  test('a run without reports is not an error', async () => {
    rmSync(dir, { recursive: true });
    const core = new FakeCore();
    await run(gh, core, env());
    expect(core.failed).toEqual([]);
    expect(core.logs).toEqual(['info: no plan-guard reports in the triggering run']);
  });
});

describe('nat_ami_build: the summary table', () => {
  /** The cells of a GFM row as cmark-gfm splits it: at every | that no backslash precedes. */
  const cells = (row: string) => row.split(/(?<!\\)\|/).slice(1, -1);

  test('values holding |, a backtick or a line break stay in their cells', () => {
    const wf = parseWorkflow(
      'nat_ami_build.yml',
      readFileSync(join(repoRoot, '.github/workflows/nat_ami_build.yml'), 'utf8'),
    );
    const script = String(stepsOf(wf.doc).find((s) => s.step.name === 'Summary')?.step.run);
    const dir = mkdtempSync(join(tmpdir(), 'ami-summary-'));
    const summary = join(dir, 'summary.md');
    const r = spawnSync('bash', ['-e', '-c', script], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH ?? '',
        GITHUB_STEP_SUMMARY: summary,
        ENVIRONMENT: 'prod',
        AMI_ID: 'ami-0123456789abcdef0',
        AMI_NAME: 'nat | evil` | --- |\n| injected | row |',
        IMAGE_VERSION: '1.0.0/5|x',
        REUSED: 'false',
      },
    });
    expect(r.status).toBe(0);
    const lines = readFileSync(summary, 'utf8').split('\n');
    rmSync(dir, { recursive: true, force: true });
    const table = lines.filter((l) => l.startsWith('|'));
    expect(table).toHaveLength(3);
    for (const row of table) expect(cells(row)).toHaveLength(4);
    expect(table[2]).toBe(
      "| `ami-0123456789abcdef0` | `nat \\| evil' \\| --- \\| \\| injected \\| row \\|` | `1.0.0/5\\|x` | false |",
    );
  });
});
