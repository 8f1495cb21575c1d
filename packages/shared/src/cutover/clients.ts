/**
 * The AWS clients cutover uses, with the shared retry configuration (aws/ clientConfig): EC2 (AMI check, race
 * confirmation, fast restore, orphan look-ups, the bridge routes), S3 (the journal beside the state, the state lock
 * object), DynamoDB (a state lock item), IAM (orphan look-ups of the NAT instances' role and profile) and CloudWatch
 * (the bridge's capacity check).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { clientConfig } from '../aws/index';

export function createEc2Client(region: string): EC2Client {
  return new EC2Client(clientConfig({ region }));
}

/** CloudWatch for the bridge's capacity check (GetMetricData of the NATs' traffic). */
export function createCloudWatchClient(region: string): CloudWatchClient {
  return new CloudWatchClient(clientConfig({ region }));
}

/** Where an S3 or DynamoDB client is pointed: the backend's own endpoint and addressing, when it names them. */
export interface EndpointOptions {
  region: string;
  endpoint?: string;
  forcePathStyle?: boolean;
  profile?: string;
}

export function createS3Client(o: EndpointOptions): S3Client {
  return new S3Client({
    ...clientConfig({ region: o.region }),
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    ...(o.forcePathStyle ? { forcePathStyle: true } : {}),
    ...(o.profile ? { profile: o.profile } : {}),
  });
}

export function createDynamoDbClient(o: EndpointOptions): DynamoDBClient {
  return new DynamoDBClient({
    ...clientConfig({ region: o.region }),
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    ...(o.profile ? { profile: o.profile } : {}),
  });
}

export function createIamClient(region: string): IAMClient {
  return new IAMClient(clientConfig({ region }));
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
export { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
export { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
export { IAMClient } from '@aws-sdk/client-iam';
