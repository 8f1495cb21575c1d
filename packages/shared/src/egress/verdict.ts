/**
 * The verdict of each AZ, computed once from a check's findings and shown as it is by the job summary, the `report`
 * output, the progress events and the nat-egress CLI: the worst severity among the AZ's findings (`verdict`) and
 * whether egress is up there (`egress`, with the reason).
 */
import type { EgressState } from '../runtime/index';
import type { Finding } from './types';

/** The worst severity among an AZ's own findings (`ok`: none above info). */
export type AzVerdict = 'ok' | 'warning' | 'error';

/** Whether egress is up in an AZ, and why, in one line. */
export interface AzEgress {
  egress: EgressState;
  egressReason: string;
}

/** The findings about `az`: those naming it (a finding may name several AZs, `us-east-1a, us-east-1b`). */
export function azFindings(findings: Finding[], az: string): Finding[] {
  return findings.filter((f) => f.az !== undefined && f.az.split(', ').includes(az));
}

/** `error` when any finding is an error, else `warning` when any is a warning, else `ok`. */
export function worstSeverity(findings: Finding[]): AzVerdict {
  if (findings.some((f) => f.severity === 'error')) return 'error';
  if (findings.some((f) => f.severity === 'warning')) return 'warning';
  return 'ok';
}

const said = (f: Finding): string => `${f.check}: ${f.message}`;

/**
 * Egress of `az` from the findings of one check (errors first, as verify's sortFindings leaves them):
 * - `down`: a check of this AZ failed (an error naming it); the reason is the first such error;
 * - `unproven`: none did, but a VPC-wide check failed (an error naming no AZ: every log group silent since one
 *   moment, an expected address gone), which leaves this AZ's egress unproven; the reason is that error;
 * - `up`: otherwise; the reason says whether warnings remain.
 */
export function azEgress(findings: Finding[], az: string): AzEgress {
  const own = azFindings(findings, az);
  const ownError = own.find((f) => f.severity === 'error');
  if (ownError) return { egress: 'down', egressReason: said(ownError) };
  const vpcWide = findings.find((f) => f.severity === 'error' && !f.az);
  if (vpcWide) return { egress: 'unproven', egressReason: said(vpcWide) };
  const warnings = own.filter((f) => f.severity === 'warning').length;
  return { egress: 'up', egressReason: warnings ? `no failing check; ${warnings} warning(s)` : 'no failing check' };
}
