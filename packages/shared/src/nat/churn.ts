/**
 * Provider churn: attributes hashicorp/aws computes itself that a plan shows as "known after apply" on an existing
 * resource although nothing in the configuration changed them (a provider upgrade added the attribute, or the
 * provider re-reads it on every update). An update made only of such attributes changes nothing in EC2: plan-guard
 * rates it low, and the NAT model keeps the before side's value for them (an unknown `availability_mode` is never a
 * mode switch). A real change of a known value is not churn.
 *
 * The table's facts: hashicorp/aws ≥ 6.24 schema of aws_nat_gateway (`terraform providers schema -json`): optional
 * and computed `availability_mode` (EC2 CreateNatGateway AvailabilityMode "Defaults to zonal") and `vpc_id`;
 * computed only `regional_nat_gateway_address`, `auto_provision_zones`, `auto_scaling_ips`,
 * `regional_nat_gateway_auto_mode` and `route_table_id` (provider pull request hashicorp/terraform-provider-aws#45240,
 * regional NAT gateways). Seen in the field: `+ regional_nat_gateway_address = (known after apply)` on every
 * existing zonal gateway after an upgrade to 6.27 (rust-lang/simpleinfra#866).
 */
import { setsArgument } from '../plan/config';
import { changedAttributes } from '../plan/change';
import type { ConfigResource, ResourceChange } from '../plan/types';
import { rawValue, unknownAt } from '../plan/values';

export interface ChurnAttribute {
  type: string;
  attribute: string;
  /** 'computed': the provider alone sets it; 'optional+computed': the configuration may set it, else the provider. */
  schema: 'computed' | 'optional+computed';
  /** The provider version that added it. */
  since: string;
  source: string;
}

const SCHEMA = 'hashicorp/aws ≥ 6.24 provider schema (terraform providers schema -json), aws_nat_gateway';
const PR = 'hashicorp/terraform-provider-aws#45240 (regional NAT gateways)';

/** Attributes whose unknown-after-apply value on an existing resource is provider churn (see the file comment). */
export const PROVIDER_CHURN: readonly ChurnAttribute[] = [
  {
    type: 'aws_nat_gateway',
    attribute: 'availability_mode',
    schema: 'optional+computed',
    since: '6.24',
    source: `${SCHEMA}; EC2 CreateNatGateway: AvailabilityMode "Defaults to zonal"`,
  },
  {
    type: 'aws_nat_gateway',
    attribute: 'regional_nat_gateway_address',
    schema: 'computed',
    since: '6.24',
    source: `${SCHEMA}; rust-lang/simpleinfra#866 (every zonal gateway after an upgrade to 6.27)`,
  },
  { type: 'aws_nat_gateway', attribute: 'auto_provision_zones', schema: 'computed', since: '6.24', source: PR },
  { type: 'aws_nat_gateway', attribute: 'auto_scaling_ips', schema: 'computed', since: '6.24', source: PR },
  {
    type: 'aws_nat_gateway',
    attribute: 'regional_nat_gateway_auto_mode',
    schema: 'computed',
    since: '6.24',
    source: PR,
  },
  { type: 'aws_nat_gateway', attribute: 'route_table_id', schema: 'computed', since: '6.24', source: PR },
  { type: 'aws_nat_gateway', attribute: 'vpc_id', schema: 'optional+computed', since: '6.24', source: SCHEMA },
];

const known = (v: unknown) => v !== undefined && v !== null && v !== '';

/** The churn attributes of a type (the table's rows). */
export function churnAttributes(type: string): ChurnAttribute[] {
  return PROVIDER_CHURN.filter((c) => c.type === type);
}

/**
 * Is `attribute` churn in this change: an update of an existing resource, the attribute in the table for its type,
 * unknown after apply, and — for an optional one — known before and not written in the configuration (when the
 * plan carries the configuration)?
 */
export function isChurn(rc: ResourceChange, attribute: string, config?: ConfigResource): boolean {
  const row = PROVIDER_CHURN.find((c) => c.type === rc.type && c.attribute === attribute);
  if (!row || !rc.change.actions.includes('update') || !unknownAt(rc, [attribute])) return false;
  if (row.schema === 'computed') return true;
  return known(rawValue(rc, 'before', [attribute])) && !setsArgument(config, attribute);
}

/** The attributes an update changes that are provider churn, sorted (plan/change.ts changedAttributes order). */
export function providerChurn(rc: ResourceChange, config?: ConfigResource): string[] {
  if (churnAttributes(rc.type).length === 0) return [];
  return changedAttributes(rc).filter((a) => isChurn(rc, a, config));
}

/**
 * The value the after side will have for a churn attribute the plan shows unknown: the before side's (the provider
 * recomputes what it had). Undefined when the attribute is not churn-unknown here. Matching and decisions only.
 */
export function churnCarriedValue(rc: ResourceChange, attribute: string): unknown {
  const row = PROVIDER_CHURN.find((c) => c.type === rc.type && c.attribute === attribute);
  if (!row || !rc.change.actions.includes('update') || !unknownAt(rc, [attribute])) return undefined;
  return rawValue(rc, 'before', [attribute]);
}
