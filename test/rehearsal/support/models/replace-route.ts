/**
 * ReplaceRoute as EC2 checks it: exactly one target (EC2 API reference ReplaceRoute: "You must specify exactly one
 * of the resources from the parameter list"), and a NAT gateway that exists and is not deleted
 * (`InvalidNatGatewayID.NotFound`, "The natGateway ID '…' does not exist"). moto accepts two targets, an unknown
 * gateway id (leaving a route with no target) and a deleted one (research-18 §3.2–3.3). The error code for two
 * targets is not in the reference; `InvalidParameterCombination` (EC2's code for conflicting parameters) is assumed.
 */
import type { ModelContext, ProxyModel, Upstream } from '../proxy';
import { items, tag } from './xml';

const TARGETS = [
  'GatewayId',
  'NatGatewayId',
  'NetworkInterfaceId',
  'InstanceId',
  'TransitGatewayId',
  'VpcPeeringConnectionId',
  'EgressOnlyInternetGatewayId',
  'LocalGatewayId',
  'CarrierGatewayId',
  'VpcEndpointId',
  'CoreNetworkArn',
];

export class ReplaceRouteModel implements ProxyModel {
  refused = 0;

  constructor(private readonly extra: (region: string, id: string) => string | undefined = () => undefined) {}

  async handle(
    ctx: ModelContext,
    region: string,
    action: string,
    form: URLSearchParams,
  ): Promise<Upstream | undefined> {
    if (action !== 'ReplaceRoute') return undefined;
    const given = TARGETS.filter((t) => (form.get(t) ?? '') !== '');
    if (given.length !== 1) {
      this.refused++;
      return ctx.error(
        'ec2',
        400,
        'InvalidParameterCombination',
        `You must specify exactly one target, not ${given.length}`,
      );
    }
    const nat = form.get('NatGatewayId');
    if (!nat) return undefined;
    const xml = await ctx.motoEc2(region, 'DescribeNatGateways', { 'NatGatewayId.1': nat }).catch(() => '');
    const state = this.extra(region, nat) ?? items(xml, 'natGatewaySet').map((g) => tag(g, 'state'))[0];
    if (!state || state === 'deleted') {
      this.refused++;
      return ctx.error('ec2', 400, 'InvalidNatGatewayID.NotFound', `The natGateway ID '${nat}' does not exist`);
    }
    return undefined;
  }
}
