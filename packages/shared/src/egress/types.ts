/**
 * The NAT topology of one VPC: the raw EC2 snapshot (read in a fixed number of batched calls) and what the
 * pure analysis makes of it (per-AZ NAT, private route tables, addresses, findings).
 */
import type {
  Address,
  AddressAttribute,
  Image,
  Instance,
  NatGateway,
  NetworkInterface,
  RouteTable,
  Subnet,
  Vpc,
  VpcEndpoint,
} from '@aws-sdk/client-ec2';
import type { NatTopology } from '../nat/index';

export type { TopologySnapshot } from '../nat/index';

export type Severity = 'error' | 'warning' | 'info';
export type CheckName = 'vpc' | 'nat' | 'routes' | 'addresses' | 'probe' | 'logs' | 'diagnosis' | 'quiesce';
export type NatMode = 'instance' | 'gateway';
export type DetectedMode = NatMode | 'none';

/** One observation of a check. `message` is plain text (escaped when rendered). */
export interface Finding {
  severity: Severity;
  check: CheckName;
  message: string;
  az?: string;
  resource?: string;
}

export interface NatSummary {
  id: string;
  kind: NatMode;
  name?: string;
  az: string;
  subnetId?: string;
  /** Instance state name or NAT gateway state. */
  state: string;
  /** Whether the NAT's own subnet routes 0.0.0.0/0 to an internet gateway. */
  inPublicSubnet: boolean;
  publicIp?: string;
  allocationId?: string;
  /** True when the public IP is an Elastic IP (not an ephemeral auto-assigned address). */
  elasticIp: boolean;
  /** Network interfaces a route can target (instance ENIs; the gateway's ENI). */
  eniIds: string[];
  sourceDestCheck?: boolean;
  imageId?: string;
  /** Value of the AMI's Role tag; null when the AMI has none; undefined when the AMI could not be described. */
  imageRole?: string | null;
  imageName?: string;
  ptr?: string;
  failureMessage?: string;
  /** ENI-based NAT (the interface is the NAT, `id` is its id): the instance behind it now, if any. */
  instanceId?: string;
  /** ENI-based NAT: the interface's attachment status ('attached', 'attaching', 'detaching', 'detached'). */
  attachment?: string;
  /** Source/dest check of each of the NAT's interfaces (two-interface NAT: the routed one is what matters). */
  interfaceSourceDestCheck?: Record<string, boolean>;
  /** Regional NAT gateway: one gateway for the VPC, addresses per AZ. */
  regional?: RegionalSummary;
  /** Usable for egress: running/available with an Elastic IP (and, for instances, source/dest check off). */
  healthy: boolean;
}

export interface RegionalSummary {
  /** manual: AZs and addresses given (availability_zone_address); automatic: AWS picks them (AutoProvisionZones enabled). */
  mode: 'manual' | 'automatic';
  /** AWS may add addresses under load (AutoScalingIps enabled). */
  autoScalingIps: boolean;
  /** Public IPs per AZ, from NatGatewayAddresses[].AvailabilityZone. */
  ipsByAz: Record<string, string[]>;
}

export type RouteTargetKind = 'nat-gateway' | 'instance' | 'internet-gateway' | 'other' | 'none';

export interface DefaultRoute {
  kind: RouteTargetKind;
  /** The target id as EC2 reports it (nat-…, eni-…/i-…, igw-…, tgw-…). */
  target: string;
  state: string;
  /** The NAT it resolves to, when it does. */
  natId?: string;
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
  mode: DetectedMode;
  /** How the mode was chosen. */
  modeSource: 'input' | 'detected';
  quiesced: boolean;
  azs: AzSummary[];
  nats: NatSummary[];
  routeTables: RouteTableSummary[];
  addresses: AddressSummary[];
  /** Public IPs of the active-mode NATs, sorted. */
  natPublicIps: string[];
  ssmEndpoints: SsmEndpoints;
  /** One probe instance per AZ with private subnets, when probe instances were given. */
  probeTargets: ProbeTarget[];
  findings: Finding[];
  /** The same NAT topology model plan-guard builds from plans (topology/model.ts), built from EC2. */
  model: NatTopology;
}

export interface AnalyzeOptions {
  /** `auto` detects from routes, then from what exists. */
  mode: NatMode | 'auto';
  natNamePattern: string;
  expectedIps: string[];
  expectQuiesced: boolean;
}
