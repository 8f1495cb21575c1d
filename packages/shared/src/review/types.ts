/** plan-guard's review: severities, findings, the analysis of one plan, and the change items the rules review. */
import type { AmiCriteria } from '../ami/criteria';
import type { ClassifyOptions, ModeSwitch, Role, StrategyInput } from '../nat/index';
import type { PlanSections, ResourceChange } from '../plan/types';

export type { ModeSwitch } from '../nat/index';
export const SEVERITIES = ['none', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** 0 (none) … 4 (critical). */
export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** AZ keys in order: numeric keys in number order, then string keys (code-unit order). */
export function compareKeys(a: string, b: string): number {
  const na = /^\d+$/.test(a) ? Number(a) : NaN;
  const nb = /^\d+$/.test(b) ? Number(b) : NaN;
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  if (!Number.isNaN(na)) return -1;
  if (!Number.isNaN(nb)) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * How plan-guard reviews one plan: the NAT address patterns (nat/roles.ts), the plan's prior_state and configuration
 * (plan/sections.ts: the AMI data sources, configuration references; default none) and what makes a NAT AMI tested
 * (the `ami-name-pattern` and `required-tags` inputs; default ami/criteria.ts DEFAULT_AMI_CRITERIA), and the strategy
 * the apply's cutover runs with (plan-guard's `strategy` input: auto, bridge or in-place; default auto).
 */
export interface ReviewOptions extends ClassifyOptions {
  sections?: PlanSections;
  ami?: AmiCriteria;
  strategy?: StrategyInput;
}

export interface Finding {
  severity: Exclude<Severity, 'none'>;
  kind: string;
  /** One-line title, plain text. */
  title: string;
  addresses: string[];
  /** AZ keys: the indexed module instance, else the count index or for_each key; "-" for unindexed resources. */
  keys: string[];
  /** Availability zones, where the plan shows them. */
  azs: string[];
  why: string;
  action: string;
}

export interface Analysis {
  risk: Severity;
  findings: Finding[];
  modeSwitch: ModeSwitch;
  expectedApplies: 1 | 2;
  /** Resources expected to fail in the first apply (they take an Elastic IP a deleting NAT gateway still holds). */
  expectedFailures: string[];
  /** Per AZ key whose NAT changes: what serves it before and after the apply (NAT kind and resource address). */
  azChanges: { key: string; before: string[]; after: string[] }[];
  /** Keys that lose egress (high and critical findings). */
  affected: string[];
  /** NAT-related resource changes considered (no-ops excluded). */
  natChanges: number;
  /** Addresses of NAT instances the plan creates (cutover's AMI check needs them). */
  natInstancesCreated: string[];
  /** What cutover runs for this plan with the strategy input (nat/bridge-text.ts plannedStrategy), and its line. */
  strategy: 'bridge' | 'in-place' | 'refused';
  strategyLine: string;
}

/** One NAT-related resource change under review. */
export interface Item {
  rc: ResourceChange;
  role: Role;
  /** create | delete | update | replace | forget | no-op (no-ops only when moved or imported) */
  kind: string;
  /** The AZ key, after linking keys that name the same AZ (nat/keys.ts linkKeys). */
  key: string;
  /** Top-level attributes an update changes (plan/change.ts changedAttributes); [] for other kinds. */
  changed: string[];
}

/**
 * What a rule makes: a finding before its keys, AZs and terraform notes are filled in (review/finding.ts).
 * `group` is the items the finding explains: the claim pass hands them to this finding, and no later rule
 * sees them.
 */
export interface Draft {
  severity: Finding['severity'];
  kind: string;
  title: string;
  group: Item[];
  why: string;
  action: string;
  /** Addresses the finding also names that play no NAT role (a replaced subnet, its route table associations). */
  related?: string[];
}
