/**
 * Synthetic `terraform show -json` plans for the Cabalmail VPC module (addresses and attributes as in
 * DOMAIN.md). Public fixtures hold no NAT replace/delete plans, so these scenarios are derived from the
 * real shapes (format 1.2, replace_paths, action_reason, create-before-destroy) and labelled synthetic.
 */
import type { ResourceChange } from '@nat-egress/shared/plan';

type Obj = Record<string, unknown>;
const M = 'module.vpc';
const AZS = ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d'];

export function change(
  address: string,
  actions: string[],
  before: Obj | null,
  after: Obj | null,
  extra: Partial<ResourceChange> & {
    after_unknown?: Obj;
    replace_paths?: unknown[][];
    after_sensitive?: unknown;
    before_sensitive?: unknown;
  } = {},
): ResourceChange {
  const m = /^(?:(.*)\.)?((?:data\.)?([a-z0-9_]+)\.([A-Za-z0-9_-]+))(?:\[(.+)\])?$/.exec(address);
  if (!m) throw new Error(`bad address ${address}`);
  const moduleAddress = m[1];
  const type = m[3] as string;
  const name = m[4] as string;
  const rawIndex = m[5];
  const index =
    rawIndex === undefined ? undefined : rawIndex.startsWith('"') ? (JSON.parse(rawIndex) as string) : Number(rawIndex);
  const { after_unknown, replace_paths, after_sensitive, before_sensitive, ...rest } = extra;
  const rc: ResourceChange = {
    address,
    ...(moduleAddress ? { module_address: moduleAddress } : {}),
    mode: 'managed',
    type,
    name,
    ...(index !== undefined ? { index } : {}),
    provider_name: 'registry.terraform.io/hashicorp/aws',
    change: {
      actions,
      before,
      after,
      after_unknown: after_unknown ?? {},
      before_sensitive: before_sensitive ?? (before ? {} : false),
      after_sensitive: after_sensitive ?? (after ? {} : false),
      ...(replace_paths ? { replace_paths } : {}),
    },
    ...rest,
  };
  if (actions.length === 2) rc.action_reason = 'replace_because_cannot_update';
  return rc;
}

const eipAttrs = (i: number): Obj => ({
  domain: 'vpc',
  id: `eipalloc-0${i}a1b2c3d4e5f6a7b8`,
  allocation_id: `eipalloc-0${i}a1b2c3d4e5f6a7b8`,
  public_ip: `203.0.113.${10 + i}`,
  instance: '',
  network_interface: '',
  tags: { Name: `cabal-nat-eip-${i}` },
  tags_all: { Name: `cabal-nat-eip-${i}` },
});
const gwAttrs = (i: number): Obj => ({
  id: `nat-0${i}0f1e2d3c4b5a6978`,
  allocation_id: `eipalloc-0${i}a1b2c3d4e5f6a7b8`,
  connectivity_type: 'public',
  subnet_id: `subnet-0pub${i}`,
  public_ip: `203.0.113.${10 + i}`,
  tags: { Name: `cabal-nat-${i}` },
  tags_all: { Name: `cabal-nat-${i}` },
});
const instAttrs = (i: number, ami = 'ami-0aaa1111bbbb22223'): Obj => ({
  id: `i-0${i}1234567890abcde`,
  ami,
  instance_type: 't3.micro',
  availability_zone: AZS[i],
  source_dest_check: false,
  subnet_id: `subnet-0pub${i}`,
  primary_network_interface_id: `eni-0${i}abcdef12345678`,
  user_data: null,
  tags: { Name: `cabal-nat-${i}` },
  tags_all: { Name: `cabal-nat-${i}` },
});
const assocAttrs = (i: number): Obj => ({
  allocation_id: `eipalloc-0${i}a1b2c3d4e5f6a7b8`,
  instance_id: `i-0${i}1234567890abcde`,
  id: `eipassoc-0${i}feedface1234`,
  public_ip: `203.0.113.${10 + i}`,
});
const routeVia = (i: number, target: 'gateway' | 'instance'): Obj => ({
  route_table_id: `rtb-0priv${i}`,
  destination_cidr_block: '0.0.0.0/0',
  nat_gateway_id: target === 'gateway' ? `nat-0${i}0f1e2d3c4b5a6978` : '',
  network_interface_id: target === 'instance' ? `eni-0${i}abcdef12345678` : '',
  gateway_id: '',
  instance_id: '',
  state: 'active',
});

export const cabal = {
  eip: (i: number, actions: string[]) =>
    change(
      `${M}.aws_eip.nat_eip[${i}]`,
      actions,
      actions[0] === 'create' && actions.length === 1 ? null : eipAttrs(i),
      actions.includes('delete') && actions.length === 1 ? null : eipAttrs(i),
      {
        ...(actions.length === 2
          ? { replace_paths: [['domain']], after_unknown: { id: true, public_ip: true, allocation_id: true } }
          : {}),
      },
    ),
  gateway: (i: number, actions: string[]) => {
    const created = actions.includes('create');
    return change(
      `${M}.aws_nat_gateway.nat[${i}]`,
      actions,
      actions[0] === 'create' && actions.length === 1 ? null : gwAttrs(i),
      created ? { ...gwAttrs(i), id: null } : null,
      {
        after_unknown: created ? { id: true, public_ip: true } : {},
      },
    );
  },
  instance: (i: number, actions: string[], opts: { amiAfter?: string; cbd?: boolean } = {}) => {
    const created = actions.includes('create');
    const replace = actions.length === 2;
    const before = actions[0] === 'create' && actions.length === 1 ? null : instAttrs(i);
    const after = created ? { ...instAttrs(i, opts.amiAfter), id: null, primary_network_interface_id: null } : null;
    return change(`${M}.aws_instance.nat[${i}]`, replace && opts.cbd ? ['create', 'delete'] : actions, before, after, {
      after_unknown: created ? { id: true, primary_network_interface_id: true } : {},
      ...(replace ? { replace_paths: [['ami']] } : {}),
    });
  },
  association: (i: number, actions: string[]) => {
    const created = actions.includes('create');
    return change(
      `${M}.aws_eip_association.nat[${i}]`,
      actions,
      actions[0] === 'create' && actions.length === 1 ? null : assocAttrs(i),
      created ? { ...assocAttrs(i), id: null, instance_id: null } : null,
      {
        after_unknown: created ? { id: true, instance_id: true } : {},
        ...(actions.length === 2 ? { replace_paths: [['instance_id']] } : {}),
      },
    );
  },
  route: (i: number, actions: string[], from: 'gateway' | 'instance' | null, to: 'gateway' | 'instance' | null) =>
    change(
      `${M}.aws_route.private[${i}]`,
      actions,
      from ? routeVia(i, from) : null,
      to
        ? { ...routeVia(i, to), ...(to === 'instance' ? { network_interface_id: null } : { nat_gateway_id: null }) }
        : null,
      {
        after_unknown: to ? (to === 'instance' ? { network_interface_id: true } : { nat_gateway_id: true }) : {},
      },
    ),
  securityGroup: (actions: string[]) =>
    change(
      `${M}.aws_security_group.nat[0]`,
      actions,
      actions.includes('create') && actions.length === 1 ? null : { name: 'cabal-nat', ingress: [], egress: [] },
      actions.includes('delete') && actions.length === 1 ? null : { name: 'cabal-nat', ingress: [], egress: [] },
    ),
  iamRole: (actions: string[]) =>
    change(
      `${M}.aws_iam_role.nat[0]`,
      actions,
      actions.includes('create') && actions.length === 1 ? null : { name: 'cabal-nat' },
      actions.includes('delete') && actions.length === 1 ? null : { name: 'cabal-nat' },
    ),
  instanceProfile: (actions: string[]) =>
    change(
      `${M}.aws_iam_instance_profile.nat[0]`,
      actions,
      actions.includes('create') && actions.length === 1 ? null : { name: 'cabal-nat' },
      actions.includes('delete') && actions.length === 1 ? null : { name: 'cabal-nat' },
    ),
  component: (before: { version: string; data: string }, after: { version: string; data: string }) =>
    change(
      `${M}.aws_imagebuilder_component.nat_nftables[0]`,
      ['delete', 'create'],
      { name: 'cabal-nat-nftables', platform: 'Linux', ...before },
      { name: 'cabal-nat-nftables', platform: 'Linux', ...after },
      {
        replace_paths: [['data']],
        after_unknown: { arn: true },
      },
    ),
  pipeline: (actions: string[], before: Obj, after: Obj) =>
    change(`${M}.aws_imagebuilder_image_pipeline.nat[0]`, actions, before, after),
  smtpRecord: () =>
    change(
      `${M}.aws_route53_record.smtp`,
      ['update'],
      { name: 'smtp.example.com', type: 'A', records: ['203.0.113.10'] },
      { name: 'smtp.example.com', type: 'A', records: null },
      { after_unknown: { records: true } },
    ),
};

/** Unrelated application changes (no NAT impact). */
export function unrelated(n: number): ResourceChange[] {
  const out: ResourceChange[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      change(
        `module.app.aws_ecs_service.tier[${i}]`,
        ['update'],
        { name: `tier-${i}`, desired_count: 1 },
        { name: `tier-${i}`, desired_count: 2 },
      ),
    );
  }
  out.push(
    change(
      'aws_instance.bastion',
      ['delete', 'create'],
      { ami: 'ami-1', source_dest_check: true },
      { ami: 'ami-2', source_dest_check: true },
      { replace_paths: [['ami']] },
    ),
  );
  out.push(
    change(
      'aws_eip_association.bastion',
      ['update'],
      { instance_id: 'i-1' },
      { instance_id: 'i-1', allow_reassociation: true },
    ),
  );
  return out;
}

export function planJson(changes: ResourceChange[], extra: Obj = {}): Obj {
  return {
    format_version: '1.2',
    terraform_version: '1.9.8',
    planned_values: { root_module: {} },
    resource_changes: changes,
    configuration: { root_module: {} },
    timestamp: '2026-11-20T10:00:00Z',
    applyable: true,
    complete: true,
    errored: false,
    ...extra,
  };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

export const scenarios = {
  /** Bootstrap step 3 / live switch: gateways deleted, instances + associations created, routes repointed. */
  gatewayToInstance: (azs = 2) => [
    ...range(azs).flatMap((i) => [
      cabal.gateway(i, ['delete']),
      cabal.instance(i, ['create']),
      cabal.association(i, ['create']),
      cabal.route(i, ['update'], 'gateway', 'instance'),
    ]),
    cabal.securityGroup(['create']),
    cabal.iamRole(['create']),
    cabal.instanceProfile(['create']),
  ],
  instanceToGateway: (azs = 2) => [
    ...range(azs).flatMap((i) => [
      cabal.association(i, ['delete']),
      cabal.instance(i, ['delete']),
      cabal.gateway(i, ['create']),
      cabal.route(i, ['update'], 'instance', 'gateway'),
    ]),
    cabal.securityGroup(['delete']),
    cabal.iamRole(['delete']),
    cabal.instanceProfile(['delete']),
  ],
  amiAdoption: (azs = 2, cbd = false) =>
    range(azs).flatMap((i) => [
      cabal.instance(i, ['delete', 'create'], { amiAfter: 'ami-0ccc3333dddd44445', cbd }),
      cabal.association(i, ['delete', 'create']),
      cabal.route(i, ['update'], 'instance', 'instance'),
    ]),
  quiesceDownGateway: (azs = 2) =>
    range(azs).flatMap((i) => [cabal.gateway(i, ['delete']), cabal.route(i, ['delete'], 'gateway', null)]),
  quiesceDownInstance: (azs = 2) =>
    range(azs).flatMap((i) => [
      cabal.association(i, ['delete']),
      cabal.instance(i, ['delete']),
      cabal.route(i, ['delete'], 'instance', null),
    ]),
  quiesceUpGateway: (azs = 2) =>
    range(azs).flatMap((i) => [cabal.gateway(i, ['create']), cabal.route(i, ['create'], null, 'gateway')]),
  eipDestroyed: () => [cabal.eip(1, ['delete']), cabal.smtpRecord()],
  eipReplaced: () => [cabal.eip(0, ['delete', 'create'])],
  azAdded: (existing = 2) => [
    cabal.eip(existing, ['create']),
    cabal.gateway(existing, ['create']),
    cabal.route(existing, ['create'], null, 'gateway'),
    cabal.smtpRecord(),
  ],
  unrelatedOnly: () => unrelated(5),
};
