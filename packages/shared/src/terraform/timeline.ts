/**
 * What happened when: the steps of a cutover (applies, the wait, re-plans) and the egress gap, measured on
 * the apply streams' own `@timestamp`s from the first change that breaks NAT egress (a NAT gateway or NAT
 * instance going away, a private default route being repointed, an association being removed) to the last
 * change that restores it (the last EIP association, a new gateway, a route update).
 */
import { actionKind, type ResourceChange } from '../plan/index';
import type { HookEvent } from './stream';

export interface EgressRoles {
  /** Addresses whose apply takes egress away. */
  breaking: Set<string>;
  /** Addresses whose apply gives egress back. */
  restoring: Set<string>;
}

type Obj = Record<string, unknown>;
const NAT_TARGETS = ['nat_gateway_id', 'network_interface_id', 'instance_id'];

function asObj(v: unknown): Obj | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
}

function natDefaultRoute(route: Obj | undefined, unknown?: Obj): boolean {
  if (!route) return false;
  const dest = route.destination_cidr_block ?? route.cidr_block;
  return dest === '0.0.0.0/0' && NAT_TARGETS.some((t) => (typeof route[t] === 'string' && route[t] !== '') || unknown?.[t] === true);
}

function isNatRoute(rc: ResourceChange): boolean {
  if (/aws_route\.private/.test(rc.address)) return true;
  const sides = [asObj(rc.change.before), asObj(rc.change.after)];
  if (rc.type === 'aws_route') return natDefaultRoute(sides[0]) || natDefaultRoute(sides[1], asObj(rc.change.after_unknown));
  return sides.some((s) => Array.isArray(s?.route) && (s.route as unknown[]).some((r) => natDefaultRoute(asObj(r))));
}

function isNatInstance(rc: ResourceChange): boolean {
  const sides = [asObj(rc.change.before), asObj(rc.change.after)];
  return sides.some((s) => s?.source_dest_check === false) || /aws_instance\.nat\b/.test(rc.address);
}

export function egressRoles(changes: readonly ResourceChange[]): EgressRoles {
  const breaking = new Set<string>();
  const restoring = new Set<string>();
  for (const rc of changes) {
    const kind = actionKind(rc.change.actions);
    const removes = kind === 'delete' || kind === 'replace';
    const adds = kind === 'create' || kind === 'replace';
    switch (rc.type) {
      case 'aws_nat_gateway':
      case 'aws_eip_association':
        if (removes) breaking.add(rc.address);
        if (adds) restoring.add(rc.address);
        break;
      case 'aws_route':
      case 'aws_route_table':
        if (isNatRoute(rc) && kind !== 'no-op' && kind !== 'read') {
          breaking.add(rc.address);
          if (kind !== 'delete') restoring.add(rc.address);
        }
        break;
      case 'aws_instance':
        if (removes && isNatInstance(rc)) breaking.add(rc.address);
        break;
      case 'aws_eip': {
        const after = asObj(rc.change.after);
        if ((kind === 'update' || adds) && (after?.instance || after?.network_interface)) restoring.add(rc.address);
        break;
      }
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
    if (h.type === 'apply_complete' && roles.restoring.has(h.address) && (h.action === 'create' || h.action === 'update')) {
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
  step: 'check' | 'apply' | 'wait' | 'plan';
  /** Apply number (1-based) for applies and the plans that prepare them. */
  n?: number;
  started: string;
  ended: string;
  seconds: number;
  outcome: string;
  detail?: string;
}

export interface Timeline {
  steps: TimelineStep[];
  egressGap?: EgressGap;
}

export function step(kind: TimelineStep['step'], startedMs: number, endedMs: number, outcome: string, extra: { n?: number; detail?: string } = {}): TimelineStep {
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
