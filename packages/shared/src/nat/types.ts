/**
 * The NAT domain model's types: a NAT node (zonal gateway, regional gateway, instance, interface, private
 * gateway) with its AZ key, the ids routes and associations can name, and the Elastic IPs it holds; the private
 * default routes and the address claims around it; a per-AZ view; and a comparison of two topologies (a plan's
 * before and after side). One model, two builders: plan.ts (either side of a plan) and ec2.ts (live describes,
 * which add each NAT's live facts, the subnets and the Elastic IPs).
 *
 * Ids and allocation ids held in the model are for matching only: nothing here puts a plan value into text
 * (what a person reads is built from resource addresses and plan/values.ts `shownValue`). EC2 ids and live facts
 * are not plan values and are shown by verify-egress as they are.
 */
import type { ResourceChange } from '../plan/types';

/** The NAT role a plan change plays (roles.ts natRoles). */
export type Role =
  'instance' | 'gateway' | 'eip' | 'association' | 'route' | 'security' | 'iam' | 'imagebuilder' | 'asg';
export const ROLES: readonly Role[] = [
  'instance',
  'gateway',
  'eip',
  'association',
  'route',
  'security',
  'iam',
  'imagebuilder',
  'asg',
];

export type NatKind = 'zonal-gateway' | 'regional-gateway' | 'instance' | 'interface' | 'private-gateway';
/** The NAT modes an environment switches between (an interface-based NAT is an instance NAT). */
export type NatMode = 'gateway' | 'regional-gateway' | 'instance';

/** The mode a NAT of this kind gives; undefined for a private NAT gateway (no internet egress). */
export function modeOf(kind: NatKind): NatMode | undefined {
  if (kind === 'zonal-gateway') return 'gateway';
  if (kind === 'regional-gateway') return 'regional-gateway';
  if (kind === 'instance' || kind === 'interface') return 'instance';
  return undefined; // private NAT gateways give no internet egress
}

export interface RegionalZone {
  /** AZ name as configured (plan: availability_zone, else availability_zone_id) or as EC2 reports it. */
  az: string;
  allocationIds: string[];
  /** EC2 only: the public IPs the gateway has in this AZ (NatGatewayAddresses[].PublicIp), sorted. */
  publicIps?: string[];
}

/**
 * What EC2 says about a NAT now (ec2.ts only). Sources: EC2 API Instance (State, SourceDestCheck, ImageId,
 * InstanceType, Monitoring), NatGateway (State, FailureMessage, NatGatewayAddresses), NetworkInterface
 * (Attachment, SourceDestCheck, Association), Address, AddressAttribute (PtrRecord), Image (Name, Role tag).
 */
export interface NatLive {
  /** Instance state name, NAT gateway state, or for an interface NAT its instance's state or 'detached'. */
  state: string;
  /** Usable for egress: running/available with an Elastic IP (and, for instances, source/dest check off). */
  healthy: boolean;
  /** The Name tag. */
  name?: string;
  /** Whether the NAT's own subnet routes 0.0.0.0/0 to an internet gateway (always true without a subnet). */
  inPublicSubnet: boolean;
  /** The public IP it egresses from (a gateway's primary address). */
  publicIp?: string;
  /** The allocation of that address, when it is an Elastic IP. */
  allocationId?: string;
  /** True when the public IP is an Elastic IP (not an ephemeral auto-assigned address). */
  elasticIp: boolean;
  /** Network interfaces a route can target (instance ENIs; the gateway's ENIs; the interface itself). */
  interfaceIds: string[];
  /** An instance's primary interface (device index 0): what a route to the instance targets. */
  primaryInterfaceId?: string;
  sourceDestCheck?: boolean;
  /** Source/dest check of each of the NAT's interfaces (two-interface NAT: the routed one is what matters). */
  interfaceSourceDestCheck?: Record<string, boolean>;
  imageId?: string;
  /** Value of the AMI's Role tag; null when the AMI has none; undefined when the AMI could not be described. */
  imageRole?: string | null;
  imageName?: string;
  /** Reverse DNS of its Elastic IP (DescribeAddressesAttribute domain-name). */
  ptr?: string;
  failureMessage?: string;
  /** Interface NAT (the interface is the NAT): the instance attached to it now, if any. */
  instanceId?: string;
  /** Interface NAT: the interface's attachment status ('attached', 'attaching', 'detaching', 'detached'). */
  attachment?: string;
  /** NAT instance: its instance type and whether detailed (1-minute) monitoring is on. */
  instanceType?: string;
  detailedMonitoring?: boolean;
}

export interface NatNode {
  /** Terraform address (with " (deposed <key>)" for a deposed object) or the EC2 id. */
  ref: string;
  kind: NatKind;
  /**
   * AZ key: plan: the indexed module instance (`module.nat[1]`), else the resource's count index / for_each key,
   * else "-"; EC2: the AZ name ("-" for a regional gateway, "unknown" when EC2 does not say).
   */
  key: string;
  /** The AZ name, when known (EC2: placement or the subnet's AZ; plan: aws_instance availability_zone). */
  az?: string;
  /** EC2 ids a route or association can name (gateway id, instance id, interface ids). Matching only. */
  ids: string[];
  /** Elastic IP allocation ids the NAT holds. Matching only. */
  allocationIds: string[];
  /** The subnet it sits in (regional gateways have none). */
  subnetId?: string;
  /** Regional gateway: manual (per-AZ addresses given) or automatic (AWS picks AZs and addresses). */
  regionalMode?: 'manual' | 'automatic';
  /** Regional gateway: the per-AZ addresses. */
  zones?: RegionalZone[];
  /** Regional gateway: AWS may add addresses under load (auto_scaling_ips / AutoScalingIps enabled). */
  autoScalingIps?: boolean;
  /** The plan change this node was read from (plan builder only). */
  rc?: ResourceChange;
  /** What EC2 says about it now (EC2 builder only). */
  live?: NatLive;
}

/** Where a default route leads, by its target's kind (EC2 route fields; plan routes lead to a NAT or maybe one). */
export type RouteTargetKind = 'nat-gateway' | 'instance' | 'internet-gateway' | 'other' | 'none';

/** A route table's 0.0.0.0/0 route as EC2 reports it. */
export interface DefaultRoute {
  kind: RouteTargetKind;
  /** The target id as EC2 reports it (nat-…, eni-…/i-…, igw-…, tgw-…); '' when there is no default route. */
  target: string;
  /** EC2 route state ('active', 'blackhole'); '' when there is no default route. */
  state: string;
  /** The NAT it resolves to, when it does (set by the views that resolve it, e.g. verify-egress). */
  natId?: string;
}

export interface RouteNode {
  /** Plan: the route's address; EC2: the route table id. */
  ref: string;
  /** Plan: the AZ key (see NatNode.key); EC2: the AZ its subnets are in, "-" when they span several. */
  key: string;
  /** Target ids (matching only); empty with `unknown` when the target is known only after apply. */
  targetIds: string[];
  unknown: boolean;
  rc?: ResourceChange;
  /** EC2 only: the AZs of the private subnets using the table, sorted. */
  azs?: string[];
  /** EC2 only: the 0.0.0.0/0 route (kind 'none' when the table has none) and its state (active, blackhole). */
  route?: DefaultRoute;
  /** EC2 only: the table itself: its Name tag, whether it is the VPC's main table, the private subnets using it. */
  table?: { name?: string; main: boolean; subnetIds: string[] };
}

/** A holder of an Elastic IP that is not itself a NAT: an aws_eip_association, or an aws_eip's own association. */
export interface Claim {
  ref: string;
  allocationId?: string;
  /** The instance / interface / gateway it targets (matching only); unknown targets are empty. */
  targetIds: string[];
  rc?: ResourceChange;
}

/** EC2 only: a subnet of the VPC, public when its route table sends 0.0.0.0/0 to an internet gateway. */
export interface SubnetNode {
  id: string;
  az?: string;
  public: boolean;
  /** The route table it uses (its explicit association, else the main table); undefined when there is none. */
  routeTableId?: string;
}

/** EC2 only: an address of the region's VPC Elastic IPs (DescribeAddresses, domain vpc) with a public IP. */
export interface AddressNode {
  publicIp: string;
  allocationId?: string;
  name?: string;
  ptr?: string;
  /** The NAT (its ref) whose address this is, if any. */
  natRef?: string;
  /** What it is associated with when that is not a NAT (instance id, else interface id). */
  associatedWith?: string;
}

export interface NatTopology {
  nats: NatNode[];
  routes: RouteNode[];
  claims: Claim[];
  /** EC2 only: every subnet of the VPC, in describe order. */
  subnets?: SubnetNode[];
  /** EC2 only: the region's VPC addresses that have a public IP, in describe order. */
  addresses?: AddressNode[];
}

/** One AZ's NAT path (query.ts azTopologies): its NATs, its private route tables and where they lead. */
export interface AzTopology {
  az: string;
  privateSubnetIds: string[];
  /** Private route tables (or plan routes) serving the AZ, in model order. */
  routes: RouteNode[];
  /** NATs located in the AZ (egress NATs only: no private gateways). */
  nats: NatNode[];
  /** The NATs the AZ's routes reach, by ref, sorted. */
  egressNatRefs: string[];
  /** The public IPs the AZ egresses from through them, sorted. */
  egressIps: string[];
}

/**
 * The output `mode-switch`: 'none', or `<from>-to-<to>` between gateway (zonal NAT gateways), regional-gateway
 * and instance (NAT instances, whether aws_instance or an Auto Scaling group behind a network interface).
 */
export type ModeSwitch = 'none' | `${NatMode}-to-${NatMode}`;

export interface Handover {
  /** The NAT gateway (being deleted) that holds the address when the apply starts. */
  from: NatNode;
  /** What takes the address in the same apply (address of an association, gateway or Elastic IP). */
  to: string;
  /**
   * The taker's allocations that a NAT gateway being deleted holds (`from` or another one); empty when the
   * taker's allocation is known only after apply.
   */
  allocationIds: string[];
}

export interface ModelComparison {
  /** NATs that go (deleted or replaced) and NATs that come (created or replacements). */
  removed: NatNode[];
  added: NatNode[];
  removedRoutes: RouteNode[];
  addedRoutes: RouteNode[];
  /** `<from>-to-<to>` when the NAT mode changes (gateway, regional-gateway, instance), else 'none'. */
  modeSwitch: ModeSwitch;
  /** Addresses that change hands inside one apply while a deleting NAT gateway still holds them. */
  handovers: Handover[];
  /** 2 when there is a handover (the taker fails in the first apply: EC2 still holds the address), else 1. */
  expectedApplies: 1 | 2;
  /** The takers expected to fail in the first apply (handovers' `to`, unique, in handover order). */
  expectedFailures: string[];
  /**
   * Contested allocations: held on the before side by a NAT gateway the plan deletes and taken on the after side
   * by something the plan creates (the handovers' known allocations), unique and sorted.
   */
  contested: string[];
  /** Per AZ key whose NATs differ between the sides: the NATs before and after (private gateways left out). */
  perKey: { key: string; before: NatNode[]; after: NatNode[] }[];
}
