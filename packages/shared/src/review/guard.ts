/**
 * plan-guard's domain: from a plan (JSON file, or a saved plan file run through `terraform show -json`)
 * to the risk, findings, digest and report. No @actions/core here: the action entry does the I/O.
 */
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError, linesInput } from '../inputs/index';
import { classifyChanges } from './classify';
import type { AmiCriteria } from '../ami/criteria';
import {
  NAT_CANDIDATE_TYPES,
  NAT_CONTEXT_TYPES,
  NAT_SECTIONS,
  ROLES,
  isNatCandidate,
  isNatContext,
  type Role,
  type StrategyInput,
} from '../nat/index';
import { combineDigests } from '../plan/digest';
import { PlanFormatError, loadPlanFile } from '../plan/load';
import type { LoadResult } from '../plan/types';
import type { DocumentReport, ReportInput } from './report';
import { terraformShowJson } from '../terraform/index';
import { severityRank, type Finding, type ModeSwitch, type Severity } from './types';

export interface GuardInputs {
  planJson?: string;
  planfile?: string;
  terraform: string;
  workingDirectory: string;
  failOn: Severity;
  environment: string;
  patterns?: Partial<Record<Role, string[]>>;
  /** The strategy cutover will be run with (its `strategy` input): auto (default), bridge or in-place. */
  strategy?: StrategyInput;
  /** What makes a NAT AMI tested (ami-name-pattern, required-tags); default ami/criteria.ts DEFAULT_AMI_CRITERIA. */
  ami?: AmiCriteria;
  /** Where `terraform show -json` output goes when `planfile` is used. */
  tempDir: string;
  /** Cancellation: stops `terraform show`. */
  signal?: AbortSignal;
}

export interface GuardResult {
  risk: Severity;
  findings: Array<Finding & { document: number }>;
  modeSwitch: ModeSwitch;
  expectedApplies: 1 | 2;
  /** Resources expected to fail in the first apply (see Analysis.expectedFailures). */
  expectedFailures: string[];
  affected: string[];
  planSha: string;
  failed: boolean;
  report: ReportInput;
  natInstancesCreated: string[];
  /** What cutover will run for this plan (its first document that changes NAT): bridge, in-place or refused. */
  strategy: 'bridge' | 'in-place' | 'refused';
}

/** `role=glob[,glob…]` lines, e.g. `eip=module.vpc.aws_eip.nat_eip*`. */
export function parsePatterns(name: string, raw: string): Partial<Record<Role, string[]>> {
  const out: Partial<Record<Role, string[]>> = {};
  for (const line of linesInput(raw)) {
    const eq = line.indexOf('=');
    const role = line.slice(0, eq).trim() as Role;
    if (eq <= 0 || !ROLES.includes(role)) {
      throw new InputError(`${name}: ${JSON.stringify(line)} is not role=glob (roles: ${ROLES.join(', ')})`);
    }
    const globs = line
      .slice(eq + 1)
      .split(',')
      .map((g) => g.trim())
      .filter(Boolean);
    if (globs.length === 0) throw new InputError(`${name}: ${JSON.stringify(line)} has no pattern after "="`);
    out[role] = [...(out[role] ?? []), ...globs];
  }
  return out;
}

/** Where the plan JSON to read is: the given plan-json, or `terraform show -json` of the planfile in tempDir. */
async function planJsonPath(inputs: GuardInputs): Promise<{ path: string; label: string; shownName: string }> {
  if (inputs.planJson && inputs.planfile) throw new InputError('plan-json and planfile: give one of them, not both');
  if (inputs.planJson)
    return { path: resolve(inputs.workingDirectory, inputs.planJson), label: 'plan-json', shownName: inputs.planJson };
  if (!inputs.planfile)
    throw new InputError(
      'plan-json or planfile: one is required ' +
        '(the output of `terraform show -json <planfile>`, or the saved plan file)',
    );
  const planfile = resolve(inputs.workingDirectory, inputs.planfile);
  if (!existsSync(planfile))
    throw new InputError(`planfile: ${inputs.planfile} does not exist (in ${inputs.workingDirectory})`);
  const path = join(inputs.tempDir, `plan-guard-${process.pid}-${Date.now()}.json`);
  try {
    await terraformShowJson({
      terraform: inputs.terraform,
      planfile,
      cwd: inputs.workingDirectory,
      outFile: path,
      ...(inputs.signal ? { signal: inputs.signal } : {}),
    });
  } catch (err) {
    if (inputs.signal?.aborted) throw err;
    throw new InputError(`planfile: ${inputs.planfile}: ${(err as Error).message}`);
  }
  return { path, label: 'planfile', shownName: inputs.planfile };
}

const KEPT_TYPES: ReadonlySet<string> = new Set([...NAT_CANDIDATE_TYPES, ...NAT_CONTEXT_TYPES]);

/** The plan's documents with their NAT candidate changes; a malformed plan is an InputError naming the input. */
async function loadNatChanges(source: { path: string; label: string; shownName: string }): Promise<LoadResult> {
  try {
    return await loadPlanFile(source.path, {
      keep: (rc) => isNatCandidate(rc) || isNatContext(rc),
      keepTypes: KEPT_TYPES,
      ...NAT_SECTIONS,
    });
  } catch (err) {
    if (err instanceof PlanFormatError) throw new InputError(`${source.label}: ${source.shownName}: ${err.message}`);
    throw err;
  }
}

/** One classification and report section per document ("plan", or "plan 2 of 3" when there are several). */
function reviewDocuments(loaded: LoadResult, inputs: GuardInputs): DocumentReport[] {
  const multi = loaded.documents.length > 1;
  const { patterns, ami } = inputs;
  return loaded.documents.map((doc) => ({
    label: multi ? `plan ${doc.index + 1} of ${loaded.documents.length}` : 'plan',
    analysis: classifyChanges(doc.changes, {
      ...(patterns ? { patterns } : {}),
      ...(ami ? { ami } : {}),
      sections: doc.sections,
      strategy: inputs.strategy ?? 'auto',
    }),
    totalChanges: doc.totalChanges,
    terraformVersion: doc.header.terraformVersion,
    formatVersion: doc.header.formatVersion ?? doc.header.planFormatVersion,
    warnings: doc.warnings,
  }));
}

/**
 * plan-guard's analysis of a plan: reads plan-json, or runs `terraform show -json` on planfile (into tempDir),
 * classifies every document, and returns the combined risk, findings (with their document's 0-based index),
 * outputs and report input. Input problems (both or neither of plan-json and planfile, a missing planfile, a
 * failed `terraform show`, a malformed plan) throw InputError with a one-line message; a cancelled `terraform
 * show` rethrows its abort error.
 */
export async function analysePlan(inputs: GuardInputs): Promise<GuardResult> {
  const source = await planJsonPath(inputs);
  let loaded: LoadResult;
  try {
    loaded = await loadNatChanges(source);
  } finally {
    // The shown JSON holds every sensitive value in clear (`terraform show -json`): never left behind.
    if (source.label === 'planfile') rmSync(source.path, { force: true });
  }
  const documents = reviewDocuments(loaded, inputs);
  const analyses = documents.map((d) => d.analysis);
  const natDoc = analyses.find((a) => a.natChanges > 0);
  const risk = analyses.reduce<Severity>((max, a) => (severityRank(a.risk) > severityRank(max) ? a.risk : max), 'none');
  const planSha = combineDigests(loaded.documents.map((d) => d.digest));
  const report: ReportInput = {
    environment: inputs.environment,
    risk,
    failOn: inputs.failOn,
    planSha,
    source: source.shownName,
    documents,
    warnings: loaded.warnings,
    ...(natDoc ? { strategyLine: natDoc.strategyLine } : {}),
  };
  return {
    risk,
    findings: analyses.flatMap((a, i) => a.findings.map((f) => ({ ...f, document: i }))),
    modeSwitch: analyses.map((a) => a.modeSwitch).find((m) => m !== 'none') ?? 'none',
    expectedApplies: analyses.some((a) => a.expectedApplies === 2) ? 2 : 1,
    expectedFailures: [...new Set(analyses.flatMap((a) => a.expectedFailures))],
    affected: [...new Set(analyses.flatMap((a) => a.affected))],
    planSha,
    failed: inputs.failOn !== 'none' && severityRank(risk) >= severityRank(inputs.failOn),
    report,
    natInstancesCreated: analyses.flatMap((a) => a.natInstancesCreated),
    strategy: natDoc?.strategy ?? 'in-place',
  };
}
