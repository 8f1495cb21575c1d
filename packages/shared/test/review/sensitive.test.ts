/**
 * Never leak (issue 9 §3): a value terraform marks sensitive (before_sensitive / after_sensitive, at any depth)
 * never reaches the comment, the job summary, the outputs, the annotations, the report file or a log line.
 * Property-based: random NAT plans with random markers at random depths and a canary in every marked value.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shownValue, type ResourceChange } from '@nat-egress/shared/plan';
import { analysePlan, renderReport, renderReportWithin } from '@nat-egress/shared/review';
import { REPO_ROOT, runAction } from '../support/action-runner';
import { startFakeGitHub, type FakeGitHub } from '../support/github-server';
import { cabal, change, planJson } from '../support/plans';

type Obj = Record<string, unknown>;
type Path = (string | number)[];
const work = mkdtempSync(join(tmpdir(), 'plan-sensitive-'));
const CANARY = 'CANARY7f3a';

/** Every NAT resource shape the classifier words, in every action, so every finding text is exercised. */
const ACTIONS = [['create'], ['delete'], ['update'], ['delete', 'create'], ['create', 'delete'], ['no-op']];
const gwRegional = (actions: string[]) =>
  change(
    'aws_nat_gateway.regional',
    actions,
    actions[0] === 'create' && actions.length === 1
      ? null
      : {
          id: 'nat-0r',
          availability_mode: 'regional',
          vpc_id: 'vpc-1',
          availability_zone_address: [{ availability_zone: 'us-east-1a', allocation_ids: ['eipalloc-0a'] }],
          tags: { Name: 'regional' },
        },
    actions.includes('delete') && actions.length === 1
      ? null
      : {
          id: 'nat-0r',
          availability_mode: 'regional',
          vpc_id: 'vpc-1',
          availability_zone_address: [],
          auto_scaling_ips: 'enabled',
          tags: { Name: 'regional' },
        },
  );
const TEMPLATES: ((i: number, actions: string[]) => ResourceChange)[] = [
  (i, a) => cabal.gateway(i, a),
  (i, a) => cabal.instance(i, a.length === 1 && a[0] === 'no-op' ? ['update'] : a, { amiAfter: 'ami-0new' }),
  (i, a) => cabal.eip(i, a),
  (i, a) => cabal.association(i, a),
  (i, a) =>
    cabal.route(
      i,
      a.includes('create') && a.length === 1 ? a : ['update'],
      a.includes('create') && a.length === 1 ? null : 'gateway',
      a.includes('delete') && a.length === 1 ? null : 'instance',
    ),
  (i, _a) =>
    change(
      `aws_route_table.private[${i}]`,
      ['update'],
      {
        id: `rtb-${i}`,
        route: [{ cidr_block: '0.0.0.0/0', nat_gateway_id: `nat-${i}`, gateway_id: '' }],
        tags: { Name: 'p' },
      },
      {
        id: `rtb-${i}`,
        route: [{ cidr_block: '0.0.0.0/0', nat_gateway_id: `nat-${i}b`, gateway_id: '' }],
        tags: { Name: 'p' },
      },
    ),
  (i, a) =>
    change(
      `module.fck_nat[${i}].aws_network_interface.main`,
      a,
      a[0] === 'create' && a.length === 1
        ? null
        : { id: `eni-${i}`, source_dest_check: false, subnet_id: 's', private_ips: ['10.0.0.5'] },
      a.includes('delete') && a.length === 1
        ? null
        : {
            id: `eni-${i}`,
            source_dest_check: a.length === 1 && a[0] === 'update',
            subnet_id: 's',
            private_ips: ['10.0.0.6'],
          },
    ),
  (i, a) =>
    change(
      `module.fck_nat[${i}].aws_launch_template.main`,
      a,
      a[0] === 'create' && a.length === 1
        ? null
        : { image_id: 'ami-0old', network_interfaces: [{ network_interface_id: `eni-${i}` }] },
      a.includes('delete') && a.length === 1
        ? null
        : { image_id: 'ami-0new', network_interfaces: [{ network_interface_id: `eni-${i}` }] },
    ),
  (i, _a) => cabal.component({ version: '1.0.0', data: 'a' }, { version: i % 2 ? '1.0.0' : '1.0.1', data: 'b' }),
  (_i, a) => gwRegional(a),
  (i, a) => ({
    ...change(
      `aws_nat_gateway.moved[${i}]`,
      ['no-op'],
      { id: `nat-m${i}`, allocation_id: `eipalloc-m${i}`, subnet_id: 's' },
      { id: `nat-m${i}`, allocation_id: `eipalloc-m${i}`, subnet_id: 's' },
    ),
    previous_address: `aws_nat_gateway.old[${i}]`,
    ...(a.length === 2 ? { change: { ...cabal.gateway(i, ['no-op']).change, importing: { id: `nat-m${i}` } } } : {}),
  }),
];

/** All paths to leaves (and to composite values) of a JSON value. */
function paths(v: unknown, prefix: Path = []): Path[] {
  const out: Path[] = prefix.length ? [prefix] : [];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...prefix, i])));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...prefix, k]));
  return out;
}

function setAt(root: unknown, path: Path, value: unknown): void {
  let v = root as Obj;
  for (const k of path.slice(0, -1)) v = v[k as string] as Obj;
  (v as Obj)[path[path.length - 1] as string] = value;
}

/** A sensitivity marker that marks `markAt` (a prefix of the value's path), shaped like terraform writes it. */
function markerFor(existing: unknown, markAt: Path): unknown {
  if (markAt.length === 0) return true;
  const [head, ...rest] = markAt;
  if (typeof head === 'number') {
    const arr = Array.isArray(existing) ? [...existing] : [];
    while (arr.length <= head) arr.push(false);
    arr[head] = markerFor(arr[head], rest);
    return arr;
  }
  const obj = existing && typeof existing === 'object' && !Array.isArray(existing) ? { ...(existing as Obj) } : {};
  obj[head as string] = markerFor(obj[head as string], rest);
  return obj;
}

interface Mark {
  side: 'before' | 'after';
  pick: number;
  depthCut: number;
}

/** Puts a canary into the picked value and marks it (or an ancestor) sensitive; every value under a mark gets a canary. */
function inject(rc: ResourceChange, mark: Mark, n: number): void {
  const value = rc.change[mark.side];
  if (!value || typeof value !== 'object') return;
  const all = paths(value);
  if (all.length === 0) return;
  const path = all[mark.pick % all.length] as Path;
  const markAt = path.slice(0, Math.max(1, path.length - (mark.depthCut % path.length)));
  // Every leaf under the marked node carries a canary, so any leak of anything marked shows.
  const marked = [
    markAt,
    ...paths(
      markAt.reduce<unknown>((v, k) => (v as Obj)[k as string], value),
      markAt,
    ),
  ];
  for (const p of marked) {
    const leafValue = p.reduce<unknown>((v, k) => (v as Obj | undefined)?.[k as string], value);
    if (leafValue === null || typeof leafValue !== 'object') setAt(value, p, `${CANARY}-${n}-${p.join('.')}`);
  }
  const key = mark.side === 'before' ? 'before_sensitive' : 'after_sensitive';
  rc.change[key] = markerFor(rc.change[key] === false ? {} : rc.change[key], markAt);
}

const planArb = fc.array(
  fc.record({
    template: fc.nat({ max: TEMPLATES.length - 1 }),
    index: fc.nat({ max: 2 }),
    actions: fc.constantFrom(...ACTIONS),
    marks: fc.array(
      fc.record({ side: fc.constantFrom<'before' | 'after'>('before', 'after'), pick: fc.nat(), depthCut: fc.nat() }),
      { minLength: 1, maxLength: 3 },
    ),
    wholeSide: fc.boolean(),
  }),
  { minLength: 1, maxLength: 8 },
);

interface Spec {
  template: number;
  index: number;
  actions: string[];
  marks: Mark[];
  wholeSide: boolean;
}

function buildPlan(spec: Spec[]): ResourceChange[] {
  const seen = new Set<string>();
  const out: ResourceChange[] = [];
  spec.forEach((s, n) => {
    const rc = structuredClone(
      (TEMPLATES[s.template] as (i: number, a: string[]) => ResourceChange)(s.index, s.actions),
    );
    if (seen.has(rc.address)) return;
    seen.add(rc.address);
    for (const m of s.marks) inject(rc, m, n);
    if (s.wholeSide && rc.change.before && typeof rc.change.before === 'object') {
      // A whole side marked sensitive (before_sensitive: true): every value on it is a canary.
      for (const p of paths(rc.change.before))
        if (typeof p.reduce<unknown>((v, k) => (v as Obj)[k as string], rc.change.before) !== 'object')
          setAt(rc.change.before, p, `${CANARY}-${n}-whole-${p.join('.')}`);
      rc.change.before_sensitive = true;
    }
    out.push(rc);
  });
  return out;
}

let gh: FakeGitHub;
beforeAll(async () => {
  gh = await startFakeGitHub();
});
afterAll(async () => {
  await gh.close();
});

describe('sensitive values never reach anything a person reads', () => {
  it('shownValue: marked at any depth, or marking anything inside, gives "(sensitive)"', () => {
    const rc = change(
      'aws_route_table.private[0]',
      ['update'],
      { route: [{ nat_gateway_id: 'nat-secret', cidr_block: '0.0.0.0/0' }], tags: { Name: 'x' } },
      { route: [{ nat_gateway_id: 'nat-secret2', cidr_block: '0.0.0.0/0' }], tags: { Name: 'x' } },
      {
        before_sensitive: { route: [{ nat_gateway_id: true }] },
        after_sensitive: { route: true },
      },
    );
    expect(shownValue(rc, 'before', ['route', 0, 'nat_gateway_id'])).toBe('(sensitive)');
    expect(shownValue(rc, 'before', ['route', 0, 'cidr_block'])).toBe('0.0.0.0/0');
    expect(shownValue(rc, 'before', ['route'])).toBe('(sensitive)');
    expect(shownValue(rc, 'after', ['route', 0, 'cidr_block'])).toBe('(sensitive)');
    expect(shownValue(rc, 'after', ['tags', 'Name'])).toBe('x');
  });

  it('property: the whole in-process report pipeline (findings output, report, shortened comment) never shows a canary', async () => {
    await fc.assert(
      fc.asyncProperty(planArb, async (spec) => {
        const path = join(work, 'plan.json');
        writeFileSync(path, JSON.stringify(planJson(buildPlan(spec))));
        const r = await analysePlan({
          planJson: path,
          terraform: 'terraform',
          workingDirectory: work,
          failOn: 'critical',
          environment: 'prod',
          tempDir: work,
        });
        const texts = [
          renderReport(r.report),
          renderReportWithin(r.report, 2_000).body,
          JSON.stringify(r.findings),
          JSON.stringify(r.affected),
          JSON.stringify(r.expectedFailures),
          r.modeSwitch,
        ];
        for (const t of texts) expect(t).not.toContain(CANARY);
      }),
      { numRuns: 300, seed: 20261130 },
    );
  });

  it('property: the plan-guard action (comment, summary, outputs, annotations, log lines, report file) never shows a canary', async () => {
    if (!existsSync(join(REPO_ROOT, 'actions', 'plan-guard', 'dist', 'index.js')))
      throw new Error('plan-guard dist missing: pnpm build');
    const eventPath = join(work, 'event.json');
    writeFileSync(eventPath, JSON.stringify({ pull_request: { number: 9 } }));
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(planArb, async (spec) => {
        const path = join(work, `plan-${runs++}.json`);
        writeFileSync(path, JSON.stringify(planJson(buildPlan(spec))));
        const run = await runAction(
          'plan-guard',
          {
            'plan-json': path,
            environment: 'prod',
            'github-token': 'ghs_test',
            comment: 'always',
            'fail-on': 'medium',
          },
          {
            env: {
              GITHUB_API_URL: gh.url,
              GITHUB_EVENT_PATH: eventPath,
              GITHUB_EVENT_NAME: 'pull_request',
              GITHUB_REPOSITORY: 'acme/infra',
            },
          },
        );
        const report = run.outputs['report-file'] ? readFileSync(run.outputs['report-file'], 'utf8') : '';
        expect(run.outputs.risk).toBeDefined();
        for (const t of [
          run.stdout,
          run.stderr,
          run.outputText,
          run.summary,
          report,
          ...gh.comments.map((c) => c.body),
        ])
          expect(t).not.toContain(CANARY);
      }),
      { numRuns: 25, seed: 7 },
    );
  }, 120_000);
});

describe('reported: sensitive-nat-ids-in-routes.json', () => {
  const file = join(REPO_ROOT, '..', 'shared', 'fixtures', 'reported', 'sensitive-nat-ids-in-routes.json');
  const present = existsSync(file);
  (present ? it : it.skip)(
    'says "(sensitive)" where the route targets are marked, in the report and through the action',
    async () => {
      const ids = JSON.stringify(JSON.parse(readFileSync(file, 'utf8'))).match(/nat-0[0-9a-f]+/g) ?? [];
      expect(ids.length).toBeGreaterThan(4);
      const r = await analysePlan({
        planJson: file,
        terraform: 'terraform',
        workingDirectory: work,
        failOn: 'critical',
        environment: 'prod',
        tempDir: work,
      });
      expect(r.findings.map((f) => f.kind)).toEqual(['route-retargeted', 'route-retargeted', 'route-retargeted']);
      expect(r.findings[0]?.why).toContain('from nat_gateway_id=(sensitive) to nat_gateway_id=(sensitive)');
      const run = await runAction('plan-guard', {
        'plan-json': file,
        environment: 'prod',
        comment: 'never',
        'fail-on': 'medium',
      });
      const report = readFileSync(run.outputs['report-file'] as string, 'utf8');
      for (const t of [
        renderReport(r.report),
        JSON.stringify(r.findings),
        run.stdout,
        run.stderr,
        run.outputText,
        run.summary,
        report,
      ]) {
        for (const id of ids) expect(t).not.toContain(id);
      }
      expect(run.summary).toContain('(sensitive)');
    },
  );
  if (!present) it('skipped: corpus not present', () => expect(present).toBe(false));
});
