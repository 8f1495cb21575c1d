/**
 * review/rules/strategy.ts: plan-guard told `strategy: bridge` on a plan the cutover would refuse to bridge (one AZ,
 * a quiesce) — a critical finding (at the default fail-on), saying the cutover will refuse and what to do; none with
 * auto or in-place, or where bridging applies.
 */
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analysePlan, classifyChanges, renderReport } from '@nat-egress/shared/review';
import type { ResourceChange } from '../../src/plan/types';
import { REPO_ROOT } from '../support/action-runner';
import { planJson, scenarios } from '../support/plans';

const example = (name: string) =>
  (
    JSON.parse(readFileSync(join(REPO_ROOT, 'examples', 'plans', `${name}.json`), 'utf8')) as {
      resource_changes: ResourceChange[];
    }
  ).resource_changes;
const refused = (changes: readonly ResourceChange[], strategy: 'auto' | 'bridge' | 'in-place') =>
  classifyChanges(changes, { strategy }).findings.filter((f) => f.kind === 'strategy-refused');

describe('strategy: bridge on a plan the cutover would refuse to bridge', () => {
  it('one AZ: a critical finding naming the reason, that the cutover refuses, and what to do', () => {
    const a = classifyChanges(scenarios.gatewayToInstance(1), { strategy: 'bridge' });
    const f = a.findings.find((x) => x.kind === 'strategy-refused');
    expect(a.strategy).toBe('refused');
    expect(a.risk).toBe('critical');
    expect(f?.severity).toBe('critical');
    expect(f?.title).toBe('strategy: bridge cannot apply to this plan: the cutover will refuse it');
    expect(f?.why).toMatch(/bridging cannot apply here \(one AZ: .*\), so it refuses before changing anything/);
    expect(f?.action).toMatch(/^Set strategy: auto \(or in-place\) .* or change the plan so that bridging applies/);
    // It claims no change: the mode switch keeps its own finding.
    expect(a.findings.map((x) => x.kind)).toContain('mode-switch');
  });

  it('quiesce (NATs deleted, none created): refused the same way', () => {
    expect(refused(example('quiesce-down'), 'bridge').map((f) => f.severity)).toEqual(['critical']);
  });

  it('no finding with auto or in-place, nor where bridging applies', () => {
    expect(refused(scenarios.gatewayToInstance(1), 'auto')).toEqual([]);
    expect(refused(scenarios.gatewayToInstance(1), 'in-place')).toEqual([]);
    expect(refused(example('gateway-to-instance'), 'bridge')).toEqual([]);
  });

  it('through analysePlan at the default fail-on (critical): the check fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plan-strategy-'));
    const file = join(dir, 'plan.json');
    writeFileSync(file, JSON.stringify(planJson(scenarios.gatewayToInstance(1))));
    const run = (strategy: 'auto' | 'bridge') =>
      analysePlan({
        planJson: file,
        terraform: 'terraform',
        workingDirectory: dir,
        failOn: 'critical',
        environment: 'prod',
        tempDir: dir,
        strategy,
      });
    const bridge = await run('bridge');
    expect({ failed: bridge.failed, strategy: bridge.strategy }).toEqual({ failed: true, strategy: 'refused' });
    expect(renderReport(bridge.report)).toContain(
      '| 🚨 CRITICAL | strategy: bridge cannot apply to this plan: the cutover will refuse it | — | — |',
    );
    expect((await run('auto')).failed).toBe(false);
  });
});
