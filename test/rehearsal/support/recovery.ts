/**
 * The recovery rehearsal's harness (issue 19): an environment on the S3 backend (support/backend.ts), workflow runs
 * with their GitHub identity (the journal tells runs of one workflow and environment apart by it), the cutover
 * ended at a kill point the way a job ends (support/kill.ts), and the facts a recovered environment must show,
 * read from EC2 (moto, unproxied) and the state object.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { runAction, type ActionRun } from '../../../packages/shared/test/support/action-runner';
import {
  createStateStore,
  readLock,
  readState,
  stateIndex,
  useS3Backend,
  type LockKind,
  type S3State,
} from './backend';
import { endJob, isAlive, type Ending, type WayToEnd } from './kill';
import type { CallRecord } from './proxy';
import type { Environment, Rehearsal } from './rehearsal';

export type KillPoint = 'instances' | 'gateways' | 'import' | 'replan' | BridgedKillPoint;
/** Kill points of a bridged switch (issue 18: strategy auto, 2 AZs, AZ keys 0 and 1). */
export type BridgedKillPoint = 'bridged' | 'bridged-nat' | 'bridged-second';

export const isBridged = (p: KillPoint): p is BridgedKillPoint => p.startsWith('bridged');

/** What each kill point waits for (in the proxy log of the environment's calls, or the cutover's log). */
export const KILL_POINTS: Record<KillPoint, string> = {
  instances: 'NAT instances being created (RunInstances answered, the instances not yet running)',
  gateways: 'gateways deleting (0.3 s after the first DeleteNatGateway: the role and group being created)',
  import: "after the cutover's own AssociateAddress, during its terraform import (holding the state lock)",
  replan: 'during the re-plan after the import (holding the state lock)',
  bridged: "bridged: right after the first AZ's bridge ReplaceRoute was confirmed, before its NAT step",
  'bridged-nat':
    "bridged: during the first AZ's NAT step apply (terraform running, holding the state lock; its instance created)",
  'bridged-second':
    "bridged: the first AZ's route home, during the second AZ's NAT step apply (holding the lock; instance created)",
};

/** A kill point needs the Elastic IP race (the gateways still deleting when the instances want the addresses). */
export const NEEDS_RACE: Record<KillPoint, boolean> = {
  instances: false,
  gateways: false,
  import: true,
  replan: true,
  bridged: false,
  'bridged-nat': false,
  'bridged-second': false,
};

/** The AZ keys whose NAT step apply has started, in order (the cutover's log groups). */
function natApplies(stdout: string): string[] {
  return [...new Set([...stdout.matchAll(/::group::AZ (\S+) NAT: terraform apply/g)].map((m) => m[1] as string))];
}

export class RecoveryEnv {
  private runs = 0;

  constructor(
    readonly env: Environment,
    readonly state: S3State,
  ) {}

  static async create(r: Rehearsal, name: string, region: string, lock: LockKind): Promise<RecoveryEnv> {
    const env = r.environment(name, region);
    const state = await createStateStore(r, region, name, lock);
    await useS3Backend(env, state);
    return new RecoveryEnv(env, state);
  }

  get r(): Rehearsal {
    return this.env.rehearsal;
  }

  /** A new run of the workflow (its GitHub identity); the same environment input every time. */
  identity(): Record<string, string> {
    return {
      GITHUB_REPOSITORY: 'example/infra',
      GITHUB_WORKFLOW: 'infra',
      GITHUB_RUN_ID: String(1000 + ++this.runs),
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_JOB: 'apply',
    };
  }

  /** The cutover action (the bundle under Node 24) as a run of the workflow. */
  cutover(
    inputs: Record<string, string>,
    run: Record<string, string>,
    hooks: { onStart?: (pid: number) => void; onStdout?: (stdout: string) => void } = {},
  ): Promise<ActionRun> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...this.env.env(), ...run })) if (v !== undefined) env[k] = v;
    return runAction(
      'cutover',
      {
        terraform: this.r.tf.terraform,
        'working-directory': this.env.dir,
        region: this.env.region,
        environment: this.env.name,
        ...inputs,
      },
      {
        env,
        cwd: this.env.dir,
        timeoutMs: 480_000,
        ...(hooks.onStart ? { onStart: (_kill, pid) => hooks.onStart?.(pid) } : {}),
        ...(hooks.onStdout ? { onStdout: (s) => hooks.onStdout?.(s) } : {}),
      },
    );
  }

  calls(since: number, action?: string): CallRecord[] {
    return this.env.calls(action).filter((c) => c.start >= since);
  }

  lock() {
    return readLock(this.r, this.env.region, this.state);
  }

  async stateIndex() {
    return stateIndex(await readState(this.r, this.env.region, this.state));
  }

  /** EC2 through moto directly (not in the proxy's log). */
  ec2(action: string, params: Record<string, string> = {}): Promise<string> {
    return this.r.proxy.motoEc2(this.env.region, action, params);
  }
}

export interface Interrupted {
  run: ActionRun;
  /** When the cutover (its process) had ended, ms since the epoch. */
  endedAt: number;
  ending?: Ending;
  /** Signal → the cutover's process exit (ms). */
  exitMs?: number;
}

/** When the kill point is reached: polled every 100 ms against the proxy log and the cutover's log. */
function reached(point: KillPoint, e: RecoveryEnv, since: number, stdout: string): boolean {
  const ok = (c: CallRecord) => c.status === 200;
  switch (point) {
    case 'instances':
      return e.calls(since, 'RunInstances').some(ok);
    case 'gateways': {
      const first = e.calls(since, 'DeleteNatGateway').find(ok);
      return !!first && Date.now() - first.end >= 300;
    }
    case 'import':
      return /::group::terraform import module\.vpc\.aws_eip_association/.test(stdout);
    case 'replan':
      return /::group::terraform plan \(for apply/.test(stdout);
    case 'bridged':
      return /Bridged AZ \S+: \S+ .*: active and serving \(EC2\)\./.test(stdout);
    case 'bridged-nat':
      return natApplies(stdout).length >= 1 && e.calls(since, 'RunInstances').some(ok);
    case 'bridged-second':
      return natApplies(stdout).length >= 2 && e.calls(since, 'RunInstances').filter(ok).length >= 2;
  }
}

/**
 * Runs the cutover and ends it at `point` the given way. For the points inside a terraform command that takes the
 * state lock (import, re-plan), it ends once the lock is taken (or 3 s after the command started).
 */
export async function interruptAt(
  e: RecoveryEnv,
  point: KillPoint,
  way: WayToEnd,
  inputs: Record<string, string>,
): Promise<Interrupted> {
  const since = Date.now();
  let pid = 0;
  let stdout = '';
  let ending: Ending | undefined;
  let exitedAt = 0;
  let seenAt = 0;
  let polling = false;
  const timer = setInterval(() => {
    if (ending || pid === 0 || polling) return;
    if (!seenAt && reached(point, e, since, stdout)) seenAt = Date.now();
    if (!seenAt) return;
    polling = true;
    const locking = point !== 'instances' && point !== 'gateways' && point !== 'bridged';
    void (locking ? e.lock().catch(() => undefined) : Promise.resolve({ ID: 'n/a' })).then((lock) => {
      polling = false;
      if (ending || (!lock && Date.now() - seenAt < 3_000)) return;
      ending = endJob(pid, way, () => !isAlive(pid));
      const watch = setInterval(() => {
        if (isAlive(pid)) return;
        exitedAt = Date.now();
        clearInterval(watch);
      }, 20);
    });
  }, 100);
  const run = await e.cutover(inputs, e.identity(), {
    onStart: (p) => (pid = p),
    onStdout: (s) => (stdout = s),
  });
  clearInterval(timer);
  const endedAt = Date.now();
  const ended = ending as Ending | undefined;
  if (ended) await ended.done;
  return {
    run,
    endedAt,
    ...(ended ? { ending: ended } : {}),
    ...(ended && exitedAt ? { exitMs: exitedAt - ended.at } : {}),
  };
}

/** A person's `terraform apply` waiting at its approval prompt: it holds the state lock until `stop()`. */
export function holdLock(e: RecoveryEnv): { child: ChildProcess; stop: () => Promise<void> } {
  const child = spawn(e.r.tf.terraform, ['apply', '-input=true', '-no-color', '-lock-timeout=0s'], {
    cwd: e.env.dir,
    env: { ...e.env.env(), TF_IN_AUTOMATION: '' },
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  const closed = new Promise<void>((res) => child.once('close', () => res()));
  return {
    child,
    stop: async () => {
      child.kill('SIGINT');
      await closed;
    },
  };
}

const all = (xml: string, tag: string) =>
  [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((m) => m[1]);

/** Top-level <item> blocks of an EC2 response's set (simple: the sets read here nest no <item> of their own kind). */
function items(xml: string, set: string): string[] {
  const start = xml.indexOf(`<${set}>`);
  if (start < 0) return [];
  const body = xml.slice(start + set.length + 2, xml.lastIndexOf(`</${set}>`));
  const out: string[] = [];
  let depth = 0;
  let from = -1;
  for (const m of body.matchAll(/<(\/?)item>/g)) {
    if (m[1] === '') {
      if (depth++ === 0) from = (m.index ?? 0) + 6;
    } else if (--depth === 0) out.push(body.slice(from, m.index));
  }
  return out;
}

export interface EgressFacts {
  /** NAT instances (tag cabal-nat-*) pending or running, id → Name. */
  instances: Map<string, string>;
  /** NAT gateways of the VPC not deleted. */
  gateways: string[];
  /** Security groups named cabal-nat in the VPC. */
  groups: string[];
  /** allocation id → instance id it is associated with ('' = none). */
  addresses: Map<string, string>;
  /** route table id → the default route's target (network interface, instance or gateway id). */
  routes: Map<string, string>;
}

/** What EC2 shows for the environment's NAT path. */
export async function egressFacts(e: RecoveryEnv, vpcId: string, routeTables: readonly string[]): Promise<EgressFacts> {
  const inst = await e.ec2('DescribeInstances', {
    'Filter.1.Name': 'tag:Name',
    'Filter.1.Value.1': 'cabal-nat-*',
    'Filter.2.Name': 'instance-state-name',
    'Filter.2.Value.1': 'pending',
    'Filter.2.Value.2': 'running',
  });
  const instances = new Map<string, string>();
  for (const r of items(inst, 'reservationSet'))
    for (const i of items(r, 'instancesSet')) {
      const id = all(i, 'instanceId')[0] ?? '';
      const name = /<key>Name<\/key>\s*<value>([^<]*)<\/value>/.exec(i)?.[1] ?? '';
      if (id && name.startsWith('cabal-nat-')) instances.set(id, name);
    }
  const gw = await e.ec2('DescribeNatGateways', { 'Filter.1.Name': 'vpc-id', 'Filter.1.Value.1': vpcId });
  const gateways = items(gw, 'natGatewaySet')
    .filter((g) => !/<state>(deleted|failed)<\/state>/.test(g))
    .map((g) => all(g, 'natGatewayId')[0] ?? '');
  const sg = await e.ec2('DescribeSecurityGroups', {
    'Filter.1.Name': 'group-name',
    'Filter.1.Value.1': 'cabal-nat',
    'Filter.2.Name': 'vpc-id',
    'Filter.2.Value.1': vpcId,
  });
  const groups = items(sg, 'securityGroupInfo').map((g) => all(g, 'groupId')[0] ?? '');
  const addr = await e.ec2('DescribeAddresses', {});
  const addresses = new Map<string, string>();
  for (const a of items(addr, 'addressesSet'))
    addresses.set(all(a, 'allocationId')[0] ?? '', all(a, 'instanceId')[0] ?? '');
  const routes = new Map<string, string>();
  const rt = await e.ec2(
    'DescribeRouteTables',
    Object.fromEntries(routeTables.map((id, i) => [`RouteTableId.${i + 1}`, id])),
  );
  for (const t of items(rt, 'routeTableSet')) {
    const id = all(t, 'routeTableId')[0] ?? '';
    const def = items(t, 'routeSet').find((r) => r.includes('<destinationCidrBlock>0.0.0.0/0</destinationCidrBlock>'));
    routes.set(
      id,
      def ? (all(def, 'networkInterfaceId')[0] ?? all(def, 'natGatewayId')[0] ?? all(def, 'instanceId')[0] ?? '') : '',
    );
  }
  return { instances, gateways, groups, addresses, routes };
}
