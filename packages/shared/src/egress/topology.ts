/**
 * verify-egress's pure analysis of a VPC's NAT topology (no AWS calls), on the NAT model built from EC2
 * (nat/ modelFromEc2): which mode is checked, which NATs serve which AZ, where each private route table leads,
 * which addresses should be there, which probe answers for each AZ, and the findings of the NAT, routes,
 * addresses and quiesce checks. `analyzeTopology` is a sequence of named steps.
 */
import {
  azOf,
  azTopologies,
  detectMode,
  egressIpsOf,
  isEgressNat,
  liveModeOf,
  modelFromEc2,
  natOfRoute,
  privateGatewayIds,
  publicIpsOf,
  servingNats,
  tagValue,
  type NatTopology,
  type TopologySnapshot,
} from '../nat/index';
import {
  isLiveNat,
  natFindings,
  natLabel,
  quiesceFindings,
  regionalFindings,
  routeFindings,
  sorted,
  type LiveNat,
} from './topology-checks';
import type {
  AddressSummary,
  AnalyzeOptions,
  AzSummary,
  Finding,
  ProbeTarget,
  RouteTableSummary,
  SsmEndpoints,
  TopologyAnalysis,
} from './types';

type Mode = TopologyAnalysis['mode'];
type Add = (f: Finding) => void;

function ssmEndpointsOf(snap: TopologySnapshot): SsmEndpoints {
  const have = (svc: string) =>
    snap.vpcEndpoints.some(
      (e) =>
        (e.VpcEndpointType ?? 'Interface') === 'Interface' &&
        (e.State ?? 'available').toLowerCase() === 'available' &&
        e.ServiceName === `com.amazonaws.${snap.region}.${svc}`,
    );
  return { ssm: have('ssm'), ec2messages: have('ec2messages'), ssmmessages: have('ssmmessages') };
}

/** The private route tables (sorted by id), each with the NAT its default route reaches. */
function routeTableSummaries(model: NatTopology): RouteTableSummary[] {
  return model.routes.map((r) => {
    const nat = natOfRoute(model, r);
    const summary: RouteTableSummary = {
      id: r.ref,
      main: r.table?.main ?? false,
      subnetIds: r.table?.subnetIds ?? [],
      azs: r.azs ?? [],
      defaultRoute: { ...(r.route ?? { kind: 'none', target: '', state: '' }), ...(nat ? { natId: nat.ref } : {}) },
    };
    if (r.table?.name !== undefined) summary.name = r.table.name;
    return summary;
  });
}

/** The mode: the input, else what the private routes point at, else what exists. */
function modeFor(options: AnalyzeOptions, model: NatTopology): { mode: Mode; modeSource: 'input' | 'detected' } {
  if (options.mode !== 'auto') return { mode: options.mode, modeSource: 'input' };
  return { mode: detectMode(model), modeSource: 'detected' };
}

/** Each AZ with private subnets: its tables, the NATs of the mode in it, the NATs it reaches and their IPs. */
function azSummaries(model: NatTopology, mode: Mode): AzSummary[] {
  return azTopologies(model).map((az) => ({
    az: az.az,
    privateSubnetIds: az.privateSubnetIds,
    routeTableIds: az.routes.map((r) => r.ref),
    natIds: az.nats.filter((n) => liveModeOf(n) === mode).map((n) => n.ref),
    egressNatIds: az.egressNatRefs,
    egressIps: az.egressIps,
  }));
}

/** The addresses a NAT holds or that are expected, by public IP. */
function addressSummaries(model: NatTopology, expected: Set<string>): AddressSummary[] {
  return (model.addresses ?? [])
    .map((a) => {
      const summary: AddressSummary = { publicIp: a.publicIp, expected: expected.has(a.publicIp) };
      if (a.allocationId) summary.allocationId = a.allocationId;
      if (a.name !== undefined) summary.name = a.name;
      if (a.ptr) summary.ptr = a.ptr;
      if (a.natRef) summary.natId = a.natRef;
      else if (a.associatedWith) summary.associatedWith = a.associatedWith;
      return summary;
    })
    .filter((a) => a.natId || a.expected)
    .sort((x, y) => x.publicIp.localeCompare(y.publicIp));
}

/** What the findings are computed from. */
interface Facts {
  snap: TopologySnapshot;
  options: AnalyzeOptions;
  model: NatTopology;
  mode: Mode;
  allNats: LiveNat[];
  nats: LiveNat[];
  routeTables: RouteTableSummary[];
  azs: AzSummary[];
  addresses: AddressSummary[];
  natPublicIps: string[];
}

const active = (f: Facts) => (n: LiveNat) => liveModeOf(n) === f.mode;

/** Quiesce expected: no live NAT, no private default route, and every expected Elastic IP still allocated. */
function quiescedFindings(add: Add, f: Facts): void {
  quiesceFindings(add, f.allNats, f.routeTables);
  const allocated = new Set(f.snap.addresses.map((a) => a.PublicIp));
  for (const ip of sorted(new Set(f.options.expectedIps))) {
    if (allocated.has(ip)) continue;
    add({
      severity: 'error',
      check: 'addresses',
      resource: ip,
      message:
        `Expected Elastic IP ${ip} is no longer allocated in ${f.snap.region}: it must survive quiesce ` +
        '(SPF, reverse DNS and allow-lists depend on it)',
    });
  }
}

/** The VPC as a whole: private subnets exist, each has a route table, and some NAT was found. */
function vpcFindings(add: Add, f: Facts): void {
  const priv = (f.model.subnets ?? []).filter((s) => !s.public);
  if (priv.length === 0) {
    add({
      severity: 'warning',
      check: 'vpc',
      message:
        `VPC ${f.snap.vpc.VpcId} has no private subnets (every subnet routes 0.0.0.0/0 to an internet gateway): ` +
        'nothing egresses through a NAT',
    });
  }
  for (const subnet of priv.filter((s) => !s.routeTableId)) {
    add({
      severity: 'error',
      check: 'routes',
      az: subnet.az,
      resource: subnet.id,
      message: `Subnet ${subnet.id} has no route table (and the VPC has no main route table)`,
    });
  }
  if (f.mode === 'none' && priv.length > 0) {
    add({
      severity: 'error',
      check: 'nat',
      message:
        `No NAT found in ${f.snap.vpc.VpcId}: no instance named ${f.options.natNamePattern} and no NAT gateway. ` +
        'If the environment is quiesced, set expect-quiesced: true',
    });
  }
}

/** Private NAT gateways are listed, not checked; every AZ needs a NAT of the mode or a route to a healthy one. */
function coverageFindings(add: Add, f: Facts): void {
  for (const g of f.model.nats.filter((n) => n.kind === 'private-gateway')) {
    add({
      severity: 'info',
      check: 'nat',
      ...(g.az ? { az: g.az } : {}),
      resource: g.ref,
      message:
        `Private NAT gateway ${g.ref} (${g.live?.state ?? 'unknown'}): listed for information; ` +
        'private NAT gateways give no internet egress and are not checked',
    });
  }
  for (const az of f.azs) {
    if (az.natIds.length > 0 || f.mode === 'none') continue;
    if (az.egressNatIds.some((id) => f.allNats.find((n) => n.ref === id)?.live.healthy)) continue;
    add({
      severity: 'error',
      check: 'nat',
      az: az.az,
      message:
        `No ${f.mode === 'instance' ? 'running NAT instance' : 'available NAT gateway'} in ${az.az}, ` +
        'and its private subnets do not reach one elsewhere',
    });
  }
}

/** expected-ips against the NATs' addresses, both ways. */
function expectedIpFindings(add: Add, f: Facts): void {
  const expected = new Set(f.options.expectedIps);
  const allocated = new Set(f.snap.addresses.map((a) => a.PublicIp));
  for (const ip of sorted(expected)) {
    if (f.natPublicIps.includes(ip)) continue;
    const holder = f.addresses.find((a) => a.publicIp === ip)?.associatedWith;
    const why = !allocated.has(ip)
      ? ' and is no longer allocated in this region (released?)'
      : holder
        ? ` (it is associated with ${holder})`
        : ' (it is allocated but not associated)';
    add({
      severity: 'error',
      check: 'addresses',
      resource: ip,
      message: `Expected egress IP ${ip} is not on any NAT${why}: SPF, allow-lists and reverse DNS depend on it`,
    });
  }
  for (const ip of f.natPublicIps) {
    if (expected.has(ip)) continue;
    const nat = f.nats.find((n) => publicIpsOf(n).includes(ip)) as LiveNat;
    add({
      severity: 'error',
      check: 'addresses',
      az: azOf(nat),
      resource: nat.ref,
      message: `${natLabel(nat)} egresses from ${ip}, which is not in expected-ips`,
    });
  }
}

/** Every finding of the NAT, routes, addresses and quiesce checks, in report order. */
function topologyFindings(add: Add, f: Facts): void {
  if (f.snap.addressAttributesError) {
    add({
      severity: 'warning',
      check: 'addresses',
      message: `Reverse DNS of the Elastic IPs could not be read: ${f.snap.addressAttributesError}`,
    });
  }
  if (f.options.expectQuiesced) return quiescedFindings(add, f);
  vpcFindings(add, f);
  routeFindings(add, f.routeTables, f.allNats, f.mode, privateGatewayIds(f.snap.natGateways));
  natFindings(add, f.nats.filter(active(f)), f.routeTables);
  regionalFindings(
    add,
    f.nats.filter((n) => n.kind === 'regional-gateway'),
    f.routeTables,
    f.options.expectedIps.length > 0,
  );
  coverageFindings(add, f);
  if (f.options.expectedIps.length > 0) expectedIpFindings(add, f);
}

/** The analysis of one snapshot (pure). See the module comment. */
export function analyzeTopology(snap: TopologySnapshot, options: AnalyzeOptions): TopologyAnalysis {
  const model = modelFromEc2(snap);
  const allNats = model.nats.filter(isLiveNat).filter(isEgressNat);
  const { mode, modeSource } = modeFor(options, model);
  const nats = servingNats(model, mode).filter(isLiveNat);
  const facts: Facts = {
    snap,
    options,
    model,
    mode,
    allNats,
    nats,
    routeTables: routeTableSummaries(model),
    azs: azSummaries(model, mode),
    addresses: addressSummaries(model, new Set(options.expectedIps)),
    natPublicIps: [],
  };
  facts.natPublicIps = sorted(new Set(nats.filter(active(facts)).flatMap(publicIpsOf)));
  const findings: Finding[] = [];
  const add = (f: Finding) => findings.push(f);
  topologyFindings(add, facts);
  const probeTargets = probeTargetsOf(snap, model, add);
  const analysis: TopologyAnalysis = {
    model,
    region: snap.region,
    vpcId: snap.vpc.VpcId as string,
    mode,
    modeSource,
    quiesced: options.expectQuiesced && !findings.some((f) => f.check === 'quiesce' && f.severity === 'error'),
    azs: facts.azs,
    nats,
    routeTables: facts.routeTables,
    addresses: facts.addresses,
    natPublicIps: facts.natPublicIps,
    ssmEndpoints: ssmEndpointsOf(snap),
    probeTargets,
    findings,
  };
  const vpcName = tagValue(snap.vpc.Tags, 'Name');
  if (vpcName !== undefined) analysis.vpcName = vpcName;
  return analysis;
}

/** The probe instance's route: the NAT its subnet's route table reaches, and the IPs it answers from there. */
function probeTarget(model: NatTopology, id: string, az: string, subnetId: string | undefined): ProbeTarget {
  const target: ProbeTarget = { instanceId: id, az };
  if (subnetId) target.subnetId = subnetId;
  const tableId = model.subnets?.find((s) => s.id === subnetId)?.routeTableId;
  if (tableId) target.routeTableId = tableId;
  const route = model.routes.find((r) => r.ref === tableId);
  const nat = route ? natOfRoute(model, route) : undefined;
  if (nat) {
    target.natId = nat.ref;
    // A regional gateway answers from its address in the probe's AZ.
    const ips = egressIpsOf(nat, az);
    if (ips[0]) target.expectedIp = ips[0];
    if (ips.length > 1) target.acceptedIps = ips;
  }
  return target;
}

/** One running probe instance in a private subnet per AZ (lowest instance id first). */
function probeTargetsOf(snap: TopologySnapshot, model: NatTopology, add: Add): ProbeTarget[] {
  const byAz = new Map<string, ProbeTarget>();
  const publicSubnets = new Set((model.subnets ?? []).filter((s) => s.public).map((s) => s.id));
  const candidates = [...snap.probeInstances].sort((a, b) => String(a.InstanceId).localeCompare(String(b.InstanceId)));
  for (const instance of candidates) {
    const id = instance.InstanceId as string;
    const az = instance.Placement?.AvailabilityZone ?? 'unknown';
    if (instance.State?.Name !== 'running') {
      add({
        severity: 'info',
        check: 'probe',
        az,
        resource: id,
        message: `Probe instance ${id} is ${instance.State?.Name ?? 'in an unknown state'}: not used`,
      });
      continue;
    }
    if (instance.SubnetId && publicSubnets.has(instance.SubnetId)) {
      add({
        severity: 'warning',
        check: 'probe',
        az,
        resource: id,
        message:
          `Probe instance ${id} is in public subnet ${instance.SubnetId}: it egresses through the internet ` +
          'gateway, not a NAT, so it is not used',
      });
      continue;
    }
    if (!byAz.has(az)) byAz.set(az, probeTarget(model, id, az, instance.SubnetId));
  }
  return sorted(byAz.keys()).map((az) => byAz.get(az) as ProbeTarget);
}

/** The instances whose console output explains an instance-mode failure (an interface NAT's: the one behind it). */
export function consoleTargets(analysis: TopologyAnalysis): { id: string; az: string }[] {
  return analysis.nats
    .filter(isLiveNat)
    .filter((n) => liveModeOf(n) === 'instance' && n.live.state === 'running')
    .map((n) => ({ id: n.live.instanceId ?? n.ref, az: azOf(n) }));
}
