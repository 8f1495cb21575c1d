/**
 * Route `State` as EC2 shows it. moto 5.2.1 answers `active` for every route (its Route.state property is a
 * constant), also when the target NAT gateway is deleted or the target instance terminated. EC2 shows `blackhole`
 * when the route's target is not available: a deleted NAT gateway's routes "remain in a blackhole status until you
 * delete or update the routes" (VPC user guide, NAT gateways), and so do a terminated NAT instance's.
 *
 * Here a DescribeRouteTables answer gets `blackhole` for a route whose target is: a NAT gateway moto does not have
 * (an unknown id, or a gateway the nat-failure model made), `deleted` or `failed`; an interface that does not
 * exist, is not attached, or is attached to an instance that is `shutting-down` or `terminated`; an instance in
 * those states; or no target at all (moto keeps such a route after ReplaceRoute to an unknown gateway). A gateway
 * the proxy is deleting stays `active` (EC2: a `deleting` gateway "may still be processing traffic"). A stopped
 * instance's route stays `active`: what EC2 shows for it is not documented in what was read.
 */
import type { Ec2Answer, Ec2Call, GapHost, GapModel } from './model';
import { editItems, itemsOf, tagOf } from './xml';

const TARGETS = [
  'natGatewayId',
  'networkInterfaceId',
  'instanceId',
  'gatewayId',
  'vpcPeeringConnectionId',
  'transitGatewayId',
  'egressOnlyInternetGatewayId',
  'localGatewayId',
  'carrierGatewayId',
  'coreNetworkArn',
  'vpcEndpointId',
];
const GONE_INSTANCE = new Set(['shutting-down', 'terminated']);

/** An instance item's state name (instanceState/name). */
export function instanceStateOf(item: string): string | undefined {
  return /<instanceState>\s*<code>\d+<\/code>\s*<name>([^<]+)<\/name>/.exec(item)?.[1];
}

/** An interface item's attachment: the instance and the attachment status. */
export function attachmentOf(item: string): { instanceId?: string; status?: string } {
  const block = /<attachment>([\s\S]*?)<\/attachment>/.exec(item)?.[1];
  if (!block) return {};
  const instanceId = tagOf(block, 'instanceId');
  const status = tagOf(block, 'status');
  return { ...(instanceId ? { instanceId } : {}), ...(status ? { status } : {}) };
}

/** Numbered Query parameters for a list of values. */
function numbered(name: string, values: readonly string[]): Record<string, string> {
  return Object.fromEntries(values.map((v, i) => [`${name}.${i + 1}`, v]));
}

interface Targets {
  gateways: Map<string, string>;
  interfaces: Map<string, { instanceId?: string; status?: string }>;
  instances: Map<string, string>;
}

async function readTargets(region: string, routes: string[], host: GapHost): Promise<Targets> {
  const ids = (name: string) => [...new Set(routes.map((r) => tagOf(r, name)).filter((v): v is string => !!v))];
  const [natIds, eniIds, instanceIds] = [ids('natGatewayId'), ids('networkInterfaceId'), ids('instanceId')];
  const gateways = new Map<string, string>();
  if (natIds.length > 0) {
    const xml = await host.moto(region, 'DescribeNatGateways', numbered('NatGatewayId', natIds));
    for (const g of itemsOf(xml, 'natGatewaySet'))
      gateways.set(tagOf(g, 'natGatewayId') ?? '', tagOf(g, 'state') ?? '');
  }
  const interfaces = new Map<string, { instanceId?: string; status?: string }>();
  if (eniIds.length > 0) {
    const xml = await host.moto(region, 'DescribeNetworkInterfaces', {
      'Filter.1.Name': 'network-interface-id',
      ...numbered('Filter.1.Value', eniIds),
    });
    for (const n of itemsOf(xml, 'networkInterfaceSet'))
      interfaces.set(tagOf(n, 'networkInterfaceId') ?? '', attachmentOf(n));
  }
  const owners = [...interfaces.values()].map((a) => a.instanceId).filter((v): v is string => !!v);
  const wanted = [...new Set([...instanceIds, ...owners])];
  const instances = new Map<string, string>();
  if (wanted.length > 0) {
    const xml = await host.moto(region, 'DescribeInstances', {
      'Filter.1.Name': 'instance-id',
      ...numbered('Filter.1.Value', wanted),
    });
    for (const i of itemsOf(xml, 'instancesSet')) instances.set(tagOf(i, 'instanceId') ?? '', instanceStateOf(i) ?? '');
  }
  return { gateways, interfaces, instances };
}

/** Is the route's target gone (EC2 would show `blackhole`)? */
export function isBlackhole(route: string, t: Targets): boolean {
  if (!TARGETS.some((name) => tagOf(route, name))) return true;
  const nat = tagOf(route, 'natGatewayId');
  if (nat) {
    const state = t.gateways.get(nat);
    return state === undefined || state === 'deleted' || state === 'failed';
  }
  const eni = tagOf(route, 'networkInterfaceId');
  if (eni) {
    const a = t.interfaces.get(eni);
    if (!a || a.status !== 'attached' || !a.instanceId) return true;
    return GONE_INSTANCE.has(t.instances.get(a.instanceId) ?? 'terminated');
  }
  const instance = tagOf(route, 'instanceId');
  if (instance) return GONE_INSTANCE.has(t.instances.get(instance) ?? 'terminated');
  return false;
}

export const routeState: GapModel = {
  async rewrite(call: Ec2Call, answer: Ec2Answer, host: GapHost): Promise<Ec2Answer> {
    if (call.action !== 'DescribeRouteTables') return answer;
    const xml = answer.body.toString('utf8');
    const routes = itemsOf(xml, 'routeSet');
    if (routes.length === 0) return answer;
    const targets = await readTargets(call.region, routes, host);
    const out = editItems(xml, 'routeSet', (route) =>
      isBlackhole(route, targets) ? route.replace(/<state>[^<]*<\/state>/, '<state>blackhole</state>') : route,
    );
    return { ...answer, body: Buffer.from(out) };
  },
};
