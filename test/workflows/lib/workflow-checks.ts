/**
 * The repo's own workflow checks, on top of actionlint:
 *  - untrusted input expanded by `${{ }}` inside `run:` (or an actions/github-script `script:`), where it
 *    becomes shell/JS source: script injection. Pass such values through `env:` instead.
 *  - third-party actions and reusable workflows not pinned by a full 40-hex commit SHA with a version comment
 *    (local `./…` actions and `docker://` images excepted), and one action pinned to different SHAs.
 *  - local actions of this toolkit used with inputs/outputs outside their contract or their action.yml.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTRACTS } from './contracts';
import { parseYaml } from './yaml';

export interface Finding {
  file: string;
  line: number;
  rule: 'untrusted-input' | 'pin' | 'pin-consistency' | 'local-action' | 'structure';
  message: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Where the reusable workflows check out the toolkit itself, so `./.nat-egress-toolkit/actions/<name>` works. */
export const TOOLKIT_PATH = '.nat-egress-toolkit';

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

/** 1-based line of the first occurrence of `needle` in `text` (1 when absent). */
export function lineOf(text: string, needle: string, from = 0): number {
  const at = text.indexOf(needle, from);
  if (at < 0) return 1;
  return text.slice(0, at).split('\n').length;
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

function triggers(doc: Obj): Obj {
  const on = doc.on;
  if (typeof on === 'string') return { [on]: {} };
  if (Array.isArray(on)) return Object.fromEntries(on.map((e) => [String(e), {}]));
  return isObj(on) ? on : {};
}

/** Input names whose every definition (workflow_call, workflow_dispatch) is boolean or number: safe in a script. */
function safeInputNames(doc: Obj): Set<string> {
  const types = new Map<string, string[]>();
  for (const event of ['workflow_call', 'workflow_dispatch']) {
    const def = triggers(doc)[event];
    if (!isObj(def) || !isObj(def.inputs)) continue;
    for (const [name, spec] of Object.entries(def.inputs)) {
      const type = isObj(spec) && typeof spec.type === 'string' ? spec.type : 'string';
      types.set(name, [...(types.get(name) ?? []), type]);
    }
  }
  return new Set([...types].filter(([, ts]) => ts.every((t) => t === 'boolean' || t === 'number')).map(([n]) => n));
}

/** Context values an attacker (or any free-text source) can shape. Anything else must be on TRUSTED. */
const TRUSTED = [
  /^github\.(run_id|run_number|run_attempt|sha|workspace|action_path|server_url|api_url|graphql_url|repository_id|repository_owner_id|retention_days|job|event_name)$/,
  /^github\.(repository|repository_owner)$/, // owner/name: restricted to [A-Za-z0-9._-]
  /^runner\.(temp|tool_cache|os|arch|debug|environment)$/,
  /^strategy\.(job-index|job-total|fail-fast|max-parallel)$/,
  /^job\.status$/,
];

const CONTEXT_REF = /\b(github|inputs|steps|needs|env|matrix|vars|secrets|jobs|runner|strategy|job)((?:\.[A-Za-z_][A-Za-z0-9_-]*|\.\*|\[[^\]]*\])*)/g;

/** Untrusted context references inside one expression body (the text between `${{` and `}}`). */
export function untrustedRefs(expr: string, safeInputs: ReadonlySet<string> = new Set()): string[] {
  const code = expr.replace(/'(?:[^']|'')*'/g, "''"); // string literals are data, not references
  const found: string[] = [];
  for (const m of code.matchAll(CONTEXT_REF)) {
    const ref = m[0].replace(/\[\s*'([^']*)'\s*\]/g, '.$1');
    if (m.index > 0 && /[.\w-]/.test(code[m.index - 1] ?? '')) continue; // e.g. `foo.github`
    if (m[1] === 'inputs') {
      const name = ref.split('.')[1];
      if (name !== undefined && safeInputs.has(name)) continue;
      found.push(ref);
      continue;
    }
    if (TRUSTED.some((re) => re.test(ref))) continue;
    found.push(ref);
  }
  return found;
}

const EXPR = /\$\{\{([\s\S]*?)\}\}/g;

function isGithubScript(uses: unknown): boolean {
  return typeof uses === 'string' && /^actions\/github-script@/.test(uses);
}

export function checkUntrustedInput(wf: ParsedWorkflow): Finding[] {
  const safe = safeInputNames(wf.doc);
  const findings: Finding[] = [];
  for (const { job, index, step } of stepsOf(wf.doc)) {
    const scripts: [string, string][] = [];
    if (typeof step.run === 'string') scripts.push(['run', step.run]);
    if (isGithubScript(step.uses) && isObj(step.with) && typeof step.with.script === 'string') {
      scripts.push(['github-script `script`', step.with.script]);
    }
    for (const [where, body] of scripts) {
      for (const m of body.matchAll(EXPR)) {
        const refs = untrustedRefs(m[1] ?? '', safe);
        if (refs.length === 0) continue;
        findings.push({
          file: wf.file,
          line: lineOf(wf.text, m[0]),
          rule: 'untrusted-input',
          message:
            `jobs.${job}.steps[${index}] ${where}: \`${m[0].trim()}\` expands ${refs.join(', ')} into the script source ` +
            '(script injection); pass it through `env:` and use the variable',
        });
      }
    }
  }
  return findings;
}

export interface UsesRef {
  file: string;
  line: number;
  value: string;
  comment: string | undefined;
}

/** Every `uses:` of the workflow (steps and reusable-workflow jobs) with its trailing comment from the raw text. */
export function usesRefs(wf: ParsedWorkflow): UsesRef[] {
  const values: string[] = [];
  for (const [, def] of jobsOf(wf.doc)) if (typeof def.uses === 'string') values.push(def.uses);
  for (const { step } of stepsOf(wf.doc)) if (typeof step.uses === 'string') values.push(step.uses);
  const lines = wf.text.split('\n');
  const seen = new Map<string, number>();
  return values.map((value) => {
    const esc = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const re = new RegExp(`^\\s*(?:-\\s+)?uses:\\s*(['"]?)${esc}\\1\\s*(?:#\\s*(.*?))?\\s*$`);
    const start = seen.get(value) ?? 0;
    let idx = lines.findIndex((l, i) => i >= start && re.test(l));
    if (idx < 0) idx = lines.findIndex((l) => re.test(l));
    seen.set(value, idx + 1);
    const comment = idx >= 0 ? re.exec(lines[idx] ?? '')?.[2] : undefined;
    return { file: wf.file, line: idx + 1, value, comment: comment || undefined };
  });
}

const PINNED = /^([A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+)(\/[^@\s]+)?@([0-9a-f]{40})$/;
const VERSION_COMMENT = /^v?\d+(\.\d+){0,3}\b/;

export function checkPins(wf: ParsedWorkflow): Finding[] {
  const findings: Finding[] = [];
  for (const ref of usesRefs(wf)) {
    if (ref.value.startsWith('./') || ref.value.startsWith('docker://')) continue;
    const m = PINNED.exec(ref.value);
    if (!m) {
      findings.push({
        file: ref.file,
        line: ref.line,
        rule: 'pin',
        message: `\`${ref.value}\` is not pinned by a full 40-hex commit SHA (tags and branches can be moved)`,
      });
      continue;
    }
    if (ref.comment === undefined || !VERSION_COMMENT.test(ref.comment)) {
      findings.push({
        file: ref.file,
        line: ref.line,
        rule: 'pin',
        message: `\`${ref.value}\` has no version comment (write \`# vX.Y.Z\` after the SHA so reviewers and Dependabot can follow it)`,
      });
    }
  }
  return findings;
}

/** Across files: one action (owner/repo[/path]) is pinned to one SHA with one version comment. */
export function checkPinConsistency(refs: UsesRef[]): Finding[] {
  const byAction = new Map<string, UsesRef[]>();
  for (const ref of refs) {
    const m = PINNED.exec(ref.value);
    if (!m) continue;
    const key = `${m[1]}${m[2] ?? ''}`;
    byAction.set(key, [...(byAction.get(key) ?? []), ref]);
  }
  const findings: Finding[] = [];
  for (const [action, list] of byAction) {
    const variants = new Set(list.map((r) => `${r.value.split('@')[1]} # ${r.comment ?? ''}`));
    if (variants.size > 1) {
      const first = list[0]!;
      findings.push({
        file: first.file,
        line: first.line,
        rule: 'pin-consistency',
        message: `${action} is pinned differently across workflows: ${[...variants].join(' | ')}`,
      });
    }
  }
  return findings;
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
  return { using: runs.using, main: runs.main, inputs, outputs: new Set(Object.keys(isObj(doc.outputs) ? doc.outputs : {})) };
}

const LOCAL_ACTION = new RegExp(`^\\./(?:${TOOLKIT_PATH.replace('.', '\\.')}/)?actions/([^/]+)/?$`);

/** Local toolkit actions: known name, `with:` keys and `steps.<id>.outputs.<name>` within the contract and action.yml. */
export function checkLocalActions(wf: ParsedWorkflow, root: string): Finding[] {
  const findings: Finding[] = [];
  const add = (line: number, message: string): void => {
    findings.push({ file: wf.file, line, rule: 'local-action', message });
  };
  for (const [job, def] of jobsOf(wf.doc)) {
    const steps = Array.isArray(def.steps) ? def.steps.filter(isObj) : [];
    const outputsById = new Map<string, { name: string; outputs: Set<string> }>();
    for (const step of steps) {
      if (typeof step.uses !== 'string') continue;
      const m = LOCAL_ACTION.exec(step.uses);
      if (!m) continue;
      const name = m[1]!;
      const line = lineOf(wf.text, step.uses);
      const contract = CONTRACTS[name];
      if (!contract) {
        add(line, `jobs.${job}: unknown local action \`${step.uses}\` (known: ${Object.keys(CONTRACTS).join(', ')})`);
        continue;
      }
      const meta = readActionYml(root, name);
      const inputs = new Set(meta ? Object.keys(meta.inputs) : contract.inputs);
      const outputs = meta ? meta.outputs : new Set(contract.outputs);
      const given = Object.keys(isObj(step.with) ? step.with : {});
      for (const key of given) {
        if (!inputs.has(key)) add(line, `jobs.${job}: \`${name}\` has no input \`${key}\` (inputs: ${[...inputs].join(', ')})`);
      }
      if (meta) {
        for (const [key, spec] of Object.entries(meta.inputs)) {
          if (spec.required && !spec.hasDefault && !given.includes(key)) add(line, `jobs.${job}: \`${name}\` requires input \`${key}\``);
        }
      }
      if (typeof step.id === 'string') outputsById.set(step.id, { name, outputs });
    }
    const jobText = JSON.stringify(def);
    for (const m of jobText.matchAll(/steps\.([A-Za-z_][A-Za-z0-9_-]*)\.outputs\.([A-Za-z_][A-Za-z0-9_-]*)/g)) {
      const target = outputsById.get(m[1]!);
      if (target && !target.outputs.has(m[2]!)) {
        add(lineOf(wf.text, m[0]), `jobs.${job}: \`${target.name}\` (step \`${m[1]}\`) has no output \`${m[2]}\``);
      }
    }
  }
  return findings;
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

/** Every job states its own `permissions:` (least privilege per job, nothing inherited by accident). */
export function checkJobPermissions(wf: ParsedWorkflow): Finding[] {
  const findings: Finding[] = [];
  for (const [job, def] of jobsOf(wf.doc)) {
    if (!('permissions' in def)) {
      findings.push({
        file: wf.file,
        line: lineOf(wf.text, `\n  ${job}:`) + 1,
        rule: 'structure',
        message: `jobs.${job} has no \`permissions:\` of its own`,
      });
    }
  }
  if (!('permissions' in wf.doc)) {
    findings.push({ file: wf.file, line: 1, rule: 'structure', message: 'no workflow-level `permissions:` (set `{}` or read-only)' });
  }
  return findings;
}

export function formatFindings(findings: Finding[]): string {
  return findings.map((f) => `${f.file}:${f.line}: [${f.rule}] ${f.message}`).join('\n');
}
