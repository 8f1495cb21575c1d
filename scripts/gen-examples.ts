/**
 * Regenerates the bundled example plans (examples/plans/*.json) from the rehearsal's terraform module
 * (test/rehearsal/terraform) with real terraform and the real hashicorp/aws provider, against the rehearsal's
 * AWS stand-in (moto behind the fault proxy). Each file is `terraform show -json` of a saved plan, as terraform
 * wrote it. Needs terraform, the provider (a local mirror or the registry) and moto (scripts/setup.sh).
 *
 * Run: node scripts/run-ts.mjs scripts/gen-examples.ts [output-dir]   (default: examples/plans)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '../test/rehearsal/support/moto';
import { Rehearsal, lastLines, type Environment, type Vars } from '../test/rehearsal/support/rehearsal';

const outDir = resolve(process.argv[2] ?? join(REPO_ROOT, 'examples', 'plans'));

async function apply(env: Environment, vars: Vars): Promise<void> {
  // Apply directly (the stand-in deletes gateways at once here); a second apply finishes an association refused
  // while a gateway was still releasing its address.
  for (let attempt = 1; ; attempt++) {
    const { planfile } = await env.plan(vars);
    const run = await env.terraform(['apply', '-input=false', '-no-color', planfile]);
    if (run.code === 0) return;
    if (attempt >= 3) throw new Error(`terraform apply failed: ${lastLines(run.stderr || run.stdout)}`);
    await new Promise((r) => setTimeout(r, 1_500));
  }
}

async function write(env: Environment, name: string, vars: Vars): Promise<void> {
  const { planfile } = await env.plan(vars);
  const run = await env.terraform(['show', '-json', planfile]);
  if (run.code !== 0) throw new Error(`terraform show failed: ${lastLines(run.stderr)}`);
  writeFileSync(join(outDir, `${name}.json`), run.stdout.endsWith('\n') ? run.stdout : `${run.stdout}\n`);
  console.log(`wrote ${join(outDir, `${name}.json`)}`);
}

const started = await Rehearsal.start({ natDeleteMs: 0, authLingerMs: 0 });
if ('skip' in started) {
  console.error(`gen-examples: cannot run real terraform here: ${started.skip}`);
  process.exit(1);
}
const r = started;
try {
  mkdirSync(outDir, { recursive: true });
  const gateway: Vars = { use_nat_instance: false };
  const instance: Vars = { use_nat_instance: true };

  // Gateway mode (2 AZs): what the switch to instances, quiesce, fewer AZs and an unrelated change plan.
  const gw = r.environment('prod', 'us-east-1');
  await gw.registerNatAmi('2026-11-01');
  await apply(gw, gateway);
  await write(gw, 'gateway-to-instance', instance);
  await write(gw, 'quiesce-down', { ...gateway, quiesced: true });
  await write(gw, 'eip-destroyed', { ...gateway, az_count: 1 });
  await write(gw, 'unrelated-only', { ...gateway, log_retention_days: 90 });

  // A NAT moved into another AZ: gateway 1 into AZ 0's public subnet, or its subnet re-created in AZ 0 (a subnet
  // list re-derived by a module upgrade).
  await write(gw, 'gateway-az-move', { ...gateway, nat_subnet_indexes: [0, 0] });
  await write(gw, 'subnet-az-move', { ...gateway, public_subnet_az_indexes: [0, 0] });

  // Instance mode: back to gateways, and a newer tagged AMI adopted.
  const inst = r.environment('stage', 'us-west-2');
  await inst.registerNatAmi('2026-11-01');
  await apply(inst, instance);
  await write(inst, 'instance-to-gateway', gateway);
  await inst.registerNatAmi('2026-11-15');
  await write(inst, 'ami-adoption', instance);

  // A lookup without the tested-tag filter: a newer image a failed test stage left untagged is adopted.
  const dev = r.environment('dev', 'eu-west-1');
  const byName: Vars = { ...instance, nat_ami_role_filter: false };
  await dev.registerNatAmi('2026-11-01');
  await apply(dev, byName);
  await dev.registerNatAmi('2026-11-20', false);
  await write(dev, 'ami-adoption-untested', byName);
} finally {
  await r.stop();
}
