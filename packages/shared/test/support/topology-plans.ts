/**
 * Hand-written `terraform show -json` resource changes (format 1.2) for every NAT topology plan-guard knows,
 * written after the hashicorp/aws provider's documented schema (the regional NAT gateway needs provider ≥ 6.24,
 * newer than the mirror installed here, so these cannot come from real terraform): aws_nat_gateway
 * (availability_mode, availability_zone_address {allocation_ids, availability_zone}, vpc_id,
 * regional_nat_gateway_address, auto_provision_zones, auto_scaling_ips), aws_instance, aws_network_interface,
 * aws_network_interface_attachment, aws_launch_template, aws_autoscaling_group, aws_eip_association, aws_route.
 * Values are neutral (documentation IP ranges, made-up ids).
 */
import type { ResourceChange } from '@nat-egress/shared/plan';
import { change } from './plans';

type Obj = Record<string, unknown>;
export const AZS = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
export const alloc = (i: number) => `eipalloc-0${i}b2c3d4e5f6a7b8c9`;

const created = (a: string[]) => a.includes('create');
const gone = (a: string[]) => a.length === 1 && a[0] === 'delete';
const fresh = (a: string[]) => a.length === 1 && a[0] === 'create';

/** A zonal NAT gateway (terraform-aws-modules/vpc naming). */
export function zonalGateway(
  i: number,
  actions: string[],
  address = `module.vpc.aws_nat_gateway.this[${i}]`,
  extra: Obj = {},
): ResourceChange {
  const attrs = {
    allocation_id: alloc(i),
    availability_mode: 'zonal',
    connectivity_type: 'public',
    id: `nat-0${i}aaaaaaaaaaaaaaa`,
    subnet_id: `subnet-0pub${i}`,
    secondary_allocation_ids: [],
    tags: { Name: `nat-${AZS[i]}` },
    tags_all: { Name: `nat-${AZS[i]}` },
    ...extra,
  };
  return change(
    address,
    actions,
    fresh(actions) ? null : attrs,
    gone(actions) ? null : { ...attrs, id: created(actions) ? null : attrs.id },
    {
      after_unknown: created(actions)
        ? { id: true, network_interface_id: true, private_ip: true, public_ip: true }
        : {},
    },
  );
}

/** One regional NAT gateway; `zones` null = automatic mode (no availability_zone_address blocks). */
export function regionalGateway(
  actions: string[],
  zones: number[] | null,
  address = 'aws_nat_gateway.regional',
): ResourceChange {
  const manual = zones !== null;
  const attrs = {
    availability_mode: 'regional',
    availability_zone_address: manual
      ? zones.map((i) => ({ allocation_ids: [alloc(i)], availability_zone: AZS[i], availability_zone_id: '' }))
      : [],
    connectivity_type: 'public',
    vpc_id: 'vpc-0123',
    subnet_id: '',
    allocation_id: '',
    auto_provision_zones: manual ? 'disabled' : 'enabled',
    auto_scaling_ips: manual ? 'disabled' : 'enabled',
    id: 'nat-0regional00000001',
    regional_nat_gateway_address: manual
      ? zones.map((i) => ({
          allocation_id: alloc(i),
          availability_zone: AZS[i],
          public_ip: `198.51.100.${10 + i}`,
          status: 'succeeded',
        }))
      : [],
    tags: { Name: 'regional' },
    tags_all: { Name: 'regional' },
  };
  return change(
    address,
    actions,
    fresh(actions) ? null : attrs,
    gone(actions)
      ? null
      : {
          ...attrs,
          id: created(actions) ? null : attrs.id,
          regional_nat_gateway_address: created(actions) ? null : attrs.regional_nat_gateway_address,
        },
    {
      after_unknown: created(actions)
        ? {
            id: true,
            regional_nat_gateway_address: true,
            route_table_id: true,
            ...(manual ? {} : { auto_provision_zones: true, auto_scaling_ips: true }),
          }
        : {},
    },
  );
}

/** A private default route (aws_route) to a NAT gateway, an interface, or (created) a target known after apply. */
export function route(
  i: number,
  actions: string[],
  before: Obj | null,
  after: Obj | null,
  address = `module.vpc.aws_route.private_nat_gateway[${i}]`,
  unknown: Obj = {},
): ResourceChange {
  const base = {
    destination_cidr_block: '0.0.0.0/0',
    route_table_id: `rtb-0priv${i}`,
    gateway_id: '',
    nat_gateway_id: '',
    network_interface_id: '',
    instance_id: '',
    transit_gateway_id: '',
    vpc_peering_connection_id: '',
  };
  return change(address, actions, before ? { ...base, ...before } : null, after ? { ...base, ...after } : null, {
    after_unknown: unknown,
  });
}

/** NAT instance with two interfaces (seed posts): the primary in the public subnet, a second in the private subnet. */
export function twoInterfaceNat(i: number, actions: string[]): ResourceChange[] {
  const c = created(actions);
  return [
    change(
      `aws_instance.router[${i}]`,
      actions,
      fresh(actions)
        ? null
        : {
            ami: 'ami-0router',
            availability_zone: AZS[i],
            id: `i-0r${i}`,
            instance_type: 't4g.small',
            source_dest_check: true,
            subnet_id: `subnet-0pub${i}`,
            primary_network_interface_id: `eni-0pub${i}`,
          },
      gone(actions)
        ? null
        : {
            ami: 'ami-0router',
            availability_zone: AZS[i],
            id: null,
            instance_type: 't4g.small',
            source_dest_check: true,
            subnet_id: `subnet-0pub${i}`,
            primary_network_interface_id: null,
          },
      { after_unknown: c ? { id: true, primary_network_interface_id: true } : {} },
    ),
    change(
      `aws_network_interface.router_private[${i}]`,
      actions,
      fresh(actions) ? null : { id: `eni-0priv${i}`, source_dest_check: false, subnet_id: `subnet-0priv${i}` },
      gone(actions) ? null : { id: null, source_dest_check: false, subnet_id: `subnet-0priv${i}` },
      { after_unknown: c ? { id: true } : {} },
    ),
    change(
      `aws_network_interface_attachment.router_private[${i}]`,
      actions,
      null,
      { device_index: 1 },
      { after_unknown: { instance_id: true, network_interface_id: true } },
    ),
    change(
      `aws_eip_association.router[${i}]`,
      actions,
      fresh(actions) ? null : { allocation_id: alloc(i), network_interface_id: `eni-0pub${i}` },
      gone(actions) ? null : { allocation_id: alloc(i), network_interface_id: null },
      { after_unknown: c ? { id: true, network_interface_id: true, instance_id: true, public_ip: true } : {} },
    ),
  ];
}

/** ENI-based NAT run by an Auto Scaling group of one (fck-nat HA mode / seed 004), per AZ module instance. */
export function asgEniNat(
  i: number,
  actions: string[],
  opts: { imageBefore?: string; imageAfter?: string } = {},
): ResourceChange[] {
  const m = `module.fck_nat["${AZS[i]}"]`;
  const c = created(actions);
  const lt = (image: string) => ({
    name: `fck-nat-${AZS[i]}`,
    image_id: image,
    instance_type: 't4g.nano',
    network_interfaces: [{ network_interface_id: c ? null : `eni-0fck${i}`, device_index: 0 }],
  });
  const templateActions = opts.imageAfter && !c ? ['update'] : actions;
  const eniActions = opts.imageAfter && !c ? ['no-op'] : actions;
  return [
    change(
      `${m}.aws_network_interface.main`,
      eniActions,
      fresh(actions) ? null : { id: `eni-0fck${i}`, source_dest_check: false, subnet_id: `subnet-0pub${i}` },
      gone(actions) ? null : { id: c ? null : `eni-0fck${i}`, source_dest_check: false, subnet_id: `subnet-0pub${i}` },
      { after_unknown: c ? { id: true } : {} },
    ),
    change(
      `${m}.aws_launch_template.main`,
      templateActions,
      fresh(templateActions) ? null : lt(opts.imageBefore ?? 'ami-0fck1'),
      gone(templateActions) ? null : lt(opts.imageAfter ?? opts.imageBefore ?? 'ami-0fck1'),
      { after_unknown: c ? { id: true, latest_version: true } : { latest_version: true } },
    ),
    ...(opts.imageAfter && !c
      ? []
      : [
          change(
            `${m}.aws_autoscaling_group.main[0]`,
            actions,
            fresh(actions)
              ? null
              : {
                  name: `fck-nat-${AZS[i]}`,
                  min_size: 1,
                  max_size: 1,
                  desired_capacity: 1,
                  vpc_zone_identifier: [`subnet-0pub${i}`],
                },
            gone(actions)
              ? null
              : {
                  name: `fck-nat-${AZS[i]}`,
                  min_size: 1,
                  max_size: 1,
                  desired_capacity: 1,
                  vpc_zone_identifier: [`subnet-0pub${i}`],
                },
            { after_unknown: c ? { id: true, arn: true } : {} },
          ),
        ]),
    ...(opts.imageAfter && !c
      ? []
      : [
          change(
            `aws_eip_association.fck_nat["${AZS[i]}"]`,
            actions,
            fresh(actions) ? null : { allocation_id: alloc(i), network_interface_id: `eni-0fck${i}` },
            gone(actions) ? null : { allocation_id: alloc(i), network_interface_id: null },
            { after_unknown: c ? { id: true, network_interface_id: true, instance_id: true, public_ip: true } : {} },
          ),
        ]),
    ...(opts.imageAfter && !c
      ? []
      : [
          route(
            i,
            actions,
            fresh(actions) ? null : { network_interface_id: `eni-0fck${i}` },
            gone(actions) ? null : { network_interface_id: null },
            `${m}.aws_route.main["0.0.0.0/0"]`,
            c ? { network_interface_id: true, instance_id: true } : {},
          ),
        ]),
  ];
}

/** One module instance per AZ (`module "nat" { count = 3 }`), each with its own (unindexed) NAT gateway and route. */
export function perAzModule(i: number, actions: string[]): ResourceChange[] {
  const m = `module.nat[${i}]`;
  return [
    zonalGateway(i, actions, `${m}.aws_nat_gateway.this`),
    route(
      i,
      actions,
      fresh(actions) ? null : { nat_gateway_id: `nat-0${i}aaaaaaaaaaaaaaa` },
      gone(actions) ? null : { nat_gateway_id: null },
      `${m}.aws_route.private`,
      created(actions) ? { nat_gateway_id: true } : {},
    ),
  ];
}

/** Scenarios: the switches between the NAT kinds, plus the per-topology plans. */
export const topologies = {
  zonalToRegionalManual: (n = 3) => [
    ...range(n).map((i) => zonalGateway(i, ['delete'])),
    regionalGateway(['create'], range(n)),
    ...range(n).map((i) =>
      route(i, ['update'], { nat_gateway_id: `nat-0${i}aaaaaaaaaaaaaaa` }, { nat_gateway_id: null }, undefined, {
        nat_gateway_id: true,
      }),
    ),
  ],
  zonalToRegionalAutomatic: (n = 3, destroyEips = false) => [
    ...range(n).map((i) => zonalGateway(i, ['delete'])),
    regionalGateway(['create'], null),
    ...range(n).map((i) =>
      route(i, ['update'], { nat_gateway_id: `nat-0${i}aaaaaaaaaaaaaaa` }, { nat_gateway_id: null }, undefined, {
        nat_gateway_id: true,
      }),
    ),
    ...(destroyEips
      ? range(n).map((i) =>
          change(
            `module.vpc.aws_eip.nat[${i}]`,
            ['delete'],
            {
              allocation_id: alloc(i),
              id: alloc(i),
              public_ip: `198.51.100.${10 + i}`,
              network_interface: `eni-0gw${i}`,
            },
            null,
          ),
        )
      : []),
  ],
  regionalToZonal: (n = 3) => [
    regionalGateway(['delete'], range(n)),
    ...range(n).map((i) => zonalGateway(i, ['create'])),
    ...range(n).map((i) =>
      route(i, ['update'], { nat_gateway_id: 'nat-0regional00000001' }, { nat_gateway_id: null }, undefined, {
        nat_gateway_id: true,
      }),
    ),
  ],
  regionalToAsg: (n = 2) => [
    regionalGateway(['delete'], range(n)),
    ...range(n).flatMap((i) => asgEniNat(i, ['create'])),
    ...range(n).map((i) => route(i, ['delete'], { nat_gateway_id: 'nat-0regional00000001' }, null)),
  ],
  asgToRegional: (n = 2) => [
    ...range(n).flatMap((i) => asgEniNat(i, ['delete'])),
    regionalGateway(['create'], range(n)),
    ...range(n).map((i) => route(i, ['create'], null, { nat_gateway_id: null }, undefined, { nat_gateway_id: true })),
  ],
  zonalToTwoInterface: (n = 2) => [
    ...range(n).map((i) => zonalGateway(i, ['delete'])),
    ...range(n).flatMap((i) => twoInterfaceNat(i, ['create'])),
    ...range(n).map((i) =>
      route(i, ['update'], { nat_gateway_id: `nat-0${i}aaaaaaaaaaaaaaa` }, { network_interface_id: null }, undefined, {
        network_interface_id: true,
      }),
    ),
  ],
  asgImageChange: (n = 2) =>
    range(n).flatMap((i) => asgEniNat(i, ['update'], { imageBefore: 'ami-0fck1', imageAfter: 'ami-0fck2' })),
  privateGateways: () => [
    zonalGateway(0, ['create'], 'aws_nat_gateway.to_onprem[0]', { connectivity_type: 'private', allocation_id: '' }),
    zonalGateway(1, ['delete'], 'aws_nat_gateway.to_onprem[1]', { connectivity_type: 'private', allocation_id: '' }),
  ],
  perAzModuleQuiesce: (n = 3) => range(n).flatMap((i) => perAzModule(i, ['delete'])),
};
