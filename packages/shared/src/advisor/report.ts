/** The advice as markdown (job summary, issue body) and as the JSON `advice` output. */
import { code, escapeText, table } from '../report/index';
import { gb, unitPrice, usd } from './model';
import type { Advice, ModeCost } from './types';

const rate = (bytesPerSecond: number) => {
  const g = (bytesPerSecond * 8) / 1e9;
  return g >= 0.1 ? `${g.toFixed(2)} Gbit/s` : `${(g * 1000).toFixed(g * 1000 >= 10 ? 1 : 2)} Mbit/s`;
};
const gbit = (g: number) =>
  g >= 0.1 ? `${g.toFixed(2)} Gbit/s` : `${(g * 1000).toFixed(g * 1000 >= 10 ? 1 : 2)} Mbit/s`;

function costOf(m: ModeCost, test: (item: string) => boolean): number {
  return m.lines.filter((l) => test(l.item)).reduce((a, l) => a + l.monthlyUsd, 0);
}

/** One line naming where the prices came from (API, or the table with its date, region and source URL). */
export function priceSourceLine(a: Advice): string {
  const t = a.prices.table;
  if (a.prices.source === 'price-list-api') return 'Prices: AWS Price List Query API (pricing:GetProducts), on-demand';
  const table = t
    ? `the repository's price table dated ${t.asOf} (${t.region}; source ${t.url})`
    : "the repository's price table";
  return a.prices.source === 'table' ? `Prices: ${table}` : `Prices: AWS Price List Query API, completed from ${table}`;
}

/** The heading, what was measured, and the cost table. */
function costSection(a: Advice): string[] {
  const measured = a.traffic.measured ? '' : ' (no traffic metrics found: zero volume)';
  const rows = a.modes.map((m) => [
    `${m.current ? '**today** ' : ''}${escapeText(m.label)}`,
    m.unpriced ? '–' : usd(costOf(m, (i) => /hours/.test(i))),
    usd(costOf(m, (i) => /^Public IPv4/.test(i))),
    m.perGBUsd
      ? `${usd(costOf(m, (i) => /^(Data processing|Cross-AZ)/.test(i)))} (${unitPrice(m.perGBUsd)}/GB)`
      : '$0.00 (none)',
    m.unpriced ? `not priced: ${escapeText(m.unpriced)}` : `**${usd(m.monthlyUsd)}**`,
  ]);
  const d = a.dataTransferOut;
  const transfer =
    d.monthlyGB === null
      ? 'not separable from NAT instance metrics'
      : `${gb(d.monthlyGB)}/month × ${unitPrice(d.usdPerGB)}/GB ≈ ${usd(d.monthlyUsd ?? 0)}`;
  return [
    `## NAT mode advice: ${code(a.vpcId)} (${escapeText(a.region)})`,
    '',
    `Traffic of the last ${a.window.days} day(s) (${a.window.start} → ${a.window.end}, ` +
      `${a.window.periodSeconds} s periods), ` +
      `${a.azs.length} AZ(s) with private subnets, today: **${a.currentMode}**. ` +
      `Measured: **${gb(a.traffic.monthlyProcessedGB)}/month** processed${measured}. ` +
      `Monthly = 730 hours.`,
    '',
    table(['Mode', 'Hourly charges', 'Public IPv4', 'Per-GB charges', 'Monthly at measured volume'], rows),
    '',
    `Data transfer out to the internet is the same in every mode (not in the table): ${transfer}. ` +
      escapeText(d.note),
    '',
  ];
}

/** Where one mode overtakes another, and the instance modes no gateway mode beats at any volume. */
function breakEvenSection(a: Advice): string[] {
  const out = ['### Break-even volumes'];
  const label = (id: string) => a.modes.find((m) => m.id === id)?.label ?? id;
  for (const b of a.breakEvens)
    out.push(
      `- ${escapeText(label(b.above))} becomes cheaper than ${escapeText(label(b.below))} ` +
        `above **${gb(b.gbPerMonth)}/month** processed`,
    );
  for (const m of a.modes.filter((x) => x.throughput && !x.unpriced)) {
    const beaten = a.modes
      .filter((g) => !g.throughput && !g.unpriced && g.fixedMonthlyUsd >= m.fixedMonthlyUsd)
      .map((g) => g.label);
    if (beaten.length > 0)
      out.push(
        `- ${escapeText(m.label)}: cheaper than ${escapeText(beaten.join(', '))} at every volume ` +
          '(no per-GB charge); its limit is throughput',
      );
  }
  return out;
}

/** The instance modes' per-AZ peaks against their types' baseline and burst. */
function throughputSection(a: Advice): string[] {
  const inst = a.modes.filter((m) => m.throughput && m.throughput.length > 0);
  if (inst.length === 0) return [];
  const trows = inst.flatMap((m) =>
    m.throughput!.map((v) => [
      code(v.az, true),
      escapeText(v.instanceType),
      gbit(v.peakGbps),
      gbit(v.busiestHourGbps),
      v.verdict === 'unknown' ? '?' : `${gbit(v.baselineGbps)} / ${gbit(v.burstGbps)}`,
      `${v.verdict === 'throttle' ? '**would throttle**' : v.verdict}`,
    ]),
  );
  const out = [
    '',
    '### Peak throughput against instance network performance',
    table(['AZ', 'Type', 'Peak', 'Busiest hour', 'Baseline / burst', 'Verdict'], trows),
  ];
  const throttled = inst.flatMap((m) => m.throughput!.filter((v) => v.verdict === 'throttle'));
  if (throttled.length > 0) out.push('', ...throttled.map((v) => `- ${escapeText(v.message)}`));
  return out;
}

/** Availability of each mode, the recommendation, what each NAT carried, the notes and the calls made. */
function verdictSection(a: Advice): string[] {
  const out = ['', '### Availability'];
  for (const m of a.modes) out.push(`- ${escapeText(m.label)}: ${escapeText(m.availability)}`);
  out.push('', `### Recommendation: ${escapeText(a.recommendation.label)}`);
  for (const r of a.recommendation.reasons) out.push(`- ${escapeText(r)}`);
  const perNat = a.traffic.perNat;
  if (perNat.length > 0) {
    out.push('', '### Measured per NAT');
    out.push(
      table(
        ['NAT', 'AZ', 'Processed / month', 'Peak', 'Data'],
        perNat.map((t) => [
          code(t.natId, true),
          code(t.az || t.servesAzs.join(', '), true),
          gb(t.monthlyProcessedGB),
          rate(t.peakBytesPerSecond),
          t.status,
        ]),
      ),
    );
  }
  const notes = [...a.notes, ...perNat.flatMap((t) => t.notes.map((n) => `${t.natId}: ${n}`))];
  if (notes.length > 0) out.push('', '### Notes', ...notes.map((n) => `- ${escapeText(n)}`));
  out.push(
    '',
    `_${escapeText(priceSourceLine(a))}. Calls: ${a.calls.cloudwatch} CloudWatch GetMetricData ` +
      `(${a.calls.cloudwatchQueries} series), ${a.calls.pricing} Price List, ${a.calls.ec2} EC2._`,
  );
  return out;
}

/**
 * The advice as GitHub markdown: the cost table, data transfer out once, break-evens, throughput, availability,
 * recommendation, notes. Untrusted values are escaped.
 */
export function renderAdvice(a: Advice): string {
  return [...costSection(a), ...breakEvenSection(a), ...throughputSection(a), ...verdictSection(a)].join('\n');
}

/** The `advice` output: the advice and its markdown, as one JSON document. */
export function adviceJson(a: Advice, markdown = renderAdvice(a)): string {
  return JSON.stringify({ ...a, markdown });
}
