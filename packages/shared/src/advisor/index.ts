/**
 * The NAT mode advisor: prices NAT instances, zonal gateways and a regional gateway from the VPC's own measured
 * traffic (CloudWatch, batched GetMetricData) with Price List API prices (or a dated table), and recommends one.
 * Entry points: `adviseMode` (clients, clock, options) and `readAdviseInputs` for action/CLI inputs.
 */
export * from './types';
export {
  adviseMode,
  readAdviseInputs,
  DEFAULT_ADVISE_DAYS,
  DEFAULT_INSTANCE_TYPE,
  type AdviseInputs,
  type AdviseOptions,
  type AdvisorClients,
} from './advise';
export { createAdvisorClients } from './clients';
export {
  MAX_ADVISE_DAYS,
  MAX_POINTS_PER_SERIES,
  QUERIES_PER_CALL,
  metricQueries,
  metricWindow,
  readMetrics,
  type MetricWindow,
  type RawMetrics,
} from './metrics';
export { natTraffic, HOURS_PER_MONTH } from './traffic';
export { AVAILABILITY, breakEvens, type ModelInput, type ModelResult } from './model';
export { priceModes } from './recommend';
export {
  PRICE_TABLE,
  onDemandPrices,
  pricingEndpointRegion,
  readPrices,
  tablePrices,
  type Price,
  type PriceBook,
  type PriceSource,
} from './prices';
export { NETWORK_TABLE, readInstanceTypes, type InstanceTypeNetwork } from './instance-types';
export { adviceJson, priceSourceLine, renderAdvice } from './report';
