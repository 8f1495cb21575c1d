/**
 * ReplaceRoute / CreateRoute targets as EC2 checks them. moto 5.2.1 accepts a NatGatewayId it does not have (the
 * route is then left with no target) and several targets in one call (it keeps them all); EC2 refuses both. The
 * answers given here: an unknown NAT gateway → HTTP 400 `InvalidNatGatewayID.NotFound` ("The natGateway ID '…'
 * does not exist", EC2's form for an unknown id); more than one target → HTTP 400 `InvalidParameterCombination`
 * (EC2's code for parameters that cannot be combined). A gateway moto has in any state is accepted, as EC2 keeps
 * a deleted gateway visible for about an hour; its route then shows `blackhole` (route-state.ts). moto already
 * refuses an unknown interface (`InvalidNetworkInterfaceID.NotFound`) and a table without the destination.
 */
import type { Ec2Answer, Ec2Call, GapHost, GapModel } from './model';
import { tagOf } from './xml';

/** The route target parameters of CreateRoute / ReplaceRoute (EC2 API reference). */
export const ROUTE_TARGET_PARAMS = [
  'NatGatewayId',
  'NetworkInterfaceId',
  'InstanceId',
  'GatewayId',
  'VpcPeeringConnectionId',
  'TransitGatewayId',
  'EgressOnlyInternetGatewayId',
  'LocalGatewayId',
  'CarrierGatewayId',
  'CoreNetworkArn',
  'VpcEndpointId',
];

export const replaceRoute: GapModel = {
  async answer(call: Ec2Call, host: GapHost): Promise<Ec2Answer | undefined> {
    if (call.action !== 'ReplaceRoute' && call.action !== 'CreateRoute') return undefined;
    const given = ROUTE_TARGET_PARAMS.filter((p) => (call.form.get(p) ?? '') !== '');
    if (given.length > 1)
      return host.error(
        400,
        'InvalidParameterCombination',
        `Only one route target may be specified; the request has ${given.join(', ')}.`,
      );
    const nat = call.form.get('NatGatewayId');
    if (nat) {
      const xml = await host.moto(call.region, 'DescribeNatGateways', { 'NatGatewayId.1': nat });
      if (tagOf(xml, 'natGatewayId') !== nat)
        return host.error(400, 'InvalidNatGatewayID.NotFound', `The natGateway ID '${nat}' does not exist`);
    }
    return undefined;
  },
};
