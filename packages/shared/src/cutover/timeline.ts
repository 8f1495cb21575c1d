/**
 * What happened when: the steps of a cutover (applies, the wait, re-plans) and the egress gap, measured on
 * the apply streams' own `@timestamp`s from the first change that breaks NAT egress (a NAT gateway or NAT
 * instance going away, a private default route being repointed, an association being removed) to the last
 * change that restores it (the last EIP association, a new gateway, a route update).
 */
import { claimOf, natRoles } from '../nat/index';
import { actionKind, type ResourceChange } from '../plan/index';
import type { HookEvent } from '../terraform/index';

export interface EgressRoles {
  /** Addresses whose apply takes egress away. */
  breaking: Set<string>;
  /** Addresses whose apply gives egress back. */
  restoring: Set<string>;
}

/**
 * Which NAT changes of a plan break egress and which restore it, by NAT role (nat/ natRoles, as plan-guard
 * recognises them): a gateway or an association removed / added, a NAT instance removed, a private default route
 * changed (restoring unless deleted), an Elastic IP associated by its own attributes.
 */
export function egressRoles(changes: readonly ResourceChange[]): EgressRoles {
  const breaking = new Set<string>();
  const restoring = new Set<string>();
  for (const [rc, role] of natRoles(changes)) {
    const kind = actionKind(rc.change.actions);
    if (kind === 'no-op' || kind === 'read') continue;
    const removes = kind === 'delete' || kind === 'replace';
    const adds = kind === 'create' || kind === 'replace';
    switch (role) {
      case 'gateway':
      case 'association':
        if (removes) breaking.add(rc.address);
        if (adds) restoring.add(rc.address);
        break;
      case 'route':
        breaking.add(rc.address);
        if (kind !== 'delete') restoring.add(rc.address);
        break;
      case 'instance':
        if (removes && rc.type === 'aws_instance') breaking.add(rc.address);
        break;
      case 'eip':
        // An Elastic IP associated on the after side (its own instance / network_interface, nat/ claimOf).
        if ((kind === 'update' || adds) && claimOf(rc, 'after')?.targets.some((t) => t.id)) restoring.add(rc.address);
        break;
      default:
        break;
    }
  }
  return { breaking, restoring };
}

export interface EgressGap {
  from: string;
  fromAddress: string;
  /** Undefined while egress is not restored (the run failed, or the plan only removes NAT). */
  to?: string;
  toAddress?: string;
  seconds?: number;
}

/** The gap over every apply's hook events (in order), or undefined when no egress-breaking change ran. */
export function egressGap(hooks: readonly HookEvent[], roles: EgressRoles, restored: boolean): EgressGap | undefined {
  let from: HookEvent | undefined;
  let to: HookEvent | undefined;
  for (const h of hooks) {
    if (h.type === 'apply_start' && roles.breaking.has(h.address) && (h.action === 'delete' || h.action === 'update')) {
      if (!from || h.at < from.at) from = h;
    }
    if (
      h.type === 'apply_complete' &&
      roles.restoring.has(h.address) &&
      (h.action === 'create' || h.action === 'update')
    ) {
      if (!to || h.at > to.at) to = h;
    }
  }
  if (!from) return undefined;
  const gap: EgressGap = { from: new Date(from.at).toISOString(), fromAddress: from.address };
  if (restored && to && to.at >= from.at) {
    gap.to = new Date(to.at).toISOString();
    gap.toAddress = to.address;
    gap.seconds = Math.round((to.at - from.at) / 100) / 10;
  }
  return gap;
}

export interface TimelineStep {
  /**
   * The phase: check (preflight: plan digest, max-applies, region, credentials, AMI), apply, confirm (EC2
   * confirming the race), wait (for the release), restore (cutover's AssociateAddress), import (terraform
   * import of that association), plan (the convergence re-plan; in a bridged switch also each targeted plan),
   * recover (the state lock and what earlier runs left, from the journal and AWS), orphans (objects an interrupted
   * apply left outside the state: looked up, imported), strategy (bridge or in-place), bridge (an AZ's route moved
   * to another AZ's NAT), health (verify-egress's checks of an AZ's new NAT), route (an AZ's route moved home by
   * EC2).
   */
  step:
    | 'check'
    | 'apply'
    | 'confirm'
    | 'wait'
    | 'restore'
    | 'import'
    | 'plan'
    | 'recover'
    | 'orphans'
    | 'strategy'
    | 'bridge'
    | 'health'
    | 'route';
  /** Apply number (1-based) for applies and the plans that prepare them. */
  n?: number;
  started: string;
  ended: string;
  seconds: number;
  outcome: string;
  detail?: string;
}

/** One Elastic IP's way back: when EC2 showed it free and when cutover's AssociateAddress was sent and succeeded. */
export interface RestoreTiming {
  address: string;
  allocationId: string;
  released?: string;
  sent?: string;
  associated?: string;
  /** Release → AssociateAddress sent (ms). */
  releaseToSentMs?: number;
  /** Release → association made (ms). */
  releaseToAssociatedMs?: number;
}

export interface Timeline {
  steps: TimelineStep[];
  egressGap?: EgressGap;
  /** Fast restore (restore: associate), per Elastic IP. */
  restore?: RestoreTiming[];
}

export function step(
  kind: TimelineStep['step'],
  startedMs: number,
  endedMs: number,
  outcome: string,
  extra: { n?: number; detail?: string } = {},
): TimelineStep {
  return {
    step: kind,
    ...(extra.n !== undefined ? { n: extra.n } : {}),
    started: new Date(startedMs).toISOString(),
    ended: new Date(endedMs).toISOString(),
    seconds: Math.round((endedMs - startedMs) / 100) / 10,
    outcome,
    ...(extra.detail ? { detail: extra.detail } : {}),
  };
}
