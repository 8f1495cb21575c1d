/**
 * A simulated AWS account for the mode advisor (tests and bench): a VPC with private subnets per AZ, NAT
 * instances and/or gateways, and CloudWatch / Price List / DescribeInstanceTypes answers computed from a
 * traffic model. The CloudWatch side enforces the service's rules: at most 500 queries per call, pages of at
 * most 100,800 data points (NextToken beyond), periods that are multiples of 60/300/3600 s for starts older
 * than 3 hours/15 days/63 days, nothing older than 455 days.
 */
import type {
  GetMetricDataCommandInput,
  GetMetricDataCommandOutput,
  MetricDataResult,
} from '@aws-sdk/client-cloudwatch';

export interface NatSpec {
  kind: 'instance' | 'gateway';
  id: string;
  az: string;
  /** Instance type (instances). */
  type?: string;
  /** A regional gateway active in these AZs (gateways). */
  regionalAzs?: string[];
  /** AZs whose private subnets route to it (default: its own). */
  serves?: string[];
  /** Steady bytes per second towards destinations and back from them. */
  outRate?: number;
  inRate?: number;
  /** Extra bytes per second from destinations during [now - agoMs, now - agoMs + seconds). */
  burst?: { agoMs: number; seconds: number; rate: number };
  /** No metrics at all. */
  missing?: boolean;
  /** Metrics only for the last N days. */
  sinceDays?: number;
  errorPortAllocation?: number;
  creditsMin?: number;
  detailedMonitoring?: boolean;
}

export interface WorldSpec {
  region?: string;
  vpcId?: string;
  azs: string[];
  nats: NatSpec[];
  now: number;
}

export const VPC_ID = 'vpc-0a1b2c3d4e5f60718';

const NETWORK: Record<string, [number, number, boolean]> = {
  't3.micro': [0.064, 5, true],
  't3.small': [0.128, 5, true],
  'c6gn.medium': [1.6, 16, false],
};
export const API_PRICES: Record<string, number> = { 't3.micro': 0.0104, 't3.small': 0.0208, 'c6gn.medium': 0.0432 };

export function ec2Answers(spec: WorldSpec): Record<string, unknown> {
  const vpc = spec.vpcId ?? VPC_ID;
  const subnets: object[] = [];
  const routeTables: object[] = [
    {
      RouteTableId: 'rtb-public',
      VpcId: vpc,
      Associations: [] as object[],
      Routes: [{ DestinationCidrBlock: '0.0.0.0/0', GatewayId: 'igw-0123456789abcdef0', State: 'active' }],
    },
  ];
  const publicAssoc = (routeTables[0] as { Associations: object[] }).Associations;
  const instances: object[] = [];
  const gateways: object[] = [];
  const addresses: object[] = [];
  spec.azs.forEach((az, i) => {
    subnets.push({ SubnetId: `subnet-pub${i}`, AvailabilityZone: az, VpcId: vpc });
    publicAssoc.push({ SubnetId: `subnet-pub${i}`, RouteTableAssociationId: `rtbassoc-pub${i}` });
    subnets.push({ SubnetId: `subnet-priv${i}`, AvailabilityZone: az, VpcId: vpc });
  });
  spec.nats.forEach((n, k) => {
    const azIndex = Math.max(0, spec.azs.indexOf(n.az));
    if (n.kind === 'instance') {
      instances.push({
        InstanceId: n.id,
        InstanceType: n.type ?? 't3.micro',
        ImageId: 'ami-0123456789abcdef0',
        State: { Name: 'running' },
        Placement: { AvailabilityZone: n.az },
        SubnetId: `subnet-pub${azIndex}`,
        VpcId: vpc,
        SourceDestCheck: false,
        Monitoring: { State: n.detailedMonitoring ? 'enabled' : 'disabled' },
        NetworkInterfaces: [{ NetworkInterfaceId: `eni-${k}`, Attachment: { DeviceIndex: 0 } }],
        Tags: [{ Key: 'Name', Value: `cabal-nat-${k}` }],
      });
      addresses.push({
        PublicIp: `203.0.113.${10 + k}`,
        AllocationId: `eipalloc-${k}`,
        InstanceId: n.id,
        NetworkInterfaceId: `eni-${k}`,
        Domain: 'vpc',
      });
    } else {
      const regional = !!n.regionalAzs;
      gateways.push({
        NatGatewayId: n.id,
        State: 'available',
        VpcId: vpc,
        ConnectivityType: 'public',
        ...(regional
          ? { AvailabilityMode: 'regional' }
          : { SubnetId: `subnet-pub${azIndex}`, AvailabilityMode: 'zonal' }),
        NatGatewayAddresses: (regional ? n.regionalAzs! : [n.az]).map((az, j) => ({
          AllocationId: `eipalloc-${k}-${j}`,
          PublicIp: `198.51.100.${10 + k * 4 + j}`,
          NetworkInterfaceId: `eni-gw${k}-${j}`,
          IsPrimary: j === 0,
          Status: 'succeeded',
          ...(regional ? { AvailabilityZone: az } : {}),
        })),
      });
      (regional ? n.regionalAzs! : [n.az]).forEach((_, j) =>
        addresses.push({
          PublicIp: `198.51.100.${10 + k * 4 + j}`,
          AllocationId: `eipalloc-${k}-${j}`,
          NetworkInterfaceId: `eni-gw${k}-${j}`,
          Domain: 'vpc',
        }),
      );
    }
  });
  spec.azs.forEach((az, i) => {
    const nat = spec.nats.find((n) => (n.serves ?? (n.regionalAzs ? n.regionalAzs : [n.az])).includes(az));
    const route: Record<string, string> = { DestinationCidrBlock: '0.0.0.0/0', State: 'active' };
    if (nat?.kind === 'instance') {
      route.InstanceId = nat.id;
      route.NetworkInterfaceId = `eni-${spec.nats.indexOf(nat)}`;
    } else if (nat) route.NatGatewayId = nat.id;
    routeTables.push({
      RouteTableId: `rtb-priv${i}`,
      VpcId: vpc,
      Associations: [{ SubnetId: `subnet-priv${i}`, RouteTableAssociationId: `rtbassoc-priv${i}` }],
      Routes: nat ? [route] : [],
    });
  });
  return {
    DescribeVpcs: { Vpcs: [{ VpcId: vpc, Tags: [{ Key: 'Name', Value: 'cabal' }] }] },
    DescribeSubnets: { Subnets: subnets },
    DescribeRouteTables: { RouteTables: routeTables },
    DescribeNatGateways: { NatGateways: gateways },
    DescribeInstances: { Reservations: instances.map((i) => ({ Instances: [i] })) },
    DescribeAddresses: { Addresses: addresses },
    DescribeAddressesAttribute: { Addresses: [] },
    DescribeImages: { Images: [{ ImageId: 'ami-0123456789abcdef0', Tags: [{ Key: 'Role', Value: 'cabal-nat' }] }] },
    DescribeVpcEndpoints: { VpcEndpoints: [] },
  };
}

export function describeInstanceTypes(input: { InstanceTypes?: string[] }): object {
  return {
    InstanceTypes: (input.InstanceTypes ?? [])
      .filter((t) => NETWORK[t])
      .map((t) => ({
        InstanceType: t,
        BurstablePerformanceSupported: NETWORK[t]![2],
        NetworkInfo: {
          NetworkCards: [
            { NetworkCardIndex: 0, BaselineBandwidthInGbps: NETWORK[t]![0], PeakBandwidthInGbps: NETWORK[t]![1] },
          ],
        },
      })),
  };
}

const onDemand = (usagetype: string, unit: string, usd: number, attrs: Record<string, string> = {}) =>
  JSON.stringify({
    product: { productFamily: 'x', attributes: { usagetype, ...attrs } },
    terms: {
      OnDemand: {
        'SKU.JRTCKXETXF': {
          priceDimensions: { 'SKU.JRTCKXETXF.6YS6EN2CT7': { unit, pricePerUnit: { USD: usd.toFixed(10) } } },
        },
      },
    },
  });

/** GetProducts answers like the Price List Query API's (a subset of the attributes). */
export function getProducts(
  input: { ServiceCode?: string; Filters?: { Field?: string; Value?: string }[] },
  prices = API_PRICES,
): object {
  const f = (field: string) => input.Filters?.find((x) => x.Field === field)?.Value;
  if (input.ServiceCode === 'AmazonEC2' && f('instanceType')) {
    const usd = prices[f('instanceType')!];
    return {
      FormatVersion: 'aws_v1',
      PriceList:
        usd === undefined
          ? []
          : [onDemand(`BoxUsage:${f('instanceType')}`, 'Hrs', usd, { instanceType: f('instanceType')! })],
    };
  }
  if (input.ServiceCode === 'AmazonEC2' && f('productFamily') === 'NAT Gateway') {
    return {
      FormatVersion: 'aws_v1',
      PriceList: [
        onDemand('NatGateway-Hours', 'Hrs', prices.natHour ?? 0.045),
        onDemand('NatGateway-Bytes', 'GB', prices.natGB ?? 0.045),
      ],
    };
  }
  if (input.ServiceCode === 'AmazonVPC') {
    return { FormatVersion: 'aws_v1', PriceList: [onDemand('PublicIPv4:InUseAddress', 'Hrs', prices.ipv4 ?? 0.005)] };
  }
  return { FormatVersion: 'aws_v1', PriceList: [] };
}

function overlap(a0: number, a1: number, b0: number, b1: number): number {
  return Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
}

export class CloudWatchRuleError extends Error {
  override name = 'InvalidParameterValueException';
}

/** GetMetricData over the traffic model, with CloudWatch's limits and pagination. */
export function getMetricData(
  spec: WorldSpec,
  input: GetMetricDataCommandInput,
): Pick<GetMetricDataCommandOutput, 'MetricDataResults' | 'NextToken'> {
  const queries = input.MetricDataQueries ?? [];
  if (queries.length > 500) throw new CloudWatchRuleError(`${queries.length} queries: at most 500 per call`);
  const start = new Date(input.StartTime!).getTime();
  const end = new Date(input.EndTime!).getTime();
  const age = (spec.now - start) / 1000;
  if (age > 455 * 86_400 + 60) throw new CloudWatchRuleError('StartTime older than 455 days');
  const results: MetricDataResult[] = [];
  let points = 0;
  const first = Number(input.NextToken ?? 0);
  for (let qi = first; qi < queries.length; qi++) {
    const q = queries[qi]!;
    const stat = q.MetricStat!;
    const period = stat.Period!;
    const need = age > 63 * 86_400 ? 3600 : age > 15 * 86_400 ? 300 : age > 3 * 3600 ? 60 : 1;
    if (period % need !== 0)
      throw new CloudWatchRuleError(
        `Period ${period} must be a multiple of ${need} for a start ${Math.round(age / 86_400)} days ago`,
      );
    const count = Math.ceil((end - start) / 1000 / period);
    if (points + count > 100_800 && results.length > 0) {
      return { MetricDataResults: results, NextToken: String(qi) };
    }
    points += count;
    const id = stat.Metric!.Dimensions![0]!.Value!;
    const nat = spec.nats.find((n) => n.id === id);
    const r: MetricDataResult = {
      Id: q.Id,
      Label: stat.Metric!.MetricName,
      Timestamps: [],
      Values: [],
      StatusCode: 'Complete',
    };
    results.push(r);
    if (!nat || nat.missing) continue;
    const since = nat.sinceDays ? spec.now - nat.sinceDays * 86_400_000 : -Infinity;
    const name = stat.Metric!.MetricName!;
    const sample = nat.kind === 'gateway' || nat.detailedMonitoring ? 60 : 300;
    const b = nat.burst
      ? {
          from: spec.now - nat.burst.agoMs,
          to: spec.now - nat.burst.agoMs + nat.burst.seconds * 1000,
          rate: nat.burst.rate,
        }
      : undefined;
    for (let t = start; t < end; t += period * 1000) {
      if (t < since) continue;
      const t1 = t + period * 1000;
      const inBurst = b ? overlap(t, t1, b.from, b.to) / 1000 : 0;
      const out = nat.outRate ?? 0;
      const inn = nat.inRate ?? 0;
      // bytes in this period, and in the busiest sample within it, of the download direction and the upload direction
      const down = {
        sum: inn * period + (b ? b.rate * inBurst : 0),
        max: inn * sample + (b ? b.rate * Math.min(sample, inBurst) : 0),
      };
      const up = { sum: out * period, max: out * sample };
      let v: number;
      switch (`${name}:${stat.Stat}`) {
        case 'BytesOutToDestination:Sum':
        case 'BytesInFromSource:Sum':
          v = up.sum;
          break;
        case 'BytesOutToDestination:Maximum':
          v = up.max;
          break;
        case 'BytesInFromDestination:Sum':
        case 'BytesOutToSource:Sum':
          v = down.sum;
          break;
        case 'BytesInFromDestination:Maximum':
          v = down.max;
          break;
        case 'NetworkIn:Sum':
        case 'NetworkOut:Sum':
          v = up.sum + down.sum;
          break;
        case 'NetworkIn:Maximum':
        case 'NetworkOut:Maximum':
          v = up.max + down.max;
          break;
        case 'ActiveConnectionCount:Maximum':
          v = 42;
          break;
        case 'ErrorPortAllocation:Sum':
          v = t === start ? (nat.errorPortAllocation ?? 0) : 0;
          break;
        case 'PacketsDropCount:Sum':
          v = 0;
          break;
        case 'NetworkIn:SampleCount':
          v = period / sample;
          break;
        case 'CPUCreditBalance:Minimum':
          v = nat.creditsMin ?? 144;
          break;
        default:
          throw new CloudWatchRuleError(`unexpected ${name}:${stat.Stat}`);
      }
      r.Timestamps!.push(new Date(t));
      r.Values!.push(v);
    }
  }
  return { MetricDataResults: results };
}
