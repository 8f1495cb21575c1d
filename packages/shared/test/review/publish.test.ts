import { beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { StepAnnotations, StepOutputs, type AnnotationLevel } from '@nat-egress/shared/limits';
import {
  analysePlan,
  annotateFindings,
  commentMarker,
  commentOutcome,
  exitSummary,
  failureLine,
  planComment,
  reportFileName,
  riskLine,
  setGuardOutputs,
  reportOutput,
  summaryBody,
  type GuardResult,
} from '@nat-egress/shared/review';
import { REPO_ROOT } from '../support/action-runner';

const pr = (eventName: string) => ({ owner: 'o', repo: 'r', number: 7, eventName });
let high: GuardResult;
let none: GuardResult;

const analyse = (name: string) =>
  analysePlan({
    planJson: join(REPO_ROOT, 'examples', 'plans', `${name}.json`),
    terraform: 'terraform',
    workingDirectory: REPO_ROOT,
    failOn: 'high',
    environment: 'prod',
    tempDir: tmpdir(),
  });

beforeAll(async () => {
  high = await analyse('gateway-to-instance');
  none = await analyse('unrelated-only');
});

describe('review/publish.ts: what plan-guard publishes', () => {
  it('the report file name is file-name safe and bounded', () => {
    expect(reportFileName('')).toBe('nat-plan-guard-default.md');
    expect(reportFileName('prod / eu')).toBe('nat-plan-guard-prod_eu.md');
    expect(reportFileName('x'.repeat(80))).toBe(`nat-plan-guard-${'x'.repeat(60)}.md`);
  });

  it('sets every output, findings last, in the outputs budget', () => {
    const written: [string, string][] = [];
    const out = new StepOutputs(1_000_000, (n, v) => written.push([n, v]));
    const notes: string[] = [];
    const annotations = new StepAnnotations({ annotate: (_l, m) => notes.push(m), log: () => undefined });
    setGuardOutputs(out, annotations, high, '/tmp/r.md');
    expect(written.map(([n]) => n)).toEqual([
      'risk',
      'mode-switch',
      'expected-applies',
      'strategy',
      'plan-sha',
      'report-file',
      'result',
      'affected',
      'findings',
      'findings-omitted',
      'report',
    ]);
    expect(Object.fromEntries(written)).toMatchObject({
      risk: 'high',
      'mode-switch': 'gateway-to-instance',
      'expected-applies': '2',
      result: 'failed',
      'findings-omitted': '0',
    });
    expect(JSON.parse(Object.fromEntries(written).findings as string)[0].kind).toBe('mode-switch');
    expect(notes).toEqual([]);
    const report = JSON.parse(Object.fromEntries(written).report as string);
    expect(report).toMatchObject({ version: 1, planSha: high.planSha, documentsOmitted: 0 });
    expect(report.documents).toHaveLength(high.report.documents.length);
  });

  it('the report output is bounded: per-AZ rows go first, then documents, each counted', () => {
    const doc = high.report.documents[0]!;
    const rows = Array.from({ length: 80 }, (_, i) => ({ key: String(i), before: ['a'.repeat(50)], after: ['b'] }));
    const many = {
      ...high,
      report: {
        ...high.report,
        documents: Array.from({ length: 30 }, (_, i) => ({
          ...doc,
          label: `plan ${i + 1} of 30`,
          analysis: { ...doc.analysis, azChanges: rows },
        })),
      },
    };
    const full = JSON.parse(reportOutput(many, 1_000_000));
    expect(full.documents[0].azChanges).toHaveLength(50);
    expect(full.documents[0].azChangesOmitted).toBe(30);
    const noRows = JSON.parse(reportOutput(many, 20_000));
    expect(noRows.documents).toHaveLength(30);
    expect(noRows.documents[0]).toMatchObject({ azChanges: [], azChangesOmitted: 80 });
    const fewer = reportOutput(many, 2_000);
    expect(fewer.length * 2).toBeLessThanOrEqual(2_000);
    const parsed = JSON.parse(fewer);
    expect(parsed.documents.length + parsed.documentsOmitted).toBe(30);
    expect(parsed.documentsOmitted).toBeGreaterThan(0);
    expect(reportOutput(many, 10)).toBe('');
  });

  it('findings that do not fit are left out, counted and announced', () => {
    const written = new Map<string, string>();
    const out = new StepOutputs(900, (n, v) => written.set(n, v));
    const notes: string[] = [];
    const annotations = new StepAnnotations({ annotate: (_l, m) => notes.push(m), log: () => undefined });
    setGuardOutputs(out, annotations, high, '/tmp/r.md');
    expect(written.get('findings')).toBe('[]');
    expect(written.get('findings-omitted')).toBe('1');
    expect(notes[0]).toMatch(/^findings output: 1 of 1 findings left out to stay within GitHub's 1 MB of outputs/);
  });

  it('annotates each finding by severity against fail-on', () => {
    const levels: AnnotationLevel[] = [];
    const annotations = new StepAnnotations({ annotate: (l) => levels.push(l), log: () => undefined });
    annotateFindings(annotations, high, 'high');
    annotateFindings(annotations, high, 'critical');
    annotateFindings(annotations, high, 'none');
    expect(levels).toEqual(['error', 'warning', 'warning']);
  });

  it('log, failure and summary texts', () => {
    // bridged (strategy auto, two AZs): the count is per AZ NAT step; in place, for the one apply
    expect(high.strategy).toBe('bridge');
    expect(riskLine(high)).toBe(
      `NAT egress risk: high; mode switch: gateway-to-instance; expected applies: 2 per AZ NAT step; ` +
        `plan digest ${high.planSha}`,
    );
    expect(riskLine({ ...high, strategy: 'in-place' })).toBe(
      `NAT egress risk: high; mode switch: gateway-to-instance; expected applies: 2; plan digest ${high.planSha}`,
    );
    expect(failureLine(high, 'high')).toBe(
      'NAT egress risk is high, at or above fail-on (high): 1 finding(s), see the report',
    );
    expect(summaryBody(high, 0, 8192)).toContain('### 🛑 NAT egress risk: HIGH — prod');
  });

  it('comments on pull_request events with the report, or with the resolved note when the risk is gone', () => {
    const withRisk = planComment('auto', pr('pull_request'), high, 'prod').plan;
    expect(withRisk).toMatchObject({ marker: commentMarker('prod'), mode: 'upsert', withRisk: true });
    expect(withRisk?.body).toContain('NAT egress risk: HIGH');
    const resolved = planComment('auto', pr('pull_request_target'), none, 'prod').plan;
    expect(resolved).toMatchObject({ mode: 'update-only', withRisk: false });
    expect(resolved?.body).toContain('No NAT risk any more');
    expect(planComment('always', pr('pull_request'), none, 'prod').plan?.mode).toBe('upsert');
  });

  it('does not comment with never, outside pull requests, or on other events with auto', () => {
    expect(planComment('never', pr('pull_request'), high, 'prod')).toEqual({});
    expect(planComment('auto', undefined, high, 'prod')).toEqual({});
    expect(planComment('always', undefined, high, 'prod')).toEqual({
      warning: 'comment: always, but this run is not about a pull request: nothing to comment on',
    });
    expect(planComment('auto', pr('push'), high, 'prod')).toEqual({});
    expect(planComment('always', pr('push'), high, 'prod').plan?.withRisk).toBe(true);
  });

  it('words the sticky comment outcome', () => {
    expect(commentOutcome({ status: 'created', url: 'u' }, true)).toEqual({
      url: 'u',
      info: 'Sticky comment created: u',
    });
    expect(commentOutcome({ status: 'skipped', message: 'fork' }, true)).toEqual({
      url: '',
      info: 'Comment skipped: fork',
    });
    expect(commentOutcome({ status: 'skipped', message: 'fork' }, false)).toEqual({ url: '' });
    expect(commentOutcome({ status: 'forbidden', message: '403' }, true)).toEqual({
      url: '',
      warning: 'Could not comment on the pull request: 403',
    });
  });

  it('the summary of a run that ended early says why and what to do', () => {
    const cancelled = exitSummary({ kind: 'cancelled', cause: 'signal', message: 'SIGINT' }, '/tmp/r.md');
    expect(cancelled).toContain('### NAT egress plan guard: ⏹️ cancelled');
    expect(cancelled).toContain('plan-guard only reads the plan: nothing was changed.');
    expect(cancelled.endsWith('Report file: `/tmp/r.md`\n')).toBe(true);
    const deadline = exitSummary({ kind: 'failed', cause: 'deadline', message: 'too slow' }, undefined);
    expect(deadline).toContain('check that the GitHub API is reachable');
    expect(deadline).not.toContain('Report file');
    expect(exitSummary({ kind: 'failed', cause: 'error', message: 'bad' }, undefined)).toContain(
      'Fix what the line above names',
    );
  });
});
