/**
 * Writes a large, realistic plan to disk without holding it in memory: resource_changes for many ECS
 * services, IAM policies and security group rules (with sizeable before/after values), a few NAT
 * changes, plus prior_state and configuration sections as real plans have.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { cabal } from './plans';

function appChange(i: number): object {
  const policy = JSON.stringify({
    Version: '2012-10-17',
    Statement: Array.from({ length: 2 }, (_, s) => ({
      Effect: 'Allow',
      Action: [`s3:GetObject`, `s3:PutObject`, `logs:PutLogEvents`],
      Resource: `arn:aws:s3:::bucket-${i}-${s}/*`,
    })),
  });
  const before = {
    name: `svc-${i}`,
    cluster: 'arn:aws:ecs:us-east-1:123456789012:cluster/cabal',
    desired_count: 2,
    task_definition: `arn:aws:ecs:us-east-1:123456789012:task-definition/svc-${i}:41`,
    network_configuration: [
      { subnets: ['subnet-0a', 'subnet-0b', 'subnet-0c'], security_groups: [`sg-0${i}`], assign_public_ip: false },
    ],
    policy,
    tags: { Name: `svc-${i}`, Environment: 'prod', Team: 'mail' },
  };
  const after = {
    ...before,
    desired_count: 3,
    task_definition: `arn:aws:ecs:us-east-1:123456789012:task-definition/svc-${i}:42`,
  };
  return {
    address: `module.app_${i % 50}.aws_ecs_service.svc[${i}]`,
    module_address: `module.app_${i % 50}`,
    mode: 'managed',
    type: 'aws_ecs_service',
    name: 'svc',
    index: i,
    provider_name: 'registry.terraform.io/hashicorp/aws',
    change: { actions: ['update'], before, after, after_unknown: {}, before_sensitive: {}, after_sensitive: {} },
  };
}

/** Writes the plan; returns its size in bytes. */
export async function writeBigPlan(path: string, changes: number): Promise<number> {
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  let bytes = 0;
  const write = async (s: string) => {
    bytes += Buffer.byteLength(s);
    if (!out.write(s)) await once(out, 'drain');
  };
  await write(
    '{"format_version":"1.2","terraform_version":"1.9.8","planned_values":{"root_module":{"resources":[]}},"resource_changes":[',
  );
  const nat = [
    cabal.instance(0, ['delete', 'create'], { amiAfter: 'ami-0new' }),
    cabal.association(0, ['delete', 'create']),
    cabal.route(0, ['update'], 'instance', 'instance'),
  ];
  for (let i = 0; i < changes; i++) {
    const rc = i < nat.length ? nat[i] : appChange(i);
    await write(`${i ? ',' : ''}${JSON.stringify(rc)}`);
  }
  await write('],"prior_state":{"format_version":"1.0","values":{"root_module":{"resources":[');
  for (let i = 0; i < changes / 4; i++) {
    const rc = appChange(i) as { change: { before: object }; address: string };
    await write(
      `${i ? ',' : ''}${JSON.stringify({ address: rc.address, mode: 'managed', type: 'aws_ecs_service', values: rc.change.before })}`,
    );
  }
  await write(
    ']}}},"configuration":{"root_module":{}},"timestamp":"2026-11-20T10:00:00Z","applyable":true,"complete":true,"errored":false}\n',
  );
  out.end();
  await once(out, 'finish');
  return bytes;
}
