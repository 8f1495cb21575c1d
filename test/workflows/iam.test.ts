/**
 * docs/iam/<action>.json: valid IAM policy documents, least privilege (no wildcard actions, the permissions that
 * support resource scoping are scoped), and in step with the code: every AWS API an action's code can call is
 * allowed, and nothing it never calls is.
 */
import { describe, expect, test } from '@jest/globals';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CONTRACTS } from './lib/contracts';
import { repoRoot } from './lib/paths';

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}
interface Policy {
  Version: string;
  Statement: Statement[];
}

const list = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v]);
const policy = (name: string): Policy =>
  JSON.parse(readFileSync(join(repoRoot, 'docs', 'iam', `${name}.json`), 'utf8')) as Policy;
const actionsOf = (p: Policy): Set<string> => new Set(p.Statement.flatMap((s) => list(s.Action)));

const SERVICE: Record<string, string> = {
  'client-ec2': 'ec2',
  'client-ssm': 'ssm',
  'client-cloudwatch-logs': 'logs',
  'client-imagebuilder': 'imagebuilder',
  'client-cloudwatch': 'cloudwatch',
  'client-pricing': 'pricing',
  'client-s3': 's3',
  'client-dynamodb': 'dynamodb',
  'client-iam': 'iam',
};

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/**
 * Every source file an action's entry can reach: its src/, the shared modules it imports (a folder's index.ts and
 * what that index imports or re-exports, not every file of the folder), and theirs.
 */
function reachableFiles(action: string): string[] {
  const seen = new Set<string>();
  const queue = tsFiles(join(repoRoot, 'actions', action, 'src'));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/from\s+'([^']+)'/g)) {
      const spec = m[1]!;
      let dir: string | undefined;
      const shared = /^@nat-egress\/shared\/([^/]+)$/.exec(spec);
      if (shared) dir = join(repoRoot, 'packages', 'shared', 'src', shared[1]!);
      else if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        if (existsSync(`${target}.ts`)) queue.push(`${target}.ts`);
        else if (existsSync(join(target, 'index.ts'))) dir = target;
      }
      if (dir) queue.push(join(dir, 'index.ts'));
    }
  }
  return [...seen];
}

/** IAM actions for the AWS SDK calls in those files (`new XCommand`, `paginateX`, `waitUntil…` excluded). */
function awsCalls(files: string[]): Set<string> {
  const calls = new Set<string>();
  for (const file of files) {
    if (file.includes(`${join('', 'test')}/`)) continue;
    const text = readFileSync(file, 'utf8');
    const services = [...text.matchAll(/from\s+'@aws-sdk\/(client-[a-z0-9-]+)'/g)]
      .map((m) => SERVICE[m[1]!])
      .filter(Boolean);
    if (services.length === 0) continue;
    for (const m of text.matchAll(/\bnew ([A-Z][A-Za-z]+)Command\(|\bpaginate([A-Z][A-Za-z]+)\(/g)) {
      const op = m[1] ?? m[2]!;
      // Which client: the import that names this command or paginator.
      const imp = new RegExp(
        `import\\s*\\{[^}]*\\b(?:${op}Command|paginate${op})\\b[^}]*\\}\\s*from\\s*'@aws-sdk\\/(client-[a-z0-9-]+)'`,
      ).exec(text);
      const service = imp ? SERVICE[imp[1]!] : services.length === 1 ? services[0] : undefined;
      if (!service) throw new Error(`${file}: cannot tell which AWS service ${op} belongs to`);
      calls.add(`${service}:${op}`);
    }
  }
  return calls;
}

describe.each(Object.keys(CONTRACTS))('docs/iam/%s.json', (name) => {
  const p = policy(name);

  test('is an IAM policy document that only allows', () => {
    expect(p.Version).toBe('2012-10-17');
    expect(Array.isArray(p.Statement)).toBe(true);
    for (const s of p.Statement) {
      expect(s.Effect).toBe('Allow');
      expect(list(s.Action).length).toBeGreaterThan(0);
      expect(list(s.Resource).length).toBeGreaterThan(0);
      for (const a of list(s.Action))
        expect(a).toMatch(/^(ec2|ssm|logs|imagebuilder|cloudwatch|pricing|s3|dynamodb|iam):[A-Z][A-Za-z]+$/); // no wildcards
    }
    const sids = p.Statement.map((s) => s.Sid);
    expect(new Set(sids).size).toBe(sids.length);
  });

  test('matches the AWS calls its code can make (nothing missing, nothing extra)', () => {
    const files = reachableFiles(name);
    if (files.length === 0) {
      console.warn(`actions/${name}/src not there yet: ${name}.json not compared with code`);
      return;
    }
    const calls = [...awsCalls(files)].sort();
    if (name !== 'plan-guard') expect(calls.length).toBeGreaterThan(2);
    expect([...actionsOf(p)].sort()).toEqual(calls);
  });
});

describe('least privilege where IAM supports it', () => {
  test("cutover's S3, DynamoDB and IAM reads and writes only on the state's journal and lock, and the NAT role", () => {
    const p = policy('cutover');
    const resourceOf = (action: string): string[] =>
      p.Statement.filter((s) => list(s.Action).includes(action)).flatMap((s) => list(s.Resource));
    expect(resourceOf('s3:PutObject')).toEqual(['arn:aws:s3:::tfstate-bucket/*.nat-egress-journal.json']);
    expect(resourceOf('s3:GetObject').sort()).toEqual([
      'arn:aws:s3:::tfstate-bucket/*.nat-egress-journal.json',
      'arn:aws:s3:::tfstate-bucket/*.tflock',
    ]);
    expect(resourceOf('dynamodb:GetItem')).toEqual(['arn:aws:dynamodb:us-east-1:111122223333:table/tflock']);
    for (const a of ['iam:GetRole', 'iam:GetInstanceProfile'])
      for (const r of resourceOf(a))
        expect(r).toMatch(/^arn:aws:iam::111122223333:(role|instance-profile)\/\*-cabal-nat$/);
  });

  test('plan-guard needs no AWS permissions at all', () => {
    expect(policy('plan-guard').Statement).toEqual([]);
  });

  test('ssm:SendCommand only with AWS-RunShellScript and only on tagged probe instances', () => {
    const send = policy('verify-egress').Statement.filter((s) => list(s.Action).includes('ssm:SendCommand'));
    const resources = send.flatMap((s) => list(s.Resource));
    expect(resources).not.toContain('*');
    expect(resources).toContain('arn:aws:ssm:us-east-1::document/AWS-RunShellScript');
    const onInstances = send.find((s) => list(s.Resource).some((r) => r.includes(':instance/')))!;
    expect(onInstances.Condition).toEqual({ StringEquals: { 'ssm:resourceTag/Role': 'egress-probe' } });
  });

  test('console output only of NAT instances', () => {
    const s = policy('verify-egress').Statement.find((st) => list(st.Action).includes('ec2:GetConsoleOutput'))!;
    expect(list(s.Resource)).toEqual(['arn:aws:ec2:us-east-1:111122223333:instance/*']);
    expect(s.Condition).toEqual({ StringLike: { 'ec2:ResourceTag/Name': 'cabal-nat-*' } });
  });

  test('log events only of the tier log groups', () => {
    const s = policy('verify-egress').Statement.find((st) => list(st.Action).includes('logs:FilterLogEvents'))!;
    for (const r of list(s.Resource))
      expect(r).toMatch(/^arn:aws:logs:us-east-1:111122223333:log-group:\/ecs\/cabal-[a-z-]+:\*$/);
  });

  test('the pipeline can be started, and images read or cancelled, only for the NAT pipeline', () => {
    const p = policy('build-nat-ami');
    const resourceOf = (action: string): string[] =>
      p.Statement.filter((s) => list(s.Action).includes(action)).flatMap((s) => list(s.Resource));
    expect(resourceOf('imagebuilder:StartImagePipelineExecution')).toEqual([
      'arn:aws:imagebuilder:us-east-1:111122223333:image-pipeline/cabal-nat-al2023',
    ]);
    expect(resourceOf('imagebuilder:CancelImageCreation')).toEqual([
      'arn:aws:imagebuilder:us-east-1:111122223333:image/cabal-nat-al2023/*',
    ]);
    expect(resourceOf('imagebuilder:GetImage')).toEqual([
      'arn:aws:imagebuilder:us-east-1:111122223333:image/cabal-nat-al2023/*',
    ]);
  });
});
