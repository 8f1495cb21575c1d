/**
 * The NAT model's boundary, as eslint.config.js enforces it in `pnpm test`: outside nat/ and plan/, code in
 * packages/shared/src reads no `change.after` / `change.before` / `after_unknown` (member access or destructuring)
 * and imports no EC2 NAT shape type (NatGateway, Instance, NetworkInterface, Address, RouteTable) from
 * @aws-sdk/client-ec2. Lints one probe source as if it sat in each folder, with the repository's own config.
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/action-runner';

const PROBE = [
  "import type { Address, Instance, NatGateway, NetworkInterface, RouteTable, Subnet } from '@aws-sdk/client-ec2';",
  "import type { ResourceChange } from '../plan/index';",
  'export const shapes = (g: NatGateway, i: Instance, n: NetworkInterface, a: Address, t: RouteTable, s: Subnet) =>',
  '  [g, i, n, a, t, s];',
  'export const member = (rc: ResourceChange) => [rc.change.after, rc.change.before, rc.change.after_unknown];',
  'export function destructured(rc: ResourceChange) {',
  '  const { after, actions } = rc.change;',
  '  return [after, actions, rc.change.actions, rc.change.before_sensitive];',
  '}',
  '',
].join('\n');

interface Message {
  line: number;
  ruleId: string | null;
}

/** The boundary rules' findings for PROBE linted as `file` (relative to the repository). */
function boundaryFindings(file: string): string[] {
  const r = spawnSync(
    process.execPath,
    [join(REPO_ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js'), '--stdin', '--stdin-filename', file, '-f', 'json'],
    { cwd: REPO_ROOT, input: PROBE, encoding: 'utf8' },
  );
  const results = JSON.parse(r.stdout) as { messages: Message[] }[];
  return results
    .flatMap((res) => res.messages)
    .filter((m) => m.ruleId === 'no-restricted-syntax' || m.ruleId === '@typescript-eslint/no-restricted-imports')
    .map((m) => `${m.line} ${m.ruleId}`);
}

describe('only nat/ and plan/ read plan values and EC2 NAT shapes (eslint.config.js)', () => {
  it.each(['cutover', 'review', 'egress', 'advisor'])('%s/: every read and import is an error', (folder) => {
    expect(boundaryFindings(`packages/shared/src/${folder}/probe.ts`)).toEqual([
      ...['NatGateway', 'Instance', 'NetworkInterface', 'Address', 'RouteTable'].map(
        () => '1 @typescript-eslint/no-restricted-imports',
      ),
      ...['after', 'before', 'after_unknown'].map(() => '5 no-restricted-syntax'),
      '7 no-restricted-syntax', // const { after } = rc.change; actions and before_sensitive are plan format facts
    ]);
  });

  it.each(['nat', 'plan'])('%s/: allowed', (folder) => {
    expect(boundaryFindings(`packages/shared/src/${folder}/probe.ts`)).toEqual([]);
  });
});
