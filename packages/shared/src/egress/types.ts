/**
 * What verify-egress's analysis of one VPC's NAT topology (egress/topology.ts, built on the nat/ model from EC2)
 * makes of it: the mode, per-AZ summaries, private route tables, addresses, probe targets and findings.
 */
import type { DefaultRoute, NatNode, NatTopology } from '../nat/index';

export type Severity = 'error' | 'warning' | 'info';
export type CheckName = 'vpc' | 'nat' | 'routes' | 'addresses' | 'probe' | 'logs' | 'diagnosis' | 'quiesce';

/** One observation of a check. `message` is plain text (escaped when rendered). */
export interface Finding {
  severity: Severity;
  check: CheckName;
  message: string;
  az?: string;
  resource?: string;
}

export interface RouteTableSummary {
  id: string;
  name?: string;
  main: boolean;
  /** Private subnets using this table (explicitly, or implicitly through the main table). */
  subnetIds: string[];
  azs: string[];
  defaultRoute: DefaultRoute;
}

export interface AzSummary {
  az: string;
  privateSubnetIds: string[];
  routeTableIds: string[];
  /** NATs of the active mode located in this AZ. */
  natIds: string[];
  /** NATs this AZ's private default routes lead to. */
  egressNatIds: string[];
  /** Public IPs of those NATs (what a probe from this AZ should see). */
  egressIps: string[];
}

export interface AddressSummary {
  publicIp: string;
  allocationId?: string;
  name?: string;
  ptr?: string;
  /** Which NAT holds it, if any. */
  natId?: string;
  /** Association target when not a NAT (instance/ENI id). */
  associatedWith?: string;
  expected: boolean;
}

export interface ProbeTarget {
  instanceId: string;
  az: string;
  subnetId?: string;
  routeTableId?: string;
  /** The NAT the probe's subnet routes through, and its public IP: what the probe must answer. */
  natId?: string;
  expectedIp?: string;
  /** Every address the NAT may answer from in this AZ (a regional gateway can hold several per AZ, and add more). */
  acceptedIps?: string[];
}

export interface SsmEndpoints {
  ssm: boolean;
  ec2messages: boolean;
  ssmmessages: boolean;
}

export interface TopologyAnalysis {
  region: string;
  vpcId: string;
  vpcName?: string;
  /** The mode checked: gateway covers zonal and regional gateways, instance covers instances and interfaces. */
  mode: 'instance' | 'gateway' | 'none';
  /** How the mode was chosen. */
  modeSource: 'input' | 'detected';
  quiesced: boolean;
  azs: AzSummary[];
  /** The NATs checked (from EC2, with live facts): those of the mode, and any a private route reaches. */
  nats: NatNode[];
  routeTables: RouteTableSummary[];
  addresses: AddressSummary[];
  /** Public IPs of the active-mode NATs, sorted. */
  natPublicIps: string[];
  ssmEndpoints: SsmEndpoints;
  /** One probe instance per AZ with private subnets, when probe instances were given. */
  probeTargets: ProbeTarget[];
  findings: Finding[];
  /** The NAT model the analysis is built on (nat/ modelFromEc2): the same model plan-guard builds from plans. */
  model: NatTopology;
}

export interface AnalyzeOptions {
  /** `auto` detects from routes, then from what exists. */
  mode: 'instance' | 'gateway' | 'auto';
  natNamePattern: string;
  expectedIps: string[];
  expectQuiesced: boolean;
}
