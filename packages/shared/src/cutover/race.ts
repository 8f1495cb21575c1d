/**
 * Telling the Elastic IP race apart from every other apply failure. A failed apply has the race's pattern only
 * when EVERY error diagnostic is one of RACE_FORMS at a resource of the matching type: an Elastic IP association
 * (to an instance or to a network interface) failing with AuthFailure, or a NAT gateway (zonal or regional) whose
 * creation ended `failed` because its Elastic IP is still associated. AuthFailure anywhere else (an instance, a
 * route) is a real permission problem and is never retried. A match is only the race's PATTERN: the race itself
 * is confirmed by EC2 (a NAT gateway being deleted still holds the address; see release.ts), and no log line
 * calls it the race before that.
 */
import { resourceTypeOf, type Diagnostic, type HookEvent } from '../terraform/index';

export type RaceFormId = 'sdk-v2' | 'sdk-v1' | 'provider-v3' | 'aws_eip' | 'nat-gateway-failed' | 'nat-gateway-refused';

export interface RaceForm {
  id: RaceFormId;
  /** The resource type the diagnostic must be at. */
  resourceType: 'aws_eip_association' | 'aws_eip' | 'aws_nat_gateway';
  /** Matches summary + "\n" + detail; group 1, when present, is the allocation id. */
  pattern: RegExp;
  /** What it looks like, as read at `source`. */
  example: string;
  /** Where the message form was read. */
  source: string;
}

/**
 * Every form of the race the cutover knows, with where each was read. The association forms are the same
 * whether the association's target is an instance (`instance_id`) or a network interface
 * (`network_interface_id`): the provider's create function wraps EC2 AssociateAddress's error the same way.
 */
export const RACE_FORMS: readonly RaceForm[] = [
  {
    id: 'sdk-v2',
    resourceType: 'aws_eip_association',
    pattern: /creating EC2 EIP Association: operation error EC2: AssociateAddress,[^]*api error AuthFailure\b/,
    example:
      'creating EC2 EIP Association: operation error EC2: AssociateAddress, https response error StatusCode: 400, ' +
      'RequestID: 6f3add99-57a2-47ae-931f-261856ba01d4, api error AuthFailure: You do not have permission to access ' +
      'the specified resource.',
    source:
      'hashicorp/terraform-provider-aws internal/service/ec2/vpc_eip_association.go (provider ≥ 5, AWS SDK for Go ' +
      'v2), DOMAIN.md "The cutover race"',
  },
  {
    id: 'sdk-v1',
    resourceType: 'aws_eip_association',
    pattern: /creating EC2 EIP Association: AuthFailure\b/,
    example:
      'creating EC2 EIP Association: AuthFailure: You do not have permission to access the specified resource.\n' +
      '\tstatus code: 400, request id: 0b8a6c1e-1111-4b7e-9c55-3f1c2a7d9e10',
    source:
      'hashicorp/terraform-provider-aws provider 4.x (AWS SDK for Go v1 error text), DOMAIN.md "The cutover race"',
  },
  {
    id: 'provider-v3',
    resourceType: 'aws_eip_association',
    pattern: /Error associating EIP: AuthFailure\b/,
    example: 'Error associating EIP: AuthFailure: You do not have permission to access the specified resource.',
    source: 'hashicorp/terraform-provider-aws ≤ 3.x resource_aws_eip_association.go, DOMAIN.md "The cutover race"',
  },
  {
    id: 'aws_eip',
    resourceType: 'aws_eip',
    pattern: /associating EC2 EIP \((eipalloc-[0-9a-f]+)\): [^]*\bAuthFailure\b/,
    example:
      'associating EC2 EIP (eipalloc-01a1b2c3d4e5f6a7b8): operation error EC2: AssociateAddress, https response ' +
      'error StatusCode: 400, RequestID: 1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f, api error AuthFailure: You do not ' +
      'have permission to access the specified resource.',
    source:
      'hashicorp/terraform-provider-aws internal/service/ec2/ec2_eip.go (aws_eip with instance or network_interface ' +
      'set), DOMAIN.md "The cutover race"',
  },
  {
    id: 'nat-gateway-failed',
    resourceType: 'aws_nat_gateway',
    // The provider's diagnostic "waiting for EC2 NAT Gateway (<id>) create: <err>" where <err> is the SDK's
    // UnexpectedStateError "unexpected state 'failed', wanted target 'available'. last error: <code>: <message>"
    // and <code>: <message> are the gateway's FailureCode and FailureMessage; EC2 documents the message for
    // Resource.AlreadyAssociated as "Elastic IP address eipalloc-xxxxxxxx is already associated".
    pattern: new RegExp(
      String.raw`waiting for EC2 NAT Gateway \(nat-[0-9a-f]+\) create: [^]*unexpected state 'failed'[^]*` +
        String.raw`(?:Resource\.AlreadyAssociated|Elastic IP address \[?(eipalloc-[0-9a-f]+)\]? is already associated)`,
    ),
    example:
      "waiting for EC2 NAT Gateway (nat-0a1b2c3d4e5f60718) create: unexpected state 'failed', wanted target " +
      "'available'. last error: Resource.AlreadyAssociated: Elastic IP address eipalloc-00a1b2c3d4e5f6a7b8 is " +
      'already associated',
    source: [
      'hashicorp/terraform-provider-aws internal/service/ec2/vpc_nat_gateway.go (resourceNATGatewayCreate: ',
      '"waiting for EC2 NAT Gateway (%s) create: %s") and wait.go (waitNATGatewayCreated: SetLastError "%s: %s" of ',
      'FailureCode, FailureMessage); terraform-plugin-sdk helper/retry UnexpectedStateError ("unexpected state ',
      "'%s', wanted target '%s'. last error: %s\"); EC2 API reference NatGateway.FailureCode/FailureMessage ",
      '(Resource.AlreadyAssociated: "Elastic IP address eipalloc-xxxxxxxx is already associated"). The same create ',
      'path serves zonal and regional gateways.',
    ].join(''),
  },
  {
    id: 'nat-gateway-refused',
    resourceType: 'aws_nat_gateway',
    // The same refusal answered at once by CreateNatGateway instead of a gateway that ends `failed`: what moto
    // answers (and a gateway replacement meets when the old gateway's address is released a moment after `deleted`).
    pattern:
      /creating EC2 NAT Gateway: operation error EC2: CreateNatGateway,[^]*api error Resource\.AlreadyAssociated\b/,
    example:
      'creating EC2 NAT Gateway: operation error EC2: CreateNatGateway, https response error StatusCode: 400, ' +
      'RequestID: Kn4sCPT87OAX, api error Resource.AlreadyAssociated: Resource 127.116.51.170 is already associated.',
    source:
      'hashicorp/terraform-provider-aws internal/service/ec2/vpc_nat_gateway.go (resourceNATGatewayCreate: "creating ' +
      'EC2 NAT Gateway: %s"), AWS SDK for Go v2 error text; the answer of moto 5.2.1 to CreateNatGateway for an ' +
      'address still associated (research-18 §4, race.out)',
  },
];

export interface RaceError {
  address: string;
  resourceType: RaceForm['resourceType'];
  /** The allocation id, when the message names it (the aws_eip form and the gateway form do). */
  allocationId?: string;
  form: RaceFormId;
}

export interface RaceVerdict {
  /** Every error diagnostic has the race's pattern (still to be confirmed with EC2). */
  race: boolean;
  /** The matching errors (all errors, when `race`). */
  raceErrors: RaceError[];
  /** Error diagnostics that are not the race. */
  otherErrors: Diagnostic[];
  /** One line: why this may or may not be the race (never claims the race: EC2 has not been asked yet). */
  reason: string;
}

const AUTH = /\bAuthFailure\b/;

function addressFor(d: Diagnostic, hooks: readonly HookEvent[], type: string): string | undefined {
  if (d.address) return resourceTypeOf(d.address) === type ? d.address : undefined;
  // Diagnostics without an address (older terraform): accept only when the apply hooks show exactly one
  // failed operation, on a resource of the matching type.
  const failed = hooks.filter((h) => h.type === 'apply_errored');
  if (failed.length === 1 && (failed[0] as HookEvent).resourceType === type) return (failed[0] as HookEvent).address;
  return undefined;
}

/** The race-pattern error this diagnostic is, or undefined. */
export function matchRaceDiagnostic(d: Diagnostic, hooks: readonly HookEvent[] = []): RaceError | undefined {
  if (d.severity !== 'error') return undefined;
  const text = `${d.summary}\n${d.detail}`;
  for (const form of RACE_FORMS) {
    const m = form.pattern.exec(text);
    if (!m) continue;
    const address = addressFor(d, hooks, form.resourceType);
    if (!address) return undefined;
    const failedHook = hooks.find((h) => h.type === 'apply_errored' && h.address === address);
    // An association or a gateway is created (or replaced, whose create half fails the same way); never a delete.
    if (form.resourceType !== 'aws_eip' && failedHook && failedHook.action !== 'create') return undefined;
    return { address, resourceType: form.resourceType, form: form.id, ...(m[1] ? { allocationId: m[1] } : {}) };
  }
  return undefined;
}

/** Does this failed apply have the race's pattern, and nothing else? */
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
    const at = first.address ? ` at ${first.address}` : '';
    const why = authElsewhere
      ? `AuthFailure${at} is not an Elastic IP association: a real permission problem, not the cutover race`
      : `${otherErrors.length} error(s) are not the Elastic IP association race ` +
        `(first: ${first.address ? `${first.address}: ` : ''}${first.summary.split('\n')[0]})`;
    return { race: false, raceErrors, otherErrors, reason: why };
  }
  return { race: true, raceErrors, otherErrors, reason: describeRaceErrors(raceErrors) };
}

/** "AuthFailure associating Elastic IP(s) at a, b; NAT gateway creation failed (address already associated) at c". */
function describeRaceErrors(errors: readonly RaceError[]): string {
  const assoc = [...new Set(errors.filter((e) => e.resourceType !== 'aws_nat_gateway').map((e) => e.address))];
  const gw = [...new Set(errors.filter((e) => e.resourceType === 'aws_nat_gateway').map((e) => e.address))];
  const parts: string[] = [];
  if (assoc.length > 0) parts.push(`AuthFailure associating Elastic IP(s) at ${assoc.join(', ')}`);
  if (gw.length > 0) parts.push(`NAT gateway creation failed, its Elastic IP already associated, at ${gw.join(', ')}`);
  return parts.join('; ');
}
