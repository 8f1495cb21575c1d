/**
 * verify-egress `advise: true` end to end: the bundled action (Node 24) against moto in server mode on loopback —
 * a real VPC with two zonal NAT gateways, their AWS/NATGateway metrics put into moto's CloudWatch, the real SDK
 * clients and protocols. moto has no Price List API, so the advice must fall back to the dated table and say why.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { CloudWatchClient, PutMetricDataCommand, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { REPO_ROOT, runAction } from './support/action-runner';

const MOTO = join(REPO_ROOT, '.venv', 'bin', 'moto_server');
const REGION = 'us-east-1';
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
let moto: ChildProcess | undefined;
let endpoint = '';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1', () => {
        c.end();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`moto did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const available = existsSync(MOTO);
if (!available) console.warn(`skipped: moto not installed at ${MOTO} (run scripts/setup.sh)`);
const maybe = available ? describe : describe.skip;

maybe('verify-egress advise: true on moto', () => {
  beforeAll(async () => {
    const port = await freePort();
    moto = spawn(MOTO, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    endpoint = `http://127.0.0.1:${port}`;
    await waitForPort(port, 20_000);
  }, 30_000);

  afterAll(async () => {
    if (!moto || moto.exitCode !== null) return;
    const exited = new Promise((r) => moto!.once('exit', r));
    moto.kill('SIGTERM');
    await exited;
  });

  it("reads the gateways' traffic from CloudWatch in one call, prices every mode from the table (Price List unavailable) and recommends", async () => {
    const ec2 = new EC2Client({ region: REGION, endpoint, credentials });
    const cw = new CloudWatchClient({ region: REGION, endpoint, credentials, disableRequestCompression: true }); // moto reads no gzip bodies
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.8.0.0/16' }))).Vpc!.VpcId!;
    const igw = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId }));
    const publicRt = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable!.RouteTableId!;
    await ec2.send(
      new CreateRouteCommand({ RouteTableId: publicRt, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw }),
    );
    const azs = ['us-east-1a', 'us-east-1b'];
    const gateways: string[] = [];
    for (const [i, az] of azs.entries()) {
      const pub = (
        await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.8.${i}.0/24`, AvailabilityZone: az }))
      ).Subnet!.SubnetId!;
      const priv = (
        await ec2.send(
          new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.8.${10 + i}.0/24`, AvailabilityZone: az }),
        )
      ).Subnet!.SubnetId!;
      await ec2.send(new AssociateRouteTableCommand({ RouteTableId: publicRt, SubnetId: pub }));
      const alloc = (await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }))).AllocationId!;
      const nat = (await ec2.send(new CreateNatGatewayCommand({ SubnetId: pub, AllocationId: alloc }))).NatGateway!
        .NatGatewayId!;
      gateways.push(nat);
      const rt = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable!.RouteTableId!;
      await ec2.send(
        new CreateRouteCommand({ RouteTableId: rt, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: nat }),
      );
      await ec2.send(new AssociateRouteTableCommand({ RouteTableId: rt, SubnetId: priv }));
    }
    // 24 hours of per-10-minute data: 6 MB out and 60 MB back per sample through gateway 0, a tenth of it through gateway 1
    const now = Date.now();
    let expectedBytes = 0;
    for (const [g, nat] of gateways.entries()) {
      const scale = g === 0 ? 1 : 0.1;
      const data: MetricDatum[] = [];
      for (let k = 1; k <= 143; k++) {
        const Timestamp = new Date(now - k * 600_000);
        const d = (MetricName: string, Value: number) => ({
          MetricName,
          Dimensions: [{ Name: 'NatGatewayId', Value: nat }],
          Timestamp,
          Value,
          Unit: 'Bytes' as const,
        });
        data.push(
          d('BytesOutToDestination', 6e6 * scale),
          d('BytesInFromDestination', 60e6 * scale),
          d('BytesInFromSource', 6e6 * scale),
          d('BytesOutToSource', 60e6 * scale),
        );
        expectedBytes += 66e6 * scale;
      }
      for (let i = 0; i < data.length; i += 500)
        await cw.send(new PutMetricDataCommand({ Namespace: 'AWS/NATGateway', MetricData: data.slice(i, i + 500) }));
    }

    const run = await runAction(
      'verify-egress',
      { 'vpc-id': vpcId, region: REGION, probe: 'off', advise: 'true', 'advise-days': '1' },
      {
        env: {
          AWS_ENDPOINT_URL: endpoint,
          AWS_ACCESS_KEY_ID: 'testing',
          AWS_SECRET_ACCESS_KEY: 'testing',
          AWS_EC2_METADATA_DISABLED: 'true',
        },
        timeoutMs: 90_000,
      },
    );
    expect(run.outputs.advice).toBeDefined();
    const advice = JSON.parse(run.outputs.advice!);
    expect(advice.error).toBeUndefined();
    expect(advice.vpcId).toBe(vpcId);
    expect(advice.currentMode).toBe('gateway');
    expect(advice.calls.cloudwatch).toBe(1);
    expect(advice.traffic.perNat.map((t: { natId: string }) => t.natId).sort()).toEqual([...gateways].sort());
    // bytes over the span the data covers (~23.8 h), scaled to 730 hours
    const coveredHours = advice.traffic.perNat[0].coveredSeconds / 3600;
    expect(coveredHours).toBeGreaterThan(23);
    expect(advice.traffic.monthlyProcessedGB).toBeCloseTo(((expectedBytes / 1e9) * 730) / coveredHours, 0);
    expect(advice.prices.source).toBe('table');
    expect(advice.prices.notes[0]).toMatch(/^Prices from the table dated \d{4}-\d\d-\d\d: the Price List API failed/);
    const zonal = advice.modes.find((m: { id: string }) => m.id === 'zonal-gateway-per-az');
    expect(zonal.current).toBe(true);
    expect(zonal.lines.map((l: { item: string }) => l.item)).toEqual([
      '2 × NAT gateway-hours',
      'Public IPv4 (2)',
      expect.stringMatching(/^Data processing/),
    ]);
    expect(advice.recommendation.mode).toBe('instance');
    expect(run.summary).toContain('## NAT mode advice');
    expect(run.summary).toContain("the repository's price table dated");
  }, 120_000);
});
