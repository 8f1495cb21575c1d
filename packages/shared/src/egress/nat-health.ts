/**
 * verify-egress's per-NAT checks for one NAT, as the bridged cutover needs them before it points an AZ's route at
 * its new NAT: the VPC's topology read in the same batched describes (nat/read.ts readTopology, NAT instances by
 * id), analysed as verify-egress analyses it (topology.ts analyzeTopology with the NAT Elastic IPs as expected-ips),
 * and the errors about that NAT kept: not `running` / `available`, no Elastic IP or an auto-assigned public IP,
 * source/destination check on, not in a public subnet, an AMI without the Role tag, egressing from an address
 * outside expected-ips. Route and coverage findings are left out: the AZ's route is still on its bridge.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { NatNode } from '../nat/index';
import { readTopology } from '../nat/read';
import { analyzeTopology } from './topology';
import type { Finding } from './types';

export interface NatHealthOptions {
  region: string;
  vpcId: string;
  /** The NAT instances to read (by id: the cutover knows them from the plan and the apply). */
  natInstanceIds: string[];
  /** The allow-listed egress IPs (every NAT Elastic IP of the VPC). */
  expectedIps: string[];
  /** The mode the NAT is checked in. */
  mode: 'instance' | 'gateway';
}

export interface NatHealth {
  /** The NAT the route target names, with its live facts; undefined when EC2 does not show it. */
  nat?: NatNode;
  /** verify-egress's errors about it (none: healthy). */
  errors: Finding[];
  /** EC2 calls made, by operation. */
  calls: Record<string, number>;
}

/**
 * The health of the NAT that route target `targetId` (nat-…, eni-…, i-…) names. Errors: ActionFailure when the VPC
 * is not found; AWS errors propagate after the SDK's retries.
 */
export async function natHealth(ec2: EC2Client, options: NatHealthOptions, targetId: string): Promise<NatHealth> {
  const snap = await readTopology(ec2, {
    region: options.region,
    vpcId: options.vpcId,
    natNamePattern: '*',
    natInstanceIds: options.natInstanceIds,
    expectedIps: options.expectedIps,
  });
  const analysis = analyzeTopology(snap, {
    mode: options.mode,
    natNamePattern: '*',
    expectedIps: options.expectedIps,
    expectQuiesced: false,
  });
  const nat = analysis.model.nats.find((n) => n.ids.includes(targetId));
  if (!nat) return { errors: [], calls: snap.calls };
  const errors = analysis.findings.filter(
    (f) => f.severity === 'error' && f.resource === nat.ref && (f.check === 'nat' || f.check === 'addresses'),
  );
  return { nat, errors, calls: snap.calls };
}
