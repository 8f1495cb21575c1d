/** The EC2 client cutover uses (AMI check, race confirmation), with the shared retry configuration. */
import { EC2Client } from '@aws-sdk/client-ec2';
import { clientConfig } from '../aws/index';

export function createEc2Client(region: string): EC2Client {
  return new EC2Client(clientConfig({ region }));
}

/**
 * The EC2 operations cutover calls (IAM: ec2:DescribeImages, ec2:DescribeNatGateways, ec2:DescribeAddresses,
 * ec2:AssociateAddress), re-exported for mocks outside this package.
 */
export {
  AssociateAddressCommand,
  DescribeAddressesCommand,
  DescribeImagesCommand,
  DescribeNatGatewaysCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
