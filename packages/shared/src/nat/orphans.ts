/**
 * Finding in EC2 the objects an interrupted apply created but never recorded in the state ("orphans"): for each
 * planned identity (identity.ts) of an EC2 type, one describe filtered by what the plan knows, objects the state
 * already manages left out, and the found object compared with the attributes the reviewed configuration gives it.
 * The IAM types are looked up by the cutover (cutover/orphans.ts); the identities come from here.
 */
import {
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  type EC2Client,
  type Filter,
  type IpPermission,
} from '@aws-sdk/client-ec2';
import { natGatewayAllocations } from './ec2-nats';
import type { PlannedIdentity } from './identity';

/** An object found in AWS for a planned create. */
export interface FoundObject {
  identity: PlannedIdentity;
  /** The object's own id (i-…, nat-…, sg-…, a role's name, …). */
  id: string;
  /** What `terraform import <address> <importId>` takes. */
  importId: string;
  /** Attributes whose AWS value differs from the planned one: `name (AWS: value)`; empty = it matches. */
  mismatch: string[];
}

type Send = (command: unknown) => Promise<unknown>;

const LIVE_INSTANCE = ['pending', 'running', 'stopping', 'stopped'];
const LIVE_GATEWAY = ['pending', 'available'];

const filter = (Name: string, ...Values: string[]): Filter => ({ Name, Values });

function differs(found: string[], name: string, planned: string | undefined, actual: string | undefined): void {
  if (planned !== undefined && planned !== (actual ?? '')) found.push(`${name} (AWS: ${actual ?? 'none'})`);
}

async function instances(send: Send, i: PlannedIdentity, managed: Set<string>): Promise<FoundObject[]> {
  const name = i.known['tags.Name'];
  if (!name) return [];
  const filters = [filter('tag:Name', name), filter('instance-state-name', ...LIVE_INSTANCE)];
  if (i.known.subnet_id) filters.push(filter('subnet-id', i.known.subnet_id));
  const out = (await send(new DescribeInstancesCommand({ Filters: filters }))) as
    | undefined
    | {
        Reservations?: Array<{ Instances?: Array<{ InstanceId?: string; ImageId?: string; InstanceType?: string }> }>;
      };
  return (out?.Reservations ?? [])
    .flatMap((r) => r.Instances ?? [])
    .filter((x) => x.InstanceId && !managed.has(x.InstanceId))
    .map((x) => {
      const mismatch: string[] = [];
      differs(mismatch, 'ami', i.known.ami, x.ImageId);
      differs(mismatch, 'instance_type', i.known.instance_type, x.InstanceType);
      return { identity: i, id: x.InstanceId as string, importId: x.InstanceId as string, mismatch };
    });
}

async function gateways(send: Send, i: PlannedIdentity, managed: Set<string>): Promise<FoundObject[]> {
  if (!i.known.subnet_id) return [];
  const out = (await send(
    new DescribeNatGatewaysCommand({
      Filter: [filter('subnet-id', i.known.subnet_id), filter('state', ...LIVE_GATEWAY)],
    }),
  )) as undefined | { NatGateways?: Parameters<typeof natGatewayAllocations>[0][] };
  return (out?.NatGateways ?? [])
    .filter((g) => g.NatGatewayId && !managed.has(g.NatGatewayId))
    .map((g) => {
      const mismatch: string[] = [];
      const allocation = i.known.allocation_id;
      if (allocation && !natGatewayAllocations(g).includes(allocation))
        mismatch.push(`allocation_id (AWS: ${natGatewayAllocations(g).join(', ') || 'none'})`);
      return { identity: i, id: g.NatGatewayId as string, importId: g.NatGatewayId as string, mismatch };
    });
}

/** The association of the planned allocation, when it is held by the planned (or an orphaned) target. */
async function association(send: Send, i: PlannedIdentity, target: string | undefined): Promise<FoundObject[]> {
  const allocation = i.known.allocation_id;
  if (!allocation || !target) return [];
  const out = (await send(new DescribeAddressesCommand({ AllocationIds: [allocation] }))) as
    | undefined
    | {
        Addresses?: Array<{ AssociationId?: string; InstanceId?: string; NetworkInterfaceId?: string }>;
      };
  const a = out?.Addresses?.[0];
  if (!a?.AssociationId || (a.InstanceId !== target && a.NetworkInterfaceId !== target)) return [];
  return [{ identity: i, id: a.AssociationId, importId: a.AssociationId, mismatch: [] }];
}

async function securityGroups(send: Send, i: PlannedIdentity, managed: Set<string>): Promise<FoundObject[]> {
  if (!i.known.name) return [];
  const filters = [filter('group-name', i.known.name)];
  if (i.known.vpc_id) filters.push(filter('vpc-id', i.known.vpc_id));
  const out = (await send(new DescribeSecurityGroupsCommand({ Filters: filters }))) as
    | undefined
    | {
        SecurityGroups?: Array<{ GroupId?: string; Description?: string }>;
      };
  return (out?.SecurityGroups ?? [])
    .filter((g) => g.GroupId && !managed.has(g.GroupId))
    .map((g) => {
      const mismatch: string[] = [];
      differs(mismatch, 'description', i.known.description, g.Description);
      return { identity: i, id: g.GroupId as string, importId: g.GroupId as string, mismatch };
    });
}

const protocolOf = (p: string | undefined) => (p === 'all' || p === '-1' ? '-1' : (p ?? ''));

/** A rule of the group with the planned type, protocol, ports and every planned CIDR. */
async function rule(send: Send, i: PlannedIdentity, groupId: string | undefined): Promise<FoundObject[]> {
  const { type } = i.known;
  if (!groupId || (type !== 'ingress' && type !== 'egress')) return [];
  const out = (await send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }))) as
    | undefined
    | {
        SecurityGroups?: Array<{ IpPermissions?: IpPermission[]; IpPermissionsEgress?: IpPermission[] }>;
      };
  const g = out?.SecurityGroups?.[0];
  const perms = (type === 'ingress' ? g?.IpPermissions : g?.IpPermissionsEgress) ?? [];
  const protocol = protocolOf(i.known.protocol);
  const from = protocol === '-1' ? '0' : (i.known.from_port ?? '');
  const to = protocol === '-1' ? '0' : (i.known.to_port ?? '');
  const cidrs = i.lists.cidr_blocks ?? [];
  const hit = perms.find(
    (p) =>
      protocolOf(p.IpProtocol) === protocol &&
      (protocol === '-1' || (String(p.FromPort) === from && String(p.ToPort) === to)) &&
      cidrs.length > 0 &&
      cidrs.every((c) => (p.IpRanges ?? []).some((r) => r.CidrIp === c)),
  );
  if (!hit) return [];
  const importId = [groupId, type, protocol, from, to, ...cidrs].join('_');
  return [{ identity: i, id: importId, importId, mismatch: [] }];
}

async function route(send: Send, i: PlannedIdentity): Promise<FoundObject[]> {
  const { route_table_id: table, destination_cidr_block: destination } = i.known;
  if (!table || !destination) return [];
  const out = (await send(new DescribeRouteTablesCommand({ RouteTableIds: [table] }))) as
    | undefined
    | {
        RouteTables?: Array<{ Routes?: Array<{ DestinationCidrBlock?: string }> }>;
      };
  const exists = (out?.RouteTables?.[0]?.Routes ?? []).some((r) => r.DestinationCidrBlock === destination);
  const importId = `${table}_${destination}`;
  return exists ? [{ identity: i, id: importId, importId, mismatch: [] }] : [];
}

/**
 * The EC2 objects found for `identities` (in their order; IAM types are skipped): one describe per identity
 * (IAM: ec2:DescribeInstances, ec2:DescribeNatGateways, ec2:DescribeAddresses, ec2:DescribeSecurityGroups,
 * ec2:DescribeRouteTables). `managed`: ids the state already has. `found` (earlier finds, e.g. the group of a
 * rule, the instance of an association) is read and extended. Rejects with the SDK's error.
 */
export async function findEc2Objects(
  ec2: EC2Client,
  identities: readonly PlannedIdentity[],
  managed: Set<string>,
  found: FoundObject[] = [],
): Promise<FoundObject[]> {
  const send: Send = (c) => ec2.send(c as never);
  const sameAz = (i: PlannedIdentity, type: string) =>
    found.find((f) => f.identity.type === type && f.identity.module === i.module && f.identity.key === i.key)?.id;
  const sameModule = (i: PlannedIdentity, type: string) =>
    found.find((f) => f.identity.type === type && f.identity.module === i.module)?.id;
  for (const i of identities) {
    let hits: FoundObject[] = [];
    if (i.type === 'aws_instance') hits = await instances(send, i, managed);
    else if (i.type === 'aws_nat_gateway') hits = await gateways(send, i, managed);
    else if (i.type === 'aws_security_group') hits = await securityGroups(send, i, managed);
    else if (i.type === 'aws_security_group_rule')
      hits = await rule(send, i, i.known.security_group_id ?? sameModule(i, 'aws_security_group'));
    else if (i.type === 'aws_eip_association')
      hits = await association(
        send,
        i,
        i.known.instance_id ?? i.known.network_interface_id ?? sameAz(i, 'aws_instance'),
      );
    else if (i.type === 'aws_route') hits = await route(send, i);
    found.push(...hits);
  }
  return found;
}
