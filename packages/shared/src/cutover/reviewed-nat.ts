/**
 * What the reviewed plan does to the NAT, as the preflight needs it, read through the NAT model (nat/) only: the
 * NAT roles (nat/roles.ts natRoles, recognised as plan-guard recognises them), the model of the plan's before and
 * after side (nat/plan.ts modelFromPlan) and their comparison (nat/compare.ts compareModels: the mode switch, the
 * handovers with the applies they need and the takers expected to fail, the contested allocations), and the NAT
 * instances the plan launches. These are the figures plan-guard reports for the same plan (its `mode-switch` and
 * `expected-applies` outputs), computed from the same model, without plan-guard's rules.
 */
import {
  compareModels,
  modelFromPlan,
  natInstanceOf,
  natRoles,
  type ModeSwitch,
  type NatNode,
  type Role,
} from '../nat/index';
import { actionKind, type ResourceChange } from '../plan/index';

/** A NAT instance (aws_instance) the reviewed plan creates or replaces. */
export interface LaunchedNatInstance {
  /** Its resource address. */
  address: string;
  /** Its change in the reviewed plan. */
  rc: ResourceChange;
  /** The AMI it launches from (the after side's `ami`), when the plan knows it. Matching only: never shown. */
  ami?: string;
}

export interface ReviewedNat {
  /** The NAT role of every change that plays one. */
  roles: Map<ResourceChange, Role>;
  /** 'none', or `<from>-to-<to>` when the NAT mode changes (gateway, regional-gateway, instance). */
  modeSwitch: ModeSwitch;
  /** 2 when an address a NAT gateway being deleted holds is taken in the same apply (the race), else 1. */
  expectedApplies: 1 | 2;
  /** The takers expected to fail in the first apply (resource addresses, in handover order). */
  expectedFailures: string[];
  /** The allocations that change hands inside the first apply (held by a deleting gateway), unique and sorted. */
  contested: string[];
  /** The NAT instances the plan creates or replaces, in plan order. */
  launched: LaunchedNatInstance[];
}

const launches = (n: NatNode): n is NatNode & { rc: ResourceChange } =>
  n.kind === 'instance' && !!n.rc && ['create', 'replace'].includes(actionKind(n.rc.change.actions));

/** The NAT figures of a reviewed plan's NAT-related changes (see the file comment). */
export function reviewedNat(changes: readonly ResourceChange[]): ReviewedNat {
  const roles = natRoles(changes);
  const before = modelFromPlan(changes, roles, 'before');
  const after = modelFromPlan(changes, roles, 'after');
  const cmp = compareModels(before, after);
  const launched = after.nats.filter(launches).map((n) => {
    const ami = natInstanceOf(n.rc, 'after')?.ami;
    return { address: n.rc.address, rc: n.rc, ...(ami ? { ami } : {}) };
  });
  return {
    roles,
    modeSwitch: cmp.modeSwitch,
    expectedApplies: cmp.expectedApplies,
    expectedFailures: cmp.expectedFailures,
    contested: cmp.contested,
    launched,
  };
}

/**
 * The applies a plan needs and the Elastic IPs that change hands inside the first apply (reviewedNat): 2 when an
 * address still held by a NAT gateway being deleted must be taken by something the same apply creates, else 1.
 */
export function expectedApplies(changes: readonly ResourceChange[]): { applies: number; contested: string[] } {
  const nat = reviewedNat(changes);
  return { applies: nat.expectedApplies, contested: nat.contested };
}
