/**
 * The AWS stand-in without terraform, for the tests of its own models (gaps/, dataplane.ts): moto behind a
 * FaultProxy, an SDK EC2 client per region pointed at the proxy, and a small VPC in the reference module's shape
 * (../terraform: per AZ a public and a private subnet, an Elastic IP, a NAT gateway or a NAT instance with its
 * association, and the private table's default route to it) built with plain EC2 calls.
 */
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeAvailabilityZonesCommand,
  EC2Client,
  ModifyInstanceAttributeCommand,
  RegisterImageCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { findMotoServer, startMoto, type Moto } from './moto';
import { FaultProxy, type ProxyOptions } from './proxy';

export interface StandIn {
  moto: Moto;
  proxy: FaultProxy;
  ec2(region: string): EC2Client;
  stop(): Promise<void>;
}

/** Starts moto and the proxy, or says why not (no moto_server here). */
export async function startStandIn(options: Omit<ProxyOptions, 'upstream'> = {}): Promise<StandIn | { skip: string }> {
  const binary = findMotoServer();
  if (!binary) return { skip: 'moto_server not found (run scripts/setup.sh: it installs requirements-dev.txt)' };
  const moto = await startMoto(binary);
  const proxy = new FaultProxy({ upstream: moto.url, ...options });
  await proxy.start();
  const clients: EC2Client[] = [];
  return {
    moto,
    proxy,
    ec2: (region) => {
      const c = new EC2Client({
        endpoint: proxy.url,
        region,
        credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
        maxAttempts: 1,
      });
      clients.push(c);
      return c;
    },
    stop: async () => {
      for (const c of clients) c.destroy();
      await proxy.stop();
      await moto.stop();
    },
  };
}

export interface LabAz {
  az: string;
  publicSubnetId: string;
  privateSubnetId: string;
  routeTableId: string;
  allocationId: string;
  publicIp: string;
  natGatewayId?: string;
  instanceId?: string;
  eniId?: string;
}

export interface LabVpc {
  vpcId: string;
  cidr: string;
  securityGroupId: string;
  imageId: string;
  azs: LabAz[];
}

/** A NAT instance in `subnetId` as the module launches it: the NAT group, source/dest check off. */
export async function launchNatInstance(
  ec2: EC2Client,
  vpc: LabVpc,
  subnetId: string,
): Promise<{ id: string; eni: string }> {
  const run = await ec2.send(
    new RunInstancesCommand({
      ImageId: vpc.imageId,
      MinCount: 1,
      MaxCount: 1,
      InstanceType: 't3.micro',
      SubnetId: subnetId,
      SecurityGroupIds: [vpc.securityGroupId],
    }),
  );
  const instance = run.Instances?.[0];
  const id = instance?.InstanceId as string;
  await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, SourceDestCheck: { Value: false } }));
  return { id, eni: instance?.NetworkInterfaces?.[0]?.NetworkInterfaceId as string };
}

/** Builds the VPC with `azs` AZs, each AZ's NAT a gateway or an instance (with its Elastic IP associated). */
export async function buildVpc(ec2: EC2Client, azCount: number, mode: 'gateway' | 'instance'): Promise<LabVpc> {
  const cidr = '10.0.0.0/16';
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: cidr }))).Vpc?.VpcId as string;
  const igw = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway?.InternetGatewayId as string;
  await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId }));
  const zones = (await ec2.send(new DescribeAvailabilityZonesCommand({}))).AvailabilityZones ?? [];
  const sg = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: 'cabal-nat', Description: 'NAT', VpcId: vpcId }),
  );
  const securityGroupId = sg.GroupId as string;
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: securityGroupId,
      IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: cidr }] }],
    }),
  );
  const imageId = (await ec2.send(new RegisterImageCommand({ Name: 'cabal-nat-al2023-lab' }))).ImageId as string;
  const vpc: LabVpc = { vpcId, cidr, securityGroupId, imageId, azs: [] };
  const publicTable = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable?.RouteTableId;
  await ec2.send(
    new CreateRouteCommand({ RouteTableId: publicTable, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw }),
  );
  for (let i = 0; i < azCount; i++) {
    const az = zones[i]?.ZoneName as string;
    const subnet = async (n: number) =>
      (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.0.${n}.0/24`, AvailabilityZone: az })))
        .Subnet?.SubnetId as string;
    const [publicSubnetId, privateSubnetId] = [await subnet(i), await subnet(100 + i)];
    await ec2.send(new AssociateRouteTableCommand({ RouteTableId: publicTable, SubnetId: publicSubnetId }));
    const address = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const routeTableId = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable
      ?.RouteTableId as string;
    await ec2.send(new AssociateRouteTableCommand({ RouteTableId: routeTableId, SubnetId: privateSubnetId }));
    const entry: LabAz = {
      az,
      publicSubnetId,
      privateSubnetId,
      routeTableId,
      allocationId: address.AllocationId as string,
      publicIp: address.PublicIp as string,
    };
    if (mode === 'gateway') {
      const g = await ec2.send(
        new CreateNatGatewayCommand({ SubnetId: publicSubnetId, AllocationId: entry.allocationId }),
      );
      entry.natGatewayId = g.NatGateway?.NatGatewayId as string;
      await ec2.send(
        new CreateRouteCommand({
          RouteTableId: routeTableId,
          DestinationCidrBlock: '0.0.0.0/0',
          NatGatewayId: entry.natGatewayId,
        }),
      );
    } else {
      const { id, eni } = await launchNatInstance(ec2, vpc, publicSubnetId);
      Object.assign(entry, { instanceId: id, eniId: eni });
      await ec2.send(new AssociateAddressCommand({ AllocationId: entry.allocationId, InstanceId: id }));
      await ec2.send(
        new CreateRouteCommand({
          RouteTableId: routeTableId,
          DestinationCidrBlock: '0.0.0.0/0',
          NetworkInterfaceId: eni,
        }),
      );
    }
    vpc.azs.push(entry);
  }
  return vpc;
}
