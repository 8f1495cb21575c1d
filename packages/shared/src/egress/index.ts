/**
 * Egress verification: data-plane probes over SSM, log freshness from CloudWatch Logs events, console
 * diagnosis of NAT instances, the verdict (with a wait loop on the injected clock) and its reports.
 */
export * from './types';
export { readTopology, type ReadTopologyOptions } from '../nat/read';
export { analyzeTopology, consoleTargets } from './topology';
export { reportNat, type ReportNat } from './report-nat';
export { INTERFACE_RECOVERY } from './topology-checks';
export * from './probe';
export * from './logs';
export * from './console';
export * from './verify';
export * from './report';
export * from './verdict';
export { createEgressClients } from './clients';
