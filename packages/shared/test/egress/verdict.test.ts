/** egress/verdict: each AZ's verdict and egress, computed once for the report, the progress events and the CLI. */
import { describe, expect, test } from '@jest/globals';
import { azEgress, azFindings, reportJson, worstSeverity, type EgressReport } from '@nat-egress/shared/egress';
import type { Finding } from '@nat-egress/shared/egress';

const f = (severity: Finding['severity'], check: Finding['check'], message: string, az?: string): Finding => ({
  severity,
  check,
  message,
  ...(az ? { az } : {}),
});

describe('azEgress', () => {
  test('down: an error naming the AZ (also among several AZs); the first such error is the reason', () => {
    const findings = [
      f('error', 'routes', 'rtb-1 has no 0.0.0.0/0 route', 'us-east-1b'),
      f('error', 'nat', 'nat-2 is failed', 'us-east-1a, us-east-1b'),
      f('warning', 'logs', 'quiet'),
    ];
    expect(azEgress(findings, 'us-east-1b')).toEqual({
      egress: 'down',
      egressReason: 'routes: rtb-1 has no 0.0.0.0/0 route',
    });
    expect(azEgress(findings, 'us-east-1a')).toEqual({ egress: 'down', egressReason: 'nat: nat-2 is failed' });
  });

  test('unproven: nothing of its own failed but a VPC-wide check did', () => {
    const findings = [
      f('error', 'logs', 'All 2 log groups went silent at about the same moment'),
      f('warning', 'probe', 'slow', 'us-east-1b'),
    ];
    expect(azEgress(findings, 'us-east-1a')).toEqual({
      egress: 'unproven',
      egressReason: 'logs: All 2 log groups went silent at about the same moment',
    });
  });

  test('up: no failing check, with or without warnings; info findings do not count', () => {
    const findings = [f('warning', 'probe', 'slow', 'us-east-1b'), f('info', 'probe', 'not probed', 'us-east-1a')];
    expect(azEgress(findings, 'us-east-1a')).toEqual({ egress: 'up', egressReason: 'no failing check' });
    expect(azEgress(findings, 'us-east-1b')).toEqual({
      egress: 'up',
      egressReason: 'no failing check; 1 warning(s)',
    });
    expect(azEgress([], 'us-east-1c')).toEqual({ egress: 'up', egressReason: 'no failing check' });
  });

  test("the verdict is the worst severity among the AZ's own findings", () => {
    const findings = [f('warning', 'probe', 'slow', 'us-east-1b'), f('error', 'logs', 'silent')];
    expect(worstSeverity(azFindings(findings, 'us-east-1b'))).toBe('warning');
    expect(worstSeverity(azFindings(findings, 'us-east-1a'))).toBe('ok');
    expect(worstSeverity(findings)).toBe('error');
  });
});

test("the smallest trimmed report still carries each AZ's verdict and egress", () => {
  const row = {
    az: 'us-east-1a',
    verdict: 'error' as const,
    egress: 'down' as const,
    egressReason: 'routes: x',
    nats: [],
    routeTables: { total: 0, shown: [] },
    eips: [],
  };
  const report = {
    version: 1,
    healthy: false,
    vpc: { id: 'vpc-1' },
    mode: 'gateway',
    counts: { error: 1, warning: 0, info: 0 },
    egressIps: { 'us-east-1a': null },
    azs: [row],
    findings: Array.from({ length: 50 }, (_, i) => f('error', 'routes', `finding ${i} ${'x'.repeat(400)}`)),
    nats: [],
    diagnosis: [],
  } as unknown as EgressReport;
  const json = JSON.parse(reportJson(report, 4_500));
  expect(json.truncated).toBe('report trimmed to fit 4500 bytes (see the report-file)');
  expect(json.azs).toEqual([{ az: 'us-east-1a', verdict: 'error', egress: 'down', egressReason: 'routes: x' }]);
});
