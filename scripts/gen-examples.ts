/**
 * Writes the bundled example plans (examples/plans/*.json) from the synthetic Cabalmail scenarios.
 * Run: node scripts/run-ts.mjs scripts/gen-examples.ts   (a test checks the committed files match)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { examplePlans } from '../packages/shared/test/support/examples';

const dir = resolve(process.argv[2] ?? join(process.cwd(), 'examples', 'plans'));
mkdirSync(dir, { recursive: true });
for (const [name, plan] of Object.entries(examplePlans())) {
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(plan, null, 2)}\n`);
  console.log(`wrote ${join(dir, `${name}.json`)}`);
}
