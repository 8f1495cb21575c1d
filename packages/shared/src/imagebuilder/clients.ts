import { EC2Client } from '@aws-sdk/client-ec2';
import { ImagebuilderClient } from '@aws-sdk/client-imagebuilder';
import { clientConfig } from '../aws/index';

/** The clients build-nat-ami needs, with the shared retry configuration (aws clientConfig: adaptive, MAX_ATTEMPTS). */
export function createClients(region: string): { imagebuilder: ImagebuilderClient; ec2: EC2Client } {
  return {
    imagebuilder: new ImagebuilderClient(clientConfig({ region })),
    ec2: new EC2Client(clientConfig({ region })),
  };
}
