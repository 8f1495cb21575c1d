/**
 * infra.yml run as the runner runs it (the workflow harness, test/workflows/harness/) against the rehearsal's root
 * module, real terraform and the hashicorp/aws provider, moto behind the fault-injection proxy, and a fake GitHub
 * API. The module gains three canaries (fixtures/canary.tf: a sensitive variable from the NAT_EGRESS_TFVARS secret,
 * a sensitive resource attribute, a sensitive output) and a fourth that AWS makes at apply time (an IAM access
 * key's secret, read from the state afterwards).
 *
 * - push (apply: true): plan + apply; the plan travels sealed (age); after both jobs, no canary in clear, base64,
 *   hex, URI, JSON-escaped or UTF-16 form in any artifact file (zips opened), log line, step summary, step or job
 *   output, annotation or API request body;
 * - the apply job alone with the sealed plan from another run, for another environment, tampered, truncated, or
 *   without the identity: one line, nothing applied (no mutating AWS call);
 * - a pull request: a comment carrying plan-guard's marker written by someone else is never updated;
 * - a fork's pull request with apply: true: no plan is uploaded, and the plan job says why.
 * Without terraform, the provider or moto it is skipped with one line, except under CI=true or
 * REHEARSAL_REQUIRED=1 (.ci/run), where that is a failure.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { commandsIn } from './harness/commands';
import { MALLORY } from './harness/fake-github';
import { RunRecord, scanForCanaries } from './harness/record';
import { startWorld, type World } from './harness/world';

const REGION = 'eu-west-3';
const CANARIES = {
  variable: 'CANARY-VAR-7c1e9f20d4',
  attribute: 'CANARY-ATTR-3b8a55e0c1',
  output: 'CANARY-OUT-9d04f6b2a7',
};
const TFVARS = `canary_password = "${CANARIES.variable}"\n`;
const MARKER = '<!-- nat-egress/plan-guard environment=prod -->';

let world: World | undefined;
let skip = '';
let identity = '';
let recipient = '';
let push: RunRecord;
/** The IAM access key secret AWS (moto) made at apply time. */
let generated = '';

const inputs = (extra: Record<string, unknown> = {}) => ({
  environment: 'prod',
  'working-directory': 'infra',
  'aws-region': REGION,
  'role-to-assume': 'arn:aws:iam::123456789012:role/plan',
  'apply-role-to-assume': 'arn:aws:iam::123456789012:role/apply',
  'var-files': 'prod.tfvars',
  'vpc-name': 'cabal-vpc',
  'verify-wait': '0',
  ...extra,
});

function caller(w: World) {
  return {
    secrets: { NAT_EGRESS_TFVARS: TFVARS },
    environments: { prod: { secrets: { NAT_EGRESS_SEAL_IDENTITY: identity } } },
    baseEnv: { ...w.baseEnv },
  };
}

beforeAll(async () => {
  const started = await startWorld({
    'canary.tf': readFileSync(join(import.meta.dirname, 'fixtures', 'canary.tf'), 'utf8'),
  });
  if ('skip' in started) {
    skip = started.skip;
    if (process.env.CI === 'true' || process.env.REHEARSAL_REQUIRED === '1')
      throw new Error(`the workflow harness is required here (CI=true or .ci/run) but cannot run: ${skip}`);
    console.log(`workflow harness runs skipped: ${skip}`);
    return;
  }
  world = started;
  writeFileSync(
    join(world.repo, 'infra', 'prod.tfvars'),
    `region = "${REGION}"\nenvironment = "prod"\ncontrol_domain = "prod.example.com"\nuse_nat_instance = false\n`,
  );
  identity = await generateX25519Identity();
  recipient = await identityToRecipient(identity);
  push = await world.run('push', 'infra.yml', {
    ...caller(world),
    event: { name: 'push', payload: { ref: 'refs/heads/main' } },
    github: { run_id: '5001' },
    inputs: inputs({ apply: true, 'seal-recipients': recipient }),
  });
  const state = JSON.parse(readFileSync(world.stateFile, 'utf8'));
  for (const r of state.resources ?? [])
    if (r.type === 'aws_iam_access_key') generated = r.instances?.[0]?.attributes?.secret ?? '';
}, 600_000);

afterAll(async () => {
  if (world) {
    await world.stop();
  }
});

/** The places scanned, counted by kind (log line, annotation, summary, step/job/workflow output, artifact file, API body). */
function byKind(places: string[]): string {
  const counts = new Map<string, number>();
  for (const p of places) {
    const kind = /^(log|annotation|summary|step output|job output|workflow output|artifact|github)/.exec(p)?.[1] ?? p;
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k} ${n}`).join(', ');
}

function needsWorld(): World | undefined {
  if (!world) expect(skip).not.toBe('');
  return world;
}

describe('infra.yml, push: plan and apply with the plan sealed', () => {
  test('both jobs succeed; only the sealed plan is uploaded', () => {
    if (!needsWorld()) return;
    const failures = push.annotations.filter((a) => a.level === 'error');
    expect({ plan: push.jobs.plan?.result, apply: push.jobs.apply?.result, failures }).toEqual({
      plan: 'success',
      apply: 'success',
      failures: [],
    });
    expect(push.jobs.apply?.outputs.result).toBe('applied');
    const plan = push.artifacts.find((a) => a.name === 'nat-egress-plan-prod-1');
    expect(plan?.files).toEqual(['tfplan.age']);
    expect(readFileSync(join(plan!.dir, 'tfplan.age')).subarray(0, 22).toString()).toBe('age-encryption.org/v1\n');
    expect(push.unhandled).toEqual(expect.any(Array));
  });

  test('no canary anywhere a person can see', () => {
    if (!needsWorld()) return;
    expect(generated).toMatch(/.{20,}/);
    const { hits, places } = scanForCanaries(push, [...Object.values(CANARIES), generated]);
    console.log(`canary scan (push): ${places.length} places (${byKind(places)}), ${hits.length} sightings`);
    expect(hits).toEqual([]);
    // Not vacuous: the plan file the plan job kept on its runner holds all three (inside its zip), and the scan
    // finds them there — it is what infra.yml used to upload.
    const kept = new RunRecord();
    const dir = join(needsWorld()!.root, 'unsealed');
    cpSync(
      join(needsWorld()!.root, 'runs', 'push', 'jobs', 'plan', 'workspace', 'infra', 'tfplan'),
      join(dir, 'tfplan'),
    );
    kept.artifacts.push({ job: 'plan', name: 'the unsealed plan', dir, files: ['tfplan'], retentionDays: '' });
    const inPlan = scanForCanaries(kept, Object.values(CANARIES)).hits.filter((h) => h.where.includes(':tfplan!'));
    expect(new Set(inPlan.map((h) => h.canary))).toEqual(new Set(Object.values(CANARIES)));
  });
});

/** The proxy's mutating calls (anything but Describe/Get/List) in REGION since `since`. */
function mutatingCalls(w: World, since: number): string[] {
  return w.rehearsal.proxy
    .calls({ region: REGION })
    .filter((c) => c.start >= since && !/^(Describe|Get|List)/.test(c.action) && c.status < 400)
    .map((c) => c.action);
}

/** The apply job alone, given the push run's plan job (its outputs) and a copy of its artifacts, changed by `tweak`. */
async function applyAlone(
  w: World,
  name: string,
  o: { runId?: string; environment?: string; identity?: string | null; tweak?: (bundle: Buffer) => Buffer },
): Promise<RunRecord> {
  const store = join(w.root, 'runs', name, 'artifacts');
  cpSync(join(w.root, 'runs', 'push', 'artifacts'), store, { recursive: true });
  const file = join(store, 'nat-egress-plan-prod-1', 'tfplan.age');
  if (o.tweak) writeFileSync(file, o.tweak(readFileSync(file)));
  const env = o.environment ?? 'prod';
  const secrets: Record<string, string> =
    o.identity === null ? {} : { NAT_EGRESS_SEAL_IDENTITY: o.identity ?? identity };
  return w.run(name, 'infra.yml', {
    secrets: { NAT_EGRESS_TFVARS: TFVARS },
    environments: { [env]: { secrets } },
    event: { name: 'push', payload: { ref: 'refs/heads/main' } },
    github: { run_id: o.runId ?? '5001' },
    jobs: ['apply'],
    needs: { plan: push.jobs.plan! },
    inputs: inputs({ apply: true, environment: env }),
  });
}

describe('infra.yml, apply job: a sealed plan that is not this one is refused with one line, nothing applied', () => {
  // (another environment, a truncated bundle, no key: packages/shared/test/seal/seal.test.ts)
  test('another run, a tampered bundle, the wrong key', async () => {
    const w = needsWorld();
    if (!w) return;
    const other = await generateX25519Identity();
    const since = Date.now();
    const flip = (b: Buffer) => {
      const c = Buffer.from(b);
      c[c.length - 40] = (c[c.length - 40] as number) ^ 1;
      return c;
    };
    const cases: [string, Parameters<typeof applyAlone>[2], RegExp][] = [
      ['other-run', { runId: '5002' }, /^sealed-planfile: it was sealed in run 5001, not this run \(5002\)/],
      ['tampered', { tweak: flip }, /^sealed-planfile: the sealed plan was altered or truncated/],
      ['wrong-key', { identity: other }, /^sealed-planfile: none of the seal-identity keys opens it/],
    ];
    const runs = await Promise.all(cases.map(([name, o]) => applyAlone(w, name, o)));
    cases.forEach(([name, , why], i) => {
      const r = runs[i]!;
      const cutover = r.annotations.filter((a) => a.step === 'cutover' && a.level === 'error').map((a) => a.message);
      expect({ name, result: r.jobs.apply?.result, first: cutover[0] }).toEqual({
        name,
        result: 'failure',
        first: expect.stringMatching(why),
      });
      expect(cutover[0]).not.toContain('\n');
      expect(r.jobs.apply?.outputs.result).toBe('failed');
      expect(r.stepOutputs.find((s) => s.step === 'cutover')?.outputs.applies).toBe('0');
    });
    expect(mutatingCalls(w, since)).toEqual([]);
  }, 300_000);
});

/** Names others control, on the deployed NAT gateways: each would be a runner command if printed raw. */
const HOSTILE = [
  '::add-mask::198.51.100.7',
  'x ##[error title=forged]forged by a tag',
  '::set-output name=healthy::true',
  '##[add-mask]198.51.100.8',
  '::notice::forged by a tag%0A::add-mask::198.51.100.9',
];

async function tagNatGateways(w: World): Promise<void> {
  const xml = await w.rehearsal.proxy.motoEc2(REGION, 'DescribeNatGateways', {});
  const ids = [...new Set([...xml.matchAll(/<natGatewayId>([^<]+)<\/natGatewayId>/g)].map((m) => m[1] as string))];
  expect(ids.length).toBeGreaterThan(0);
  for (const [i, id] of ids.entries())
    await w.rehearsal.proxy.motoEc2(REGION, 'CreateTags', {
      'ResourceId.1': id,
      'Tag.1.Key': 'Name',
      'Tag.1.Value': `${HOSTILE[i % HOSTILE.length]}\n${HOSTILE[(i + 1) % HOSTILE.length]}`,
    });
  // An extra tag on the subnets: terraform's plan shows the drift (it would remove the tag) in the plan job's log.
  const subnets = await w.rehearsal.proxy.motoEc2(REGION, 'DescribeSubnets', {});
  const subnetIds = [...new Set([...subnets.matchAll(/<subnetId>([^<]+)<\/subnetId>/g)].map((m) => m[1] as string))];
  for (const id of subnetIds)
    await w.rehearsal.proxy.motoEc2(REGION, 'CreateTags', {
      'ResourceId.1': id,
      'Tag.1.Key': 'Owner',
      'Tag.1.Value': HOSTILE.join('\n'),
    });
}

/** What the runner took as commands beyond the workflow's and the stand-ins' own: none may come from the tags. */
function forged(r: RunRecord): { annotations: unknown[]; masks: string[]; outputs: string[] } {
  return {
    annotations: r.annotations.filter((a) => a.message.startsWith('forged') || a.properties.title === 'forged'),
    masks: r.masks.map((m) => m.value).filter((v) => /198\.51\.100/.test(v)),
    outputs: r.stepOutputs.flatMap((s) => Object.keys(s.outputs).filter((k) => k === 'healthy' && s.step !== 'verify')),
  };
}

/** Image Builder is not in moto: a loopback stand-in answering a build that is AVAILABLE at once (as actions/build-nat-ami/test). */
async function fakeImageBuilder(amiId: string): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const pipe = `arn:aws:imagebuilder:${REGION}:123456789012:image-pipeline/cabal-nat-al2023`;
  const image = `arn:aws:imagebuilder:${REGION}:123456789012:image/cabal-nat-al2023/1.0.0/5`;
  const requests: string[] = [];
  const answer = (path: string): unknown => {
    if (path === '/ListImagePipelines')
      return { imagePipelineList: [{ name: 'cabal-nat-al2023', arn: pipe, status: 'ENABLED' }] };
    if (path === '/ListImagePipelineImages') return { imageSummaryList: [] };
    if (path === '/StartImagePipelineExecution')
      return { requestId: 'r', clientToken: 't', imageBuildVersionArn: image };
    if (path.startsWith('/GetImage?'))
      return {
        image: {
          arn: image,
          name: 'cabal-nat-al2023',
          version: '1.0.0',
          state: { status: 'AVAILABLE' },
          dateCreated: new Date().toISOString(),
          outputResources: { amis: [{ region: REGION, image: amiId, name: 'cabal-nat-al2023-20260101' }] },
        },
      };
    return undefined;
  };
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests.push(`${req.method} ${req.url}`);
      const a = answer(req.url ?? '');
      res.writeHead(a ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(a ?? { message: 'not modelled' }));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}

describe('after the apply: names others control, pull requests, the egress watch, the AMI build', () => {
  const runs: Record<string, RunRecord> = {};
  let spoofId = 0;
  let stageIssueNumber = 0;
  let imageBuilder: Awaited<ReturnType<typeof fakeImageBuilder>> | undefined;

  afterAll(async () => {
    await imageBuilder?.close();
  });

  beforeAll(async () => {
    const w = world;
    if (!w) return;
    await tagNatGateways(w);
    const env = w.rehearsal.environment('ami', REGION);
    const amiId = await env.registerNatAmi('20260101');
    imageBuilder = await fakeImageBuilder(amiId);
    writeFileSync(
      join(w.repo, 'infra', 'prod-instance.tfvars'),
      `region = "${REGION}"\nenvironment = "prod"\ncontrol_domain = "prod.example.com"\nuse_nat_instance = true\n`,
    );
    spoofId = w.gh.addComment(7, `${MARKER}\nspoofed by someone else`, MALLORY).id;
    const pr = (number: number, fork: boolean) => ({
      name: 'pull_request',
      payload: {
        number,
        pull_request: {
          number,
          head: { sha: 'abc123', repo: { full_name: fork ? 'mallory/infra' : 'example/infra' } },
        },
      },
    });
    // The egress watch's other path: healthy with an open issue (the stage environment's, opened by an earlier
    // run) → the issue is commented and closed. Same VPC, the expected IPs are the module's relay_ips.
    const stageIssue = w.gh.addIssue({
      title: 'NAT egress failing: stage',
      body: '<!-- nat-egress-toolkit:egress-watch environment=stage -->\n**NAT egress is failing in stage.**',
      labels: [{ name: 'nat-egress-watch' }],
      user: { login: 'github-actions[bot]', id: 41898282, type: 'Bot' },
    });
    stageIssueNumber = stageIssue.number;
    const state = JSON.parse(readFileSync(w.stateFile, 'utf8'));
    const relayIps: string[] = state.outputs?.relay_ips?.value ?? [];
    expect(relayIps.length).toBeGreaterThan(0);
    const watchInputs = (environment: string, expectedIps: string) => ({
      environment,
      'aws-region': REGION,
      'role-to-assume': 'arn:aws:iam::123456789012:role/watch',
      'vpc-name': 'cabal-vpc',
      'expected-ips': expectedIps,
    });
    const [samePr, forkPr, watch, watchHealthy, ami] = await Promise.all([
      w.run('pr', 'infra.yml', {
        ...caller(w),
        event: pr(7, false),
        github: { run_id: '5003' },
        jobs: ['plan'],
        inputs: inputs({ apply: false, 'var-files': 'prod-instance.tfvars' }),
      }),
      w.run('fork', 'infra.yml', {
        ...caller(w),
        event: pr(8, true),
        github: { run_id: '5004' },
        inputs: inputs({ apply: true, 'seal-recipients': recipient }),
      }),
      w.run('watch', 'egress_watch.yml', {
        event: { name: 'schedule', payload: {} },
        github: { run_id: '5005' },
        inputs: watchInputs('prod', '192.0.2.10'),
      }),
      w.run('watch-healthy', 'egress_watch.yml', {
        event: { name: 'schedule', payload: {} },
        github: { run_id: '5007' },
        inputs: watchInputs('stage', JSON.stringify(relayIps)),
      }),
      w.run('ami', 'nat_ami_build.yml', {
        event: { name: 'workflow_dispatch', payload: {} },
        trigger: 'workflow_dispatch',
        github: { run_id: '5006' },
        baseEnv: { AWS_ENDPOINT_URL_IMAGEBUILDER: imageBuilder.url },
        inputs: {
          environment: 'prod',
          'aws-region': REGION,
          'role-to-assume': 'arn:aws:iam::123456789012:role/ami',
          'verify-egress-first': false,
          timeout: '2m',
        },
      }),
    ]);
    Object.assign(runs, { samePr, forkPr, watch, watchHealthy, ami });
  }, 600_000);

  test('a pull request: the spoofed marker comment is ignored, never updated; plan-guard comments as itself', () => {
    const w = needsWorld();
    if (!w) return;
    const r = runs.samePr!;
    expect(r.jobs.plan?.result).toBe('success');
    expect(r.jobs.plan?.outputs.risk).toMatch(/high|critical/);
    expect(r.github.filter((q) => q.method === 'PATCH' && q.path.endsWith(`/comments/${spoofId}`))).toEqual([]);
    expect(w.gh.comments.find((c) => c.id === spoofId)?.body).toBe(`${MARKER}\nspoofed by someone else`);
    const own = w.gh.comments.filter((c) => c.issue_number === 7 && c.user.login === 'github-actions[bot]');
    expect(own).toHaveLength(1);
    expect(own[0]!.body).toContain(MARKER);
    expect(r.annotations.map((a) => a.message)).toContainEqual(
      expect.stringContaining("ignored 1 comment(s) carrying plan-guard's marker written by someone else (mallory)"),
    );
    expect(r.artifacts.map((a) => a.name)).toEqual(['plan-guard-report-prod-1']); // no plan: apply is false
  });

  test("the plan job's terraform output shows the hostile tags, and none became a command", () => {
    if (!needsWorld()) return;
    const r = runs.samePr!;
    const planLog = r.unmaskedLog.filter((l) => l.step === 'plan').map((l) => l.text);
    expect(planLog.join('\n')).toContain('##[error title=forged]');
    expect(forged(r)).toEqual({ annotations: [], masks: [], outputs: [] });
  });

  test("a fork's pull request with apply: true uploads no plan, and the plan job says why", () => {
    if (!needsWorld()) return;
    const r = runs.forkPr!;
    expect(r.artifacts.filter((a) => a.name.startsWith('nat-egress-plan-'))).toEqual([]);
    expect(r.jobs.plan?.result).toBe('failure');
    expect(r.jobs.apply?.result).toBe('skipped');
    expect(r.annotations.find((a) => a.properties.title === 'sealed plan')?.message).toMatch(
      /^apply is true but the plan was not sealed/,
    );
  });

  test('egress watch: unhealthy, one issue opened; the NAT names others control forged nothing', () => {
    const w = needsWorld();
    if (!w) return;
    const r = runs.watch!;
    expect(r.jobs.verify?.outputs.healthy).toBe('false');
    const created = r.github.filter((q) => q.method === 'POST' && /\/issues$/.test(q.path));
    expect(created).toHaveLength(1);
    expect(created[0]!.body.title).toBe('NAT egress failing: prod');
    // The names reach the annotations (through @actions/core, escaped) and the issue, never as commands.
    const findings = r.annotations.filter((a) => a.step === 'verify' && a.level === 'error').map((a) => a.message);
    expect(findings.join('\n')).toContain('x ##[error title=forged]forged by a tag');
    expect(findings.every((m) => !m.startsWith('forged'))).toBe(true);
    expect(forged(r)).toEqual({ annotations: [], masks: [], outputs: [] });
    const printed = r.unmaskedLog.filter((l) => l.job === 'verify' && l.stream !== 'runner').map((l) => l.text);
    expect(commandsIn(printed.join('\n')).filter((c) => c?.kind === 'command' && c.command === 'add-mask')).toEqual([]);
  });

  test('egress watch: healthy, the open issue is commented and closed; nothing else is written', () => {
    const w = needsWorld();
    if (!w) return;
    const r = runs.watchHealthy!;
    expect({ healthy: r.jobs.verify?.outputs.healthy, issue: r.jobs.issue?.result }).toEqual({
      healthy: 'true',
      issue: 'success',
    });
    expect(w.gh.issues.get(stageIssueNumber)).toMatchObject({ state: 'closed', state_reason: 'completed' });
    const writes = r.github.filter((q) => q.method !== 'GET').map((q) => `${q.method} ${q.path}`);
    expect(writes).toEqual([
      `POST /repos/example/infra/issues/${stageIssueNumber}/comments`,
      `PATCH /repos/example/infra/issues/${stageIssueNumber}`,
    ]);
    expect(r.annotations.map((a) => a.message)).toContain(`egress in stage recovered: closed #${stageIssueNumber}`);
  });

  test('nat_ami_build: the stand-in Image Builder build is found in EC2 (moto), tagged and summarised', () => {
    if (!needsWorld()) return;
    const r = runs.ami!;
    expect(r.jobs.build).toMatchObject({ result: 'success', outputs: { 'ami-name': 'cabal-nat-al2023-20260101' } });
    expect(r.jobs.build?.outputs['ami-id']).toMatch(/^ami-/);
    expect(r.summaries.map((s) => s.markdown).join('\n')).toContain('### NAT AMI ready for prod');
    expect(imageBuilder?.requests.some((q) => q.startsWith('PUT /StartImagePipelineExecution'))).toBe(true);
  });

  test('no canary in any of these runs either', () => {
    if (!needsWorld()) return;
    for (const [name, r] of Object.entries(runs)) {
      const { hits, places } = scanForCanaries(r, [...Object.values(CANARIES), generated]);
      console.log(`canary scan (${name}): ${places.length} places (${byKind(places)}), ${hits.length} sightings`);
      expect({ name, hits }).toEqual({ name, hits: [] });
    }
  });
});
