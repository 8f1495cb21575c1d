/** The three AWS clients the egress checks use, with the shared retry configuration. */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { clientConfig } from '../aws/index';
import type { EgressClients } from './verify';

export function createEgressClients(region: string): EgressClients {
  const config = clientConfig({ region });
  return { ec2: new EC2Client(config), ssm: new SSMClient(config), logs: new CloudWatchLogsClient(config) };
}
