/**
 * Network performance of the NAT instance types: baseline and burst bandwidth in Gbit/s, and whether the type
 * earns CPU credits. From `ec2:DescribeInstanceTypes` (NetworkInfo.NetworkCards[].BaselineBandwidthInGbps /
 * PeakBandwidthInGbps, BurstablePerformanceSupported), else from the table below.
 *
 * Facts (source: Amazon EC2 instance types, "Network performance" tables,
 * https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html#gp_network and …/co.html#co_network):
 * bandwidth applies to each direction; instances with 16 vCPUs or fewer can exceed their baseline by spending
 * network I/O credits, "typically from 5 to 60 minutes"
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-network-bandwidth.html),
 * after which they fall back to the baseline.
 */
import { EC2Client, paginateDescribeInstanceTypes, type _InstanceType } from '@aws-sdk/client-ec2';
import { awsErrorCode } from '../aws/index';
import { describeError } from '../runtime/index';

export interface InstanceTypeNetwork {
  type: string;
  /** Sustained bandwidth per direction, Gbit/s. */
  baselineGbps: number;
  /** The most it can reach while network credits last, Gbit/s. */
  burstGbps: number;
  /** Earns CPU credits (t2/t3/t3a/t4g): CPUCreditBalance applies. */
  burstableCpu: boolean;
  source: 'ec2-api' | 'table';
}

/** [baseline Gbit/s, burst Gbit/s, burstable CPU] for the types NAT instances usually run on. */
export const NETWORK_TABLE: Record<string, [number, number, boolean]> = (() => {
  const t: Record<string, [number, number, boolean]> = {};
  const sizes: [string, number][] = [
    ['nano', 0.032],
    ['micro', 0.064],
    ['small', 0.128],
    ['medium', 0.256],
    ['large', 0.512],
    ['xlarge', 1.024],
    ['2xlarge', 2.048],
  ];
  for (const family of ['t3', 't3a', 't4g']) for (const [size, base] of sizes) t[`${family}.${size}`] = [base, 5, true];
  t['c6gn.medium'] = [1.6, 16, false];
  t['c6gn.large'] = [3, 25, false];
  t['c5n.large'] = [3, 25, false];
  return t;
})();

export interface InstanceTypesResult {
  types: Record<string, InstanceTypeNetwork>;
  notes: string[];
  calls: number;
}

/** Network figures for `types`: one paginated DescribeInstanceTypes for all of them, the table for what it lacks. */
export async function readInstanceTypes(ec2: EC2Client | undefined, types: string[]): Promise<InstanceTypesResult> {
  const out: Record<string, InstanceTypeNetwork> = {};
  const notes: string[] = [];
  let calls = 0;
  const wanted = [...new Set(types)].filter(Boolean);
  if (ec2 && wanted.length > 0) {
    try {
      for await (const page of paginateDescribeInstanceTypes(
        { client: ec2 },
        { InstanceTypes: wanted as _InstanceType[] },
      )) {
        calls++;
        for (const it of page.InstanceTypes ?? []) {
          const card = it.NetworkInfo?.NetworkCards?.[0];
          if (!it.InstanceType || card?.BaselineBandwidthInGbps === undefined) continue;
          out[it.InstanceType] = {
            type: it.InstanceType,
            baselineGbps: card.BaselineBandwidthInGbps,
            burstGbps: card.PeakBandwidthInGbps ?? card.BaselineBandwidthInGbps,
            burstableCpu: it.BurstablePerformanceSupported ?? false,
            source: 'ec2-api',
          };
        }
      }
    } catch (err) {
      notes.push(
        `DescribeInstanceTypes failed (${awsErrorCode(err) || describeError(err)}): network figures from the table`,
      );
    }
  }
  for (const type of wanted) {
    if (out[type]) continue;
    const row = NETWORK_TABLE[type];
    if (row) out[type] = { type, baselineGbps: row[0], burstGbps: row[1], burstableCpu: row[2], source: 'table' };
    else notes.push(`No network figures for ${type}: its throughput cannot be judged`);
  }
  return { types: out, notes, calls };
}
