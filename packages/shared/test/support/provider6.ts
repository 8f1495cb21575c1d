/**
 * aws_nat_gateway changes as hashicorp/aws ≥ 6.24 plans them (its schema: `terraform providers schema -json`;
 * optional+computed availability_mode and vpc_id; computed regional_nat_gateway_address, auto_provision_zones,
 * auto_scaling_ips, regional_nat_gateway_auto_mode, route_table_id), for what the local 5.100.0 provider cannot
 * plan: an existing gateway whose provider-computed attributes are known only after apply (the churn of a provider
 * upgrade, e.g. rust-lang/simpleinfra#866's `+ regional_nat_gateway_address = (known after apply)`).
 */
import type { ResourceChange } from '@nat-egress/shared/plan';
import { change } from './plans';
import { alloc } from './topology-plans';

type Obj = Record<string, unknown>;

/** A 6.x state of zonal gateway `i` (every attribute of the schema, as the provider stores it). */
export function zonalState(i: number): Obj {
  return {
    allocation_id: alloc(i),
    association_id: `eipassoc-0${i}aaaaaaaaaaaaaaa`,
    auto_provision_zones: '',
    auto_scaling_ips: '',
    availability_mode: 'zonal',
    availability_zone_address: [],
    connectivity_type: 'public',
    id: `nat-0${i}aaaaaaaaaaaaaaa`,
    network_interface_id: `eni-0${i}ccccccccccccccc`,
    private_ip: `10.0.${i}.10`,
    public_ip: `198.51.100.${10 + i}`,
    region: 'us-east-1',
    regional_nat_gateway_address: [],
    regional_nat_gateway_auto_mode: '',
    route_table_id: '',
    secondary_allocation_ids: [],
    secondary_private_ip_address_count: 0,
    secondary_private_ip_addresses: [],
    subnet_id: `subnet-0pub${i}`,
    tags: { Name: `nat-${i}` },
    tags_all: { Name: `nat-${i}` },
    vpc_id: 'vpc-0123',
  };
}

/**
 * An in-place update of gateway `i` in which `unknown` attributes are known only after apply (absent from `after`,
 * marked in after_unknown) and `set` attributes take new known values.
 */
export function gatewayUpdate(
  i: number,
  unknown: string[],
  set: Obj = {},
  before: Obj = zonalState(i),
  address = `module.vpc.aws_nat_gateway.this[${i}]`,
): ResourceChange {
  const after: Obj = { ...before, ...set };
  for (const a of unknown) delete after[a];
  return change(address, ['update'], before, after, {
    after_unknown: Object.fromEntries(unknown.map((a) => [a, true])),
  });
}
