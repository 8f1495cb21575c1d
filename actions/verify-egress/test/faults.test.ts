/**
 * Never hang: verify-egress's dist/index.js under Node 24 against loopback AWS endpoints (AWS_ENDPOINT_URL) that
 * never answer, answer 503 forever, or answer slowly; and SIGTERM in each phase (EC2 topology, SSM probe,
 * CloudWatch Logs, the pause between checks). Every exit writes healthy=false, result and a summary with what to do.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { IncomingMessage } from 'node:http';
import { runAction, type ActionRun } from '../../../packages/shared/test/support/action-runner';
import {
  startFaultServer,
  type FaultMode,
  type FaultServer,
  type FaultServerOptions,
} from '../../../packages/shared/test/support/fault-server';

const servers: FaultServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const VPC = 'vpc-0123456789abcdef0';
const EC2: Record<string, string> = {
  DescribeVpcs: `<vpcSet><item><vpcId>${VPC}</vpcId><cidrBlock>10.0.0.0/16</cidrBlock><state>available</state></item></vpcSet>`,
  DescribeSubnets:
    `<subnetSet><item><subnetId>subnet-0aaaaaaaaaaaaaaa1</subnetId><vpcId>${VPC}</vpcId><availabilityZone>us-east-1a</availabilityZone><cidrBlock>10.0.1.0/24</cidrBlock><state>available</state></item>` +
    `<item><subnetId>subnet-0bbbbbbbbbbbbbbb1</subnetId><vpcId>${VPC}</vpcId><availabilityZone>us-east-1a</availabilityZone><cidrBlock>10.0.0.0/24</cidrBlock><state>available</state></item></subnetSet>`,
  DescribeRouteTables:
    `<routeTableSet><item><routeTableId>rtb-0aaaaaaaaaaaaaaa1</routeTableId><vpcId>${VPC}</vpcId><associationSet><item><subnetId>subnet-0aaaaaaaaaaaaaaa1</subnetId><main>false</main></item></associationSet>` +
    '<routeSet><item><destinationCidrBlock>0.0.0.0/0</destinationCidrBlock><natGatewayId>nat-0aaaaaaaaaaaaaaa1</natGatewayId><state>active</state></item></routeSet></item>' +
    `<item><routeTableId>rtb-0bbbbbbbbbbbbbbb1</routeTableId><vpcId>${VPC}</vpcId><associationSet><item><subnetId>subnet-0bbbbbbbbbbbbbbb1</subnetId><main>false</main></item></associationSet>` +
    '<routeSet><item><destinationCidrBlock>0.0.0.0/0</destinationCidrBlock><gatewayId>igw-0aaaaaaaaaaaaaaa1</gatewayId><state>active</state></item></routeSet></item></routeTableSet>',
  DescribeNatGateways:
    `<natGatewaySet><item><natGatewayId>nat-0aaaaaaaaaaaaaaa1</natGatewayId><subnetId>subnet-0bbbbbbbbbbbbbbb1</subnetId><vpcId>${VPC}</vpcId><state>available</state><connectivityType>public</connectivityType>` +
    '<natGatewayAddressSet><item><publicIp>203.0.113.10</publicIp><allocationId>eipalloc-0aaaaaaaaaaaaaaa1</allocationId><isPrimary>true</isPrimary></item></natGatewayAddressSet></item></natGatewaySet>',
  DescribeInstances:
    '<reservationSet><item><instancesSet><item><instanceId>i-0123456789abcdef0</instanceId><instanceState><name>running</name></instanceState><subnetId>subnet-0aaaaaaaaaaaaaaa1</subnetId>' +
    `<vpcId>${VPC}</vpcId><placement><availabilityZone>us-east-1a</availabilityZone></placement></item></instancesSet></item></reservationSet>`,
};

/** EC2 action or the JSON target (AmazonSSM.X, Logs_20140328.X) of a request. */
function callOf(req: IncomingMessage, body: string): string {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') return target;
  return /Action=(\w+)/.exec(body)?.[1] ?? '?';
}

/** One VPC, one private subnet routed to a NAT gateway, one probe instance; `hangAt` is left unanswered. */
function world(hangAt?: string): FaultServerOptions['route'] {
  return (req, body) => {
    const call = callOf(req, body);
    if (call === hangAt || call.endsWith(`.${hangAt}`)) return undefined;
    if (call.includes('.'))
      return {
        status: 200,
        body: call.endsWith('FilterLogEvents') ? '{"events":[]}' : '{}',
        contentType: 'application/x-amz-json-1.1',
      };
    return { status: 200, body: `<${call}Response><requestId>r</requestId>${EC2[call] ?? ''}</${call}Response>` };
  };
}

async function serve(mode: FaultMode, options: FaultServerOptions = {}): Promise<FaultServer> {
  const s = await startFaultServer(mode, options);
  servers.push(s);
  return s;
}

const awsEnv = (url: string) => ({
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_ENDPOINT_URL: url,
  AWS_EC2_METADATA_DISABLED: 'true',
});
const inputs = {
  'vpc-id': VPC,
  region: 'us-east-1',
  'probe-instances': 'i-0123456789abcdef0',
  'log-groups': '/ecs/cabal-imap',
};

function expectNotProven(run: ActionRun, result: 'failed' | 'cancelled'): void {
  expect(run.code).toBe(1); // ended by itself (the harness's SIGKILL would give null)
  expect(run.outputs).toMatchObject({ healthy: 'false', result, 'egress-ips': '{}' });
  expect(JSON.parse(run.outputs.report as string)).toMatchObject({ healthy: false, result });
  expect(run.summary).toContain('egress NOT proven');
  expect(run.summary).toContain('**What to do**');
  expect(`${run.stdout}${run.stderr}`).not.toMatch(/^\s+at /m);
}

describe('verify-egress against faulty AWS endpoints', () => {
  it('the world answers: a verdict (the fixture is sound)', async () => {
    const server = await serve('hang', { route: world() });
    const run = await runAction('verify-egress', inputs, { env: awsEnv(server.url) });
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ healthy: 'true', result: 'success' });
  });

  it('wait: 0 and an endpoint that never answers: timeout 3s ends the step, call in flight included', async () => {
    const server = await serve('hang');
    const run = await runAction('verify-egress', { ...inputs, wait: '0', timeout: '3s' }, { env: awsEnv(server.url) });
    expectNotProven(run, 'failed');
    expect(run.stdout).toContain(
      '::error::timed out after 3s while reading the VPC, subnets, routes, NATs and Elastic IPs (EC2) (check 1; the AWS call in flight was abandoned)',
    );
    expect(run.summary).toContain(
      'check that the runner reaches the EC2, SSM and CloudWatch Logs endpoints of us-east-1',
    );
  });

  it('an endpoint that answers 503 forever: bounded retries, then one failed line naming HTTP 503', async () => {
    const server = await serve('503');
    const run = await runAction('verify-egress', inputs, { env: awsEnv(server.url) });
    expectNotProven(run, 'failed');
    expect(run.stdout).toMatch(/::error::.*\(HTTP 503\)/);
    expect(server.requests).toHaveLength(5);
  });

  it('a slow endpoint (1 s per answer): the timeout cuts the check and says where', async () => {
    const server = await serve('slow', { delayMs: 1_000, route: world() });
    const run = await runAction('verify-egress', { ...inputs, timeout: '2s' }, { env: awsEnv(server.url) });
    expectNotProven(run, 'failed');
    // Each answer takes 1 s: the check is cut part way, and the line names the phase it was in.
    expect(run.stdout).toMatch(
      /::error::timed out after 2s while (reading the VPC|probing egress|checking log freshness)[^\n]*\(check 1; the AWS call in flight was abandoned\)/,
    );
  });

  it.each([
    ['DescribeVpcs', 'reading the VPC, subnets, routes, NATs and Elastic IPs (EC2)'],
    ['DescribeInstanceInformation', 'probing egress from the private subnets (SSM)'],
    ['FilterLogEvents', 'checking log freshness (CloudWatch Logs)'],
  ])('SIGTERM with %s in flight: stops at once, healthy=false, result=cancelled', async (call, phase) => {
    let kill: ((s: NodeJS.Signals) => void) | undefined;
    let signalled = false;
    const server = await serve('hang', {
      route: world(call),
      onRequest: (req, body) => {
        const c = callOf(req, body);
        if (!signalled && (c === call || c.endsWith(`.${call}`))) {
          signalled = true;
          kill?.('SIGTERM');
        }
      },
    });
    const run = await runAction('verify-egress', inputs, { env: awsEnv(server.url), onStart: (k) => (kill = k) });
    expect(signalled).toBe(true);
    expectNotProven(run, 'cancelled');
    expect(run.stdout).toContain('::error::cancelled by SIGTERM: stopped at once');
    expect(run.summary).toContain(`**Cancelled while ${phase}:**`);
    expect(run.summary).toContain('Nothing was changed: verify-egress only reads.');
  });

  it('SIGTERM in the pause between checks (no call in flight): stops at once', async () => {
    const server = await serve('hang', { route: world() });
    let killed = false;
    const run = await runAction(
      'verify-egress',
      { ...inputs, 'fail-on': 'warning', wait: '10m' },
      {
        env: awsEnv(server.url),
        onStdout: (out, kill) => {
          if (!killed && out.includes('re-checking in')) {
            killed = true;
            kill('SIGTERM');
          }
        },
      },
    );
    expect(killed).toBe(true);
    expectNotProven(run, 'cancelled');
  });
});
