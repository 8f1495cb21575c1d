/**
 * A cutover run for the bridged switch's unit tests: the in-memory EC2 (switch-world.ts), a VirtualClock, the log
 * lines, an in-memory journal (or one that records the order of its writes beside the EC2 calls), and a
 * TerraformDriver double (every `terraform plan` fails with the diagnostic given, so a switch stops right after
 * its first bridge) — and a BridgePlan of N AZs in the shape nat/bridge.ts computes (a gateway → instance switch).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../../src/runtime/index';
import type { BridgeAz, BridgePlan } from '../../src/nat/index';
import type { CutoverJournal, JournalIntent } from '../../src/cutover/journal-types';
import { CutoverRun, type CutoverOptions } from '../../src/cutover/run';
import type { TerraformDriver } from '../../src/terraform/index';
import { readServing } from '../../src/nat/read';
import { servingView } from '../../src/nat/index';
import { Switch } from '../../src/cutover/switch';
import { SwitchWorld, VPC, type WorldCall } from './switch-world';

export const rt = (i: number) => `rtb-0${i}private000000`;
export const gw = (i: number) => `nat-0${i}0f1e2d3c4b5a69`;
export const alloc = (i: number) => `eipalloc-0${i}a1b2c3d4e5f6a`;
export const ip = (i: number) => `203.0.113.${10 + i}`;
export const inst = (i: number) => `i-0new${i}00000000000`;
export const eni = (i: number) => `eni-0new${i}0000000000`;

/** A gateway → instance BridgePlan of `n` AZs (keys "0", "1", …), every AZ changed. */
export function bridgePlanOf(n: number): BridgePlan {
  const azs: BridgeAz[] = Array.from({ length: n }, (_, i) => ({
    key: String(i),
    route: `module.vpc.aws_route.private[${i}]`,
    routeTableId: rt(i),
    routeChanges: true,
    natPath: [`module.vpc.aws_nat_gateway.nat[${i}]`, `module.vpc.aws_instance.nat[${i}]`],
    replace: [],
    natAddresses: [`module.vpc.aws_nat_gateway.nat[${i}]`, `module.vpc.aws_instance.nat[${i}]`],
    afterMode: 'instance',
    afterInstanceType: 't3.micro',
    allocationIds: [alloc(i)],
    beforeIds: [gw(i)],
    beforeInstanceIds: [],
  }));
  return {
    applies: true,
    azKeys: azs.map((a) => a.key),
    allAzs: azs,
    eipAllocationIds: azs.map((_, i) => alloc(i)),
    azs,
    supportingFirst: [],
    supportingLast: [],
    routeByEc2: false,
    modeSwitch: 'gateway-to-instance',
    takesNatAway: true,
    natComesBack: true,
    handover: true,
  };
}

/** A world of `n` AZs, each route at its own available gateway with the AZ's Elastic IP. */
export function worldOf(n: number, clock = new VirtualClock()): SwitchWorld {
  const w = new SwitchWorld(clock);
  for (let i = 0; i < n; i++) {
    w.gateway(gw(i), alloc(i), ip(i));
    w.route(rt(i), gw(i));
  }
  return w;
}

/** The order of journal writes and EC2 calls, one list. */
export type Event =
  { kind: 'intend'; intent: JournalIntent } | { kind: 'done'; facts: Record<string, string> } | WorldCall;

/** A journal that records its writes into `events` (and can be made to fail). */
export class OrderJournal implements CutoverJournal {
  failing?: string;
  private n = 0;
  constructor(readonly events: Event[]) {}
  intend(intent: JournalIntent): Promise<string> {
    if (this.failing) return Promise.reject(new Error(this.failing));
    this.events.push({ kind: 'intend', intent });
    return Promise.resolve(String(++this.n));
  }
  done(_id: string, facts: Record<string, string> = {}): Promise<void> {
    this.events.push({ kind: 'done', facts });
    return Promise.resolve();
  }
}

/** A terraform double: `plan` fails with `summary`; nothing else is expected to run. */
export function failingTerraform(summary: string): TerraformDriver & { runs: string[][] } {
  const runs: string[][] = [];
  return {
    runs,
    show: () => Promise.reject(new Error('show is not expected in these tests')),
    run: (args, onLine) => {
      runs.push(args);
      const diagnostic = { severity: 'error', summary, detail: '' };
      onLine(
        JSON.stringify({ '@level': 'error', '@message': `Error: ${summary}`, type: 'diagnostic', diagnostic }),
        'stdout',
      );
      return Promise.resolve({ exitCode: 1, signal: null, interrupted: false, escalated: [] });
    },
  };
}

export interface SwitchRun {
  run: CutoverRun;
  world: SwitchWorld;
  clock: VirtualClock;
  lines: { level: string; text: string }[];
  text: () => string;
  events: Event[];
  journal: OrderJournal;
}

/** A CutoverRun on `world` with its clock; the journal records into `events`, with the world's calls. */
export function switchRun(
  world: SwitchWorld,
  extra: Partial<CutoverOptions> = {},
  deps: { terraform?: TerraformDriver; signal?: AbortSignal } = {},
): SwitchRun {
  const lines: { level: string; text: string }[] = [];
  const events: Event[] = world.calls as Event[];
  const journal = new OrderJournal(events);
  const dir = mkdtempSync(join(tmpdir(), 'switch-test-'));
  const options: CutoverOptions = {
    workingDirectory: dir,
    planfile: 'tfplan',
    applyArgs: [],
    maxApplies: 3,
    releaseTimeoutMs: 30 * 60_000,
    amiCheck: 'off',
    ami: { namePattern: 'cabal-nat-*', requiredTags: [] },
    ...extra,
  };
  const run = new CutoverRun(options, {
    terraform: deps.terraform ?? failingTerraform('terraform is not expected here'),
    ec2: () => world.ec2,
    clock: world.clock,
    out: {
      line: (l) => lines.push(l),
      startGroup: () => undefined,
      endGroup: () => undefined,
      secret: () => undefined,
    },
    tempDir: dir,
    journal,
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
  return { run, world, clock: world.clock, lines, text: () => lines.map((l) => l.text).join('\n'), events, journal };
}

/** The Switch of `plan` on `world`, its first view read as the strategy decision reads it. */
export async function switchOf(world: SwitchWorld, plan: BridgePlan, r = switchRun(world)) {
  const d = await readServing(world.ec2, {
    vpcId: VPC,
    routeTableIds: plan.allAzs.map((a) => a.routeTableId as string),
    instanceIds: plan.allAzs.flatMap((a) => a.beforeInstanceIds),
    allocationIds: plan.eipAllocationIds,
  });
  return { ...r, sw: new Switch(r.run, plan, VPC, servingView(d)) };
}
