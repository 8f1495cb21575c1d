/**
 * Synthetic `terraform apply -json` / `plan -json` streams for the Cabalmail VPC module. Message shapes follow the
 * real captures in ../shared/fixtures/real/ui-json (version, apply_start/progress/complete/errored, diagnostic,
 * change_summary, outputs); the provider error texts are the ones in DOMAIN.md "The cutover race". No public capture
 * of the race exists, so these are labelled synthetic.
 */
type Obj = Record<string, unknown>;
export const M = 'module.vpc';
export const BASE = Date.UTC(2026, 0, 1, 12, 0, 0);

export const RACE_MESSAGES = {
  'sdk-v2':
    'creating EC2 EIP Association: operation error EC2: AssociateAddress, https response error StatusCode: 400, RequestID: 6f3add99-57a2-47ae-931f-261856ba01d4, api error AuthFailure: You do not have permission to access the specified resource.',
  'sdk-v1':
    'creating EC2 EIP Association: AuthFailure: You do not have permission to access the specified resource.\n\tstatus code: 400, request id: 0b8a6c1e-1111-4b7e-9c55-3f1c2a7d9e10',
  'provider-v3':
    'Error associating EIP: AuthFailure: You do not have permission to access the specified resource.\n\tstatus code: 400, request id: 0b8a6c1e-2222-4b7e-9c55-3f1c2a7d9e10',
  aws_eip: (alloc: string) =>
    `associating EC2 EIP (${alloc}): operation error EC2: AssociateAddress, https response error StatusCode: 400, RequestID: 1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f, api error AuthFailure: You do not have permission to access the specified resource.`,
};

const iso = (t: number) => new Date(BASE + t * 1000).toISOString().replace('Z', '000Z');

function resource(addr: string): Obj {
  const m = /^(?:(.*)\.)?([a-z0-9_]+)\.([A-Za-z0-9_-]+)(?:\[(.+)\])?$/.exec(addr);
  const key = m?.[4];
  return {
    addr,
    module: m?.[1] ?? '',
    resource: addr.replace(/^(module\.[^.]+\.)+/, ''),
    implied_provider: 'aws',
    resource_type: m?.[2] ?? '',
    resource_name: m?.[3] ?? '',
    resource_key: key === undefined ? null : /^\d+$/.test(key) ? Number(key) : JSON.parse(key),
  };
}

const VERB: Record<string, [string, string, string]> = {
  create: ['Creating...', 'Still creating...', 'Creation complete'],
  delete: ['Destroying...', 'Still destroying...', 'Destruction complete'],
  update: ['Modifying...', 'Still modifying...', 'Modifications complete'],
};

export function version(t = 0, tf = '1.9.8'): Obj {
  return {
    '@level': 'info',
    '@message': `Terraform ${tf}`,
    '@module': 'terraform.ui',
    '@timestamp': iso(t),
    terraform: tf,
    type: 'version',
    ui: '1.2',
  };
}

export function hook(
  type: 'apply_start' | 'apply_progress' | 'apply_complete' | 'apply_errored',
  addr: string,
  action: string,
  t: number,
  extra: Obj = {},
): Obj {
  const v = VERB[action] ?? [action, action, action];
  const elapsed = extra.elapsed_seconds as number | undefined;
  const text =
    type === 'apply_start'
      ? v[0]
      : type === 'apply_progress'
        ? `${v[1]} [${elapsed}s elapsed]`
        : type === 'apply_complete'
          ? `${v[2]} after ${elapsed ?? 0}s`
          : `${action === 'create' ? 'Creation' : action === 'delete' ? 'Destruction' : 'Modifications'} errored after ${elapsed ?? 0}s`;
  return {
    '@level': type === 'apply_errored' ? 'error' : 'info',
    '@message': `${addr}: ${text}`,
    '@module': 'terraform.ui',
    '@timestamp': iso(t),
    hook: { resource: resource(addr), action, ...extra },
    type,
  };
}

export function diagnostic(summary: string, t: number, address?: string, severity = 'error', detail = ''): Obj {
  return {
    '@level': severity === 'error' ? 'error' : 'warn',
    '@message': `${severity === 'error' ? 'Error' : 'Warning'}: ${summary}`,
    '@module': 'terraform.ui',
    '@timestamp': iso(t),
    diagnostic: {
      severity,
      summary,
      detail,
      ...(address ? { address } : {}),
      range: {
        filename: 'modules/vpc/nat.tf',
        start: { line: 88, column: 1, byte: 0 },
        end: { line: 88, column: 40, byte: 39 },
      },
    },
    type: 'diagnostic',
  };
}

export function changeSummary(add: number, change: number, remove: number, t: number): Obj {
  return {
    '@level': 'info',
    '@message': `Apply complete! Resources: ${add} added, ${change} changed, ${remove} destroyed.`,
    '@module': 'terraform.ui',
    '@timestamp': iso(t),
    changes: { add, change, import: 0, remove, operation: 'apply' },
    type: 'change_summary',
  };
}

export function outputs(t: number): Obj {
  return {
    '@level': 'info',
    '@message': 'Outputs: 2',
    '@module': 'terraform.ui',
    '@timestamp': iso(t),
    outputs: {
      relay_ips: { sensitive: false, type: ['tuple', ['string', 'string']], value: ['203.0.113.10', '203.0.113.11'] },
      smtp_password: { sensitive: true, type: 'string', value: 'hunter2-very-secret' },
    },
    type: 'outputs',
  };
}

export function plannedChange(addr: string, action: string, t: number): Obj {
  return {
    '@level': 'info',
    '@message': `${addr}: Plan to ${action}`,
    '@module': 'terraform.ui',
    '@timestamp': iso(t),
    change: { resource: resource(addr), action },
    type: 'planned_change',
  };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const id = (prefix: string, i: number) => `${prefix}-0${i}1234567890abcde`;

/** Apply 1 of a gateway→instance switch: everything but the EIP associations succeeds. */
export function raceApply(azs = 2, form: keyof typeof RACE_MESSAGES = 'sdk-v2'): Obj[] {
  const lines: Obj[] = [version(0)];
  lines.push(
    hook('apply_start', `${M}.aws_iam_role.nat[0]`, 'create', 1),
    hook('apply_complete', `${M}.aws_iam_role.nat[0]`, 'create', 2, {
      elapsed_seconds: 1,
      id_key: 'id',
      id_value: 'cabal-nat',
    }),
  );
  for (const i of range(azs)) {
    lines.push(hook('apply_start', `${M}.aws_instance.nat[${i}]`, 'create', 3));
    lines.push(hook('apply_progress', `${M}.aws_instance.nat[${i}]`, 'create', 13, { elapsed_seconds: 10 }));
    lines.push(
      hook('apply_complete', `${M}.aws_instance.nat[${i}]`, 'create', 16, {
        elapsed_seconds: 13,
        id_key: 'id',
        id_value: id('i', i),
      }),
    );
  }
  for (const i of range(azs)) {
    lines.push(hook('apply_start', `${M}.aws_eip_association.nat[${i}]`, 'create', 16));
    lines.push(
      hook('apply_start', `${M}.aws_route.private[${i}]`, 'update', 16, {
        id_key: 'id',
        id_value: `r-rtb-0priv${i}1080289494`,
      }),
    );
    lines.push(hook('apply_errored', `${M}.aws_eip_association.nat[${i}]`, 'create', 17, { elapsed_seconds: 1 }));
    lines.push(
      hook('apply_complete', `${M}.aws_route.private[${i}]`, 'update', 17, {
        elapsed_seconds: 1,
        id_key: 'id',
        id_value: `r-rtb-0priv${i}1080289494`,
      }),
    );
    lines.push(
      hook('apply_start', `${M}.aws_nat_gateway.nat[${i}]`, 'delete', 18, {
        id_key: 'id',
        id_value: `nat-0${i}0f1e2d3c4b5a6978`,
      }),
    );
  }
  for (const i of range(azs)) {
    lines.push(hook('apply_progress', `${M}.aws_nat_gateway.nat[${i}]`, 'delete', 28, { elapsed_seconds: 10 }));
    lines.push(hook('apply_complete', `${M}.aws_nat_gateway.nat[${i}]`, 'delete', 62, { elapsed_seconds: 44 }));
  }
  for (const i of range(azs)) {
    const msg = form === 'aws_eip' ? RACE_MESSAGES.aws_eip(`eipalloc-0${i}a1b2c3d4e5f6a7b8`) : RACE_MESSAGES[form];
    lines.push(
      diagnostic(msg, 62, form === 'aws_eip' ? `${M}.aws_eip.nat_eip[${i}]` : `${M}.aws_eip_association.nat[${i}]`),
    );
  }
  return lines;
}

/**
 * Apply 1 as terraform really runs it: each association's AuthFailure diagnostic arrives as it fails, then
 * terraform keeps waiting for the NAT gateway deletions — until the test creates `resumeFile` — and exits 1.
 */
export function raceApplyInStream(
  azs = 2,
  resumeFile = 'resume',
  form: keyof typeof RACE_MESSAGES = 'sdk-v2',
): Array<Obj> {
  const lines: Obj[] = [version(0)];
  for (const i of range(azs)) {
    lines.push(hook('apply_start', `${M}.aws_instance.nat[${i}]`, 'create', 3));
    lines.push(
      hook('apply_complete', `${M}.aws_instance.nat[${i}]`, 'create', 16, {
        elapsed_seconds: 13,
        id_key: 'id',
        id_value: id('i', i),
      }),
    );
    lines.push(hook('apply_start', `${M}.aws_route.private[${i}]`, 'update', 16));
    lines.push(hook('apply_complete', `${M}.aws_route.private[${i}]`, 'update', 17, { elapsed_seconds: 1 }));
    lines.push(
      hook('apply_start', `${M}.aws_nat_gateway.nat[${i}]`, 'delete', 18, {
        id_key: 'id',
        id_value: `nat-0${i}0f1e2d3c4b5a6978`,
      }),
    );
  }
  for (const i of range(azs)) {
    const address = form === 'aws_eip' ? `${M}.aws_eip.nat_eip[${i}]` : `${M}.aws_eip_association.nat[${i}]`;
    lines.push(hook('apply_start', address, form === 'aws_eip' ? 'update' : 'create', 16));
    lines.push(hook('apply_errored', address, form === 'aws_eip' ? 'update' : 'create', 17, { elapsed_seconds: 1 }));
    const msg = form === 'aws_eip' ? RACE_MESSAGES.aws_eip(`eipalloc-0${i}a1b2c3d4e5f6a7b8`) : RACE_MESSAGES[form];
    lines.push(diagnostic(msg, 17, address));
  }
  lines.push({ __pauseUntil: resumeFile });
  for (const i of range(azs))
    lines.push(hook('apply_complete', `${M}.aws_nat_gateway.nat[${i}]`, 'delete', 62, { elapsed_seconds: 44 }));
  return lines;
}

/** The converging apply: only the associations are left. `start` is seconds after BASE. */
export function associationApply(azs = 2, start = 180): Obj[] {
  const lines: Obj[] = [version(start)];
  for (const i of range(azs)) {
    lines.push(hook('apply_start', `${M}.aws_eip_association.nat[${i}]`, 'create', start + 1));
    lines.push(
      hook('apply_complete', `${M}.aws_eip_association.nat[${i}]`, 'create', start + 2 + i, {
        elapsed_seconds: 1 + i,
        id_key: 'id',
        id_value: `eipassoc-0${i}feedface1234`,
      }),
    );
  }
  lines.push(changeSummary(azs, 0, 0, start + 3 + azs), outputs(start + 3 + azs));
  return lines;
}

export function replanStream(azs = 2, start = 120, extra: Array<[string, string]> = []): Obj[] {
  return [
    version(start),
    ...range(azs).map((i) => plannedChange(`${M}.aws_eip_association.nat[${i}]`, 'create', start + 5)),
    ...extra.map(([addr, action]) => plannedChange(addr, action, start + 5)),
    {
      '@level': 'info',
      '@message': `Plan: ${azs + extra.length} to add, 0 to change, 0 to destroy.`,
      '@module': 'terraform.ui',
      '@timestamp': iso(start + 5),
      changes: { add: azs, change: 0, import: 0, remove: 0, operation: 'plan' },
      type: 'change_summary',
    },
  ];
}

/** An ordinary, successful apply (application resources only). */
export function ordinaryApply(): Obj[] {
  return [
    version(0),
    hook('apply_start', 'module.app.aws_ecs_service.tier[0]', 'update', 1, { id_key: 'id', id_value: 'tier-0' }),
    hook('apply_complete', 'module.app.aws_ecs_service.tier[0]', 'update', 3, {
      elapsed_seconds: 2,
      id_key: 'id',
      id_value: 'tier-0',
    }),
    changeSummary(0, 1, 0, 4),
    outputs(4),
  ];
}
