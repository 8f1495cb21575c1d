/**
 * Runs the jobs of one workflow file step by step, as the GitHub runner does, and records what a person would see
 * (record.ts). Parsing, validation and `if:` normalisation: @actions/workflow-parser; expressions:
 * @actions/expressions; the runner's semantics (file commands, workflow commands, masking, job outputs) are
 * ported from actions/runner (see the files of this folder). Not modelled (the record's `unhandled` lists what a
 * run met): concurrency, permissions, matrix, reusable-workflow calls, composite/docker actions, pre/post,
 * hashFiles(), cancellation, job timeout, problem matchers, environment protection rules, upload globs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CommandParser } from './commands';
import { asString, evaluateCondition, type Contexts } from './expressions';
import { SecretMasker } from './masker';
import { RunRecord, type JobResult } from './record';
import type { StandIn, StandInOptions } from './standins';
import { annotate, runStep, stringMap, type JobState } from './step';
import { field, loadWorkflow, valueOf, type LoadedWorkflow, type Scope } from './template';

export interface RunOptions {
  /** Path of the workflow file. */
  workflow: string;
  /** Where workspaces, the artifact store and the event file go. */
  runDir: string;
  /** The repository `$/…` refers to (default: the workflow's repository). */
  selfRepository?: string;
  /** Job ids to run (default all); their `needs` must be among them or in `needs`. */
  jobs?: string[];
  /** Results of jobs not run here. */
  needs?: Record<string, JobResult>;
  /** The triggering (caller's) event. */
  event?: { name: string; payload?: Record<string, unknown> };
  /** workflow_call (default when the workflow has it) or workflow_dispatch. */
  trigger?: 'workflow_call' | 'workflow_dispatch';
  inputs?: Record<string, unknown>;
  /**
   * Secrets the caller passes (workflow_call: by name, each must be declared in on.workflow_call.secrets, as
   * GitHub requires) or the repository has (workflow_dispatch). Environment secrets go in `environments`.
   */
  secrets?: Record<string, string>;
  /** workflow_call with `secrets: inherit`: every secret in `secrets` reaches the called workflow. */
  inheritSecrets?: boolean;
  vars?: Record<string, string>;
  environments?: Record<string, { secrets?: Record<string, string>; vars?: Record<string, string> }>;
  /** Overrides of the github context (repository, run_id, run_attempt, api_url, token, …). */
  github?: Record<string, string>;
  /** node binary per runs.using (node20, node24); default this Node. */
  node?: Record<string, string>;
  standIns?: Record<string, StandIn>;
  /** The runner machine's environment (default PATH, HOME, LANG, TMPDIR of this process). */
  baseEnv?: Record<string, string>;
  options?: StandInOptions;
  /** Record into this one (e.g. shared with the fake GitHub API). */
  record?: RunRecord;
}

export async function runWorkflow(given: RunOptions): Promise<RunRecord> {
  const wf = await loadWorkflow(given.workflow);
  const opts: RunOptions = { ...given, secrets: resolveSecrets(wf, given) };
  const record = opts.record ?? new RunRecord();
  const runDir = resolve(opts.runDir);
  mkdirSync(runDir, { recursive: true });
  const event = opts.event ?? { name: 'workflow_dispatch', payload: {} };
  const inputs = resolveInputs(wf, opts);
  const eventPath = join(runDir, 'event.json');
  writeFileSync(eventPath, JSON.stringify(event.payload ?? {}));
  const github = githubContext(opts, event, eventPath);
  noteUnhandled(wf, record);
  const results: Record<string, JobResult> = { ...opts.needs };
  const wanted = opts.jobs ?? wf.template.jobs.map((j) => j.id.value);
  for (const job of order(wf.template.jobs.filter((j) => wanted.includes(j.id.value)))) {
    const id = job.id.value;
    const needs: Record<string, JobResult> = {};
    for (const n of job.needs ?? []) {
      const done = results[n.value];
      if (!done) throw new Error(`job ${id} needs ${n.value}: run it too or give its result in needs`);
      needs[n.value] = done;
    }
    results[id] = await runJob({ wf, job, needs, inputs, github, record, runDir, opts });
  }
  // workflow_call outputs: on.workflow_call.outputs.<name>.value, with the jobs context.
  const callOutputs = field(field(wf.root, 'on'), 'workflow_call')?.find?.('outputs');
  for (const { key, value } of callOutputs ?? []) {
    const contexts = { github, inputs, vars: opts.vars ?? {}, jobs: results };
    record.workflowOutputs[key.value] = asString(valueOf(field(value, 'value'), { contexts }));
  }
  return record;
}

function triggerOf(wf: LoadedWorkflow, opts: RunOptions): 'workflow_call' | 'workflow_dispatch' {
  return (
    opts.trigger ?? ((wf.template.events as Record<string, any>).workflow_call ? 'workflow_call' : 'workflow_dispatch')
  );
}

/**
 * The secrets context a called workflow gets (GitHub: "Using secrets in reusable workflows"): only those it declares
 * in on.workflow_call.secrets, passed by the caller (plus GITHUB_TOKEN, added per job), unless the caller says
 * `secrets: inherit`. A name passed but not declared is refused, as GitHub refuses the call; a required one missing
 * too. Environment secrets reach a job that names its environment, declared or not.
 */
function resolveSecrets(wf: LoadedWorkflow, opts: RunOptions): Record<string, string> {
  const given = opts.secrets ?? {};
  if (triggerOf(wf, opts) !== 'workflow_call' || opts.inheritSecrets) return { ...given };
  const declared: Record<string, { required?: boolean }> =
    (wf.template.events as Record<string, any>).workflow_call?.secrets ?? {};
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(given)) {
    if (!(name in declared)) throw new Error(`Invalid secret, ${name} is not defined in the referenced workflow.`);
    out[name] = value;
  }
  for (const [name, def] of Object.entries(declared))
    if (def?.required && !(name in out)) throw new Error(`Secret ${name} is required, but not provided while calling.`);
  return out;
}

function resolveInputs(wf: LoadedWorkflow, opts: RunOptions): Record<string, unknown> {
  const events = wf.template.events as Record<string, any>;
  const trigger = triggerOf(wf, opts);
  const defs: Record<string, any> = events[trigger]?.inputs ?? {};
  const given = opts.inputs ?? {};
  for (const name of Object.keys(given))
    if (!(name in defs)) throw new Error(`Invalid input, ${name} is not defined in the referenced workflow.`);
  const inputs: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(defs)) {
    let v: unknown = name in given ? given[name] : def.default;
    if (v && typeof v === 'object') v = (v as { value: unknown }).value; // a ScalarToken default
    if (v === undefined) {
      if (def.required) throw new Error(`Input ${name} is required, but not provided while calling.`);
      v = def.type === 'boolean' ? false : def.type === 'number' ? 0 : '';
    }
    if (def.type === 'boolean') v = v === true || v === 'true';
    else if (def.type === 'number') v = Number(v);
    else v = String(v);
    inputs[name] = v;
  }
  return inputs;
}

function githubContext(opts: RunOptions, event: { name: string; payload?: unknown }, eventPath: string) {
  const g = opts.github ?? {};
  const repository = g.repository ?? 'example/infra';
  return {
    event_name: event.name,
    event: event.payload ?? {},
    repository,
    repository_owner: repository.split('/')[0],
    sha: '0000000000000000000000000000000000000001',
    ref: 'refs/heads/main',
    run_id: '1000',
    run_number: '1',
    run_attempt: '1',
    actor: 'octocat',
    triggering_actor: 'octocat',
    workflow: 'harness',
    server_url: 'https://github.com',
    api_url: 'https://api.github.com',
    graphql_url: 'https://api.github.com/graphql',
    token: 'ghs_harnessToken000000000000000000000000',
    workspace: '',
    action: '',
    retention_days: '90',
    ...g,
    _eventPath: eventPath,
  };
}

function order<T extends { id: { value: string }; needs?: { value: string }[] }>(jobs: T[]): T[] {
  const done = new Set<string>();
  const out: T[] = [];
  const visit = (j: T, stack: string[] = []) => {
    if (done.has(j.id.value)) return;
    if (stack.includes(j.id.value)) throw new Error(`needs cycle: ${[...stack, j.id.value].join(' → ')}`);
    for (const n of j.needs ?? []) {
      const dep = jobs.find((x) => x.id.value === n.value);
      if (dep) visit(dep, [...stack, j.id.value]);
    }
    done.add(j.id.value);
    out.push(j);
  };
  jobs.forEach((j) => visit(j));
  return out;
}

function noteUnhandled(wf: LoadedWorkflow, record: RunRecord): void {
  if (field(wf.root, 'concurrency')) record.unhandled.push('concurrency (groups are not serialised)');
  if (field(wf.root, 'permissions')) record.unhandled.push('permissions (the token is not narrowed)');
  for (const job of wf.template.jobs as any[]) {
    if (job.type !== 'job') record.unhandled.push(`job ${job.id.value}: calls a reusable workflow (uses:)`);
    if (job.strategy) record.unhandled.push(`job ${job.id.value}: strategy/matrix`);
    if (job.services || job.container) record.unhandled.push(`job ${job.id.value}: container/services`);
  }
}

interface JobContext {
  wf: LoadedWorkflow;
  job: any;
  needs: Record<string, JobResult>;
  inputs: Record<string, unknown>;
  github: Record<string, any>;
  record: RunRecord;
  runDir: string;
  opts: RunOptions;
}

/** The job's state: environment secrets and vars applied, the masker seeded, workspace and temp folders made. */
function jobState(ctx: JobContext, environment: string | undefined): JobState {
  const { wf, job, needs, inputs, record, runDir, opts } = ctx;
  const id: string = job.id.value;
  const rawJob = field(field(wf.root, 'jobs'), id);
  const vars: Record<string, string> = { ...opts.vars };
  let secrets: Record<string, string> = { ...opts.secrets };
  const github: Record<string, any> = { ...ctx.github, job: id };
  if (environment) {
    const e = opts.environments?.[environment] ?? {};
    secrets = { ...secrets, ...e.secrets };
    Object.assign(vars, e.vars ?? {});
  }
  secrets.GITHUB_TOKEN = github.token;
  const masker = new SecretMasker();
  for (const v of Object.values(secrets)) masker.addSecret(v);
  const jobDir = join(runDir, 'jobs', id);
  const workspace = join(jobDir, 'workspace');
  const runnerTemp = join(jobDir, 'temp');
  const toolCache = join(runDir, 'tool-cache');
  for (const d of [workspace, runnerTemp, toolCache]) mkdirSync(d, { recursive: true });
  github.workspace = workspace;
  const runner = {
    os: 'Linux',
    arch: 'X64',
    name: 'harness',
    environment: 'self-hosted',
    temp: runnerTemp,
    tool_cache: toolCache,
    debug: '',
  };
  const jobCtx = { status: 'success' as 'success' | 'failure', container: {}, services: {} };
  const scope = (extra: Contexts = {}): Scope => ({
    contexts: { github, needs, vars, inputs, secrets, strategy: {}, matrix: null, runner, job: jobCtx, ...extra },
  });
  const env: Record<string, string> = {};
  Object.assign(env, stringMap(valueOf(field(wf.root, 'env'), scope()), 'env'));
  Object.assign(env, stringMap(valueOf(field(rawJob, 'env'), scope({ env: { ...env } })), 'env'));
  const defaults = {
    ...(valueOf(field(field(wf.root, 'defaults'), 'run'), scope({ env: { ...env } })) ?? {}),
    ...(valueOf(field(field(rawJob, 'defaults'), 'run'), scope({ env: { ...env } })) ?? {}),
  };
  return {
    id,
    github,
    runner,
    jobCtx,
    env,
    masker,
    workspace,
    runnerTemp,
    toolCache,
    artifactStore: join(runDir, 'artifacts'),
    selfRepository: opts.selfRepository ?? resolve(dirname(opts.workflow), '..', '..'),
    record,
    defaults,
    prependPath: [],
    steps: {},
    commands: new CommandParser(),
    echo: false,
    scope,
    baseEnv: opts.baseEnv ?? pick(process.env, ['PATH', 'HOME', 'LANG', 'TMPDIR']),
    node: opts.node ?? {},
    standIns: opts.standIns ?? {},
    options: opts.options ?? {},
  };
}

const pick = (o: NodeJS.ProcessEnv, keys: string[]) =>
  Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k] as string]));

/** Runs one job; returns { result, outputs } as the needs/jobs contexts see it. */
async function runJob(ctx: JobContext): Promise<JobResult> {
  const { wf, job, needs, inputs, record, opts } = ctx;
  const id: string = job.id.value;
  const rawJob = field(field(wf.root, 'jobs'), id);
  const github = { ...ctx.github, job: id };
  const needsStatus = Object.values(needs);
  const jobIf = evaluateCondition(
    job.if.expression,
    { github, needs, vars: opts.vars ?? {}, inputs },
    {
      allowedContext: job.if.definitionInfo?.allowedContext,
      status: {
        success: () => needsStatus.every((n) => n.result === 'success'),
        failure: () => needsStatus.some((n) => n.result === 'failure'),
        cancelled: () => false,
      },
    },
  );
  if (!jobIf) {
    record.jobs[id] = { result: 'skipped', outputs: {} };
    record.line(id, '', 'runner', `job ${id} skipped (if: ${job.if.expression})`);
    return record.jobs[id];
  }
  const base: Scope = { contexts: { github, needs, vars: opts.vars ?? {}, inputs, secrets: opts.secrets ?? {} } };
  const environment = valueOf(field(rawJob, 'environment'), base);
  const envName = typeof environment === 'object' && environment ? environment.name : environment;
  const state = jobState(ctx, envName || undefined);
  record.line(id, '', 'runner', `##[group]job ${id}${envName ? ` (environment ${envName})` : ''}`);
  record.line(id, '', 'runner', '##[endgroup]');
  for (const step of job.steps) await runStep(state, step, wf.rawSteps.get(step.run ?? step.uses));
  // Job outputs: evaluated at the end; empty ones and ones the masker would change are dropped (JobExtension.cs).
  const outputs: Record<string, string> = {};
  for (const { key, value } of job.outputs ?? []) {
    const v = asString(
      valueOf(value, state.scope({ steps: state.steps, env: { ...state.env } })),
      `outputs.${key.value}`,
    );
    if (v === '') continue;
    if (state.masker.touches(v)) {
      annotate(state, '', `Skip output '${key.value}' since it may contain secret.`);
      continue;
    }
    outputs[key.value] = v;
  }
  record.jobs[id] = { result: state.jobCtx.status === 'success' ? 'success' : 'failure', outputs };
  return record.jobs[id];
}
