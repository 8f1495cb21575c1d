/**
 * CreateNatGateway with an Elastic IP that is still associated, EC2's way. moto 5.2.1 refuses it at once (HTTP 400
 * `Resource.AlreadyAssociated`, and leaks an interface in the subnet); EC2 accepts the call, answers a `pending`
 * gateway and takes it to `failed` with FailureCode `Resource.AlreadyAssociated` and FailureMessage "Elastic IP
 * address eipalloc-… is already associated" (EC2 API reference, NatGateway; DOMAIN.md "Instance → gateway").
 * hashicorp/aws then fails its create wait (`unexpected state 'failed', wanted target 'available'. last error:
 * Resource.AlreadyAssociated: …`) and keeps the gateway in the state, tainted; a failed gateway is deleted by AWS
 * after about an hour, or by the next apply (DeleteNatGateway → `deleting` → `deleted`).
 *
 * The address counts as associated when moto shows an association for it or a gateway the proxy is deleting holds
 * it. The gateway exists only here (moto never sees it): CreateNatGateway answers it, DescribeNatGateways answers
 * include it (its id, vpc-id, subnet-id, state and tag filters applied), DeleteNatGateway deletes it. Events:
 * `nat-failed` when it fails, `nat-deleted` when its deletion ends.
 */
import { randomBytes } from 'node:crypto';
import type { Ec2Answer, Ec2Call, GapHost, GapModel } from './model';
import { escapeXml, filtersOf, listParam, tagOf } from './xml';

export interface NatFailureOptions {
  /** pending → failed (EC2 takes seconds; the provider polls every 10 s). Default 1.5 s. */
  failAfterMs?: number;
  /** deleting → deleted for a failed gateway. Default 1 s. */
  deleteMs?: number;
}

interface FailedGateway {
  id: string;
  region: string;
  subnetId: string;
  vpcId: string;
  allocationId: string;
  tags: Array<[string, string]>;
  clientToken?: string;
  state: 'pending' | 'failed' | 'deleting' | 'deleted';
  createTime: string;
  deleteTime?: string;
}

function itemXml(g: FailedGateway): string {
  const failed = g.state !== 'pending';
  const tags = g.tags.map(([k, v]) => `<item><key>${escapeXml(k)}</key><value>${escapeXml(v)}</value></item>`);
  return [
    `<createTime>${g.createTime}</createTime>`,
    g.deleteTime ? `<deleteTime>${g.deleteTime}</deleteTime>` : '',
    failed ? '<failureCode>Resource.AlreadyAssociated</failureCode>' : '',
    failed ? `<failureMessage>Elastic IP address ${g.allocationId} is already associated</failureMessage>` : '',
    `<natGatewayAddressSet><item><allocationId>${g.allocationId}</allocationId>`,
    `<status>${failed ? 'failed' : 'associating'}</status></item></natGatewayAddressSet>`,
    `<natGatewayId>${g.id}</natGatewayId><state>${g.state}</state><subnetId>${g.subnetId}</subnetId>`,
    `<vpcId>${g.vpcId}</vpcId><connectivityType>public</connectivityType><tagSet>${tags.join('')}</tagSet>`,
  ].join('');
}

/** Does the gateway satisfy the DescribeNatGateways request's ids and filters? */
function matches(g: FailedGateway, form: URLSearchParams): boolean {
  const ids = listParam(form, 'NatGatewayId');
  if (ids.length > 0 && !ids.includes(g.id)) return false;
  for (const [name, values] of filtersOf(form)) {
    const tagKey = /^tag:(.+)$/.exec(name)?.[1];
    const value =
      name === 'nat-gateway-id'
        ? [g.id]
        : name === 'vpc-id'
          ? [g.vpcId]
          : name === 'subnet-id'
            ? [g.subnetId]
            : name === 'state'
              ? [g.state]
              : name === 'tag-key'
                ? g.tags.map(([k]) => k)
                : tagKey
                  ? g.tags.filter(([k]) => k === tagKey).map(([, v]) => v)
                  : undefined;
    if (value && !value.some((v) => values.includes(v))) return false;
  }
  return true;
}

function tagsOf(form: URLSearchParams): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [k, v] of form) {
    const m = /^TagSpecification\.\d+\.Tag\.(\d+)\.Key$/.exec(k);
    if (m) out.push([v, form.get(k.replace(/Key$/, 'Value')) ?? '']);
  }
  return out;
}

async function isHeld(region: string, allocationId: string, host: GapHost): Promise<boolean> {
  for (const ids of host.deleting(region).values()) if (ids.includes(allocationId)) return true;
  try {
    const xml = await host.moto(region, 'DescribeAddresses', { 'AllocationId.1': allocationId });
    return !!tagOf(xml, 'associationId');
  } catch {
    return false; // an unknown allocation: moto answers the create itself
  }
}

/** The model (it keeps the failed gateways it made, per region). */
export function natFailure(options: NatFailureOptions = {}): GapModel & { gateways(region: string): string[] } {
  const failAfterMs = options.failAfterMs ?? 1_500;
  const deleteMs = options.deleteMs ?? 1_000;
  const made = new Map<string, FailedGateway>();

  const create = async (call: Ec2Call, host: GapHost): Promise<Ec2Answer | undefined> => {
    const allocationId = call.form.get('AllocationId') ?? '';
    const subnetId = call.form.get('SubnetId') ?? '';
    const token = call.form.get('ClientToken') ?? undefined;
    const again = token ? [...made.values()].find((g) => g.clientToken === token) : undefined;
    if (again)
      return host.ok(call.action, `<clientToken>${token}</clientToken><natGateway>${itemXml(again)}</natGateway>`);
    if (!allocationId || (call.form.get('ConnectivityType') ?? 'public') !== 'public') return undefined;
    if (!(await isHeld(call.region, allocationId, host))) return undefined;
    const subnet = await host.moto(call.region, 'DescribeSubnets', {
      'Filter.1.Name': 'subnet-id',
      'Filter.1.Value.1': subnetId,
    });
    const vpcId = tagOf(subnet, 'vpcId');
    if (!vpcId) return undefined; // an unknown subnet: moto answers
    const g: FailedGateway = {
      id: `nat-${randomBytes(9).toString('hex').slice(0, 17)}`,
      region: call.region,
      subnetId,
      vpcId,
      allocationId,
      tags: tagsOf(call.form),
      ...(token ? { clientToken: token } : {}),
      state: 'pending',
      createTime: new Date().toISOString(),
    };
    made.set(g.id, g);
    host.later(failAfterMs, async () => {
      if (g.state !== 'pending') return;
      g.state = 'failed';
      host.event(g.region, 'nat-failed', g.id, [g.allocationId]);
    });
    const client = token ? `<clientToken>${token}</clientToken>` : '';
    return host.ok(call.action, `${client}<natGateway>${itemXml(g)}</natGateway>`);
  };

  const remove = (call: Ec2Call, host: GapHost): Ec2Answer | undefined => {
    const g = made.get(call.form.get('NatGatewayId') ?? '');
    if (!g || g.region !== call.region) return undefined;
    if (g.state !== 'deleting' && g.state !== 'deleted') {
      g.state = 'deleting';
      host.later(deleteMs, async () => {
        g.state = 'deleted';
        g.deleteTime = new Date().toISOString();
        host.event(g.region, 'nat-deleted', g.id, [g.allocationId]);
      });
    }
    return host.ok(call.action, `<natGatewayId>${g.id}</natGatewayId>`);
  };

  return {
    gateways: (region) => [...made.values()].filter((g) => g.region === region).map((g) => g.id),
    async answer(call, host) {
      if (call.action === 'CreateNatGateway') return create(call, host);
      if (call.action === 'DeleteNatGateway') return remove(call, host);
      return undefined;
    },
    async rewrite(call, answer) {
      if (call.action !== 'DescribeNatGateways') return answer;
      const extra = [...made.values()].filter((g) => g.region === call.region && matches(g, call.form));
      if (extra.length === 0) return answer;
      const xml = answer.body.toString('utf8');
      const items = extra.map((g) => `<item>${itemXml(g)}</item>`).join('');
      const out = xml.includes('<natGatewaySet/>')
        ? xml.replace('<natGatewaySet/>', `<natGatewaySet>${items}</natGatewaySet>`)
        : xml.replace('</natGatewaySet>', `${items}</natGatewaySet>`);
      return { ...answer, body: Buffer.from(out) };
    },
  };
}
