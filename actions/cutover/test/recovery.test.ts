/**
 * Issue 19 in the engine (fake terraform, simulated EC2, virtual clock): what the next run does after a cancelled or
 * killed one — the state lock (an earlier run's is force-unlocked, any other stops the run at once), objects an
 * interrupted apply left outside the state (imported and re-planned, or reported with the exact commands), a
 * saved plan that went stale (its own outcome), an errored.tfstate (never applied over), operation recover, and
 * the write-ahead journal of the cutover's own AssociateAddress.
 */
import { describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import {
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  EC2Client,
  ReplaceRouteCommand,
} from '../../../packages/shared/src/cutover/clients';
import type { ResourceChange } from '@nat-egress/shared/plan';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock, VirtualClock } from '@nat-egress/shared/runtime';
import { runCutover, runRecover } from '@nat-egress/shared/cutover';
import { Journal, memoryStore } from '../../../packages/shared/src/cutover/journal';
import type { RunIdentity } from '../../../packages/shared/src/cutover/journal-types';
import type { LockInfo, LockReader } from '../../../packages/shared/src/cutover/lock';
import { associateAddress } from '../../../packages/shared/src/cutover/restore';
import { cabal, planJson, scenarios } from '../../../packages/shared/test/support/plans';
import { deps, options, simulateEc2, workspace, type Call } from './support/harness';
import { diagnostic, ordinaryApply, version } from './support/streams';

const kinds = (calls: Call[]) => calls.map((c) => c.argv[0]);
const M = 'module.vpc';

function identity(over: Partial<RunIdentity> = {}): RunIdentity {
  return {
    repository: 'o/infra',
    workflow: 'infra',
    environment: 'prod',
    runId: '100',
    attempt: '1',
    job: 'apply',
    host: 'runner-a',
    who: 'runner@runner-a',
    pid: 999_999,
    started: '2026-01-01T11:00:00.000Z',
    ...over,
  };
}

const LOCK: LockInfo = {
  ID: 'a609e175-94ee-b9d9-3a0d-b44dafef56b6',
  Operation: 'OperationTypeApply',
  Info: '',
  Who: 'runner@runner-a',
  Version: '1.11.4',
  Created: '2026-01-01T11:00:01.300298744Z',
  Path: 'tfstate/env/terraform.tfstate',
};

/** This run's journal, over a store where an earlier run (run 100 of the same workflow) recorded `fill`. */
async function journalAfter(clock: VirtualClock, fill: (earlier: Journal) => Promise<void>): Promise<Journal> {
  const store = memoryStore();
  await fill(await Journal.open(store, identity(), { clock }));
  const journal = await Journal.open(store, identity({ runId: '101', host: 'runner-b', who: 'runner@runner-b' }), {
    clock,
  });
  // a store that is not "(memory)" stands for the one beside the state
  Object.defineProperty(journal.store, 'location', {
    value: 's3://tfstate/env/terraform.tfstate.nat-egress-journal.json',
  });
  Object.defineProperty(journal.store, 'durable', { value: true });
  return journal;
}

const killedDuringApply = async (e: Journal) => {
  await e.intend({ kind: 'terraform', command: 'apply', detail: 'terraform apply (1 of at most 3)' });
  await e.intend({
    kind: 'lock',
    id: LOCK.ID,
    who: LOCK.Who,
    created: LOCK.Created,
    operation: LOCK.Operation,
    path: LOCK.Path,
  });
};

/** The lock as terraform keeps it: there until `terraform force-unlock` ran in the workspace. */
function lockUntilUnlocked(calls: () => Call[], lock: LockInfo | undefined = LOCK): LockReader & { reads: number } {
  const r = {
    location: 's3://tfstate/env/terraform.tfstate.tflock',
    reads: 0,
    read: async () => {
      r.reads++;
      return calls().some((c) => c.argv[0] === 'force-unlock') ? undefined : lock;
    },
  };
  return r;
}

describe('the state lock, before planning and applying', () => {
  it("an earlier run's lock (the journal names its ID) is released with terraform force-unlock, then the plan applies", async () => {
    const clock = new VirtualClock();
    const ws = workspace({
      plans: { reviewed: planJson(scenarios.unrelatedOnly()) },
      apply: [{ lines: ordinaryApply(), exit: 0 }],
    });
    const h = deps(ws.dir, { clock });
    h.deps.journal = await journalAfter(clock, killedDuringApply);
    h.deps.stateLock = lockUntilUnlocked(() => ws.calls());
    const r = await runCutover(options(ws.dir), h.deps);
    expect(r.result).toBe('applied');
    expect(ws.calls().map((c) => c.argv)).toEqual([
      ['force-unlock', '-force', LOCK.ID],
      ['show', '-json', '-no-color', join(ws.dir, 'tfplan')],
      ['state', 'list'], // the look-up for objects outside the state: the plan is not stale
      ['apply', '-json', '-input=false', join(ws.dir, 'tfplan')],
    ]);
    expect(r.recovery?.lock).toEqual({
      id: LOCK.ID,
      who: LOCK.Who,
      created: LOCK.Created,
      operation: LOCK.Operation,
      released: true,
    });
    expect(h.text()).toContain(`Released the state lock ${LOCK.ID} left by run 100 attempt 1 (job apply)`);
    expect(r.timeline.steps[0]).toMatchObject({ step: 'recover', outcome: 'reconciled' });
    // the earlier run is marked reconciled once this one applied
    expect((h.deps.journal as Journal).earlier[0]?.reconciled?.by).toBe('101.1');
  });

  it('any other lock is never touched: the run stops at once, naming who holds it since when, and the command', async () => {
    const clock = new VirtualClock();
    const ws = workspace({ plans: { reviewed: planJson(scenarios.unrelatedOnly()) } });
    const h = deps(ws.dir, { clock });
    h.deps.journal = await journalAfter(clock, async () => undefined);
    const foreign = { ...LOCK, Who: 'alice@laptop', ID: '11111111-2222-3333-4444-555555555555' };
    h.deps.stateLock = lockUntilUnlocked(() => ws.calls(), foreign);
    const r = await runCutover(options(ws.dir), h.deps);
    expect(r.result).toBe('failed');
    expect(r.failure).toBe(
      'the state is locked by alice@laptop since 2026-01-01 11:00:01 UTC (OperationTypeApply, lock ID ' +
        '11111111-2222-3333-4444-555555555555): no earlier run of this workflow and environment recorded it; not released',
    );
    expect(r.nextSteps.join('\n')).toContain(`terraform force-unlock -force ${foreign.ID} (in ${ws.dir})`);
    expect(ws.calls()).toEqual([]);
  });

  it('operation recover (the plan job): releases a stale lock, says recovered; nothing left: unchanged; no plan read', async () => {
    const clock = new VirtualClock();
    const ws = workspace({ plans: {} });
    const h = deps(ws.dir, { clock });
    h.deps.journal = await journalAfter(clock, killedDuringApply);
    h.deps.stateLock = lockUntilUnlocked(() => ws.calls());
    const r = await runRecover(options(ws.dir, { planfile: '' }), h.deps);
    expect(r.result).toBe('recovered');
    expect(kinds(ws.calls())).toEqual(['force-unlock']);
    expect(r.recovery?.found.join('\n')).toMatch(/run 100 attempt 1 \(job apply\) stopped during terraform apply/);
    const again = await runRecover(options(ws.dir, { planfile: '' }), h.deps);
    expect(again.result).toBe('unchanged');
    expect(kinds(ws.calls())).toEqual(['force-unlock']);
  });
});

/** Plan: gateway → instance, and one DescribeInstances answer per Name tag. */
function orphanWorld(
  instances: Record<string, { id: string; ami?: string }>,
  stateList: string[] = [],
  changes = scenarios.gatewayToInstance(2),
  more: { unchanged?: ResourceChange[]; plans?: unknown[] } = {},
) {
  const clock = new VirtualClock();
  const reviewed = planJson([...changes, ...(more.unchanged ?? [])]);
  const replanChanges = scenarios
    .gatewayToInstance(2)
    .map((c) => (c.address === `${M}.aws_instance.nat[0]` ? cabal.instance(0, ['update']) : c));
  const ws = workspace({
    plans: { reviewed, replan: planJson([...replanChanges, ...(more.unchanged ?? [])]) },
    plan: [{ lines: [version()], exit: 0, writes: 'replan' }, ...(more.plans ?? [])],
    apply: [{ lines: ordinaryApply(), exit: 0 }],
    stateList,
  });
  const h = deps(ws.dir, { clock });
  const ec2 = simulateEc2(h.ec2, { deletingPolls: 0 });
  ec2.mock
    .on(DescribeInstancesCommand)
    .callsFake((input: { Filters?: Array<{ Name?: string; Values?: string[] }> }) => {
      const name = input.Filters?.find((f) => f.Name === 'tag:Name')?.Values?.[0] ?? '';
      const hit = instances[name];
      return {
        Reservations: hit
          ? [
              {
                Instances: [
                  { InstanceId: hit.id, ImageId: hit.ami ?? 'ami-0aaa1111bbbb22223', InstanceType: 't3.micro' },
                ],
              },
            ]
          : [],
      };
    });
  return { clock, ws, h, ec2 };
}

describe('objects an interrupted apply left outside the state', () => {
  it('found and matching: imported (journal first), re-planned (the create became an update), the re-plan applied', async () => {
    const { clock, ws, h, ec2 } = orphanWorld({ 'cabal-nat-0': { id: 'i-0orphan000000000' } });
    const journal = await journalAfter(clock, killedDuringApply);
    h.deps.journal = journal;
    const r = await runCutover(options(ws.dir), h.deps);
    expect({ result: r.result, failure: r.failure }).toEqual({ result: 'applied', failure: undefined });
    const calls = ws.calls();
    expect(kinds(calls)).toEqual(['show', 'state', 'import', 'plan', 'show', 'apply']);
    expect(calls[2]?.argv).toEqual([
      'import',
      '-input=false',
      '-var-file=prod.tfvars',
      '-lock-timeout=30m',
      `${M}.aws_instance.nat[0]`,
      'i-0orphan000000000',
    ]);
    expect(calls[5]?.argv.at(-1)).toMatch(/cutover-import-replan-\d+\.tfplan$/);
    expect(r.recovery?.imported).toEqual([`${M}.aws_instance.nat[0] ← i-0orphan000000000`]);
    expect(ec2.mock.commandCalls(DescribeInstancesCommand)).toHaveLength(2);
    const imp = journal.entries.find((e) => e.intent.kind === 'import');
    expect(imp).toMatchObject({
      intent: { address: `${M}.aws_instance.nat[0]`, id: 'i-0orphan000000000' },
      done: { facts: { imported: 'i-0orphan000000000' } },
    });
    expect(r.timeline.steps.map((s) => `${s.step}:${s.outcome}`)).toContain('orphans:imported');
  });

  it('found but not what the reviewed plan wants: stopped before applying, with the commands to import or remove it', async () => {
    const { clock, ws, h } = orphanWorld({ 'cabal-nat-1': { id: 'i-0other0000000000', ami: 'ami-0old' } });
    h.deps.journal = await journalAfter(clock, killedDuringApply);
    const r = await runCutover(options(ws.dir), h.deps);
    expect(r.result).toBe('failed');
    expect(r.failure).toMatch(
      /^objects an interrupted apply left exist outside terraform's state and do not match the reviewed plan \(first: module\.vpc\.aws_instance\.nat\[1\]: i-0other0000000000 exist\(s\) outside terraform's state, but it differs in ami \(AWS: ami-0old\)\)/,
    );
    expect(r.nextSteps.join('\n')).toContain('aws ec2 terminate-instances --instance-ids i-0other0000000000');
    expect(r.nextSteps.join('\n')).toContain(`terraform import '${M}.aws_instance.nat[1]' i-0other0000000000`);
    expect(kinds(ws.calls())).toEqual(['show', 'state']);
  });

  it('a reviewed create the state already has (a cancelled run applied part of the plan): stale, nothing imported', async () => {
    const { clock, ws, h, ec2 } = orphanWorld({ 'cabal-nat-0': { id: 'i-0orphan000000000' } }, [
      `${M}.aws_instance.nat[0]`,
    ]);
    h.deps.journal = await journalAfter(clock, killedDuringApply);
    const r = await runCutover(options(ws.dir), h.deps);
    expect({ result: r.result, applies: r.applies }).toEqual({ result: 'stale', applies: 0 });
    expect(r.failure).toMatch(
      /^the saved plan is stale: it creates module\.vpc\.aws_instance\.nat\[0\], which the state/,
    );
    expect(r.nextSteps.join('\n')).toMatch(/Re-run the whole workflow: plan again, review the new plan/);
    expect(kinds(ws.calls())).toEqual(['show', 'state']);
    expect(ec2.mock.commandCalls(DescribeInstancesCommand)).toHaveLength(0);
  });

  it("the create half of a replace (a tainted object, its address in the state) is terraform's: not looked up", async () => {
    // A cancelled apply's SIGINT taints what it was waiting for (an instance, an instance profile): the next plan
    // replaces it, and the object of that name in AWS is the tainted one, not an orphan.
    const changes = scenarios
      .gatewayToInstance(2)
      .map((c) => (c.address === `${M}.aws_instance.nat[0]` ? cabal.instance(0, ['delete', 'create']) : c));
    const { clock, ws, h, ec2 } = orphanWorld(
      { 'cabal-nat-0': { id: 'i-0tainted00000000', ami: 'ami-0old' } },
      [`${M}.aws_instance.nat[0]`],
      changes,
    );
    h.deps.journal = await journalAfter(clock, killedDuringApply);
    const r = await runCutover(options(ws.dir), h.deps);
    expect({ result: r.result, failure: r.failure }).toEqual({ result: 'applied', failure: undefined });
    const looked = ec2.mock
      .commandCalls(DescribeInstancesCommand)
      .map((c) => c.args[0].input.Filters?.find((f) => f.Name === 'tag:Name')?.Values?.[0]);
    expect(looked).toEqual(['cabal-nat-1']);
    expect(kinds(ws.calls())).toEqual(['show', 'state', 'apply']);
  });

  it('an object terraform reads as gone (import: Cannot import non-existent remote object) is not an orphan', async () => {
    // Found by the rehearsal: after a failed instance → gateway apply, a NAT gateway EC2 still lists in the subnet
    // is one the provider reads as gone; the apply creates the planned one, as it would have without it.
    const { clock, ws, h } = orphanWorld({ 'cabal-nat-0': { id: 'i-0gone00000000000' } });
    const file = join(ws.dir, 'scenario.json');
    const scenario = JSON.parse(readFileSync(file, 'utf8'));
    scenario.import = [{ stderr: ['Error: Cannot import non-existent remote object'], exit: 1 }];
    writeFileSync(file, JSON.stringify(scenario));
    h.deps.journal = await journalAfter(clock, killedDuringApply);
    const r = await runCutover(options(ws.dir), h.deps);
    expect({ result: r.result, failure: r.failure, imported: r.recovery?.imported }).toEqual({
      result: 'applied',
      failure: undefined,
      imported: [],
    });
    expect(kinds(ws.calls())).toEqual(['show', 'state', 'import', 'apply']);
    expect(h.text()).toMatch(/terraform sees no live object i-0gone00000000000/);
  });

  it('an earlier run that converged after a failed (race) apply left nothing: not looked up', async () => {
    const { clock, ws, h, ec2 } = orphanWorld({ 'cabal-nat-0': { id: 'i-0orphan000000000' } });
    h.deps.journal = await journalAfter(clock, async (e) => {
      const id = await e.intend({ kind: 'terraform', command: 'apply', detail: 'apply 1' });
      await e.done(id, { exit: 'exit code 1' });
      await e.end('converged', undefined);
    });
    const r = await runCutover(options(ws.dir), h.deps);
    expect(r.result).toBe('applied');
    expect(ec2.mock.commandCalls(DescribeInstancesCommand)).toHaveLength(0);
    expect(kinds(ws.calls())).toEqual(['show', 'apply']);
  });

  it('no earlier run left an unfinished apply: nothing is looked up, the reviewed plan is applied as it is', async () => {
    const { clock, ws, h, ec2 } = orphanWorld({ 'cabal-nat-0': { id: 'i-0orphan000000000' } });
    h.deps.journal = await journalAfter(clock, async (e) => {
      const id = await e.intend({ kind: 'terraform', command: 'apply', detail: 'x' });
      await e.done(id, { exit: 'exit code 0' });
    });
    const r = await runCutover(options(ws.dir), h.deps);
    expect(r.result).toBe('applied');
    expect(ec2.mock.commandCalls(DescribeInstancesCommand)).toHaveLength(0);
    expect(kinds(ws.calls())).toEqual(['show', 'apply']);
  });
});

/** EC2's route tables: each private default route at the given target (an AZ's NAT gateway, by AZ index). */
function routesAt(ec2: ReturnType<typeof simulateEc2>, gatewayOfAz: number[]): void {
  ec2.mock.on(DescribeRouteTablesCommand).resolves({
    RouteTables: gatewayOfAz.map((g, i) => ({
      RouteTableId: `rtb-0priv${i}`,
      VpcId: 'vpc-0abc',
      Routes: [{ DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: `nat-0${g}0f1e2d3c4b5a6978`, State: 'active' }],
    })),
  });
}

/** Both NAT gateways `available` with their Elastic IPs (they serve: a bridge can use them). */
function gatewaysServing(ec2: ReturnType<typeof simulateEc2>): void {
  ec2.mock.on(DescribeNatGatewaysCommand).resolves({
    NatGateways: [0, 1].map((i) => ({
      NatGatewayId: `nat-0${i}0f1e2d3c4b5a6978`,
      State: 'available',
      VpcId: 'vpc-0abc',
      SubnetId: `subnet-0pub${i}`,
      ConnectivityType: 'public',
      NatGatewayAddresses: [
        { AllocationId: `eipalloc-0${i}a1b2c3d4e5f6a7b8`, PublicIp: `203.0.113.${10 + i}`, IsPrimary: true },
      ],
    })),
  });
}

/** The NAT Elastic IPs as the plan shows them (no-op: every plan of the module lists them). */
const eips = [cabal.eip(0, ['no-op']), cabal.eip(1, ['no-op'])];

describe('after an orphan import, the strategy (the re-plan is what is left of the reviewed plan)', () => {
  const orphan = { 'cabal-nat-0': { id: 'i-0orphan000000000' } };

  it('auto: runs the re-plan in place, saying why before the apply', async () => {
    const { clock, ws, h, ec2 } = orphanWorld(orphan, [], undefined, { unchanged: eips });
    routesAt(ec2, [0, 1]);
    gatewaysServing(ec2);
    h.deps.journal = await journalAfter(clock, killedDuringApply);
    const r = await runCutover(options(ws.dir, { strategy: 'auto' }), h.deps);
    expect({ result: r.result, strategy: r.strategy, imported: r.recovery?.imported }).toEqual({
      result: 'applied',
      strategy: 'in-place',
      imported: [`${M}.aws_instance.nat[0] ← i-0orphan000000000`],
    });
    expect(r.strategyReason).toBe('bridging cannot apply: objects left outside the state were imported');
    expect(kinds(ws.calls())).toEqual(['show', 'state', 'import', 'plan', 'show', 'apply']);
    const said = h.text().indexOf('Strategy: in-place (bridging cannot apply: objects left outside the state');
    expect({ said: said >= 0, beforeApply: said < h.text().indexOf('::group::terraform apply') }).toEqual({
      said: true,
      beforeApply: true,
    });
    expect(ec2.mock.commandCalls(ReplaceRouteCommand)).toHaveLength(0);
  });

  it('bridge: refuses before applying, naming the import; nothing applied', async () => {
    const { clock, ws, h, ec2 } = orphanWorld(orphan, [], undefined, { unchanged: eips });
    routesAt(ec2, [0, 1]);
    gatewaysServing(ec2);
    h.deps.journal = await journalAfter(clock, killedDuringApply);
    const r = await runCutover(options(ws.dir, { strategy: 'bridge' }), h.deps);
    expect({ result: r.result, failure: r.failure }).toEqual({
      result: 'failed',
      failure: 'strategy: bridge cannot apply: objects left outside the state were imported; refusing to apply',
    });
    expect(kinds(ws.calls())).toEqual(['show', 'state', 'import', 'plan', 'show']);
    expect(r.timeline.steps.map((s) => `${s.step}:${s.outcome}`)).toContain('strategy:refused');
    expect(ec2.mock.commandCalls(ReplaceRouteCommand)).toHaveLength(0);
  });

  it('auto, an AZ left on a bridge by the killed bridged run (EC2): the rest is bridged, the AZ kept on its bridge', async () => {
    // AZ 0's route is at AZ 1's gateway (the killed run's bridge); the AZ 0 NAT step's plan then fails.
    const { clock, ws, h, ec2 } = orphanWorld(orphan, [], undefined, {
      unchanged: eips,
      plans: [{ lines: [version()], exit: 1 }],
    });
    routesAt(ec2, [1, 1]);
    gatewaysServing(ec2);
    h.deps.journal = await journalAfter(clock, killedDuringApply);
    // The bridge watch polls every 0.5 s while the steps run: real time (a virtual clock would spin it).
    h.deps.clock = systemClock;
    const r = await runCutover(options(ws.dir, { strategy: 'auto' }), h.deps);
    expect({ strategy: r.strategy, result: r.result }).toEqual({ strategy: 'bridge', result: 'failed' });
    expect(h.text()).toContain(
      'AZ 0 is on a bridge an earlier run left (EC2) (and objects left outside the state were imported): ' +
        'the rest is bridged too',
    );
    expect(h.text()).toContain('AZ 0: rtb-0priv0 is already on nat-010f1e2d3c4b5a6978 (serving): kept');
    expect(r.failure).toMatch(/^the AZ 0 NAT plan failed/);
    // never moved: no route change, and the summary says AZ 0 is on its bridge
    expect(ec2.mock.commandCalls(ReplaceRouteCommand)).toHaveLength(0);
    expect(r.bridges.find((b) => b.az === '0')).toMatchObject({ state: 'bridged', target: 'nat-010f1e2d3c4b5a6978' });
    expect(kinds(ws.calls())).toEqual(['show', 'state', 'import', 'plan', 'show', 'plan']);
  });
});

describe('terraform outcomes with their own advice', () => {
  it('"Saved plan is stale" is its own outcome: one apply, never retried, says plan and review again', async () => {
    const ws = workspace({
      plans: { reviewed: planJson(scenarios.gatewayToInstance(2)) },
      apply: [
        {
          lines: [
            version(),
            diagnostic(
              'Saved plan is stale',
              1,
              undefined,
              'error',
              'The given plan file can no longer be applied because the state was changed by another operation after the plan was created.',
            ),
          ],
          exit: 1,
        },
      ],
    });
    const h = deps(ws.dir);
    simulateEc2(h.ec2, { deletingPolls: 0 });
    const r = await runCutover(options(ws.dir), h.deps);
    expect({ result: r.result, applies: r.applies }).toEqual({ result: 'stale', applies: 1 });
    expect(r.failure).toMatch(/^terraform apply 1: Saved plan is stale: the state changed since this plan was made/);
    expect(r.nextSteps[0]).toMatch(/Re-run the whole workflow: plan again, review the new plan/);
    expect(kinds(ws.calls())).toEqual(['show', 'apply']);
  });

  it('a failed state write: the advice is terraform state push errored.tfstate; a later run refuses to apply over it', async () => {
    const ws = workspace({
      plans: { reviewed: planJson(scenarios.unrelatedOnly()) },
      apply: [{ lines: [version(), diagnostic('Failed to persist state to backend', 1)], exit: 1 }],
    });
    const h = deps(ws.dir);
    const r = await runCutover(options(ws.dir), h.deps);
    expect(r.result).toBe('failed');
    expect(r.nextSteps.join('\n')).toMatch(/terraform state push errored\.tfstate/);
    writeFileSync(join(ws.dir, 'errored.tfstate'), '{"serial": 7}');
    const again = await runCutover(options(ws.dir), deps(ws.dir).deps);
    expect(again.result).toBe('failed');
    expect(again.failure).toMatch(/^errored\.tfstate is in the working directory/);
    expect(kinds(ws.calls())).toEqual(['show', 'apply']);
  });
});

describe('the journal is written before the change', () => {
  it("AssociateAddress is sent only once the journal holds the intent; its association id is the entry's fact", async () => {
    const clock = new VirtualClock();
    const store = memoryStore();
    const journal = await Journal.open(store, identity(), { clock });
    const ec2 = new EC2Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const mock = mockClient(ec2);
    const seen: unknown[] = [];
    mock.on(DescribeAddressesCommand).resolves({});
    mock.callsFake(() => {
      seen.push(store.doc?.runs[0]?.entries.map((e) => e.intent));
      return { AssociationId: 'eipassoc-1' };
    });
    const planned = {
      address: `${M}.aws_eip_association.nat[0]`,
      allocationId: 'eipalloc-1',
      resourceType: 'aws_eip_association' as const,
      target: { kind: 'instance' as const, id: 'i-1' },
    };
    const r = await associateAddress(planned as never, { ec2, clock, journal });
    expect(r.outcome).toBe('associated');
    expect(seen).toEqual([
      [{ kind: 'associate', address: planned.address, allocationId: 'eipalloc-1', targetId: 'i-1' }],
    ]);
    expect(store.doc?.runs[0]?.entries[0]?.done?.facts).toEqual({ associationId: 'eipassoc-1' });

    const failing = await Journal.open(
      { ...memoryStore(), write: async () => Promise.reject(new Error('AccessDenied')) },
      identity(),
      { clock },
    );
    const calls = mock.calls().length;
    const refused = await associateAddress(planned as never, { ec2, clock, journal: failing });
    expect(refused).toMatchObject({
      outcome: 'failed',
      message: expect.stringMatching(/^not associated: journal: could not record the associate/),
    });
    expect(mock.calls().length).toBe(calls);
  });
});
