/**
 * A `nats` entry of verify-egress's `report` output: a NAT node of the model (built from EC2) as JSON, with the
 * fields, values and key order the report has always had (consumers such as the nat-egress CLI read them).
 */
import { azOf, liveModeOf, type NatNode } from '../nat/index';

export interface ReportNat {
  id: string;
  /** instance (an instance or an interface NAT) or gateway (zonal or regional). */
  kind: 'instance' | 'gateway';
  name?: string;
  /** Its AZ; "regional" for a regional gateway, "unknown" when EC2 does not say. */
  az: string;
  subnetId?: string;
  /** Instance state name or NAT gateway state ('detached' for an interface NAT without an instance). */
  state: string;
  inPublicSubnet: boolean;
  publicIp?: string;
  allocationId?: string;
  elasticIp: boolean;
  eniIds: string[];
  sourceDestCheck?: boolean;
  imageId?: string;
  imageRole?: string | null;
  imageName?: string;
  ptr?: string;
  failureMessage?: string;
  instanceId?: string;
  attachment?: string;
  interfaceSourceDestCheck?: Record<string, boolean>;
  /** Regional NAT gateway: one gateway for the VPC, addresses per AZ. */
  regional?: { mode: 'manual' | 'automatic'; autoScalingIps: boolean; ipsByAz: Record<string, string[]> };
  healthy: boolean;
}

/** The report entry of one NAT node (nodes without live facts report as state 'unknown', not healthy). */
export function reportNat(nat: NatNode): ReportNat {
  const live = nat.live ?? {
    state: 'unknown',
    healthy: false,
    inPublicSubnet: false,
    elasticIp: false,
    interfaceIds: [],
  };
  const entry: ReportNat = {
    id: nat.ref,
    kind: liveModeOf(nat) === 'instance' ? 'instance' : 'gateway',
    az: azOf(nat),
    state: live.state,
    inPublicSubnet: live.inPublicSubnet,
    elasticIp: live.elasticIp,
    eniIds: live.interfaceIds,
    ...(live.attachment !== undefined ? { attachment: live.attachment } : {}),
    healthy: live.healthy,
  };
  const optional: Partial<ReportNat> = {
    name: live.name,
    subnetId: nat.subnetId,
    publicIp: live.publicIp,
    allocationId: live.allocationId,
    failureMessage: live.failureMessage,
    sourceDestCheck: live.sourceDestCheck,
    interfaceSourceDestCheck: live.interfaceSourceDestCheck,
    instanceId: live.instanceId,
    imageId: live.imageId,
    imageRole: live.imageRole,
    imageName: live.imageName,
  };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) Object.assign(entry, { [k]: v });
  if (nat.kind === 'regional-gateway') {
    const ipsByAz: Record<string, string[]> = {};
    for (const z of nat.zones ?? []) if (z.publicIps?.length) ipsByAz[z.az] = z.publicIps;
    entry.regional = { mode: nat.regionalMode ?? 'manual', autoScalingIps: !!nat.autoScalingIps, ipsByAz };
  }
  if (live.ptr) entry.ptr = live.ptr;
  return entry;
}
