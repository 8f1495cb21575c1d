/**
 * Which NATs serve right now, for a switch in progress (cutover's bridge watch and its route changes): the live
 * default route of each private route table the switch touches and the NATs a route can target, built from a
 * few batched describes (read.ts readServing) through the same EC2 builders as verify-egress's model
 * (ec2-nats.ts), so "serving" means what verify-egress's NAT checks mean: an instance `running` with
 * source/destination check off and its Elastic IP, an interface attached to such an instance, a gateway
 * `available` with its address (NatLive.healthy). Sources: EC2 API reference RouteTable (Routes[].State:
 * active | blackhole), Instance, NatGateway, Address, NetworkInterface.
 */
import type { Address, Instance, NatGateway, NetworkInterface, RouteTable } from '@aws-sdk/client-ec2';
import { defaultRouteOf, modelFromEc2 } from './ec2';
import type { DefaultRoute, NatNode } from './types';

/** What readServing returns: the describes of one poll. */
export interface ServingDescribes {
  routeTables: RouteTable[];
  natGateways: NatGateway[];
  natInstances: Instance[];
  /** Interfaces a route targets that belong to no instance read above, and the instances attached to them. */
  natInterfaces: NetworkInterface[];
  interfaceInstances: Instance[];
  addresses: Address[];
  /** EC2 calls made, by operation. */
  calls: Record<string, number>;
}

export interface ServingView {
  /** Each route table's 0.0.0.0/0 route (kind 'none' when it has none), by route table id. */
  routes: Map<string, DefaultRoute>;
  /** The VPC of the route tables (the first one's). */
  vpcId?: string;
  /** The NATs read, with their live facts (deleted gateways left out). */
  nats: NatNode[];
  /** The public IPs of the addresses read (the plan's Elastic IPs: the allow-listed egress IPs). */
  publicIps: string[];
}

/** The view of one poll (pure). */
export function servingView(d: ServingDescribes): ServingView {
  const model = modelFromEc2({
    subnets: [],
    routeTables: d.routeTables,
    natGateways: d.natGateways,
    natInstances: d.natInstances,
    natInterfaces: d.natInterfaces,
    interfaceInstances: d.interfaceInstances,
    addresses: d.addresses,
    addressAttributes: [],
    images: [],
  });
  const routes = new Map(d.routeTables.map((t) => [t.RouteTableId as string, defaultRouteOf(t)]));
  const vpcId = d.routeTables.find((t) => t.VpcId)?.VpcId;
  const publicIps = d.addresses.map((a) => a.PublicIp).filter((ip): ip is string => !!ip);
  return { routes, ...(vpcId ? { vpcId } : {}), nats: model.nats, publicIps };
}

/** The NAT a route target id (nat-…, eni-…, i-…) names, or undefined. */
export function natOfTarget(view: ServingView, targetId: string): NatNode | undefined {
  return view.nats.find((n) => n.ids.includes(targetId));
}

/** Does the NAT forward now (verify-egress's healthy: running/available, its Elastic IP, source/dest check off)? */
export function isServing(nat: NatNode | undefined): boolean {
  return nat?.live?.healthy === true;
}

/**
 * Is the route table's default route at a serving NAT now? The route must be `active` (EC2 says `blackhole`
 * when its target is gone) and its target a serving NAT. Returns the NAT, or undefined.
 */
export function servingNatOfRoute(view: ServingView, routeTableId: string): NatNode | undefined {
  const route = view.routes.get(routeTableId);
  if (!route || route.kind === 'none' || route.state === 'blackhole') return undefined;
  const nat = natOfTarget(view, route.target);
  return isServing(nat) ? nat : undefined;
}
