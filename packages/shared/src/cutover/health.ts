/**
 * Before a bridged AZ's route moves home: its new NAT must pass verify-egress's checks of a NAT (egress/nat-health.ts:
 * running / available, its Elastic IP, source/destination check off, in a public subnet, an address among the NAT
 * Elastic IPs), re-checked every 2 s until `health-timeout` (default 5 min). The AZ stays on its bridge until then,
 * and stays there when the NAT never passes.
 */
import { formatDuration } from '../inputs/index';
import { natHealth } from '../egress/nat-health';
import type { BridgeAz } from '../nat/index';
import { describeError } from '../runtime/index';
import { within } from './bounded';
import type { CutoverRun } from './run';
import type { Switch } from './switch';

const DEFAULT_HEALTH_TIMEOUT_MS = 5 * 60_000;
const RECHECK_MS = 2_000;

/** Waits until the NAT route target `target` names passes; false (the run failed) when it did not in time. */
export async function waitHealthy(run: CutoverRun, sw: Switch, az: BridgeAz, target: string): Promise<boolean> {
  const { clock } = run;
  const started = clock.now();
  const timeoutMs = run.options.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS;
  const deadline = started + timeoutMs;
  const ec2 = run.deps.ec2();
  const region = await ec2.config.region();
  let last = '';
  for (;;) {
    let why: string;
    try {
      const h = await within(
        () =>
          natHealth(
            ec2,
            {
              region,
              vpcId: sw.vpcId,
              natInstanceIds: [...sw.instanceIds],
              expectedIps: sw.view.publicIps,
              mode: az.afterMode ?? 'instance',
            },
            target,
          ),
        { clock, deadline, ...(run.deps.signal ? { signal: run.deps.signal } : {}), what: "the new NAT's checks" },
      );
      if (h.nat && h.errors.length === 0) {
        for (const id of h.nat.ids) sw.state(az.key).own.add(id);
        run.step('health', started, 'healthy', { detail: `AZ ${az.key}: ${h.nat.ref}` });
        run.info(`AZ ${az.key}: ${h.nat.ref} passes verify-egress's NAT checks (${h.nat.live?.publicIp ?? ''}).`);
        return true;
      }
      why = h.nat ? (h.errors[0]?.message ?? 'not healthy') : `EC2 does not show ${target}`;
    } catch (err) {
      if (run.cancelled) break;
      why = describeError(err);
    }
    if (why !== last) run.info(`AZ ${az.key}: waiting for its new NAT: ${why}`);
    last = why;
    if (clock.now() + RECHECK_MS >= deadline) {
      run.step('health', started, 'timeout', { detail: `AZ ${az.key}: ${why}` });
      run.fail(
        `AZ ${az.key}: its new NAT (${target}) did not pass verify-egress's checks within ` +
          `${formatDuration(timeoutMs)}: ${why}`,
        [
          `AZ ${az.key} stays on its bridge. Fix the new NAT (verify-egress names what fails), then re-run the job ` +
            '(plan, review, apply).',
        ],
      );
      return false;
    }
    try {
      await clock.sleep(RECHECK_MS, run.deps.signal);
    } catch {
      break;
    }
  }
  run.fail(`cancelled while checking AZ ${az.key}'s new NAT`, [`AZ ${az.key} stays on its bridge.`], {
    cancelled: true,
  });
  return false;
}
