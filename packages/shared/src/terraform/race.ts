/**
 * Telling the gateway→instance EIP race apart from every other apply failure. A failed apply is the race only
 * when EVERY error diagnostic is an Elastic IP association failing with AuthFailure, in one of the forms the
 * AWS provider has used (see DOMAIN.md "The cutover race"):
 *   aws_eip_association (SDK v2):  creating EC2 EIP Association: operation error EC2: AssociateAddress, … api error AuthFailure: …
 *   aws_eip_association (SDK v1):  creating EC2 EIP Association: AuthFailure: … \n\tstatus code: 400, request id: …
 *   aws_eip_association (≤ v3):    Error associating EIP: AuthFailure: …
 *   aws_eip with instance/ENI:     associating EC2 EIP (eipalloc-…): operation error EC2: AssociateAddress, … AuthFailure …
 * and the resource it names is of the matching type. AuthFailure anywhere else (an instance, a route) is a
 * real permission problem and is never retried.
 */
import type { Diagnostic, HookEvent } from './stream';
import { resourceTypeOf } from './stream';

export interface RaceError {
  address: string;
  resourceType: 'aws_eip_association' | 'aws_eip';
  /** The allocation id, when the message names it (the aws_eip form does). */
  allocationId?: string;
  form: 'sdk-v2' | 'sdk-v1' | 'provider-v3' | 'aws_eip';
}

export interface RaceVerdict {
  race: boolean;
  /** The race errors (all errors, when `race`). */
  raceErrors: RaceError[];
  /** Error diagnostics that are not the race. */
  otherErrors: Diagnostic[];
  /** One line: why this is or is not the race. */
  reason: string;
}

const AUTH = /\bAuthFailure\b/;
const ASSOCIATION_FORMS: Array<[RaceError['form'], RegExp]> = [
  ['sdk-v2', /creating EC2 EIP Association: operation error EC2: AssociateAddress,[^]*api error AuthFailure\b/],
  ['sdk-v1', /creating EC2 EIP Association: AuthFailure\b/],
  ['provider-v3', /Error associating EIP: AuthFailure\b/],
];
const EIP_FORM = /associating EC2 EIP \((eipalloc-[0-9a-f]+)\): [^]*\bAuthFailure\b/;

function addressFor(d: Diagnostic, hooks: readonly HookEvent[], types: readonly string[]): string | undefined {
  if (d.address) return types.includes(resourceTypeOf(d.address)) ? d.address : undefined;
  // Diagnostics without an address (older terraform): accept only when the apply hooks show exactly one
  // failed operation on a resource of the matching type and nothing else failed.
  const failed = hooks.filter((h) => h.type === 'apply_errored');
  if (failed.length === 1 && types.includes((failed[0] as HookEvent).resourceType)) return (failed[0] as HookEvent).address;
  return undefined;
}

/** The race error this diagnostic is, or undefined. */
export function matchRaceDiagnostic(d: Diagnostic, hooks: readonly HookEvent[] = []): RaceError | undefined {
  if (d.severity !== 'error') return undefined;
  const text = `${d.summary}\n${d.detail}`;
  if (!AUTH.test(text)) return undefined;
  for (const [form, re] of ASSOCIATION_FORMS) {
    if (!re.test(text)) continue;
    const address = addressFor(d, hooks, ['aws_eip_association']);
    if (!address) return undefined;
    const failedHook = hooks.find((h) => h.type === 'apply_errored' && h.address === address);
    // An association is created (or replaced, whose create half fails the same way); never a delete.
    if (failedHook && failedHook.action !== 'create') return undefined;
    return { address, resourceType: 'aws_eip_association', form };
  }
  const eip = EIP_FORM.exec(text);
  if (eip) {
    const address = addressFor(d, hooks, ['aws_eip']);
    if (!address) return undefined;
    return { address, resourceType: 'aws_eip', allocationId: eip[1] as string, form: 'aws_eip' };
  }
  return undefined;
}

/** Is this failed apply the EIP race, and nothing else? */
export function classifyFailure(diagnostics: readonly Diagnostic[], hooks: readonly HookEvent[] = []): RaceVerdict {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const raceErrors: RaceError[] = [];
  const otherErrors: Diagnostic[] = [];
  for (const d of errors) {
    const m = matchRaceDiagnostic(d, hooks);
    if (m) raceErrors.push(m);
    else otherErrors.push(d);
  }
  if (errors.length === 0) {
    return { race: false, raceErrors, otherErrors, reason: 'terraform failed without an error diagnostic' };
  }
  if (otherErrors.length > 0) {
    const first = otherErrors[0] as Diagnostic;
    const authElsewhere = AUTH.test(`${first.summary}\n${first.detail}`);
    const why = authElsewhere
      ? `AuthFailure${first.address ? ` at ${first.address}` : ''} is not an Elastic IP association: a real permission problem, not the cutover race`
      : `${otherErrors.length} error(s) are not the Elastic IP association race (first: ${first.address ? `${first.address}: ` : ''}${first.summary.split('\n')[0]})`;
    return { race: false, raceErrors, otherErrors, reason: why };
  }
  const addresses = [...new Set(raceErrors.map((r) => r.address))];
  return {
    race: true,
    raceErrors,
    otherErrors,
    reason: `AuthFailure associating Elastic IP(s) still held by NAT gateways being deleted: ${addresses.join(', ')}`,
  };
}
