/**
 * Issue 9 §1 for the cutover: every wait is a hard deadline that includes EC2 calls in flight, and cancellation is
 * immediate in every phase. EC2 here is a loopback endpoint that never answers, answers 503 forever, or answers
 * slowly (the shared fault server), behind the shared client configuration; the run signal is aborted in each phase.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clientConfig } from '@nat-egress/shared/aws';
import { VirtualClock, systemClock } from '@nat-egress/shared/runtime';
import { EC2Client, runCutover } from '@nat-egress/shared/cutover';
import { cabal, planJson, scenarios } from '../../../packages/shared/test/support/plans';
import { startFaultServer, type FaultMode, type FaultServer } from '../../../packages/shared/test/support/fault-server';
import { deps, options, simulateEc2, workspace } from './support/harness';
import { associationApply, raceApply, raceApplyInStream, replanStream, version } from './support/streams';

const servers: FaultServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const NS = 'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"';
const alloc = (i: number) => `eipalloc-0${i}a1b2c3d4e5f6a7b8`;
const ADDRESSES_FREE = `<DescribeAddressesResponse ${NS}><requestId>r</requestId><addressesSet>${[0, 1].map((i) => `<item><allocationId>${alloc(i)}</allocationId><publicIp>203.0.113.1${i}</publicIp><domain>vpc</domain></item>`).join('')}</addressesSet></DescribeAddressesResponse>`;
const GATEWAYS_DELETED = `<DescribeNatGatewaysResponse ${NS}><requestId>r</requestId><natGatewaySet>${[0, 1].map((i) => `<item><natGatewayId>nat-0${i}0f1e2d3c4b5a6978</natGatewayId><state>deleted</state><natGatewayAddressSet><item><allocationId>${alloc(i)}</allocationId></item></natGatewayAddressSet></item>`).join('')}</natGatewaySet></DescribeNatGatewaysResponse>`;
const ASSOCIATED = (n: number) =>
  `<AssociateAddressResponse ${NS}><requestId>r</requestId><return>true</return><associationId>eipassoc-0slow${n}</associationId></AssociateAddressResponse>`;

/** An EC2 endpoint in `mode` that answers the preflight's first DescribeAddresses at once (then misbehaves). */
async function ec2At(mode: FaultMode, delayMs = 600): Promise<{ client: EC2Client; server: FaultServer }> {
  let first = true;
  const server = await startFaultServer(mode, {
    delayMs,
    route: (_req, body) => {
      if (first && body.includes('Action=DescribeAddresses')) {
        first = false;
        return { status: 200, body: ADDRESSES_FREE };
      }
      return undefined;
    },
  });
  servers.push(server);
  const client = new EC2Client({
    ...clientConfig({ region: 'us-east-1', maxAttempts: 2 }),
    endpoint: server.url,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
  });
  return { client, server };
}

function raceWorkspace(
  replan: unknown = planJson([cabal.association(0, ['create']), cabal.association(1, ['create'])]),
) {
  return workspace({
    plans: { reviewed: planJson(scenarios.gatewayToInstance(2)), replan },
    apply: [
      { lines: raceApply(2), exit: 1 },
      { lines: associationApply(2), exit: 0 },
    ],
    plan: [{ lines: replanStream(2), exit: 0, writes: 'replan' }],
  });
}

describe('release-timeout is a hard deadline, EC2 calls in flight included', () => {
  it.each([
    ['never answers', 'hang' as const],
    ['answers 503 forever', '503' as const],
  ])(
    'an EC2 endpoint that %s: the run fails at release-timeout with its outputs, not hung',
    async (_name, mode) => {
      const { client } = await ec2At(mode);
      const ws = raceWorkspace();
      const h = deps(ws.dir, { clock: systemClock as never });
      h.deps.ec2 = () => client;
      const started = Date.now();
      const r = await runCutover(options(ws.dir, { releaseTimeoutMs: 2_500 }), h.deps);
      const took = Date.now() - started;
      expect(r.result).toBe('failed');
      expect(r.applies).toBe(1);
      expect(r.failure).toMatch(/release-timeout 2\.5s|release-timeout 3s|deadline/);
      expect(r.nextSteps[0]).toContain('Egress is down in the affected AZs');
      expect(took).toBeLessThan(2_500 + 4_000);
      client.destroy();
    },
    20_000,
  );

  it('an EC2 endpoint that answers slowly (but right): the cutover converges', async () => {
    const server = await startFaultServer('slow', {
      delayMs: 400,
      route: (_req, body) =>
        body.includes('Action=DescribeAddresses') ? { status: 200, body: ADDRESSES_FREE } : undefined,
      body: GATEWAYS_DELETED,
    });
    servers.push(server);
    const client = new EC2Client({
      ...clientConfig({ region: 'us-east-1' }),
      endpoint: server.url,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    });
    const ws = raceWorkspace();
    const h = deps(ws.dir, { clock: systemClock as never });
    h.deps.ec2 = () => client;
    const r = await runCutover(
      options(ws.dir, { releaseTimeoutMs: 20_000, restore: 'reapply', releaseGraceMs: 0 }),
      h.deps,
    );
    expect(r.failure).toBeUndefined();
    expect(r.result).toBe('converged');
    expect(server.requests.filter((q) => q.body.includes('Action=DescribeNatGateways')).length).toBeGreaterThanOrEqual(
      2,
    );
    client.destroy();
  }, 30_000);

  it('restore: associate against a slow endpoint: associated, imported, converged', async () => {
    let associations = 0;
    const server = await startFaultServer('slow', {
      delayMs: 300,
      route: (_req, body) => {
        if (body.includes('Action=AssociateAddress')) return { status: 200, body: ASSOCIATED(associations++) };
        if (body.includes('Action=DescribeAddresses')) return { status: 200, body: ADDRESSES_FREE };
        if (body.includes('Action=DescribeNatGateways'))
          return { status: 200, body: GATEWAYS_DELETED.replace(/deleted/g, 'deleting') };
        return undefined;
      },
    });
    servers.push(server);
    const client = new EC2Client({
      ...clientConfig({ region: 'us-east-1' }),
      endpoint: server.url,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    });
    const ws = raceWorkspace(planJson([]));
    const h = deps(ws.dir, { clock: systemClock as never });
    h.deps.ec2 = () => client;
    const r = await runCutover(options(ws.dir, { releaseTimeoutMs: 20_000 }), h.deps);
    expect(r.failure).toBeUndefined();
    expect(r.result).toBe('converged');
    expect(r.restore?.path).toBe('associate');
    expect(server.requests.filter((q) => q.body.includes('Action=AssociateAddress')).map((q) => q.body)).toEqual([
      expect.stringContaining('AllowReassociation=false'),
      expect.stringContaining('AllowReassociation=false'),
    ]);
    client.destroy();
  }, 30_000);
});

describe('cancellation is immediate in every phase', () => {
  const reviewed = planJson(scenarios.gatewayToInstance(2));
  /** Marks when the driver has seen terraform apply exit (so terraform is no longer running). */
  const trackApply = (d: ReturnType<typeof deps>['deps']) => {
    const state = { exited: false };
    const run = d.terraform.run.bind(d.terraform);
    d.terraform = {
      show: d.terraform.show.bind(d.terraform),
      run: async (args, onLine, signal) => {
        const r = await run(args, onLine, signal);
        if (args[0] === 'apply') state.exited = true;
        return r;
      },
    };
    return state;
  };

  it('preflight (EC2 call in flight that never answers): cancelled at once, nothing applied', async () => {
    const hang = await startFaultServer('hang');
    servers.push(hang);
    const ws = workspace({ plans: { reviewed } });
    const controller = new AbortController();
    const h = deps(ws.dir, { signal: controller.signal, clock: systemClock as never });
    h.deps.ec2 = () => {
      setTimeout(() => controller.abort(), 100);
      return new EC2Client({
        ...clientConfig({ region: 'us-east-1' }),
        endpoint: hang.url,
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      });
    };
    const started = Date.now();
    const r = await runCutover(options(ws.dir), h.deps);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(r).toMatchObject({ result: 'cancelled', applies: 0 });
    expect(r.nextSteps).toEqual(['Nothing was applied; egress is as it was. Re-run the job when ready.']);
    expect(ws.calls().map((c) => c.argv[0])).toEqual(['show']);
  });

  it('confirm/wait (terraform not running): cancelled at once, with what to do', async () => {
    const ws = raceWorkspace();
    const controller = new AbortController();
    const clock = new VirtualClock();
    let sleeps = 0;
    const h = deps(ws.dir, { signal: controller.signal, clock });
    const apply = trackApply(h.deps);
    clock.onSleep = () => {
      if (++sleeps >= 5 && apply.exited) controller.abort();
    };
    const ec2 = simulateEc2(h.ec2, { deletingPolls: 1_000_000 });
    // EC2 answers take real time (5 ms), so the wait is still going when terraform has exited
    const { DescribeAddressesCommand } = await import('@nat-egress/shared/cutover');
    ec2.mock.on(DescribeAddressesCommand).callsFake(async (input: { AllocationIds?: string[] }) => {
      await new Promise((r) => setTimeout(r, 5));
      return {
        Addresses: (input.AllocationIds ?? []).map((a) => ({
          AllocationId: a,
          AssociationId: 'eipassoc-gw',
          NetworkInterfaceId: 'eni-gw',
        })),
      };
    });
    const r = await runCutover(options(ws.dir, { releaseTimeoutMs: 6 * 3_600_000 }), h.deps);
    expect(r.result).toBe('cancelled');
    expect(r.applies).toBe(1);
    expect(r.failure).toContain('cancelled while waiting for the Elastic IPs');
    expect(r.nextSteps[0]).toContain('Egress is down in the affected AZs');
    expect(ws.calls().map((c) => c.argv[0])).toEqual(['show', 'apply']);
  });

  it('restore (AssociateAddress in flight): cancelled at once', async () => {
    const ws = workspace({
      plans: { reviewed, replan: planJson([]) },
      apply: [{ lines: raceApplyInStream(2), exit: 1 }],
      plan: [{ lines: replanStream(0), exit: 0, writes: 'replan' }],
    });
    writeFileSync(join(ws.dir, 'resume'), '');
    const controller = new AbortController();
    const h = deps(ws.dir, { signal: controller.signal });
    const apply = trackApply(h.deps);
    const ec2 = simulateEc2(h.ec2, { deletingPolls: 1 });
    ec2.mock.on((await import('@nat-egress/shared/cutover')).AssociateAddressCommand).callsFake(() => {
      const t = setInterval(() => {
        if (!apply.exited) return;
        clearInterval(t);
        controller.abort();
      }, 10);
      return new Promise(() => undefined);
    });
    const r = await runCutover(options(ws.dir), h.deps);
    expect(r.result).toBe('cancelled');
    expect(r.failure).toContain('cancelled while associating');
    expect(ws.calls().map((c) => c.argv[0])).toEqual(['show', 'apply']);
  });

  it.each([
    ['import', { import: [{ lines: [], hang: true }] }],
    ['re-plan', { plan: [{ lines: [version(0)], hang: true }] }],
  ])('%s (terraform running): terraform gets one SIGINT, the run ends cancelled', async (phase, extra) => {
    const ws = workspace({
      plans: { reviewed, replan: planJson([]) },
      apply: [{ lines: raceApplyInStream(2), exit: 1 }],
      plan: [{ lines: replanStream(0), exit: 0, writes: 'replan' }],
      ...(extra as object),
    } as never);
    writeFileSync(join(ws.dir, 'resume'), '');
    const controller = new AbortController();
    const h = deps(ws.dir, { signal: controller.signal });
    simulateEc2(h.ec2, { deletingPolls: 1 });
    const running = runCutover(options(ws.dir), h.deps);
    const { existsSync, readFileSync } = await import('node:fs');
    for (let i = 0; i < 400; i++) {
      const f = join(ws.dir, 'calls.jsonl');
      if (existsSync(f) && readFileSync(f, 'utf8').includes('"event":"hanging"')) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    controller.abort();
    const r = await running;
    expect(r.result).toBe('cancelled');
    expect(r.failure).toContain(
      phase === 'import' ? 'cancelled during terraform import' : 'cancelled during the re-plan',
    );
    const hung = ws.calls().find((c) => c.argv[0] === (phase === 'import' ? 'import' : 'plan'))!;
    expect(hung.signals).toEqual(['SIGINT']);
  });
});
