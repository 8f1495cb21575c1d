/** verify-egress's advisor inputs through the built bundle (dist/index.js) on Node 24, as the runner runs it. */
import { describe, expect, it } from '@jest/globals';
import { runAction } from '../../../packages/shared/test/support/action-runner';

const base = { 'vpc-id': 'vpc-0123456789abcdef0', region: 'us-east-1' };

describe('verify-egress advise inputs', () => {
  it.each([
    [{ advise: 'true', 'advise-days': '0' }, 'advise-days: 0 is below the minimum 1'],
    [{ advise: 'true', 'advise-days': '456' }, 'advise-days: 456 is above the maximum 455'],
    [{ advise: 'true', 'advise-days': '30d' }, 'advise-days: "30d" is not a whole number'],
    [{ advise: 'sometimes' }, 'advise: "sometimes" is not true or false'],
    [
      { advise: 'true', 'advise-instance-type': 'T3 Micro' },
      'advise-instance-type: "T3 Micro" is not an EC2 instance type (e.g. t3.small)',
    ],
  ])('%j → one-line ::error::, exit 1, before any AWS call', async (inputs, message) => {
    const r = await runAction('verify-egress', { ...base, ...inputs });
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split('\n')).toEqual([`::error::${message}`]);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/\n\s+at /);
    expect(r.outputs).toMatchObject({ healthy: 'false', result: 'failed' });
    expect(r.outputs.advice).toBeUndefined();
    expect(r.summary).toContain('Fix the input named above and re-run.');
  });
});
