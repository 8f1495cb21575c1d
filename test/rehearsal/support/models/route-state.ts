/**
 * Route states as EC2 shows them: moto always answers `active` (its Route.state property). EC2 shows `blackhole`
 * when the route's target is unavailable: "the specified gateway isn't attached to the VPC, or the specified NAT
 * instance has been terminated" (EC2 API reference, Route.State) — a NAT gateway `deleted` or `failed` (or gone),
 * an interface that no longer exists or whose instance is terminated. Whether a stopped instance makes its route
 * blackhole is not documented (research-18 §3.1): it stays `active` here (the data-plane model still counts a
 * stopped NAT as not forwarding). DescribeRouteTables answers are rewritten; one describe of the gateways and the
 * interfaces (and their instances) the routes name per answer.
 */
import type { ModelContext, ProxyModel, Upstream } from '../proxy';
import { allItems, editItems, items, tag, tags } from './xml';

/** A gateway the other models know and moto does not (NatCreateFailedModel), by id: its state. */
export type ExtraGateways = (region: string, id: string) => string | undefined;

export class RouteStateModel implements ProxyModel {
  /** DescribeRouteTables answers rewritten, and routes turned blackhole. */
  rewritten = 0;
  blackholes = 0;

  constructor(private readonly extra: ExtraGateways = () => undefined) {}

  async rewrite(
    ctx: ModelContext,
    region: string,
    action: string,
    _form: URLSearchParams,
    r: Upstream,
  ): Promise<Upstream> {
    if (action !== 'DescribeRouteTables' || r.status !== 200) return r;
    const xml = r.body.toString('utf8');
    const dead = await this.deadTargets(ctx, region, xml);
    if (dead.size === 0) return r;
    this.rewritten++;
    const out = editItems(xml, 'routeTableSet', (table) =>
      editItems(table, 'routeSet', (route) => {
        const target = tag(route, 'natGatewayId') ?? tag(route, 'networkInterfaceId') ?? '';
        if (!dead.has(target)) return route;
        this.blackholes++;
        return route.replace(/<state>[^<]*<\/state>/, '<state>blackhole</state>');
      }),
    );
    return { ...r, body: Buffer.from(out) };
  }

  /** The gateway and interface ids the answer's routes name whose target is unavailable. */
  async deadTargets(ctx: ModelContext, region: string, xml: string): Promise<Set<string>> {
    const gateways = [...new Set(tags(xml, 'natGatewayId'))];
    const enis = [...new Set(tags(xml, 'networkInterfaceId'))];
    const dead = new Set<string>();
    if (gateways.length > 0) {
      const params = Object.fromEntries(gateways.map((g, i) => [`NatGatewayId.${i + 1}`, g]));
      const known = await ctx.motoEc2(region, 'DescribeNatGateways', params).catch(() => '');
      const states = new Map(items(known, 'natGatewaySet').map((g) => [tag(g, 'natGatewayId'), tag(g, 'state')]));
      for (const g of gateways) {
        const state = this.extra(region, g) ?? states.get(g);
        if (!state || state === 'deleted' || state === 'failed') dead.add(g);
      }
    }
    if (enis.length > 0) {
      const params = Object.fromEntries(enis.map((e, i) => [`Filter.1.Value.${i + 1}`, e]));
      const found = await ctx
        .motoEc2(region, 'DescribeNetworkInterfaces', { 'Filter.1.Name': 'network-interface-id', ...params })
        .catch(() => '');
      const byEni = new Map(
        items(found, 'networkInterfaceSet').map((n) => [tag(n, 'networkInterfaceId'), tag(n, 'instanceId')]),
      );
      const instances = [...new Set([...byEni.values()].filter((i): i is string => !!i))];
      const ip = Object.fromEntries(instances.map((id, i) => [`InstanceId.${i + 1}`, id]));
      const described = instances.length > 0 ? await ctx.motoEc2(region, 'DescribeInstances', ip).catch(() => '') : '';
      const terminated = new Set(
        allItems(described, 'instancesSet')
          .filter((i) => /<instanceState>\s*<code>48<\/code>/.test(i) || /<name>terminated<\/name>/.test(i))
          .map((i) => tag(i, 'instanceId')),
      );
      for (const e of enis) if (!byEni.has(e) || terminated.has(byEni.get(e))) dead.add(e);
    }
    return dead;
  }
}
