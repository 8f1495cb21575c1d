/**
 * The sealed plan (issue 20), run by `pnpm bench`: plan-guard's sealing (age, X25519, two recipients as during a
 * key rotation) and cutover's opening with the binding check, on incompressible plan files of 1, 16 and 64 MiB
 * (a saved plan is a zip: already compressed). Prints, per size, the sealed size overhead in bytes, seal and open
 * wall times, throughput, and the process's peak RSS growth. Targets: open ≥ 20 MiB/s and seal ≥ 20 MiB/s (the
 * apply job must not wait on it), overhead ≤ 1.5 KiB (the age header for two recipients, the JSON binding inside)
 * + 16 bytes per 64 KiB chunk (age STREAM tag per chunk).
 * Exits non-zero when a target is missed.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { openPlan, sealPlan } from '../../../packages/shared/src/seal/index';

const MiB = 1024 * 1024;
const SIZES = [1, 16, 64];
const TARGET_MIB_PER_S = 20;

/** Peak resident set of this process so far (VmHWM, Linux), in bytes. */
function peakRss(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.memoryUsage().rss;
}

async function main(): Promise<void> {
  const oldKey = await generateX25519Identity();
  const newKey = await generateX25519Identity();
  const recipients = [await identityToRecipient(oldKey), await identityToRecipient(newKey)];
  const binding = {
    repository: 'acme/infra',
    run_id: '4242',
    run_attempt: '1',
    environment: 'prod',
    plan_sha: 'a'.repeat(64),
  };
  const expectation = {
    repository: 'acme/infra',
    run_id: '4242',
    run_attempt: '1',
    environment: 'prod',
    plan_sha: binding.plan_sha,
  };
  // Warm-up (JIT, age's key setup), not measured.
  await openPlan((await sealPlan(randomBytes(MiB), recipients, binding)).bundle, [oldKey], expectation);
  let missed = 0;
  console.log('size     overhead  seal ms  open ms  seal MiB/s  open MiB/s  peak RSS +MiB');
  for (const mib of SIZES) {
    const plan = randomBytes(mib * MiB);
    const before = peakRss();
    const t0 = performance.now();
    const { bundle } = await sealPlan(plan, recipients, binding);
    const t1 = performance.now();
    const opened = await openPlan(bundle, [newKey], expectation);
    const t2 = performance.now();
    if (!opened.plan.equals(plan)) throw new Error('the opened plan differs from the sealed one');
    const overhead = bundle.length - plan.length;
    const sealRate = mib / ((t1 - t0) / 1000);
    const openRate = mib / ((t2 - t1) / 1000);
    const allowed = 1024 + 16 * Math.ceil(plan.length / (64 * 1024)) + 512; // + the JSON header inside
    console.log(
      `${`${mib} MiB`.padEnd(9)}${String(overhead).padStart(8)}  ${(t1 - t0).toFixed(0).padStart(7)}  ` +
        `${(t2 - t1).toFixed(0).padStart(7)}  ${sealRate.toFixed(0).padStart(10)}  ${openRate.toFixed(0).padStart(10)}  ` +
        `${((peakRss() - before) / MiB).toFixed(0).padStart(13)}`,
    );
    if (sealRate < TARGET_MIB_PER_S || openRate < TARGET_MIB_PER_S || overhead > allowed) missed++;
  }
  console.log(
    `targets: seal and open ≥ ${TARGET_MIB_PER_S} MiB/s, overhead ≤ 1.5 KiB + 16 B per 64 KiB: ` +
      (missed === 0 ? 'met' : `${missed} size(s) missed`),
  );
  if (missed > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
