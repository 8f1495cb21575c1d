/**
 * The mode advisor against a simulated account: EC2, CloudWatch and the Price List API through
 * aws-sdk-client-mock (a consistent world: advisor-world.ts), and — for throttling, which aws-sdk-client-mock
 * cannot show because it replaces `send` above the SDK's retry middleware — real clients over a fake HTTP
 * handler that answers like the services' JSON protocols.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeAddressesAttributeCommand,
  DescribeAddressesCommand,
  DescribeImagesCommand,
  DescribeInstanceTypesCommand,
  DescribeInstancesCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { GetProductsCommand, PricingClient } from '@aws-sdk/client-pricing';
import { clientConfig } from '@nat-egress/shared/aws';
import { envInputReader } from '@nat-egress/shared/inputs';
import { VirtualClock } from '@nat-egress/shared/runtime';
import {
  MAX_POINTS_PER_SERIES,
  PRICE_TABLE,
  adviceJson,
  adviseMode,
  metricWindow,
  readAdviseInputs,
  renderAdvice,
  type Advice,
  type AdvisorClients,
  type ModeCost,
} from '@nat-egress/shared/advisor';
import {
  API_PRICES,
  describeInstanceTypes,
  ec2Answers,
  getMetricData,
  getProducts,
  type WorldSpec,
} from './support/advisor-world';

const REGION = 'us-east-1';
const AZS = ['us-east-1a', 'us-east-1b'];
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const MB = 1e6;

function clients(
  spec: WorldSpec,
  opts: { pricing?: 'api' | 'denied'; instanceTypes?: 'api' | 'denied'; prices?: Record<string, number> } = {},
) {
  const ec2 = new EC2Client({ ...clientConfig({ region: REGION }), credentials });
  const cloudwatch = new CloudWatchClient({ ...clientConfig({ region: REGION }), credentials });
  const pricing = new PricingClient({ ...clientConfig({ region: 'us-east-1' }), credentials });
  const answers = ec2Answers(spec);
  const ec2Mock = mockClient(ec2);
  const commands = {
    DescribeVpcs: DescribeVpcsCommand,
    DescribeSubnets: DescribeSubnetsCommand,
    DescribeRouteTables: DescribeRouteTablesCommand,
    DescribeNatGateways: DescribeNatGatewaysCommand,
    DescribeInstances: DescribeInstancesCommand,
    DescribeAddresses: DescribeAddressesCommand,
    DescribeAddressesAttribute: DescribeAddressesAttributeCommand,
    DescribeImages: DescribeImagesCommand,
    DescribeVpcEndpoints: DescribeVpcEndpointsCommand,
  } as const;
  for (const [op, cmd] of Object.entries(commands))
    ec2Mock.on(cmd as typeof DescribeVpcsCommand).resolves(answers[op] as object);
  if (opts.instanceTypes === 'denied') {
    ec2Mock
      .on(DescribeInstanceTypesCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'UnauthorizedOperation' }));
  } else ec2Mock.on(DescribeInstanceTypesCommand).callsFake((input) => describeInstanceTypes(input));
  const cwMock = mockClient(cloudwatch);
  cwMock.on(GetMetricDataCommand).callsFake((input) => getMetricData(spec, input));
  const prMock = mockClient(pricing);
  if (opts.pricing === 'denied') {
    prMock.on(GetProductsCommand).rejects(
      Object.assign(new Error('User is not authorized to perform: pricing:GetProducts'), {
        name: 'AccessDeniedException',
      }),
    );
  } else prMock.on(GetProductsCommand).callsFake((input) => getProducts(input, opts.prices ?? API_PRICES));
  const c: AdvisorClients = { ec2, cloudwatch, pricing };
  return { clients: c, cwMock, prMock, ec2Mock };
}

const mode = (a: Advice, id: string): ModeCost => {
  const m = a.modes.find((x) => x.id === id);
  if (!m) throw new Error(`no mode ${id} in ${a.modes.map((x) => x.id).join(', ')}`);
  return m;
};
const lineOf = (m: ModeCost, re: RegExp) =>
  m.lines.filter((l) => re.test(l.item)).reduce((s, l) => s + l.monthlyUsd, 0);

async function advise(
  spec: WorldSpec,
  opts: Parameters<typeof clients>[1] & { days?: number; instanceType?: string } = {},
) {
  const clock = new VirtualClock(spec.now);
  const w = clients(spec, opts);
  const advice = await adviseMode(w.clients, clock, {
    region: REGION,
    vpcId: spec.vpcId ?? 'vpc-0a1b2c3d4e5f60718',
    natNamePattern: 'cabal-nat-*',
    days: opts.days ?? 30,
    ...(opts.instanceType ? { instanceType: opts.instanceType } : {}),
  });
  return { advice, ...w };
}

const NOW = Date.UTC(2026, 10, 30, 9, 0, 0);
const runbookInstances = (over: Partial<WorldSpec['nats'][number]> = {}): WorldSpec => ({
  now: NOW,
  azs: AZS,
  nats: AZS.map((az, i) => ({
    kind: 'instance' as const,
    id: `i-0nat${i}0000000000000`,
    az,
    type: 't3.micro',
    outRate: 0,
    inRate: 0,
    ...over,
  })),
});

describe("the runbook's cost table, reproduced from its inputs", () => {
  it('2× t3.micro ≈ $15 with no per-GB charge; 1 gateway ≈ $33 + $0.045/GB; 2 gateways ≈ $65 + per GB; plus the public IPv4 line the runbook omits', async () => {
    const { advice } = await advise(runbookInstances());
    const inst = mode(advice, 'instance');
    const one = mode(advice, 'single-zonal-gateway');
    const two = mode(advice, 'zonal-gateway-per-az');
    // the runbook's figures, within rounding (it rounds to the dollar)
    expect(Math.abs(lineOf(inst, /instance-hours/) - 15)).toBeLessThan(0.5);
    expect(inst.perGBUsd).toBe(0);
    expect(Math.abs(lineOf(one, /gateway-hours/) - 33)).toBeLessThan(0.5);
    expect(one.lines.find((l) => /Data processing/.test(l.item))!.detail).toContain('× $0.045/GB');
    expect(Math.abs(lineOf(two, /gateway-hours/) - 65)).toBeLessThan(1);
    expect(two.perGBUsd).toBeCloseTo(0.045, 10);
    // exact arithmetic: 730 h × hourly rate
    expect(lineOf(inst, /instance-hours/)).toBeCloseTo(2 * 0.0104 * 730, 6); // 15.184
    expect(lineOf(one, /gateway-hours/)).toBeCloseTo(0.045 * 730, 6); // 32.85
    expect(lineOf(two, /gateway-hours/)).toBeCloseTo(2 * 0.045 * 730, 6); // 65.70
    // the IPv4 line: $0.005 per address-hour
    expect(lineOf(inst, /Public IPv4/)).toBeCloseTo(2 * 0.005 * 730, 6); // 7.30
    expect(lineOf(one, /Public IPv4/)).toBeCloseTo(0.005 * 730, 6); // 3.65
    expect(lineOf(two, /Public IPv4/)).toBeCloseTo(7.3, 6);
    expect(lineOf(mode(advice, 'regional-gateway'), /Public IPv4/)).toBeCloseTo(7.3, 6);
    // "at four-user scale a gateway is roughly half the run-rate": instances ≈ half of one gateway (hourly charges)
    expect(lineOf(inst, /instance-hours/) / lineOf(one, /gateway-hours/)).toBeCloseTo(0.46, 2);
    // markdown carries the table and the IPv4 column; the recommendation at near-zero volume is instances
    const md = renderAdvice(advice);
    expect(md).toContain('| Mode | Hourly charges | Public IPv4 | Per-GB charges | Monthly at measured volume |');
    expect(md).toContain('$15.18');
    expect(md).toContain('$7.30');
    expect(md).toContain('$32.85');
    expect(md).toContain('$65.70');
    expect(advice.recommendation.mode).toBe('instance');
    expect(advice.currentMode).toBe('instance');
    expect(inst.current).toBe(true);
    expect(advice.prices.source).toBe('price-list-api');
    expect(md).toContain('Prices: AWS Price List Query API');
    expect(advice.notes).toContain(
      "Not in the instance rows: each NAT instance's EBS root volume (gp3 $0.08/GB-month, about $0.64/month for 8 GiB)",
    );
  });

  it('per-GB lines cross: one gateway beats two only below the cross-AZ break-even; the regional gateway is billed per AZ', async () => {
    // 200 kB/s each way in AZ a, 100 kB/s in AZ b through per-AZ gateways
    const spec: WorldSpec = {
      now: NOW,
      azs: AZS,
      nats: [
        { kind: 'gateway', id: 'nat-0aaa000000000000a', az: AZS[0]!, outRate: 0.2 * MB, inRate: 0.2 * MB },
        { kind: 'gateway', id: 'nat-0bbb000000000000b', az: AZS[1]!, outRate: 0.1 * MB, inRate: 0.1 * MB },
      ],
    };
    const { advice } = await advise(spec);
    const month = 730 * 3600;
    const volume = ((0.4 + 0.2) * MB * month) / 1e9; // processed GB/month
    expect(advice.traffic.monthlyProcessedGB).toBeCloseTo(volume, 3);
    expect(advice.currentMode).toBe('gateway');
    expect(mode(advice, 'zonal-gateway-per-az').current).toBe(true);
    const two = mode(advice, 'zonal-gateway-per-az');
    expect(two.monthlyUsd).toBeCloseTo(2 * (0.045 + 0.005) * 730 + volume * 0.045, 6);
    const one = mode(advice, 'single-zonal-gateway');
    const crossGB = (0.2 * MB * month) / 1e9; // AZ b's traffic crosses to AZ a's gateway
    expect(lineOf(one, /Cross-AZ/)).toBeCloseTo(crossGB * 0.02, 6);
    const be = advice.breakEvens.find((b) => b.below === 'single-zonal-gateway' && b.above === 'zonal-gateway-per-az')!;
    // (fixed two − fixed one) / (cross-AZ per GB): 36.5 / (0.02 × 1/3)
    expect(be.gbPerMonth).toBeCloseTo(((0.045 + 0.005) * 730) / (0.02 / 3), 3);
    expect(mode(advice, 'regional-gateway').monthlyUsd).toBeCloseTo(two.monthlyUsd, 6);
    // data transfer out shown once, from BytesOutToDestination
    expect(advice.dataTransferOut.monthlyGB).toBeCloseTo((0.3 * MB * month) / 1e9, 3);
    expect(renderAdvice(advice).match(/Data transfer out/g)).toHaveLength(1);
  });
});

describe('traffic cases', () => {
  it('zero traffic: measured, $0 per-GB lines, instances recommended with the availability trade-off named', async () => {
    const spec: WorldSpec = {
      now: NOW,
      azs: AZS,
      nats: AZS.map((az, i) => ({
        kind: 'gateway' as const,
        id: `nat-0${i}00000000000000${i}`,
        az,
        outRate: 0,
        inRate: 0,
      })),
    };
    const { advice } = await advise(spec);
    expect(advice.traffic.measured).toBe(true);
    expect(advice.traffic.monthlyProcessedGB).toBe(0);
    expect(lineOf(mode(advice, 'regional-gateway'), /Data processing/)).toBe(0);
    expect(advice.recommendation.mode).toBe('instance');
    expect(advice.recommendation.reasons.join(' ')).toMatch(
      /less than a regional gateway\. The trade-off: One instance per AZ: a single point of failure per AZ/,
    );
    expect(advice.recommendation.reasons.join(' ')).toMatch(/Gateways only get dearer than instances as volume grows/);
    for (const v of mode(advice, 'instance').throughput!) expect(v.verdict).toBe('fits');
    expect(advice.notes.join(' ')).toContain("t3.micro (the runbook's default nat_instance_type)");
  });

  it('a burst above the instance baseline for an hour: instance mode would throttle at your peak; a larger chosen type fits', async () => {
    // 20 MB/s (160 Mbit/s) for 70 minutes, against t3.micro's 64 Mbit/s baseline
    const spec = runbookInstances({ outRate: 10_000, inRate: 10_000 });
    spec.nats[0]!.burst = { agoMs: 3 * 86_400_000, seconds: 70 * 60, rate: 20 * MB };
    const { advice } = await advise(spec, { instanceType: 'c6gn.medium' });
    const inst = mode(advice, 'instance');
    const a = inst.throughput!.find((v) => v.az === AZS[0])!;
    expect(a.verdict).toBe('throttle');
    expect(a.message).toMatch(
      /^Instance mode would throttle at your peak in us-east-1a \(t3\.micro\): the busiest hour averages/,
    );
    expect(a.busiestHourGbps).toBeGreaterThan(0.15);
    expect(inst.throughput!.find((v) => v.az === AZS[1])!.verdict).toBe('fits');
    const chosen = mode(advice, 'instance-chosen');
    expect(chosen.instanceType).toBe('c6gn.medium');
    expect(chosen.throughput!.every((v) => v.verdict === 'fits')).toBe(true);
    expect(advice.recommendation.mode).not.toBe('instance');
    expect(renderAdvice(advice)).toContain('**would throttle**');
    // CPU credits are read for the burstable type
    expect(advice.traffic.perNat[0]!.cpuCreditBalanceMin).toBe(144);
  });

  it('a short burst above the baseline within the burst allowance: "burst", still instances', async () => {
    const spec = runbookInstances({ outRate: 1000, inRate: 1000 });
    spec.nats[0]!.burst = { agoMs: 86_400_000, seconds: 120, rate: 60 * MB }; // 480 Mbit/s for 2 minutes
    spec.nats[0]!.detailedMonitoring = true;
    const { advice } = await advise(spec);
    const v = mode(advice, 'instance').throughput!.find((x) => x.az === AZS[0])!;
    expect(v.verdict).toBe('burst');
    expect(v.peakGbps).toBeGreaterThan(0.064);
    expect(v.peakGbps).toBeLessThan(5);
    expect(advice.recommendation.mode).toBe('instance');
    expect(advice.recommendation.reasons.join(' ')).toMatch(/network burst credits cover it/);
  });

  it('missing metrics: a NAT without data counts as zero and says so; none at all → zero volume, said in the recommendation', async () => {
    const spec = runbookInstances({ outRate: 1000, inRate: 1000 });
    spec.nats[1]!.missing = true;
    const { advice } = await advise(spec);
    const t1 = advice.traffic.perNat.find((t) => t.natId === spec.nats[1]!.id)!;
    expect(t1.status).toBe('missing');
    expect(t1.monthlyProcessedGB).toBe(0);
    expect(t1.notes[0]).toMatch(/No AWS\/EC2 byte metrics in the window/);
    expect(advice.traffic.measured).toBe(true);

    const none = runbookInstances({ missing: true });
    const r = await advise(none);
    expect(r.advice.traffic.measured).toBe(false);
    expect(r.advice.recommendation.reasons[0]).toContain('no traffic metrics: zero volume assumed');
    expect(renderAdvice(r.advice)).toContain('no traffic metrics found');
  });

  it('a NAT with data for 6 of 30 days is scaled from the span it covers', async () => {
    const spec = runbookInstances({ outRate: 0.05 * MB, inRate: 0.05 * MB, sinceDays: 6 });
    const { advice } = await advise(spec);
    const t = advice.traffic.perNat[0]!;
    expect(t.status).toBe('partial');
    // 0.05 MB/s each way: NetworkIn = NetworkOut = 0.1 MB/s, each byte counted once → 0.1 MB/s over a 730-hour month
    expect(t.monthlyProcessedGB).toBeCloseTo((0.1 * MB * 730 * 3600) / 1e9, 0);
  });

  it('a VPC with mixed modes: both namespaces are read, nothing is "today", the mix is named', async () => {
    const spec: WorldSpec = {
      now: NOW,
      azs: AZS,
      nats: [
        { kind: 'instance', id: 'i-0aaa0000000000000', az: AZS[0]!, type: 't3.small', outRate: 5000, inRate: 5000 },
        {
          kind: 'gateway',
          id: 'nat-0bbb000000000000b',
          az: AZS[1]!,
          outRate: 5000,
          inRate: 50_000,
          errorPortAllocation: 3,
        },
      ],
    };
    const { advice, cwMock } = await advise(spec);
    expect(advice.currentMode).toBe('mixed');
    expect(advice.modes.some((m) => m.current)).toBe(false);
    expect(advice.notes.join(' ')).toMatch(
      /Mixed modes today: i-0aaa0000000000000 \(instance, us-east-1a\); nat-0bbb000000000000b \(gateway, us-east-1b\)/,
    );
    const namespaces = new Set(
      cwMock
        .commandCalls(GetMetricDataCommand)
        .flatMap((c) => c.args[0].input.MetricDataQueries!.map((q) => q.MetricStat!.Metric!.Namespace)),
    );
    expect(namespaces).toEqual(new Set(['AWS/EC2', 'AWS/NATGateway']));
    expect(mode(advice, 'instance').instanceType).toBe('t3.small');
    expect(advice.notes.join(' ')).toMatch(/3 port allocation errors/);
    // data transfer out cannot be separated while an instance carries part of the traffic
    expect(advice.dataTransferOut.monthlyGB).toBeNull();
  });

  it('a quiesced VPC (no NAT): no CloudWatch call, every mode priced at zero volume for the private AZs', async () => {
    const { advice, cwMock } = await advise({ now: NOW, azs: AZS, nats: [] });
    expect(advice.currentMode).toBe('none');
    expect(cwMock.commandCalls(GetMetricDataCommand)).toHaveLength(0);
    expect(advice.calls.cloudwatch).toBe(0);
    expect(advice.azs).toEqual(AZS);
    expect(advice.traffic.measured).toBe(false);
    expect(mode(advice, 'zonal-gateway-per-az').monthlyUsd).toBeCloseTo(73, 6);
  });

  it('basic monitoring: the 5-minute sample is read from SampleCount, not assumed', async () => {
    const spec = runbookInstances({ outRate: 1000, inRate: 1000 });
    spec.nats[0]!.burst = { agoMs: 86_400_000, seconds: 600, rate: 3 * MB };
    const { advice } = await advise(spec);
    const t = advice.traffic.perNat[0]!;
    expect(t.peakSampleSeconds).toBe(300);
    // Maximum over a 5-minute sample ÷ 300 s: the burst rate plus the steady load in both directions
    expect(t.peakBytesPerSecond).toBeCloseTo(3 * MB + 2000, -1);
  });

  it('a regional gateway today: billed per active AZ, marked as today', async () => {
    const spec: WorldSpec = {
      now: NOW,
      azs: AZS,
      nats: [{ kind: 'gateway', id: 'nat-0rrr000000000000r', az: '', regionalAzs: AZS, outRate: 1000, inRate: 1000 }],
    };
    const { advice } = await advise(spec);
    expect(advice.currentMode).toBe('gateway');
    expect(mode(advice, 'regional-gateway').current).toBe(true);
    expect(lineOf(mode(advice, 'regional-gateway'), /gateway-hours/)).toBeCloseTo(2 * 0.045 * 730, 6);
  });
});

describe('prices', () => {
  it('uses the Price List API figures when allowed (and says so)', async () => {
    const { advice, prMock } = await advise(runbookInstances(), {
      prices: { ...API_PRICES, 't3.micro': 0.011, natHour: 0.05 },
    });
    expect(lineOf(mode(advice, 'instance'), /instance-hours/)).toBeCloseTo(2 * 0.011 * 730, 6);
    expect(lineOf(mode(advice, 'single-zonal-gateway'), /gateway-hours/)).toBeCloseTo(0.05 * 730, 6);
    expect(advice.prices.source).toBe('price-list-api');
    expect(advice.calls.pricing).toBe(prMock.commandCalls(GetProductsCommand).length);
    const ipv4Call = prMock.commandCalls(GetProductsCommand).find((c) => c.args[0].input.ServiceCode === 'AmazonVPC')!;
    expect(ipv4Call.args[0].input.Filters).toContainEqual({
      Type: 'CONTAINS',
      Field: 'usagetype',
      Value: 'PublicIPv4:InUseAddress',
    });
  });

  it('falls back to the dated table when the role may not call the Price List API, naming date, source and reason', async () => {
    const { advice } = await advise(runbookInstances(), { pricing: 'denied', instanceTypes: 'denied' });
    expect(advice.prices.source).toBe('table');
    expect(advice.prices.table).toEqual({ asOf: PRICE_TABLE.asOf, url: PRICE_TABLE.url, region: REGION });
    expect(advice.prices.notes[0]).toBe(
      `Prices from the table dated ${PRICE_TABLE.asOf}: the role may not call pricing:GetProducts (AccessDeniedException)`,
    );
    expect(lineOf(mode(advice, 'instance'), /instance-hours/)).toBeCloseTo(2 * 0.0104 * 730, 6);
    expect(advice.notes.join(' ')).toMatch(
      /DescribeInstanceTypes failed \(UnauthorizedOperation\): network figures from the table/,
    );
    expect(mode(advice, 'instance').throughput![0]!.baselineGbps).toBe(0.064);
    expect(renderAdvice(advice)).toContain(`price table dated ${PRICE_TABLE.asOf}`);
  });
});

describe('CloudWatch call count', () => {
  it('is the same for every number of days and grows at most linearly with the NATs', async () => {
    const byNats: number[] = [];
    for (const count of [1, 4, 8, 16]) {
      const spec: WorldSpec = {
        now: NOW,
        azs: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
        nats: Array.from({ length: count }, (_, i) => ({
          kind: 'gateway' as const,
          id: `nat-0${String(i).padStart(16, '0')}`,
          az: ['us-east-1a', 'us-east-1b', 'us-east-1c'][i % 3]!,
          outRate: 100,
          inRate: 100,
        })),
      };
      const perDays = new Set<number>();
      for (const days of [1, 14, 15, 62, 63, 455]) {
        const { advice, cwMock } = await advise(spec, { days });
        expect(advice.calls.cloudwatch).toBe(cwMock.commandCalls(GetMetricDataCommand).length);
        perDays.add(advice.calls.cloudwatch);
      }
      expect(perDays.size).toBe(1);
      byNats.push([...perDays][0]!);
    }
    // 9 series per gateway, 70 series per call
    expect(byNats).toEqual([1, 1, 2, 3]);
    byNats.forEach((calls, i) => expect(calls).toBeLessThanOrEqual([1, 4, 8, 16][i]!));
  });

  it('keeps every series within 1440 points and every period legal for CloudWatch retention', () => {
    for (const days of [1, 14, 15, 62, 63, 455]) {
      const w = metricWindow(NOW, days);
      expect((w.endMs - w.startMs) / 1000 / w.periodSeconds).toBeLessThanOrEqual(MAX_POINTS_PER_SERIES);
      const need = days >= 63 ? 3600 : days >= 15 ? 300 : 60;
      expect(w.periodSeconds % need).toBe(0);
    }
    expect(() => metricWindow(NOW, 456)).toThrow(RangeError);
  });
});

describe('inputs', () => {
  const read = (env: Record<string, string>) => readAdviseInputs(envInputReader(env));
  it('defaults: advise off, 30 days', () => {
    expect(read({})).toEqual({ advise: false, days: 30 });
    expect(
      read({ INPUT_ADVISE: 'true', 'INPUT_ADVISE-DAYS': '455', 'INPUT_ADVISE-INSTANCE-TYPE': 't4g.small' }),
    ).toEqual({ advise: true, days: 455, instanceType: 't4g.small' });
  });
  it.each([
    [{ 'INPUT_ADVISE-DAYS': '0' }, 'advise-days: 0 is below the minimum 1'],
    [{ 'INPUT_ADVISE-DAYS': '456' }, 'advise-days: 456 is above the maximum 455'],
    [{ 'INPUT_ADVISE-DAYS': 'a month' }, 'advise-days: "a month" is not a whole number'],
    [{ INPUT_ADVISE: 'maybe' }, 'advise: "maybe" is not true or false'],
    [
      { INPUT_ADVISE: 'true', 'INPUT_ADVISE-INSTANCE-TYPE': 'large' },
      'advise-instance-type: "large" is not an EC2 instance type (e.g. t3.small)',
    ],
    [{ 'INPUT_ADVISE-INSTANCE-TYPE': 't3.small' }, 'advise-instance-type: only applies with advise: true'],
  ])('%j → %s', (env, message) => {
    expect(() => read(env)).toThrow(message);
  });
});

describe('throttled API calls (real SDK retry over a fake HTTP handler)', () => {
  let throttles: Record<string, number>;
  let attempts: Record<string, number>;
  beforeEach(() => {
    throttles = { GetMetricData: 2, GetProducts: 2 };
    attempts = { GetMetricData: 0, GetProducts: 0 };
  });

  /** Answers the JSON protocols (CloudWatch: awsJson1_0, Price List: awsJson1_1) like the services, throttling first. */
  function handler(spec: WorldSpec) {
    return {
      handle: async (request: { headers: Record<string, string>; body?: unknown }) => {
        const target = request.headers['x-amz-target'] ?? '';
        const op = target.split('.').pop() ?? '';
        attempts[op] = (attempts[op] ?? 0) + 1;
        const raw =
          request.body instanceof Uint8Array ? new TextDecoder().decode(request.body) : String(request.body ?? '{}');
        const body = JSON.parse(raw || '{}') as Record<string, unknown>;
        const respond = (statusCode: number, payload: unknown, headers: Record<string, string> = {}) => {
          return {
            response: {
              statusCode,
              headers: { 'content-type': 'application/x-amz-json-1.0', ...headers },
              body: Buffer.from(JSON.stringify(payload)),
            },
          };
        };
        if ((throttles[op] ?? 0) > 0) {
          throttles[op]!--;
          return respond(
            400,
            { __type: 'ThrottlingException', message: 'Rate exceeded' },
            { 'x-amzn-query-error': 'Throttling;Sender' },
          );
        }
        if (op === 'GetMetricData') {
          const input = {
            ...body,
            StartTime: new Date(Number(body.StartTime) * 1000),
            EndTime: new Date(Number(body.EndTime) * 1000),
          } as never;
          const out = getMetricData(spec, input);
          return respond(200, {
            ...out,
            MetricDataResults: out.MetricDataResults!.map((r) => ({
              ...r,
              Timestamps: r.Timestamps!.map((t) => t.getTime() / 1000),
            })),
          });
        }
        if (op === 'GetProducts') return respond(200, getProducts(body as never));
        return respond(400, { __type: 'UnknownOperationException', message: op });
      },
    };
  }

  it('CloudWatch and the Price List API are retried by the SDK and the advice completes from the API', async () => {
    const spec = runbookInstances({ outRate: 1000, inRate: 1000 });
    const w = clients(spec); // EC2 through aws-sdk-client-mock
    const h = handler(spec);
    const cloudwatch = new CloudWatchClient({
      ...clientConfig({ region: REGION }),
      credentials,
      requestHandler: h as never,
    });
    const pricing = new PricingClient({
      ...clientConfig({ region: 'us-east-1' }),
      credentials,
      requestHandler: h as never,
    });
    const advice = await adviseMode({ ec2: w.clients.ec2, cloudwatch, pricing }, new VirtualClock(NOW), {
      region: REGION,
      vpcId: 'vpc-0a1b2c3d4e5f60718',
      natNamePattern: 'cabal-nat-*',
      days: 30,
    });
    expect(attempts.GetMetricData).toBe(advice.calls.cloudwatch + 2);
    expect(advice.calls.cloudwatch).toBe(1);
    expect(advice.prices.source).toBe('price-list-api');
    expect(advice.traffic.perNat.every((t) => t.status === 'ok')).toBe(true);
    expect(JSON.parse(adviceJson(advice)).markdown).toContain('NAT mode advice');
  });
});
