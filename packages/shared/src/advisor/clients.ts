/** The advisor's AWS clients, with the shared client configuration (retries, and whatever else clientConfig sets). */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { PricingClient } from '@aws-sdk/client-pricing';
import { bindSignal, clientConfig } from '../aws/index';
import type { AdvisorClients } from './advise';
import { pricingEndpointRegion } from './prices';

/**
 * EC2 and CloudWatch in `region`; the Price List client at its nearest endpoint (us-east-1 or ap-south-1). With
 * `signal` (the run's cancellation/deadline signal), every send carries it (aws `bindSignal`).
 */
export function createAdvisorClients(region: string, signal?: AbortSignal): AdvisorClients {
  const config = clientConfig({ region });
  return {
    ec2: bindSignal(new EC2Client(config), signal),
    cloudwatch: bindSignal(new CloudWatchClient(config), signal),
    pricing: bindSignal(new PricingClient(clientConfig({ region: pricingEndpointRegion(region) })), signal),
  };
}
