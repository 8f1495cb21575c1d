/**
 * The NAT domain model: one model of a VPC's NAT (types.ts), built from a plan's before or after side
 * (plan.ts, with the NAT roles of roles.ts and the AZ keys of keys.ts) or from EC2 (read.ts reads the
 * describes; ec2.ts and ec2-nats.ts interpret them), compared (compare.ts) and queried (query.ts).
 * No other module reads NAT attributes from plan JSON or interprets EC2 NAT shapes.
 *
 * `readTopology` (read.ts, the EC2 describes) is not exported here: the callers that make those calls import
 * `nat/read` themselves, so code that only needs the model (plan-guard, cutover) reaches no EC2 call — what
 * test/workflows/iam.test.ts checks against each action's least-privilege policy.
 */
export * from './types';
export * from './roles';
export { azKeyOf, linkKeys } from './keys';
export {
  NAT_TARGETS,
  claimOf,
  gatewayAllocationIds,
  inlineNatRouteIndex,
  modelFromPlan,
  natGatewayOf,
  natInstanceOf,
  natRouteOf,
  natRouteState,
  sensitiveClaimAttributes,
  sideExists,
  type ClaimFacts,
  type ClaimTarget,
  type GatewayFacts,
  type NatInstanceFacts,
  type NatTarget,
  type RouteFacts,
} from './plan';
export { defaultRouteOf, modelFromEc2, routeTableBySubnet, type Ec2Describes, type TopologySnapshot } from './ec2';
export {
  addressClaims,
  addressHolder,
  natGatewayAllocations,
  privateGatewayIds,
  tagValue,
  type AddressClaim,
} from './ec2-nats';
export { compareModels } from './compare';
export { bridgePlan, compareAzKeys, type BridgeAz, type BridgePlan, type BridgePlanOptions } from './bridge';
export { BRIDGE_COST, expectedOutage, plannedStrategy, strategyLine, type StrategyInput } from './bridge-text';
export {
  isServing,
  natOfTarget,
  servingNatOfRoute,
  servingView,
  type ServingDescribes,
  type ServingView,
} from './serving';
export {
  allocationsOf,
  azOf,
  azTopologies,
  detectMode,
  egressIpsOf,
  holdersOf,
  isEgressNat,
  isLive,
  liveModeOf,
  natOfRoute,
  publicIpsOf,
  servingNats,
} from './query';
export * from './facts';
export {
  azMoveOf,
  placementOf,
  routeTableOf,
  subnetIndex,
  subnetsOfRouteTable,
  type AzMove,
  type Placement,
  type SubnetIndex,
} from './subnets';
export { PROVIDER_CHURN, churnAttributes, isChurn, providerChurn, type ChurnAttribute } from './churn';
export { natAmiOf, shownAmiValue, type NatAmiFacts, type NatImage } from './ami';
