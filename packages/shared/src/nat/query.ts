/** Queries over a NAT topology. */
import type { NatNode, NatTopology, RouteNode } from './types';

/** The NAT a route leads to, if the model has it. */
export function natOfRoute(model: NatTopology, route: RouteNode): NatNode | undefined {
  return model.nats.find((n) => route.targetIds.some((t) => n.ids.includes(t)));
}
