/**
 * EC2's answer to CreateNatGateway for an Elastic IP that is still associated (with an instance, or with a NAT
 * gateway being deleted): EC2 creates the gateway and takes it to `failed` asynchronously, FailureCode
 * `Resource.AlreadyAssociated`, FailureMessage "Elastic IP address [eipalloc-…] is already associated" (EC2 API
 * reference NatGateway.FailureCode / FailureMessage; DOMAIN.md "What plans look like"). moto refuses the call
 * synchronously instead (and leaks an interface in the subnet: research-18 §3.8), so this model answers it: a
 * gateway of its own, `pending` then `failed` after `failAfterMs`, shown by DescribeNatGateways (ids, vpc-id,
 * subnet-id, state and nat-gateway-id filters honoured) and deleted by DeleteNatGateway at once.
 */
import { randomBytes } from 'node:crypto';
import type { ModelContext, ProxyModel, Upstream } from '../proxy';
import { filterValues, listParam, tag } from './xml';

interface Failed {
  id: string;
  region: string;
  subnetId: string;
  vpcId: string;
  allocationId: string;
  createdAt: number;
  state: 'pending' | 'failed' | 'deleted';
  tags: [string, string][];
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export class NatCreateFailedModel implements ProxyModel {
  readonly gateways = new Map<string, Failed>();

  constructor(private readonly failAfterMs = 1_000) {}

  private stateOf(g: Failed): Failed['state'] {
    if (g.state === 'pending' && Date.now() - g.createdAt >= this.failAfterMs) g.state = 'failed';
    return g.state;
  }

  private xml(g: Failed): string {
    const state = this.stateOf(g);
    const failure =
      state === 'failed' || state === 'deleted'
        ? '<failureCode>Resource.AlreadyAssociated</failureCode>' +
          `<failureMessage>Elastic IP address [${g.allocationId}] is already associated</failureMessage>`
        : '';
    const tagSet = g.tags.map(([k, v]) => `<item><key>${escape(k)}</key><value>${escape(v)}</value></item>`).join('');
    return (
      `<item><createTime>${new Date(g.createdAt).toISOString()}</createTime>` +
      `<natGatewayAddressSet><item><allocationId>${g.allocationId}</allocationId><isPrimary>true</isPrimary>` +
      `<status>failed</status></item></natGatewayAddressSet><natGatewayId>${g.id}</natGatewayId>` +
      `<state>${state}</state><subnetId>${g.subnetId}</subnetId><vpcId>${g.vpcId}</vpcId>` +
      `<connectivityType>public</connectivityType>${failure}<tagSet>${tagSet}</tagSet></item>`
    );
  }

  async handle(
    ctx: ModelContext,
    region: string,
    action: string,
    form: URLSearchParams,
  ): Promise<Upstream | undefined> {
    if (action === 'CreateNatGateway') return this.create(ctx, region, form);
    const ids = listParam(form, 'NatGatewayId');
    if (action === 'DescribeNatGateways' && ids.length > 0 && ids.every((id) => this.gateways.has(id))) {
      // Only this model's gateways asked for by id: moto does not know them.
      const set = this.matching(region, form)
        .map((g) => this.xml(g))
        .join('');
      return ctx.ok(action, `<natGatewaySet>${set}</natGatewaySet>`);
    }
    if (action === 'DeleteNatGateway') {
      const g = this.gateways.get(form.get('NatGatewayId') ?? '');
      if (!g || g.region !== region) return undefined;
      g.state = 'deleted';
      ctx.changed(region, Date.now());
      return ctx.ok(action, `<natGatewayId>${g.id}</natGatewayId>`);
    }
    return undefined;
  }

  private async create(ctx: ModelContext, region: string, form: URLSearchParams): Promise<Upstream | undefined> {
    const allocationId = form.get('AllocationId') ?? '';
    if (!allocationId || form.get('ConnectivityType') === 'private') return undefined;
    const address = await ctx.motoEc2(region, 'DescribeAddresses', { 'AllocationId.1': allocationId }).catch(() => '');
    if (!tag(address, 'associationId')) return undefined; // free: moto creates it
    const subnetId = form.get('SubnetId') ?? '';
    const subnet = await ctx.motoEc2(region, 'DescribeSubnets', { 'SubnetId.1': subnetId });
    const tags: [string, string][] = [];
    for (let i = 1; form.get(`TagSpecification.1.Tag.${i}.Key`) !== null; i++)
      tags.push([
        form.get(`TagSpecification.1.Tag.${i}.Key`) as string,
        form.get(`TagSpecification.1.Tag.${i}.Value`) ?? '',
      ]);
    const g: Failed = {
      id: `nat-${randomBytes(9).toString('hex').slice(0, 17)}`,
      region,
      subnetId,
      vpcId: tag(subnet, 'vpcId') ?? '',
      allocationId,
      createdAt: Date.now(),
      state: 'pending',
      tags,
    };
    this.gateways.set(g.id, g);
    const inner = this.xml(g)
      .replace(/^<item>/, '<natGateway>')
      .replace(/<\/item>$/, '</natGateway>');
    return ctx.ok('CreateNatGateway', `<clientToken>${escape(form.get('ClientToken') ?? '')}</clientToken>${inner}`);
  }

  /** DescribeNatGateways: this model's gateways added where the request's ids and filters match them. */
  async rewrite(
    _ctx: ModelContext,
    region: string,
    action: string,
    form: URLSearchParams,
    r: Upstream,
  ): Promise<Upstream> {
    if (action !== 'DescribeNatGateways' || r.status !== 200) return r;
    const mine = this.matching(region, form);
    if (mine.length === 0) return r;
    const added = mine.map((g) => this.xml(g)).join('');
    const xml = r.body.toString('utf8');
    const out = xml.includes('</natGatewaySet>')
      ? xml.replace('</natGatewaySet>', `${added}</natGatewaySet>`)
      : xml.replace('<natGatewaySet/>', `<natGatewaySet>${added}</natGatewaySet>`);
    return { ...r, body: Buffer.from(out) };
  }

  /** This model's gateways in `region` that the request's ids and filters select. */
  private matching(region: string, form: URLSearchParams): Failed[] {
    const ids = listParam(form, 'NatGatewayId');
    const filters: [string, (g: Failed) => string][] = [
      ['vpc-id', (g) => g.vpcId],
      ['subnet-id', (g) => g.subnetId],
      ['state', (g) => this.stateOf(g)],
      ['nat-gateway-id', (g) => g.id],
    ];
    return [...this.gateways.values()].filter(
      (g) =>
        g.region === region &&
        (ids.length === 0 || ids.includes(g.id)) &&
        filters.every(([name, value]) => {
          const wanted = filterValues(form, name) ?? filterValues(form, name.replace('-id', 'Id'));
          return !wanted || wanted.includes(value(g));
        }),
    );
  }
}
