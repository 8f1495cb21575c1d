/**
 * GitHub's limits at scale, end to end (dist/index.js under Node 24): 10,000 NAT-related changes with multi-byte
 * resource keys, and the reported 2,400-route consolidation plan. Nothing GitHub would drop whole is written:
 * summary ≤ 1 MiB in UTF-8 bytes, outputs ≤ 1 MB in UTF-16 per job, comment ≤ 65,536 code points, at most 10
 * annotations per level — and whatever was shortened says so and where the full report is.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codePoints, GITHUB_LIMITS, utf16Bytes, utf8Bytes } from '@nat-egress/shared/limits';
import { REPO_ROOT, runAction, type ActionRun } from '../../../packages/shared/test/support/action-runner';
import { startFakeGitHub, type FakeGitHub } from '../../../packages/shared/test/support/github-server';
import { change, planJson } from '../../../packages/shared/test/support/plans';

const work = mkdtempSync(join(tmpdir(), 'plan-guard-limits-'));
const REPORTED = join(REPO_ROOT, '..', 'shared', 'fixtures', 'reported', 'route-consolidation-2400.json');

let gh: FakeGitHub;
beforeAll(async () => {
  gh = await startFakeGitHub();
});
afterAll(async () => {
  await gh.close();
});

function env(): Record<string, string> {
  const event = join(work, 'event.json');
  writeFileSync(event, JSON.stringify({ pull_request: { number: 9 } }));
  return {
    GITHUB_API_URL: gh.url,
    GITHUB_EVENT_PATH: event,
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_REPOSITORY: 'acme/infra',
  };
}

/** 10,000 private default routes moved off a NAT gateway that is deleted, keyed by multi-byte for_each keys. */
function tenThousandPlan(): string {
  const changes = [
    change(
      'module.network.aws_nat_gateway.per_az["us-east-1b"]',
      ['delete'],
      { id: 'nat-0b2b2b2b2b2b2b2b2', allocation_id: 'eipalloc-0b', subnet_id: 'subnet-b', connectivity_type: 'public' },
      null,
    ),
  ];
  for (let i = 0; i < 10_000; i++) {
    const key = `テナント-${i}-zürich-🚀-プライベート`;
    changes.push(
      change(
        `module.network.aws_route.private_default["${key}"]`,
        ['update'],
        {
          route_table_id: `rtb-${i}`,
          destination_cidr_block: '0.0.0.0/0',
          nat_gateway_id: 'nat-0b2b2b2b2b2b2b2b2',
          network_interface_id: '',
          gateway_id: '',
          instance_id: '',
        },
        {
          route_table_id: `rtb-${i}`,
          destination_cidr_block: '0.0.0.0/0',
          nat_gateway_id: 'nat-0c3c3c3c3c3c3c3c3',
          network_interface_id: '',
          gateway_id: '',
          instance_id: '',
        },
      ),
    );
  }
  const path = join(work, 'ten-thousand.json');
  writeFileSync(path, JSON.stringify(planJson(changes)));
  return path;
}

function expectWithinLimits(run: ActionRun): void {
  expect(utf8Bytes(run.summary)).toBeLessThanOrEqual(GITHUB_LIMITS.stepSummary.max);
  const outputs = Object.entries(run.outputs).reduce((n, [k, v]) => n + utf16Bytes(k) + utf16Bytes(v), 0);
  expect(outputs).toBeLessThanOrEqual(GITHUB_LIMITS.outputsPerJob.max);
  for (const level of ['error', 'warning', 'notice']) {
    const count = run.stdout.split('\n').filter((l) => l.startsWith(`::${level}`)).length;
    expect(count).toBeLessThanOrEqual(GITHUB_LIMITS.annotationsPerStep.max);
  }
  for (const c of gh.comments) expect(codePoints(c.body)).toBeLessThanOrEqual(GITHUB_LIMITS.commentBody.max);
}

describe('plan-guard within GitHub limits', () => {
  it('10,000 NAT-related changes with multi-byte keys: everything fits, and says what was shortened and where the rest is', async () => {
    gh.comments.length = 0;
    const run = await runAction(
      'plan-guard',
      { 'plan-json': tenThousandPlan(), 'github-token': 't', 'fail-on': 'none', environment: 'scale' },
      { env: env(), timeoutMs: 120_000 },
    );
    expect(run.code).toBe(0);
    expectWithinLimits(run);
    const reportFile = run.outputs['report-file'] as string;
    const full = readFileSync(reportFile, 'utf8');
    expect(utf8Bytes(full)).toBeGreaterThan(GITHUB_LIMITS.stepSummary.max);
    for (const shortened of [run.summary, gh.comments[0]!.body]) {
      expect(shortened).toMatch(/\*\*Shortened(:\*\*|\*\*)/);
      expect(shortened).toContain('`report-file` output');
      expect(shortened).toContain('テナント-0-zürich-🚀-プライベート');
    }
    expect(utf8Bytes(run.summary)).toBeGreaterThan(GITHUB_LIMITS.stepSummary.max / 2);
    const findings = JSON.parse(run.outputs.findings as string) as unknown[];
    expect(findings.length + Number(run.outputs['findings-omitted'])).toBe(10_001);
    expect(findings.length).toBeGreaterThan(100);
    expect(run.stdout).toContain(
      `::warning::findings output: ${run.outputs['findings-omitted']} of 10001 findings left out to stay within GitHub's 1 MB of outputs per job`,
    );
    expect(run.stdout).toMatch(
      /::warning title=\d+ more warnings::\d+ more warnings not shown as annotations \(GitHub shows 10 per step\): see the job summary and report-file\./,
    );
    expect(run.outputs.result).toBe('success');
  });

  const corpus = existsSync(REPORTED);
  (corpus ? it : it.skip)(
    `reported route-consolidation-2400.json: summary within 1 MiB in bytes, findings output within 1 MB${corpus ? '' : ' (skipped: corpus not present)'}`,
    async () => {
      gh.comments.length = 0;
      const run = await runAction(
        'plan-guard',
        { 'plan-json': REPORTED, 'github-token': 't', 'fail-on': 'none' },
        { env: env(), timeoutMs: 120_000 },
      );
      expect(run.code).toBe(0);
      expectWithinLimits(run);
      expect(run.summary).toContain('NAT egress risk');
      expect(utf16Bytes(run.outputs.findings as string)).toBeLessThan(GITHUB_LIMITS.outputsPerJob.max);
      // The summary is never dropped whole: it is there, and says where the full report is when shortened.
      if (utf8Bytes(readFileSync(run.outputs['report-file'] as string, 'utf8')) > GITHUB_LIMITS.stepSummary.max)
        expect(run.summary).toContain('`report-file` output');
      expect(gh.comments).toHaveLength(1);
    },
  );
  if (!corpus) it('reported corpus', () => console.log('skipped: corpus not present'));
});
