/**
 * The NAT domain model's types: a NAT node (zonal gateway, regional gateway, instance, interface, private
 * gateway) with its AZ key, the ids routes and associations can name, and the Elastic IPs it holds; the private
 * default routes and the address claims around it; and a comparison of two topologies (a plan's before and
 * after side). One model, three builders: plan.ts (either side of a plan), ec2.ts (live describes).
 *
 * Ids and allocation ids held in the model are for matching only: nothing here puts a value into text
 * (what a person reads is built from resource addresses and plan/values.ts `shownValue`).
 */
import type { ResourceChange } from '../plan/types';

export type NatKind = 'zonal-gateway' | 'regional-gateway' | 'instance' | 'interface' | 'private-gateway';
/** The NAT modes an environment switches between (an interface-based NAT is an instance NAT). */
export type NatMode = 'gateway' | 'regional-gateway' | 'instance';

export function modeOf(kind: NatKind): NatMode | undefined {
  if (kind === 'zonal-gateway') return 'gateway';
  if (kind === 'regional-gateway') return 'regional-gateway';
  if (kind === 'instance' || kind === 'interface') return 'instance';
  return undefined; // private NAT gateways give no internet egress
}

export interface RegionalZone {
  /** AZ name as configured (matching only). */
  az: string;
  allocationIds: string[];
}

export interface NatNode {
  /** Terraform address (with " (deposed <key>)" for a deposed object) or the EC2 id. */
  ref: string;
  kind: NatKind;
  /** AZ key: the indexed module instance (`module.nat[1]`), else the resource's count index / for_each key, else "-". */
  key: string;
  /** EC2 ids a route or association can name (gateway id, instance id, interface ids). Matching only. */
  ids: string[];
  /** Elastic IP allocation ids the NAT holds. Matching only. */
  allocationIds: string[];
  /** Regional gateway: manual (per-AZ addresses given) or automatic (AWS picks AZs and addresses). */
  regionalMode?: 'manual' | 'automatic';
  /** Regional gateway: the per-AZ addresses. */
  zones?: RegionalZone[];
  /** Regional gateway: AWS may add addresses under load (auto_scaling_ips / AutoScalingIps enabled). */
  autoScalingIps?: boolean;
  /** The plan change this node was read from (plan builders only). */
  rc?: ResourceChange;
}

export interface RouteNode {
  ref: string;
  key: string;
  /** Target ids (matching only); empty with `unknown` when the target is known only after apply. */
  targetIds: string[];
  unknown: boolean;
  rc?: ResourceChange;
}

/** A holder of an Elastic IP that is not itself a NAT: an aws_eip_association, or an aws_eip's own association. */
export interface Claim {
  ref: string;
  allocationId?: string;
  /** The instance / interface / gateway it targets (matching only); unknown targets are empty. */
  targetIds: string[];
  rc?: ResourceChange;
}

export interface NatTopology {
  nats: NatNode[];
  routes: RouteNode[];
  claims: Claim[];
}

/**
 * The output `mode-switch`: 'none', or `<from>-to-<to>` between gateway (zonal NAT gateways), regional-gateway
 * and instance (NAT instances, whether aws_instance or an Auto Scaling group behind a network interface).
 */
export type ModeSwitch = 'none' | `${NatMode}-to-${NatMode}`;

export interface Handover {
  /** The NAT gateway (being deleted) that holds the address when the apply starts. */
  from: NatNode;
  /** What takes the address in the same apply (address of an association, gateway or Elastic IP). */
  to: string;
}

export interface ModelComparison {
  /** NAT families that lose NATs / gain NATs. */
  removed: NatNode[];
  added: NatNode[];
  removedRoutes: RouteNode[];
  addedRoutes: RouteNode[];
  /** `<from>-to-<to>` when the NAT mode changes (gateway, regional-gateway, instance), else 'none'. */
  modeSwitch: ModeSwitch;
  /** Addresses that change hands inside one apply while a deleting NAT gateway still holds them. */
  handovers: Handover[];
  /** Per AZ key whose NATs differ between the sides: the NATs before and after (private gateways left out). */
  perKey: { key: string; before: NatNode[]; after: NatNode[] }[];
}
