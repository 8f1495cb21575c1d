/**
 * The proxy's moto-gap models (support/gaps/) against moto itself: each shows moto's behaviour in a region
 * without the model and EC2's with it. moto only (no terraform): seconds. Skipped with one line without moto_server,
 * except under CI=true or REHEARSAL_REQUIRED=1.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  CreateNatGatewayCommand,
  DeleteNatGatewayCommand,
  DeleteSecurityGroupCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  ReplaceRouteCommand,
  TerminateInstancesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { buildVpc, launchNatInstance, startStandIn, type LabVpc, type StandIn } from './support/stand-in';
import type { GapName } from './support/gaps/index';

let standIn: StandIn | undefined;
let skip = '';

beforeAll(async () => {
  const started = await startStandIn({ natDeleteMs: 300, natFailure: { failAfterMs: 200, deleteMs: 200 } });
  if ('skip' in started) {
    skip = started.skip;
    if (process.env.CI === 'true' || process.env.REHEARSAL_REQUIRED === '1') throw new Error(skip);
    console.log(`moto-gap model tests skipped: ${skip}`);
  } else standIn = started;
}, 60_000);

afterAll(async () => {
  await standIn?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A test in its own region with the given models on (or none: moto's behaviour). */
function inRegion(
  name: string,
  region: string,
  gaps: GapName[],
  fn: (ec2: EC2Client, s: StandIn) => Promise<void>,
): void {
  test(
    name,
    async () => {
      if (!standIn) {
        expect(skip).not.toBe('');
        return;
      }
      standIn.proxy.setGaps(region, gaps);
      await fn(standIn.ec2(region), standIn);
    },
    30_000,
  );
}

async function defaultRoute(ec2: EC2Client, routeTableId: string) {
  const out = await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [routeTableId] }));
  return out.RouteTables?.[0]?.Routes?.find((r) => r.DestinationCidrBlock === '0.0.0.0/0');
}

/** Waits until `fn` is true (at most `ms`). */
async function until(fn: () => Promise<boolean>, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return true;
    await sleep(50);
  }
  return fn();
}

const code = async (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { name?: string }) => e.name ?? 'error',
  );

describe('route-state: a route whose target is gone is blackhole', () => {
  for (const [region, gaps, gone] of [
    ['ap-south-1', ['route-state'], 'blackhole'],
    ['ap-south-2', [], 'active'],
  ] as const) {
    inRegion(
      `${gaps.length ? 'with the model' : 'moto alone'}: a deleted gateway's route is ${gone}`,
      region,
      [...gaps],
      async (ec2, s) => {
        const vpc = await buildVpc(ec2, 1, 'gateway');
        const az = vpc.azs[0] as LabVpc['azs'][number];
        expect((await defaultRoute(ec2, az.routeTableId))?.State).toBe('active');
        await ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: az.natGatewayId }));
        // deleting: EC2 says the gateway may still process traffic, so the route stays active
        expect((await defaultRoute(ec2, az.routeTableId))?.State).toBe('active');
        expect(await until(async () => s.proxy.events(region).some((e) => e.event === 'nat-deleted'))).toBe(true);
        expect((await defaultRoute(ec2, az.routeTableId))?.State).toBe(gone);
      },
    );
  }

  inRegion(
    "a terminated NAT instance's route is blackhole; a running one's active",
    'ap-southeast-3',
    ['route-state'],
    async (ec2) => {
      const vpc = await buildVpc(ec2, 2, 'instance');
      const [a, b] = vpc.azs as [LabVpc['azs'][number], LabVpc['azs'][number]];
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: [a.instanceId as string] }));
      expect((await defaultRoute(ec2, a.routeTableId))?.State).toBe('blackhole');
      expect((await defaultRoute(ec2, b.routeTableId))?.State).toBe('active');
    },
  );
});

describe('replace-route: EC2 refuses an unknown NAT gateway and two targets', () => {
  for (const [region, gaps, unknown, two] of [
    ['eu-north-1', ['replace-route'], 'InvalidNatGatewayID.NotFound', 'InvalidParameterCombination'],
    ['eu-south-1', [], 'ok', 'ok'],
  ] as const) {
    inRegion(
      `${gaps.length ? 'with the model' : 'moto alone'}: ${unknown} / ${two}`,
      region,
      [...gaps],
      async (ec2) => {
        const vpc = await buildVpc(ec2, 2, 'gateway');
        const [a, b] = vpc.azs as [LabVpc['azs'][number], LabVpc['azs'][number]];
        const { eni } = await launchNatInstance(ec2, vpc, b.publicSubnetId);
        const replace = (extra: Record<string, string>) =>
          ec2.send(
            new ReplaceRouteCommand({ RouteTableId: a.routeTableId, DestinationCidrBlock: '0.0.0.0/0', ...extra }),
          );
        expect(await code(replace({ NatGatewayId: 'nat-00000000000000000' }))).toBe(unknown);
        expect(await code(replace({ NatGatewayId: b.natGatewayId as string, NetworkInterfaceId: eni }))).toBe(two);
        // The bridge itself: another AZ's gateway is accepted, and so is another AZ's NAT instance.
        expect(await code(replace({ NatGatewayId: b.natGatewayId as string }))).toBe('ok');
        expect((await defaultRoute(ec2, a.routeTableId))?.NatGatewayId).toBe(b.natGatewayId);
        expect(await code(replace({ NetworkInterfaceId: eni }))).toBe('ok');
      },
    );
  }
});

describe('sg-in-use: DeleteSecurityGroup while an interface uses the group', () => {
  for (const [region, gaps, inUse] of [
    ['ca-central-1', ['sg-in-use'], 'DependencyViolation'],
    ['ca-west-1', [], 'ok'],
  ] as const) {
    inRegion(
      `${gaps.length ? 'with the model' : 'moto alone'}: ${inUse}, then deleted once its instances are terminated`,
      region,
      [...gaps],
      async (ec2) => {
        const vpc = await buildVpc(ec2, 2, 'instance');
        const ids = vpc.azs.map((a) => a.instanceId as string);
        expect(await code(ec2.send(new DeleteSecurityGroupCommand({ GroupId: vpc.securityGroupId })))).toBe(inUse);
        if (inUse === 'ok') return;
        await ec2.send(new TerminateInstancesCommand({ InstanceIds: [ids[0] as string] }));
        expect(await code(ec2.send(new DeleteSecurityGroupCommand({ GroupId: vpc.securityGroupId })))).toBe(inUse);
        // moto keeps the terminated instances' primary interfaces; EC2 deletes them: they do not count.
        await ec2.send(new TerminateInstancesCommand({ InstanceIds: [ids[1] as string] }));
        expect(await code(ec2.send(new DeleteSecurityGroupCommand({ GroupId: vpc.securityGroupId })))).toBe('ok');
      },
    );
  }
});

describe('nat-failure: CreateNatGateway with an associated address goes failed, asynchronously', () => {
  inRegion('moto alone refuses it at once', 'sa-east-1', [], async (ec2) => {
    const vpc = await buildVpc(ec2, 1, 'instance');
    const az = vpc.azs[0] as LabVpc['azs'][number];
    const create = ec2.send(
      new CreateNatGatewayCommand({ SubnetId: az.publicSubnetId, AllocationId: az.allocationId }),
    );
    expect(await code(create)).toBe('Resource.AlreadyAssociated');
  });

  inRegion(
    "with the model: pending, then failed with EC2's code and message; deleted on request",
    'me-south-1',
    ['nat-failure'],
    async (ec2, s) => {
      const vpc = await buildVpc(ec2, 1, 'instance');
      const az = vpc.azs[0] as LabVpc['azs'][number];
      const created = await ec2.send(
        new CreateNatGatewayCommand({
          SubnetId: az.publicSubnetId,
          AllocationId: az.allocationId,
          TagSpecifications: [{ ResourceType: 'natgateway', Tags: [{ Key: 'Name', Value: 'cabal-nat-0' }] }],
        }),
      );
      const id = created.NatGateway?.NatGatewayId as string;
      expect({ state: created.NatGateway?.State, id: /^nat-[0-9a-f]{17}$/.test(id) }).toEqual({
        state: 'pending',
        id: true,
      });
      const read = async () =>
        (await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [id] }))).NatGateways?.[0];
      expect(await until(async () => (await read())?.State === 'failed')).toBe(true);
      const failed = await read();
      expect(failed).toMatchObject({
        FailureCode: 'Resource.AlreadyAssociated',
        FailureMessage: `Elastic IP address ${az.allocationId} is already associated`,
        SubnetId: az.publicSubnetId,
        VpcId: vpc.vpcId,
        Tags: [{ Key: 'Name', Value: 'cabal-nat-0' }],
      });
      // It answers the VPC and state filters verify-egress and the cutover use.
      const byVpc = await ec2.send(
        new DescribeNatGatewaysCommand({
          Filter: [
            { Name: 'vpc-id', Values: [vpc.vpcId] },
            { Name: 'state', Values: ['failed'] },
          ],
        }),
      );
      expect(byVpc.NatGateways?.map((g) => g.NatGatewayId)).toEqual([id]);
      const available = await ec2.send(
        new DescribeNatGatewaysCommand({
          Filter: [
            { Name: 'vpc-id', Values: [vpc.vpcId] },
            { Name: 'state', Values: ['available'] },
          ],
        }),
      );
      expect(available.NatGateways).toEqual([]);
      await ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: id }));
      expect((await read())?.State).toBe('deleting');
      expect(await until(async () => (await read())?.State === 'deleted')).toBe(true);
      expect(s.proxy.events('me-south-1').map((e) => e.event)).toEqual(['nat-failed', 'nat-deleted']);
    },
  );

  inRegion(
    'with the model: a free address still makes a gateway in moto',
    'me-central-1',
    ['nat-failure'],
    async (ec2) => {
      const vpc = await buildVpc(ec2, 1, 'gateway');
      const az = vpc.azs[0] as LabVpc['azs'][number];
      const state = (await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [az.natGatewayId as string] })))
        .NatGateways?.[0]?.State;
      expect(state).toBe('available');
    },
  );
});
