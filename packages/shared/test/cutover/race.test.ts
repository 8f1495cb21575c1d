import { describe, expect, it } from '@jest/globals';
import { classifyFailure, matchRaceDiagnostic } from '../../src/cutover/race';
import type { Diagnostic, HookEvent } from '@nat-egress/shared/terraform';

const V2 =
  'creating EC2 EIP Association: operation error EC2: AssociateAddress, https response error StatusCode: 400, RequestID: 6f3add99-57a2-47ae-931f-261856ba01d4, api error AuthFailure: You do not have permission to access the specified resource.';
const V1 =
  'creating EC2 EIP Association: AuthFailure: You do not have permission to access the specified resource.\n\tstatus code: 400, request id: 0b8a6c1e-1111-4b7e-9c55-3f1c2a7d9e10';
const V3 =
  'Error associating EIP: AuthFailure: You do not have permission to access the specified resource.\n\tstatus code: 400, request id: 0b8a';
const EIP =
  'associating EC2 EIP (eipalloc-01a1b2c3d4e5f6a7b8): operation error EC2: AssociateAddress, https response error StatusCode: 400, RequestID: 1c2d, api error AuthFailure: You do not have permission to access the specified resource.';
const ASSOC = 'module.vpc.aws_eip_association.nat[0]';

const diag = (summary: string, address?: string, detail = '', severity = 'error'): Diagnostic => ({
  severity,
  summary,
  detail,
  at: 0,
  ...(address ? { address } : {}),
});
const errored = (address: string, resourceType: string, action = 'create'): HookEvent => ({
  type: 'apply_errored',
  address,
  resourceType,
  action,
  at: 0,
  stamped: true,
});

describe('the EIP race: every provider message form', () => {
  it.each([
    ['SDK v2', V2, ASSOC, 'sdk-v2'],
    ['SDK v1 (status code on the next line)', V1, ASSOC, 'sdk-v1'],
    ['provider ≤ 3', V3, ASSOC, 'provider-v3'],
    ['aws_eip with instance/network_interface', EIP, 'module.vpc.aws_eip.nat_eip[1]', 'aws_eip'],
  ])('%s', (_name, summary, address, form) => {
    expect(matchRaceDiagnostic(diag(summary, address))).toMatchObject({ address, form });
    expect(classifyFailure([diag(summary, address)]).race).toBe(true);
  });

  it('the message split between summary and detail (SDK v1 via detail) is still recognised', () => {
    expect(
      matchRaceDiagnostic(
        diag(
          'creating EC2 EIP Association: AuthFailure: You do not have permission',
          ASSOC,
          'status code: 400, request id: x',
        ),
      ),
    ).toBeDefined();
  });

  it('the aws_eip form carries the allocation id', () => {
    expect(matchRaceDiagnostic(diag(EIP, 'module.vpc.aws_eip.nat_eip[1]'))?.allocationId).toBe(
      'eipalloc-01a1b2c3d4e5f6a7b8',
    );
  });

  it('diagnostics without an address fall back to the one failed apply hook of the right type', () => {
    expect(matchRaceDiagnostic(diag(V2), [errored(ASSOC, 'aws_eip_association')])?.address).toBe(ASSOC);
    expect(matchRaceDiagnostic(diag(V2), [errored('aws_instance.nat[0]', 'aws_instance')])).toBeUndefined();
    expect(
      matchRaceDiagnostic(diag(V2), [
        errored(ASSOC, 'aws_eip_association'),
        errored('module.vpc.aws_eip_association.nat[1]', 'aws_eip_association'),
      ]),
    ).toBeUndefined();
  });
});

describe('not the race', () => {
  it('AuthFailure on a non-EIP resource', () => {
    const v = classifyFailure([
      diag(
        'creating EC2 Instance: operation error EC2: RunInstances, https response error StatusCode: 400, api error AuthFailure: You do not have permission to access the specified resource.',
        'module.vpc.aws_instance.nat[0]',
      ),
    ]);
    expect(v.race).toBe(false);
    expect(v.reason).toContain('AuthFailure at module.vpc.aws_instance.nat[0] is not an Elastic IP association');
  });

  it('the association message at a resource of another type', () => {
    expect(matchRaceDiagnostic(diag(V2, 'module.vpc.aws_instance.nat[0]'))).toBeUndefined();
    expect(matchRaceDiagnostic(diag(EIP, ASSOC))).toBeUndefined();
  });

  it('an association failing with another error code', () => {
    expect(
      matchRaceDiagnostic(
        diag(
          'creating EC2 EIP Association: operation error EC2: AssociateAddress, https response error StatusCode: 400, api error InvalidAllocationID.NotFound: The allocation ID does not exist',
          ASSOC,
        ),
      ),
    ).toBeUndefined();
    expect(
      matchRaceDiagnostic(
        diag(
          'creating EC2 EIP Association: UnauthorizedOperation: You are not authorized to perform this operation.',
          ASSOC,
        ),
      ),
    ).toBeUndefined();
  });

  it('an association delete failing with AuthFailure', () => {
    expect(matchRaceDiagnostic(diag(V2, ASSOC), [errored(ASSOC, 'aws_eip_association', 'delete')])).toBeUndefined();
  });

  it('the race plus one other error; no error at all; warnings only', () => {
    expect(
      classifyFailure([diag(V2, ASSOC), diag('creating Route: RouteAlreadyExists', 'module.vpc.aws_route.private[0]')])
        .race,
    ).toBe(false);
    expect(classifyFailure([]).reason).toBe('terraform failed without an error diagnostic');
    expect(classifyFailure([diag('Deprecated attribute', undefined, '', 'warning')]).race).toBe(false);
  });

  it('warnings next to the race do not prevent the retry', () => {
    expect(
      classifyFailure([diag('Deprecated attribute', 'module.vpc.aws_eip.nat_eip[0]', '', 'warning'), diag(V2, ASSOC)])
        .race,
    ).toBe(true);
  });
});
