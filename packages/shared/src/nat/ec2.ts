/**
 * The NAT model from live EC2 describes (`readTopology`'s snapshot): the NATs with their live facts
 * (ec2-nats.ts), the subnets (public when their route table sends 0.0.0.0/0 to an internet gateway), every
 * private route table's default route, and the region's Elastic IPs with the NAT holding each. Sources: EC2 API
 * reference RouteTable (Associations[].Main / SubnetId / AssociationState, Routes[] targets and State), Subnet,
 * Address; a subnet without an explicit association uses the VPC's main route table (VPC User Guide, "Route
 * tables").
 */
import type {
  Address,
  AddressAttribute,
  Image,
  Instance,
  NatGateway,
  NetworkInterface,
  RouteTable,
  Subnet,
  Vpc,
  VpcEndpoint,
} from '@aws-sdk/client-ec2';
import { ec2Context, gatewayNode, instanceNode, interfaceNode, tagValue, type Ec2Context } from './ec2-nats';
import type { AddressNode, DefaultRoute, NatNode, NatTopology, RouteNode, SubnetNode } from './types';
import { modeOf } from './types';

/** Everything read from EC2 for one VPC; plain SDK shapes so what is built from it is a pure function of it. */
export interface TopologySnapshot {
  region: string;
  vpc: Vpc;
  subnets: Subnet[];
  routeTables: RouteTable[];
  natGateways: NatGateway[];
  /** Instances in the VPC whose Name tag matches the NAT name pattern (not terminated). */
  natInstances: Instance[];
  /**
   * Network interfaces that private default routes target and that belong to no NAT instance found by name:
   * ENI-based NAT (an Auto Scaling group's instance attaches the interface at boot), or a second interface.
   */
  natInterfaces?: NetworkInterface[];
  /** The instances currently attached to those interfaces. */
  interfaceInstances?: Instance[];
  /** Candidate probe instances (from probe-instances or probe-tag), in the VPC. */
  probeInstances: Instance[];
  /** The region's VPC Elastic IPs (DescribeAddresses has no VPC filter; they are related in the analysis). */
  addresses: Address[];
  /** Reverse DNS (PTR) of the relevant Elastic IPs, from DescribeAddressesAttribute domain-name. */
  addressAttributes: AddressAttribute[];
  /** Why the PTR lookup failed, when it did (the rest of the snapshot is still valid). */
  addressAttributesError?: string;
  /** AMIs the NAT instances were launched from (for the Role tag). */
  images: Image[];
  vpcEndpoints: VpcEndpoint[];
  /** EC2 API calls made to build this snapshot, by operation (pages counted). */
  calls: Record<string, number>;
}

const DEFAULT_ROUTE = '0.0.0.0/0';

/** A route table's 0.0.0.0/0 route: its target's kind and id, and its state ('active' when EC2 gives none). */
export function defaultRouteOf(table: RouteTable): DefaultRoute {
  const route = table.Routes?.find((r) => r.DestinationCidrBlock === DEFAULT_ROUTE);
  if (!route) return { kind: 'none', target: '', state: '' };
  const state = route.State ?? 'active';
  if (route.NatGatewayId) return { kind: 'nat-gateway', target: route.NatGatewayId, state };
  if (route.NetworkInterfaceId || route.InstanceId) {
    return { kind: 'instance', target: (route.NetworkInterfaceId ?? route.InstanceId) as string, state };
  }
  if (route.GatewayId?.startsWith('igw-')) return { kind: 'internet-gateway', target: route.GatewayId, state };
  const other =
    route.TransitGatewayId ??
    route.VpcPeeringConnectionId ??
    route.GatewayId ??
    route.LocalGatewayId ??
    route.CarrierGatewayId ??
    route.CoreNetworkArn ??
    route.EgressOnlyInternetGatewayId ??
    'unknown target';
  return { kind: 'other', target: other, state };
}

/** Each subnet's route table: its explicit association, else the VPC's main route table. */
export function routeTableBySubnet(subnets: Subnet[], tables: RouteTable[]): Map<string, RouteTable | undefined> {
  const explicit = new Map<string, RouteTable>();
  let main: RouteTable | undefined;
  for (const table of tables) {
    for (const assoc of table.Associations ?? []) {
      if (assoc.Main) main = table;
      if (assoc.SubnetId && assoc.AssociationState?.State !== 'disassociated') explicit.set(assoc.SubnetId, table);
    }
  }
  return new Map(subnets.map((s) => [s.SubnetId as string, explicit.get(s.SubnetId as string) ?? main]));
}

/** The describes `modelFromEc2` reads (a TopologySnapshot has them all). */
export type Ec2Describes = Pick<
  TopologySnapshot,
  | 'subnets'
  | 'routeTables'
  | 'natGateways'
  | 'natInstances'
  | 'natInterfaces'
  | 'interfaceInstances'
  | 'addresses'
  | 'addressAttributes'
  | 'images'
>;

function subnetNodes(subnets: Subnet[], rtBySubnet: Map<string, RouteTable | undefined>): SubnetNode[] {
  return subnets.map((s) => {
    const id = s.SubnetId as string;
    const table = rtBySubnet.get(id);
    return {
      id,
      ...(s.AvailabilityZone ? { az: s.AvailabilityZone } : {}),
      public: !!table && defaultRouteOf(table).kind === 'internet-gateway',
      ...(table?.RouteTableId ? { routeTableId: table.RouteTableId } : {}),
    };
  });
}

/** One route node per private route table (a table some private subnet uses), sorted by table id. */
function privateRoutes(subnets: SubnetNode[], tables: RouteTable[]): RouteNode[] {
  const byId = new Map(tables.map((t) => [t.RouteTableId as string, t]));
  const grouped = new Map<string, SubnetNode[]>();
  for (const s of subnets)
    if (!s.public && s.routeTableId) grouped.set(s.routeTableId, [...(grouped.get(s.routeTableId) ?? []), s]);
  return [...grouped.keys()].sort().map((id) => {
    const table = byId.get(id) as RouteTable;
    const route = defaultRouteOf(table);
    const azs = [...new Set(grouped.get(id)!.map((s) => s.az ?? 'unknown'))].sort();
    const name = tagValue(table.Tags, 'Name');
    return {
      ref: id,
      key: azs.length === 1 ? (azs[0] as string) : '-',
      targetIds: route.target ? [route.target] : [],
      unknown: false,
      azs,
      route,
      table: {
        ...(name !== undefined ? { name } : {}),
        main: !!table.Associations?.some((a) => a.Main),
        subnetIds: grouped
          .get(id)!
          .map((s) => s.id)
          .sort(),
      },
    };
  });
}

/** The region's addresses with a public IP, each with the NAT whose address it is (else what it is on). */
function addressNodes(input: Ec2Describes, nats: NatNode[], ctx: Ec2Context): AddressNode[] {
  const egress = nats.filter((n) => modeOf(n.kind));
  return input.addresses
    .filter((a) => a.PublicIp)
    .map((a) => {
      const nat = egress.find(
        (n) =>
          (n.live?.allocationId && n.live.allocationId === a.AllocationId) ||
          (n.live?.publicIp && n.live.publicIp === a.PublicIp),
      );
      const node: AddressNode = { publicIp: a.PublicIp as string };
      if (a.AllocationId) node.allocationId = a.AllocationId;
      const name = tagValue(a.Tags, 'Name');
      if (name !== undefined) node.name = name;
      const ptr = a.AllocationId ? ctx.ptrByAllocation.get(a.AllocationId) : undefined;
      if (ptr) node.ptr = ptr;
      if (nat) node.natRef = nat.ref;
      else if (a.InstanceId || a.NetworkInterfaceId) node.associatedWith = (a.InstanceId ?? a.NetworkInterfaceId)!;
      return node;
    });
}

/**
 * The EC2 side as the same model: NATs (instances, then interfaces, then gateways, in describe order; deleted
 * gateways left out) with their live facts, one route per private route table (key: its AZ, "-" when its
 * subnets span several), the subnets, and the addresses. No claims: EC2 addresses are `addresses`.
 */
export function modelFromEc2(input: Ec2Describes): NatTopology {
  const rtBySubnet = routeTableBySubnet(input.subnets, input.routeTables);
  const subnets = subnetNodes(input.subnets, rtBySubnet);
  const ctx = ec2Context(input, new Set(subnets.filter((s) => s.public).map((s) => s.id)));
  const nats: NatNode[] = [
    ...input.natInstances.map((i) => instanceNode(i, ctx)),
    ...(input.natInterfaces ?? []).map((eni) =>
      interfaceNode(
        eni,
        input.interfaceInstances?.find((i) => i.InstanceId === eni.Attachment?.InstanceId),
        ctx,
      ),
    ),
    ...input.natGateways.filter((g) => g.State !== 'deleted').map((g) => gatewayNode(g, ctx)),
  ];
  return {
    nats,
    routes: privateRoutes(subnets, input.routeTables),
    claims: [],
    subnets,
    addresses: addressNodes(input, nats, ctx),
  };
}
