/**
 * The rehearsal harness: one moto behind one fault-injection proxy, one terraform provider install, and an
 * environment per scenario (its own AWS region in moto, its own working directory and state), driven through
 * the bundled actions (dist/index.js under Node 24, as the runner runs them) and real terraform.
 *
 * `startRehearsal` says why it cannot run (`skip`) instead of throwing when terraform, the provider or moto is
 * missing; under CI=true the caller turns that into a failure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAction, type ActionRun } from '../../../packages/shared/test/support/action-runner';
import { EgressWatch } from './dataplane-watch';
import { findMotoServer, startMoto, type Moto } from './moto';
import { FaultProxy, type CallRecord, type EventRecord, type LogRecord, type ProxyOptions } from './proxy';
import { exec, findTerraform, initTemplate, workspace, writeVars, type Exec, type TerraformSetup } from './terraform';

export interface RehearsalOptions extends Omit<ProxyOptions, 'upstream'> {
  /** Keep the temporary folder (state, plans, proxy log) for inspection. */
  keep?: boolean;
}

export class Rehearsal {
  private constructor(
    readonly root: string,
    readonly moto: Moto,
    readonly proxy: FaultProxy,
    readonly tf: TerraformSetup,
    private readonly keep: boolean,
  ) {}

  /** Starts moto, the proxy and the template `terraform init`; or says why the rehearsal cannot run here. */
  static async start(options: RehearsalOptions = {}): Promise<Rehearsal | { skip: string }> {
    const terraform = findTerraform();
    if (!terraform) return { skip: 'terraform not found on PATH (or TERRAFORM)' };
    const motoServer = findMotoServer();
    if (!motoServer)
      return { skip: 'moto_server not found (run scripts/setup.sh: it installs requirements-dev.txt into .venv)' };
    const root = mkdtempSync(join(tmpdir(), 'nat-rehearsal-'));
    const moto = await startMoto(motoServer);
    const proxy = new FaultProxy({ upstream: moto.url, logFile: join(root, 'proxy-log.jsonl'), ...options });
    try {
      await proxy.start();
      const tf = await initTemplate(terraform, root, baseEnv());
      return new Rehearsal(root, moto, proxy, tf, options.keep ?? false);
    } catch (err) {
      await proxy.stop();
      await moto.stop();
      const message = err instanceof Error ? err.message : String(err);
      if (/provider|registry|init failed/i.test(message)) return { skip: message };
      throw err;
    }
  }

  /** The AWS settings every terraform and action process gets: the proxy as endpoint, moto's fake credentials. */
  awsEnv(region: string): Record<string, string> {
    return {
      AWS_ENDPOINT_URL: this.proxy.url,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_EC2_METADATA_DISABLED: 'true',
      TF_CLI_CONFIG_FILE: String(this.tf.env.TF_CLI_CONFIG_FILE),
      ...(this.tf.env.TF_PLUGIN_CACHE_DIR ? { TF_PLUGIN_CACHE_DIR: String(this.tf.env.TF_PLUGIN_CACHE_DIR) } : {}),
      CHECKPOINT_DISABLE: '1',
    };
  }

  environment(name: string, region: string): Environment {
    return new Environment(this, name, region, workspace(this.tf, this.root, name));
  }

  async stop(): Promise<void> {
    await this.proxy.stop();
    await this.moto.stop();
    if (!this.keep) rmSync(this.root, { recursive: true, force: true });
  }
}

function baseEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir() };
}

export type Vars = Record<string, string | number | boolean | number[]>;

/** One environment (the reference root module in its own region and working directory). */
export class Environment {
  /** Plans written so far (for their names). */
  private plans = 0;

  constructor(
    readonly rehearsal: Rehearsal,
    readonly name: string,
    readonly region: string,
    readonly dir: string,
  ) {}

  env(): NodeJS.ProcessEnv {
    return { ...this.rehearsal.tf.env, ...this.rehearsal.awsEnv(this.region) };
  }

  /** Runs terraform in this environment. */
  terraform(args: string[], timeoutMs = 300_000): Promise<Exec> {
    return exec(this.rehearsal.tf.terraform, args, { cwd: this.dir, env: this.env(), timeoutMs });
  }

  /**
   * Writes terraform.tfvars (the re-plans of cutover read it too) and saves a plan; returns its file name. `extra`:
   * more plan arguments (e.g. `-replace=…`).
   */
  async plan(vars: Vars, extra: string[] = []): Promise<{ planfile: string; run: Exec }> {
    writeVars(this.dir, {
      region: this.region,
      environment: this.name,
      control_domain: `${this.name}.example.com`,
      ...vars,
    });
    const planfile = `plan-${++this.plans}.tfplan`;
    const run = await this.terraform([
      'plan',
      '-input=false',
      '-no-color',
      '-lock-timeout=0s',
      ...extra,
      `-out=${planfile}`,
    ]);
    if (run.code !== 0) throw new Error(`terraform plan failed (${run.code}): ${lastLines(run.stderr || run.stdout)}`);
    return { planfile, run };
  }

  /** `terraform show -json` of a saved plan, parsed. */
  async show(planfile: string): Promise<Record<string, unknown>> {
    const run = await this.terraform(['show', '-json', planfile]);
    if (run.code !== 0) throw new Error(`terraform show failed (${run.code}): ${lastLines(run.stderr)}`);
    return JSON.parse(run.stdout) as Record<string, unknown>;
  }

  async outputs(): Promise<{ relayIps: string[]; vpcId: string; allocationIds: string[]; routeTableIds: string[] }> {
    const run = await this.terraform(['output', '-json']);
    if (run.code !== 0) throw new Error(`terraform output failed: ${lastLines(run.stderr)}`);
    const o = JSON.parse(run.stdout) as Record<string, { value: unknown }>;
    return {
      relayIps: o.relay_ips?.value as string[],
      vpcId: o.vpc_id?.value as string,
      allocationIds: o.eip_allocation_ids?.value as string[],
      routeTableIds: o.private_route_table_ids?.value as string[],
    };
  }

  /** Runs a bundled action in this environment (cwd = the working directory). */
  action(
    name: string,
    inputs: Record<string, string>,
    options: { timeoutMs?: number; onStdout?: (s: string, kill: (sig: NodeJS.Signals) => void) => void } = {},
  ): Promise<ActionRun> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.env())) if (v !== undefined) env[k] = v;
    return runAction(name, inputs, {
      env,
      cwd: this.dir,
      timeoutMs: options.timeoutMs ?? 300_000,
      ...(options.onStdout ? { onStdout: options.onStdout } : {}),
    });
  }

  /** plan-guard on a saved plan (it runs `terraform show -json` itself); no GitHub comment. */
  planGuard(planfile: string, inputs: Record<string, string> = {}): Promise<ActionRun> {
    return this.action('plan-guard', {
      planfile,
      terraform: this.rehearsal.tf.terraform,
      'working-directory': this.dir,
      comment: 'never',
      'fail-on': 'none',
      environment: this.name,
      ...inputs,
    });
  }

  cutover(
    planfile: string,
    inputs: Record<string, string> = {},
    options: { onStdout?: (s: string, kill: (sig: NodeJS.Signals) => void) => void; timeoutMs?: number } = {},
  ): Promise<ActionRun> {
    return this.action(
      'cutover',
      {
        planfile,
        terraform: this.rehearsal.tf.terraform,
        'working-directory': this.dir,
        region: this.region,
        ...inputs,
      },
      options,
    );
  }

  async verifyEgress(inputs: Record<string, string> = {}): Promise<ActionRun> {
    const { vpcId, relayIps } = await this.outputs();
    return this.action('verify-egress', {
      'vpc-id': vpcId,
      region: this.region,
      'expected-ips': JSON.stringify(relayIps),
      probe: 'off',
      ...inputs,
    });
  }

  /** Registers an AMI in moto the way Image Builder's distribution leaves it: named, and tagged only when tested. */
  async registerNatAmi(buildDate: string, tagged = true): Promise<string> {
    const proxy = this.rehearsal.proxy;
    const xml = await proxy.motoEc2(this.region, 'RegisterImage', {
      Name: `cabal-nat-al2023-${buildDate}`,
      Description: 'NAT AMI (rehearsal)',
    });
    const id = /<imageId>([^<]+)<\/imageId>/.exec(xml)?.[1];
    if (!id) throw new Error(`RegisterImage returned no image id: ${xml.slice(0, 200)}`);
    if (tagged) {
      await proxy.motoEc2(this.region, 'CreateTags', {
        'ResourceId.1': id,
        'Tag.1.Key': 'Role',
        'Tag.1.Value': 'cabal-nat',
        'Tag.2.Key': 'Name',
        'Tag.2.Value': 'cabal-nat-al2023',
      });
    }
    return id;
  }

  /**
   * Starts watching the private subnets' egress (support/dataplane-watch.ts): the VPC, private route tables and
   * allow-listed Elastic IPs from terraform's outputs (they stay through every switch).
   */
  async watchEgress(tickMs?: number): Promise<EgressWatch> {
    const { vpcId, relayIps, routeTableIds } = await this.outputs();
    return EgressWatch.start(this.rehearsal.proxy, {
      region: this.region,
      vpcId,
      routeTableIds,
      allowedIps: relayIps,
      ...(tickMs !== undefined ? { tickMs } : {}),
    });
  }

  /** This environment's calls in the proxy log. */
  calls(action?: string): CallRecord[] {
    return this.rehearsal.proxy.calls({ region: this.region, ...(action ? { action } : {}) });
  }
}

export function lastLines(text: string, n = 4): string {
  return text
    .trim()
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(-n)
    .join(' | ');
}

export interface AzGap {
  az: number;
  /** Private route re-pointed (ReplaceRoute answered 200), ms since the epoch. */
  routeAt?: number;
  /** The AZ's NAT gateway started deleting (it stops forwarding then), ms since the epoch. */
  deletingAt?: number;
  /** The proxy released the address (the gateway's deletion finished). */
  releasedAt?: number;
  /** AssociateAddress for the AZ's allocation answered 200. */
  associatedAt?: number;
  /** routeAt → associatedAt, seconds. */
  gapSeconds?: number;
  /** deletingAt → associatedAt, seconds: egress lost from the gateway's deletion until the address is back. */
  gapFromDeletionSeconds?: number;
  /** releasedAt → associatedAt, seconds. */
  releaseToAssociationSeconds?: number;
  /** AssociateAddress answered AuthFailure this many times. */
  authFailures: number;
}

/** The egress gap per AZ from the proxy log, for the calls at or after `since`. */
export function egressGaps(
  log: readonly LogRecord[],
  region: string,
  routeTableIds: readonly string[],
  allocationIds: readonly string[],
  since = 0,
): AzGap[] {
  const calls = log.filter((r): r is CallRecord => r.kind === 'call' && r.region === region && r.start >= since);
  return routeTableIds.map((rt, az) => {
    const allocation = allocationIds[az] ?? '';
    const routeAt = calls.find(
      (c) =>
        (c.action === 'ReplaceRoute' || c.action === 'CreateRoute') && c.params.RouteTableId === rt && c.status === 200,
    )?.end;
    const associations = calls.filter((c) => c.action === 'AssociateAddress' && c.params.AllocationId === allocation);
    const associatedAt = associations.find((c) => c.status === 200)?.end;
    const event = (name: EventRecord['event']) => {
      const e = log.find(
        (r) =>
          r.kind === 'event' &&
          r.region === region &&
          r.event === name &&
          r.t >= since &&
          r.allocationIds.includes(allocation),
      );
      return e?.kind === 'event' ? e.t : undefined;
    };
    const released = event('address-released');
    const deletingAt = event('nat-deleting');
    const gap: AzGap = { az, authFailures: associations.filter((c) => c.error === 'AuthFailure').length };
    if (routeAt !== undefined) gap.routeAt = routeAt;
    if (released !== undefined) gap.releasedAt = released;
    if (deletingAt !== undefined) gap.deletingAt = deletingAt;
    if (deletingAt !== undefined && associatedAt !== undefined)
      gap.gapFromDeletionSeconds = round1((associatedAt - deletingAt) / 1000);
    if (associatedAt !== undefined) gap.associatedAt = associatedAt;
    if (routeAt !== undefined && associatedAt !== undefined) gap.gapSeconds = round1((associatedAt - routeAt) / 1000);
    if (released !== undefined && associatedAt !== undefined)
      gap.releaseToAssociationSeconds = round1((associatedAt - released) / 1000);
    return gap;
  });
}

export function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
