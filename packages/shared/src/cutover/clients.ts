/** The EC2 client cutover uses (AMI check, race confirmation), with the shared retry configuration. */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { clientConfig } from '../aws/index';

export function createEc2Client(region: string): EC2Client {
  return new EC2Client(clientConfig({ region }));
}

/** CloudWatch for the bridge's capacity check (GetMetricData of the NATs' traffic). */
export function createCloudWatchClient(region: string): CloudWatchClient {
  return new CloudWatchClient(clientConfig({ region }));
}

/**
 * The EC2 operations cutover calls (IAM: docs/iam/cutover.json — the race, the AMI check, and the bridged
 * switch's reads, ReplaceRoute and DescribeInstanceTypes), re-exported for mocks outside this package.
 */
export {
  AssociateAddressCommand,
  DescribeAddressesCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  EC2Client,
  ReplaceRouteCommand,
} from '@aws-sdk/client-ec2';
export { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
