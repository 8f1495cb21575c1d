/**
 * plan-guard's `report` output: the report's facts beside the `findings` output, as data, so a reader (the
 * `nat-egress` command line's terminal view, a workflow step) shows what the markdown report shows without
 * parsing markdown or working a verdict out again. Version 1 is this shape:
 *
 *   { version: 1, environment, failOn, source, planSha, expectedFailures: string[], strategyLine?,
 *     documents: [{ label, totalChanges, natChanges, terraformVersion?, formatVersion?,
 *                   azChanges: [{ key, before: string[], after: string[] }], azChangesOmitted }],
 *     documentsOmitted, warnings: string[] }
 *
 * `warnings` are the input's and each document's (prefixed with its label when there are several), as the report's
 * notes give them. The caller bounds it (setGuardOutputs: REPORT_OUTPUT_MAX_BYTES in UTF-16 bytes, GitHub's unit
 * for outputs, and at most a quarter of the outputs budget left): per-AZ rows, then documents, are left out first,
 * and counted.
 */
import { utf16Bytes } from '../limits/index';
import type { GuardResult } from './guard';

/** The most the `report` output takes of the job's 1 MB of outputs (the findings get the rest). */
export const REPORT_OUTPUT_MAX_BYTES = 64 * 1024;
/** Per-AZ-key rows kept per document before the size bound applies (the markdown report lists 20). */
const AZ_ROWS = 50;

export interface ReportOutput {
  version: 1;
  environment: string;
  failOn: string;
  source: string;
  planSha: string;
  expectedFailures: string[];
  /** What cutover will run and the outage to expect (the markdown report's first line), when the plan has NAT. */
  strategyLine?: string;
  documents: {
    label: string;
    totalChanges: number;
    natChanges: number;
    terraformVersion?: string;
    formatVersion?: string;
    azChanges: { key: string; before: string[]; after: string[] }[];
    azChangesOmitted: number;
  }[];
  documentsOmitted: number;
  warnings: string[];
}

/** The `report` output's value (≤ `max` UTF-16 bytes; '' only if even its smallest form does not fit). */
export function reportOutput(result: GuardResult, max = REPORT_OUTPUT_MAX_BYTES): string {
  const input = result.report;
  const multi = input.documents.length > 1;
  const full: ReportOutput = {
    version: 1,
    environment: input.environment,
    failOn: input.failOn,
    source: input.source,
    planSha: input.planSha,
    expectedFailures: result.expectedFailures,
    ...(input.strategyLine ? { strategyLine: input.strategyLine } : {}),
    documents: input.documents.map((d) => ({
      label: d.label,
      totalChanges: d.totalChanges,
      natChanges: d.analysis.natChanges,
      ...(d.terraformVersion ? { terraformVersion: d.terraformVersion } : {}),
      ...(d.formatVersion ? { formatVersion: d.formatVersion } : {}),
      azChanges: d.analysis.azChanges.slice(0, AZ_ROWS),
      azChangesOmitted: Math.max(0, d.analysis.azChanges.length - AZ_ROWS),
    })),
    documentsOmitted: 0,
    warnings: [
      ...input.warnings,
      ...input.documents.flatMap((d) => d.warnings.map((w) => (multi ? `${d.label}: ${w}` : w))),
    ],
  };
  const withoutRows: ReportOutput = {
    ...full,
    documents: full.documents.map((d) => ({
      ...d,
      azChanges: [],
      azChangesOmitted: d.azChanges.length + d.azChangesOmitted,
    })),
  };
  for (const candidate of [full, withoutRows]) {
    const json = JSON.stringify(candidate);
    if (utf16Bytes(json) <= max) return json;
  }
  // Very many documents: the first ones that fit.
  const docs = withoutRows.documents;
  for (let n = docs.length - 1; n >= 0; n--) {
    const json = JSON.stringify({ ...withoutRows, documents: docs.slice(0, n), documentsOmitted: docs.length - n });
    if (utf16Bytes(json) <= max) return json;
  }
  return '';
}
