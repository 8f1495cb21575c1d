/**
 * The NAT domain model: one model of a VPC's NAT (types.ts), built from a plan's before or after side
 * (plan.ts, with the NAT roles of roles.ts) or from EC2 (ec2.ts), compared (compare.ts) and queried (query.ts).
 * No other module reads NAT attributes from plan JSON or EC2 shapes.
 */
export * from './types';
export * from './roles';
export { azKeyOf, linkKeys } from './keys';
export { modelFromPlan, sideExists } from './plan';
export { modelFromEc2 } from './ec2';
export { compareModels } from './compare';
export { natOfRoute } from './query';
export * from './facts';
