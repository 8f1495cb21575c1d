/**
 * A small in-memory EC2 for the bridged switch's unit tests (switch.ts, bridge-watch.ts, bridged.ts, strategy.ts,
 * health.ts): private route tables with one 0.0.0.0/0 route each, zonal NAT gateways and NAT instances holding the
 * plan's Elastic IPs, public subnets behind an internet gateway. It answers what nat/read.ts readServing and
 * readTopology (egress/nat-health.ts) send — DescribeRouteTables, DescribeNatGateways, DescribeInstances,
 * DescribeAddresses, DescribeNetworkInterfaces, DescribeVpcs, DescribeSubnets, DescribeVpcEndpoints,
 * DescribeImages, DescribeAddressesAttribute — in the SDK's shapes, and ReplaceRoute, by replacing the real
 * EC2Client's `send` (the SDK's paginators and command classes run unchanged). Every call costs `rttMs` of virtual
 * time on the VirtualClock and is logged with the virtual time it was answered at. EC2 semantics modelled: a route
 * at a deleted gateway or a stopped instance is `blackhole` (RouteTable.Routes[].State); ReplaceRoute to a gateway
 * or interface EC2 does not know is refused (InvalidNatGatewayID.NotFound / InvalidNetworkInterfaceID.NotFound).
 */
import {
  DescribeAddressesAttributeCommand,
  DescribeAddressesCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeNatGatewaysCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  EC2Client,
  ReplaceRouteCommand,
  type Filter,
  type RouteTable,
} from '@aws-sdk/client-ec2';
import type { VirtualClock } from '../../src/runtime/index';

export const VPC = 'vpc-0a1b2c3d4e5f60718';
const IGW = 'igw-0123456789abcdef0';

export interface WorldGateway {
  id: string;
  /** available | pending | deleting | deleted | failed */
  state: string;
  allocationId: string;
  publicIp: string;
  subnetId: string;
  eni: string;
}

export interface WorldInstance {
  id: string;
  eni: string;
  /** running | stopped | … */
  state: string;
  allocationId?: string;
  publicIp?: string;
  sourceDestCheck: boolean;
  subnetId: string;
}

export interface WorldCall {
  op: string;
  at: number;
  input: Record<string, unknown>;
}

const MUTATING = new Set(['ReplaceRouteCommand']);

const err = (name: string, message: string) =>
  Object.assign(new Error(`${name}: ${message}`), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });

const values = (filters: Filter[] | undefined, name: string) => filters?.find((f) => f.Name === name)?.Values;

export class SwitchWorld {
  readonly ec2 = new EC2Client({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  readonly calls: WorldCall[] = [];
  /** Route table id → its default route's target (nat-… or eni-…). */
  readonly routes = new Map<string, string>();
  readonly gateways = new Map<string, WorldGateway>();
  readonly instances = new Map<string, WorldInstance>();
  /** Virtual ms each call takes (answered at the end). */
  rttMs = 40;
  /** Each call waits for a macrotask first (lets a run's other work proceed while a watch loop polls). */
  macrotasks = false;
  /** Every describe fails with this error (EC2 unreadable) while set. */
  unreadable?: Error;
  /** Answers ReplaceRoute with this error while set (called with the input). */
  refuseRoute?: (input: Record<string, unknown>) => Error | undefined;

  constructor(readonly clock: VirtualClock) {
    this.ec2.send = ((command: { input: Record<string, unknown> }) => this.answer(command)) as never;
  }

  route(rt: string, target: string): this {
    this.routes.set(rt, target);
    return this;
  }

  gateway(id: string, allocationId: string, publicIp: string, state = 'available'): WorldGateway {
    const g = { id, state, allocationId, publicIp, subnetId: 'subnet-public', eni: `eni-gw${id.slice(-6)}` };
    this.gateways.set(id, g);
    return g;
  }

  instance(id: string, eni: string, allocationId?: string, publicIp?: string): WorldInstance {
    const i: WorldInstance = {
      id,
      eni,
      state: 'running',
      sourceDestCheck: false,
      subnetId: 'subnet-public',
      ...(allocationId ? { allocationId } : {}),
      ...(publicIp ? { publicIp } : {}),
    };
    this.instances.set(id, i);
    return i;
  }

  /** The calls of operation `op` (e.g. 'ReplaceRoute'). */
  of(op: string): WorldCall[] {
    return this.calls.filter((c) => c.op === op);
  }

  mutating(): WorldCall[] {
    return this.calls.filter((c) => MUTATING.has(`${c.op}Command`));
  }

  private async answer(command: { input: Record<string, unknown> }): Promise<unknown> {
    const op = command.constructor.name.replace(/Command$/, '');
    await (this.macrotasks ? new Promise((resolve) => setImmediate(resolve)) : Promise.resolve());
    this.clock.advance(this.rttMs);
    this.calls.push({ op, at: this.clock.now(), input: command.input });
    if (this.unreadable && op.startsWith('Describe')) throw this.unreadable;
    return this.reply(command);
  }

  private reply(command: { input: Record<string, unknown> }): unknown {
    const input = command.input as { Filters?: Filter[]; Filter?: Filter[] };
    if (command instanceof DescribeRouteTablesCommand) return { RouteTables: this.routeTables(input.Filters) };
    if (command instanceof DescribeNatGatewaysCommand) return { NatGateways: this.natGateways() };
    if (command instanceof DescribeInstancesCommand) return { Reservations: [{ Instances: this.describe(input) }] };
    if (command instanceof DescribeAddressesCommand) return { Addresses: this.addresses(input.Filters) };
    if (command instanceof DescribeNetworkInterfacesCommand) return { NetworkInterfaces: [] };
    if (command instanceof DescribeVpcsCommand) return { Vpcs: [{ VpcId: VPC, CidrBlock: '10.0.0.0/16' }] };
    if (command instanceof DescribeSubnetsCommand)
      return { Subnets: [{ SubnetId: 'subnet-public', VpcId: VPC, AvailabilityZone: 'us-east-1a' }] };
    if (command instanceof DescribeVpcEndpointsCommand) return { VpcEndpoints: [] };
    if (command instanceof DescribeImagesCommand) return { Images: [] };
    if (command instanceof DescribeAddressesAttributeCommand) return { Addresses: [] };
    if (command instanceof ReplaceRouteCommand) return this.replaceRoute(command.input);
    throw new Error(`the switch world does not model ${command.constructor.name}`);
  }

  private replaceRoute(input: Record<string, unknown>): unknown {
    const refused = this.refuseRoute?.(input);
    if (refused) throw refused;
    const rt = input.RouteTableId as string;
    if (!this.routes.has(rt)) throw err('InvalidRouteTableID.NotFound', `The routeTable ID '${rt}' does not exist`);
    const nat = input.NatGatewayId as string | undefined;
    const eni = input.NetworkInterfaceId as string | undefined;
    if (nat && !this.gateways.has(nat)) throw err('InvalidNatGatewayID.NotFound', `${nat} does not exist`);
    if (eni && ![...this.instances.values()].some((i) => i.eni === eni))
      throw err('InvalidNetworkInterfaceID.NotFound', `${eni} does not exist`);
    this.routes.set(rt, (nat ?? eni) as string);
    return {};
  }

  private blackhole(target: string): boolean {
    const g = this.gateways.get(target);
    if (g) return g.state === 'deleted' || g.state === 'failed';
    const i = [...this.instances.values()].find((x) => x.eni === target);
    return !i || i.state !== 'running';
  }

  private routeTables(filters?: Filter[]): RouteTable[] {
    const ids = values(filters, 'route-table-id');
    const privateTables = [...this.routes]
      .filter(([rt]) => !ids || ids.includes(rt))
      .map(([rt, target]): RouteTable => {
        const inst = [...this.instances.values()].find((i) => i.eni === target);
        return {
          RouteTableId: rt,
          VpcId: VPC,
          Routes: [
            { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', State: 'active' as const },
            {
              DestinationCidrBlock: '0.0.0.0/0',
              ...(target.startsWith('nat-')
                ? { NatGatewayId: target }
                : { NetworkInterfaceId: target, ...(inst ? { InstanceId: inst.id } : {}) }),
              State: this.blackhole(target) ? ('blackhole' as const) : ('active' as const),
            },
          ],
        };
      });
    const pub: RouteTable = {
      RouteTableId: 'rtb-public',
      VpcId: VPC,
      Associations: [{ SubnetId: 'subnet-public', AssociationState: { State: 'associated' as const } }],
      Routes: [{ DestinationCidrBlock: '0.0.0.0/0', GatewayId: IGW, State: 'active' as const }],
    };
    return ids ? privateTables : [...privateTables, pub];
  }

  private natGateways() {
    return [...this.gateways.values()].map((g) => ({
      NatGatewayId: g.id,
      VpcId: VPC,
      SubnetId: g.subnetId,
      State: g.state,
      ConnectivityType: 'public',
      NatGatewayAddresses:
        g.state === 'deleted'
          ? []
          : [{ AllocationId: g.allocationId, PublicIp: g.publicIp, NetworkInterfaceId: g.eni, IsPrimary: true }],
    }));
  }

  private describe(input: { Filters?: Filter[] }) {
    const ids = values(input.Filters, 'instance-id');
    const states = values(input.Filters, 'instance-state-name');
    return [...this.instances.values()]
      .filter((i) => (!ids || ids.includes(i.id)) && (!states || states.includes(i.state)))
      .map((i) => ({
        InstanceId: i.id,
        VpcId: VPC,
        SubnetId: i.subnetId,
        State: { Name: i.state },
        InstanceType: 't3.micro',
        SourceDestCheck: i.sourceDestCheck,
        Placement: { AvailabilityZone: 'us-east-1a' },
        ...(i.publicIp && i.state === 'running' ? { PublicIpAddress: i.publicIp } : {}),
        NetworkInterfaces: [
          {
            NetworkInterfaceId: i.eni,
            SourceDestCheck: i.sourceDestCheck,
            Attachment: { DeviceIndex: 0, InstanceId: i.id, Status: 'attached' },
          },
        ],
      }));
  }

  private addresses(filters?: Filter[]) {
    const wanted = values(filters, 'allocation-id');
    const out: Record<string, unknown>[] = [];
    for (const g of this.gateways.values())
      if (g.state !== 'deleted')
        out.push({
          AllocationId: g.allocationId,
          PublicIp: g.publicIp,
          Domain: 'vpc',
          AssociationId: `eipassoc-${g.id.slice(-6)}`,
          NetworkInterfaceId: g.eni,
        });
    for (const i of this.instances.values())
      if (i.allocationId)
        out.push({
          AllocationId: i.allocationId,
          PublicIp: i.publicIp,
          Domain: 'vpc',
          AssociationId: `eipassoc-${i.id.slice(-6)}`,
          InstanceId: i.id,
          NetworkInterfaceId: i.eni,
        });
    return out.filter((a) => !wanted || wanted.includes(a.AllocationId as string));
  }
}
