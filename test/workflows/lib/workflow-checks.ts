/**
 * Workflow parsing helpers and the one check only this project can make: each action's action.yml keeps its
 * input/output contract (lib/contracts.ts), runs on node24 from dist/index.js. Everything else a workflow or
 * action can get wrong (script injection, pinning, permissions, dangerous triggers, local action inputs and
 * outputs, shell scripts) is the field's linters' job: see lib/linters.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTRACTS } from './contracts';
import { parseYaml } from './yaml';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface ParsedWorkflow {
  file: string;
  text: string;
  doc: Obj;
}

export function parseWorkflow(file: string, text: string): ParsedWorkflow {
  const doc = parseYaml(text);
  if (!isObj(doc)) throw new Error(`${file}: not a YAML mapping`);
  return { file, text, doc };
}

export interface StepRef {
  job: string;
  index: number;
  step: Obj;
}

export function jobsOf(doc: Obj): [string, Obj][] {
  const jobs = doc.jobs;
  if (!isObj(jobs)) return [];
  return Object.entries(jobs).filter((e): e is [string, Obj] => isObj(e[1]));
}

export function stepsOf(doc: Obj): StepRef[] {
  const out: StepRef[] = [];
  for (const [job, def] of jobsOf(doc)) {
    const steps = def.steps;
    if (!Array.isArray(steps)) continue;
    steps.forEach((step, index) => {
      if (isObj(step)) out.push({ job, index, step });
    });
  }
  return out;
}

interface ActionYml {
  using: unknown;
  main: unknown;
  inputs: Record<string, { required: boolean; hasDefault: boolean }>;
  outputs: Set<string>;
}

function readActionYml(root: string, name: string): ActionYml | undefined {
  const file = join(root, 'actions', name, 'action.yml');
  if (!existsSync(file)) return undefined;
  const doc = parseYaml(readFileSync(file, 'utf8'));
  if (!isObj(doc)) throw new Error(`${file}: not a YAML mapping`);
  const runs = isObj(doc.runs) ? doc.runs : {};
  const inputs: ActionYml['inputs'] = {};
  for (const [k, v] of Object.entries(isObj(doc.inputs) ? doc.inputs : {})) {
    inputs[k] = { required: isObj(v) && v.required === true, hasDefault: isObj(v) && v.default !== undefined };
  }
  return {
    using: runs.using,
    main: runs.main,
    inputs,
    outputs: new Set(Object.keys(isObj(doc.outputs) ? doc.outputs : {})),
  };
}

/** An existing action.yml must keep the contract: every contract input/output, node24, dist/index.js. */
export function checkActionMetadata(root: string, name: string): string[] {
  const meta = readActionYml(root, name);
  const contract = CONTRACTS[name];
  if (!meta || !contract) return [];
  const problems: string[] = [];
  if (meta.using !== 'node24') problems.push(`runs.using is ${JSON.stringify(meta.using)}, expected node24`);
  if (meta.main !== 'dist/index.js') problems.push(`runs.main is ${JSON.stringify(meta.main)}, expected dist/index.js`);
  for (const i of contract.inputs) if (!(i in meta.inputs)) problems.push(`contract input \`${i}\` missing`);
  for (const o of contract.outputs) if (!meta.outputs.has(o)) problems.push(`contract output \`${o}\` missing`);
  return problems;
}
