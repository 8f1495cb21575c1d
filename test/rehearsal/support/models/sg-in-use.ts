/**
 * DeleteSecurityGroup as EC2 answers it while a network interface still uses the group: 400 DependencyViolation
 * "resource sg-… has a dependent object" (the provider retries it for the group's whole delete timeout, 15 min:
 * research-18 §1). moto deletes the group anyway. moto also keeps a terminated instance's primary interface
 * (DeleteOnTermination false) where EC2 deletes it: such interfaces are not counted.
 */
import type { ModelContext, ProxyModel, Upstream } from '../proxy';
import { allItems, items, tag } from './xml';

export class SecurityGroupInUseModel implements ProxyModel {
  refused = 0;

  async handle(
    ctx: ModelContext,
    region: string,
    action: string,
    form: URLSearchParams,
  ): Promise<Upstream | undefined> {
    if (action !== 'DeleteSecurityGroup') return undefined;
    const group = form.get('GroupId') ?? '';
    if (!group) return undefined;
    const enis = await ctx.motoEc2(region, 'DescribeNetworkInterfaces', {
      'Filter.1.Name': 'group-id',
      'Filter.1.Value.1': group,
    });
    for (const eni of items(enis, 'networkInterfaceSet')) {
      const instance = tag(eni, 'instanceId');
      if (instance) {
        const d = await ctx.motoEc2(region, 'DescribeInstances', { 'InstanceId.1': instance }).catch(() => '');
        const terminated = allItems(d, 'instancesSet').some((i) => /<name>terminated<\/name>/.test(i));
        if (terminated) continue;
      }
      this.refused++;
      return ctx.error('ec2', 400, 'DependencyViolation', `resource ${group} has a dependent object`);
    }
    return undefined;
  }
}
