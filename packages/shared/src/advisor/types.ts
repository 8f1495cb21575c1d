/** Shapes of the mode advisor: the NATs it measures, what it measured, the priced modes and the advice. */
/** Where a price came from: the Price List API, or the dated table (prices.ts). */
export type PriceSource = 'price-list-api' | 'table';

/** A NAT the VPC's private subnets use today. */
export interface AdvisorNat {
  id: string;
  kind: 'instance' | 'gateway';
  /** Where it lives ('' for a regional gateway, which lives in several: see activeAzs). */
  az: string;
  /** AZs whose private default routes lead to it (its own AZ when none is known). */
  servesAzs: string[];
  instanceType?: string;
  /** Detailed (1-minute) monitoring: NetworkIn/Out maxima are per minute, else per 5 minutes. */
  detailedMonitoring?: boolean;
  /** The instance type earns CPU credits (CPUCreditBalance is read). */
  burstableCpu?: boolean;
  /** For gateways: zonal or regional (EC2 NatGateway.AvailabilityMode; zonal when absent). */
  availabilityMode?: 'zonal' | 'regional';
  /** Regional gateway: the AZs it has addresses in. */
  activeAzs?: string[];
}

/** What CloudWatch says one NAT carried over the window. Bytes; rates in bytes per second, per direction. */
export interface NatTraffic {
  natId: string;
  kind: 'instance' | 'gateway';
  az: string;
  servesAzs: string[];
  /**
   * ok: byte metrics present; missing: none at all (new, quiesced, or not published); partial: data covers part of
   * the window.
   */
  status: 'ok' | 'partial' | 'missing';
  notes: string[];
  /**
   * Bytes through the NAT, each byte counted once per direction it crossed the NAT (what a gateway bills as
   * processed).
   */
  processedBytes: number;
  /**
   * Bytes sent towards destinations (internet and public AWS endpoints): an upper bound of internet data transfer
   * out. Null when the metrics cannot separate it (NAT instances).
   */
  toDestinationBytes: number | null;
  /** Seconds the data covers (from the first data point to the window's end). */
  coveredSeconds: number;
  /** processedBytes scaled to a 730-hour month. */
  monthlyProcessedGB: number;
  monthlyToDestinationGB: number | null;
  /** Highest per-direction rate over the metric's own sample (60 s, or 300 s for basic EC2 monitoring). */
  peakBytesPerSecond: number;
  peakSampleSeconds: number;
  /** Highest per-direction average over any hour (a lower bound when the period is longer than an hour). */
  busiestHourBytesPerSecond: number;
  busiestHourExact: boolean;
  activeConnectionsMax?: number;
  errorPortAllocation?: number;
  packetsDropped?: number;
  /** Lowest CPUCreditBalance seen (burstable instance types). */
  cpuCreditBalanceMin?: number;
}

export type ModeId =
  'instance' | 'instance-chosen' | 'zonal-gateway-per-az' | 'single-zonal-gateway' | 'regional-gateway';

export interface CostLine {
  item: string;
  /** US dollars per 730-hour month at the measured volume. */
  monthlyUsd: number;
  detail: string;
  source: PriceSource;
}

export interface ThroughputVerdict {
  az: string;
  natId: string;
  instanceType: string;
  peakGbps: number;
  busiestHourGbps: number;
  baselineGbps: number;
  burstGbps: number;
  /**
   * fits: peak within the baseline; burst: above the baseline only briefly (network credits); throttle: above the
   * burst, or above the baseline for an hour or more; unknown: no figures.
   */
  verdict: 'fits' | 'burst' | 'throttle' | 'unknown';
  message: string;
}

export interface ModeCost {
  id: ModeId;
  label: string;
  /** NATs (instances or gateways), or for a regional gateway the AZs it is billed in. */
  units: number;
  instanceType?: string;
  lines: CostLine[];
  /** Monthly cost that does not depend on volume, USD. */
  fixedMonthlyUsd: number;
  /** USD per processed GB (processing and cross-AZ transfer). */
  perGBUsd: number;
  /** fixed + perGB × measured monthly volume (data transfer out excluded: the same in every mode). */
  monthlyUsd: number;
  /** True when this is what runs today. */
  current: boolean;
  availability: string;
  /** Instance modes: per-AZ throughput verdicts at the measured peaks. */
  throughput?: ThroughputVerdict[];
  /** Not priced (no price for the instance type). */
  unpriced?: string;
}

export interface BreakEven {
  /** The mode that is cheaper below the volume. */
  below: ModeId;
  /** The mode that is cheaper above it. */
  above: ModeId;
  /** Monthly processed GB where both cost the same. */
  gbPerMonth: number;
}

export interface Advice {
  version: 1;
  region: string;
  vpcId: string;
  generatedAt: string;
  window: { days: number; start: string; end: string; periodSeconds: number };
  currentMode: 'instance' | 'gateway' | 'mixed' | 'none';
  azs: string[];
  traffic: {
    perNat: NatTraffic[];
    /** False when no NAT had byte metrics: costs are at zero volume. */
    measured: boolean;
    monthlyProcessedGB: number;
    monthlyToDestinationGB: number | null;
  };
  prices: { source: PriceSource | 'mixed'; table?: { asOf: string; url: string; region: string }; notes: string[] };
  modes: ModeCost[];
  dataTransferOut: { monthlyGB: number | null; usdPerGB: number; monthlyUsd: number | null; note: string };
  breakEvens: BreakEven[];
  recommendation: { mode: ModeId; label: string; monthlyUsd: number; reasons: string[] };
  notes: string[];
  calls: { cloudwatch: number; pricing: number; ec2: number; cloudwatchQueries: number };
}
