/**
 * Egress verification: data-plane probes over SSM, log freshness from CloudWatch Logs events, console
 * diagnosis of NAT instances, the verdict (with a wait loop on the injected clock) and its reports.
 */
export * from './probe';
export * from './logs';
export * from './console';
export * from './verify';
export * from './report';
export * from './verdict';
export { createEgressClients } from './clients';
