/**
 * NAT topology of a VPC: `readTopology` (a fixed number of batched, paginated EC2 describes) and
 * `analyzeTopology` (pure: per-AZ NAT, private route tables, addresses, mode, quiesce, findings).
 */
export * from './types';
export { readTopology, type ReadTopologyOptions } from './read';
export { analyzeTopology, defaultRouteOf, routeTableBySubnet } from './analyze';
export { INTERFACE_RECOVERY } from './checks';
export {
  azKeyOf,
  compareModels,
  modeOf,
  modelFromEc2,
  modelFromPlan,
  natOfRoute,
  type Handover,
  type ModeSwitch,
  type ModelComparison,
  type NatKind,
  type NatNode,
  type NatTopology,
  type RouteNode,
} from '../nat/index';
