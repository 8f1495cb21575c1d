/**
 * The cutover's progress events end to end (issue 17: progress as typed events, not prose): a run through the
 * Elastic IP race with the fake terraform and a simulated EC2, its progress emitter given a channel the way the
 * nat-egress CLI opens one. Each race task's release wait is a `release` wait on the channel — its state lines as
 * one stage timed from the start of the wait, prefixed with the association's address as logged, and its end
 * `released` with the "released after" line — and the log keeps the same lines, once each, as a run without a
 * channel writes them (terraform's stream interleaves with them in real time).
 */
import { describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCutover } from '@nat-egress/shared/cutover';
import { createProgress, type ProgressMessage } from '@nat-egress/shared/runtime';
import { cabal, planJson, scenarios } from '../../../packages/shared/test/support/plans';
import { deps, options, simulateEc2, workspace } from './support/harness';
import { M, associationApply, raceApplyInStream, replanStream } from './support/streams';

/** The release wait's lines in a log (state lines and the "released after" end), in log order. */
const RELEASE_LINE =
  /: (waiting for NAT gateway\(s\)|NAT gateway\(s\) deleted; |watching |Elastic IP\(s\) released after )/;

/** One reapply run through the race on `azs` AZs; `channel` receives the progress events when given. */
async function raceRun(azs: number, channel?: (json: string) => void) {
  const ws = workspace({
    plans: {
      reviewed: planJson(scenarios.gatewayToInstance(azs)),
      replan: planJson(Array.from({ length: azs }, (_, i) => cabal.association(i, ['create']))),
    },
    apply: [
      { lines: raceApplyInStream(azs), exit: 1 },
      { lines: associationApply(azs), exit: 0 },
    ],
    plan: [{ lines: replanStream(azs), exit: 0, writes: 'replan' }],
  });
  writeFileSync(join(ws.dir, 'resume'), '');
  const h = deps(ws.dir);
  simulateEc2(h.ec2, { deletingPolls: 3, lingeringPolls: 1 });
  const info = (text: string) => h.deps.out.line({ level: 'info', text });
  const progress = channel ? createProgress({ log: info, channel, now: () => h.clock.now() }) : undefined;
  const r = await runCutover(options(ws.dir, { restore: 'reapply' }), { ...h.deps, ...(progress ? { progress } : {}) });
  return { r, lines: h.lines.map((l) => l.text) };
}

describe('the cutover reports its release waits as progress events', () => {
  it('one Elastic IP: its wait on the channel; the log word for word as a run without a channel', async () => {
    const events: ProgressMessage[] = [];
    const withChannel = await raceRun(1, (json) => events.push(JSON.parse(json)));
    const plain = await raceRun(1);
    expect([withChannel.r.result, plain.r.result]).toEqual(['converged', 'converged']);
    const address = `${M}.aws_eip_association.nat[0]`;
    expect(
      events.map((e) => (e.type === 'stage' ? `stage ${e.stage}` : `${e.type} ${e.type === 'end' ? e.outcome : ''}`)),
    ).toEqual([
      `stage ${address}: waiting for NAT gateway(s) to finish deleting: nat-000f1e2d3c4b5a6978 deleting`,
      `stage ${address}: NAT gateway(s) deleted; Elastic IP(s) still associated: eipalloc-00a1b2c3d4e5f6a7b8`,
      'end released',
    ]);
    expect(events.every((e) => e.v === 1 && e.wait === 'release')).toBe(true);
    const released = plain.lines.find((l) => l.startsWith(`${address}: Elastic IP(s) released after `));
    expect(released).toMatch(/released after \d+s; grace 2s before re-applying$/);
    // The wait's lines in the same order; the whole log the same lines (terraform's stream interleaves in real time).
    const release = (lines: string[]) => lines.filter((l) => RELEASE_LINE.test(l));
    expect(release(withChannel.lines)).toEqual(release(plain.lines));
    expect([...withChannel.lines].sort()).toEqual([...plain.lines].sort());
  });

  it('one release wait per race task: its states as one stage, its end released; each line logged once', async () => {
    const events: ProgressMessage[] = [];
    const withChannel = await raceRun(2, (json) => events.push(JSON.parse(json)));
    expect(withChannel.r.result).toBe('converged');
    expect(events.every((e) => e.v === 1 && e.wait === 'release')).toBe(true);
    for (const i of [0, 1]) {
      const address = `${M}.aws_eip_association.nat[${i}]`;
      const own = events.flatMap((e) =>
        e.type === 'stage' && e.stage.startsWith(`${address}: `) ? [e.stage.slice(address.length + 2)] : [],
      );
      // Its gateways deleting (unless the other wait already saw them deleted), then its address lingering.
      expect(own.at(-1)).toMatch(/^NAT gateway\(s\) deleted; Elastic IP\(s\) still associated: eipalloc-0/);
      for (const stage of own.slice(0, -1))
        expect(stage).toMatch(/^waiting for NAT gateway\(s\) to finish deleting: nat-0\d0f1e2d3c4b5a6978 deleting/);
    }
    expect(events.some((e) => e.type === 'stage' && e.stage.includes(': waiting for NAT gateway(s)'))).toBe(true);
    expect(events.every((e) => e.type !== 'stage' || !e.heartbeat)).toBe(true);
    // One stage whose text changes: the waits of both Elastic IPs count from the start of the first one.
    expect(new Set(events.map((e) => (e.type === 'stage' ? e.since : -1)).filter((s) => s >= 0)).size).toBe(1);
    const ends = events.filter((e) => e.type === 'end');
    expect(ends.map((e) => (e.type === 'end' ? e.outcome : ''))).toEqual(['released', 'released']);
    // Every state and end line is in the log once, word for word.
    const release = withChannel.lines.filter((l) => RELEASE_LINE.test(l));
    const stages = events.flatMap((e) => (e.type === 'stage' ? [e.stage] : []));
    expect(release.filter((l) => !l.includes('released after'))).toEqual(stages);
    expect(release.filter((l) => l.includes('released after'))).toHaveLength(2);
  });
});
