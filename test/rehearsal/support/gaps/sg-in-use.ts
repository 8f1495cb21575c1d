/**
 * DeleteSecurityGroup while an interface still uses the group. moto 5.2.1 deletes it; EC2 answers HTTP 400
 * `DependencyViolation` ("resource sg-… has a dependent object"), and hashicorp/aws retries that for the group's
 * whole delete timeout (15 min; provider resourceSecurityGroupDelete), which is what a targeted route step of an
 * instance → gateway switch runs into while other AZs' NAT instances still use the group
 * (/work/notes/research-18.md §1). moto keeps a terminated instance's primary interface (DeleteOnTermination
 * false, still attached to the terminated instance); EC2 deletes it, so such interfaces do not count here.
 */
import type { Ec2Answer, Ec2Call, GapHost, GapModel } from './model';
import { attachmentOf, instanceStateOf } from './route-state';
import { itemsOf, tagOf } from './xml';

export const sgInUse: GapModel = {
  async answer(call: Ec2Call, host: GapHost): Promise<Ec2Answer | undefined> {
    if (call.action !== 'DeleteSecurityGroup') return undefined;
    const group = call.form.get('GroupId') ?? '';
    if (!group) return undefined;
    const xml = await host.moto(call.region, 'DescribeNetworkInterfaces', {
      'Filter.1.Name': 'group-id',
      'Filter.1.Value.1': group,
    });
    for (const eni of itemsOf(xml, 'networkInterfaceSet')) {
      const { instanceId } = attachmentOf(eni);
      if (instanceId) {
        const instance = await host.moto(call.region, 'DescribeInstances', {
          'Filter.1.Name': 'instance-id',
          'Filter.1.Value.1': instanceId,
        });
        const state = itemsOf(instance, 'instancesSet').map(instanceStateOf)[0] ?? 'terminated';
        if (state === 'terminated') continue;
      }
      if (tagOf(eni, 'networkInterfaceId'))
        return host.error(400, 'DependencyViolation', `resource ${group} has a dependent object`);
    }
    return undefined;
  },
};
