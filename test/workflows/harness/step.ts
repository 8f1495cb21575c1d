/**
 * One job's steps, as the runner runs them: `if:` with the status functions, env (workflow, job, GITHUB_ENV, step),
 * `run:` under the runner's shell command lines (ScriptHandlerHelpers.cs), node actions (`$/…`, `./…`: INPUT_*
 * variables, under the node of `runs.using`), stand-ins for third-party actions, the runner's file commands after
 * each step, workflow commands on stdout AND stderr (commands.ts), masking, outcome vs conclusion
 * (continue-on-error), step timeout.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { NoOperationTraceWriter } from '@actions/workflow-parser';
import { parseAction } from '@actions/workflow-parser/actions/action-parser';
import { CommandParser } from './commands';
import { asString, evaluateCondition, type Contexts, type Status } from './expressions';
import { createFileCommands, readFileCommands, type FileCommands } from './file-commands';
import type { SecretMasker } from './masker';
import type { RunRecord } from './record';
import { defaultStandIns, type StandIn, type StandInOptions } from './standins';
import { field, valueOf, type Scope, type Token } from './template';

export interface JobState {
  id: string;
  github: Record<string, any>;
  runner: Record<string, string>;
  jobCtx: { status: 'success' | 'failure' };
  env: Record<string, string>;
  masker: SecretMasker;
  workspace: string;
  runnerTemp: string;
  toolCache: string;
  artifactStore: string;
  selfRepository: string;
  record: RunRecord;
  defaults: Record<string, string>;
  prependPath: string[];
  steps: Record<string, { outputs: Record<string, string>; outcome: string; conclusion: string }>;
  commands: CommandParser;
  echo: boolean;
  scope: (extra?: Contexts) => Scope;
  baseEnv: Record<string, string>;
  node: Record<string, string>;
  standIns: Record<string, StandIn>;
  options: StandInOptions;
}

export function stringMap(value: unknown, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((value as Record<string, unknown>) ?? {})) out[k] = asString(v, `${what}.${k}`);
  return out;
}

/** An annotation (or the runner's own error line): message masked, properties as given (the runner masks neither). */
export function annotate(
  state: JobState,
  step: string,
  message: string,
  level: 'error' | 'warning' | 'notice' = 'warning',
  properties: Record<string, string> = {},
): void {
  const masked = state.masker.mask(message);
  state.record.annotations.push({ job: state.id, step, level, message: masked, properties });
  state.record.line(state.id, step, 'runner', `##[${level}]${masked}`, message);
}

function header(
  state: JobState,
  label: string,
  lines: string[],
  h: { shell?: string; env?: Record<string, string>; inputs?: Record<string, string> },
): void {
  const out = [`##[group]${lines[0]}`, ...lines.slice(1)];
  if (h.inputs && Object.keys(h.inputs).length)
    out.push('with:', ...Object.entries(h.inputs).map(([k, v]) => `  ${k}: ${v}`));
  if (h.shell) out.push(`shell: ${h.shell}`);
  if (h.env && Object.keys(h.env).length) out.push('env:', ...Object.entries(h.env).map(([k, v]) => `  ${k}: ${v}`));
  out.push('##[endgroup]');
  for (const l of out.flatMap((x) => x.split('\n')))
    state.record.line(state.id, label, 'runner', state.masker.mask(l), l);
}

/** ScriptHandlerHelpers.cs: `bash` → `bash --noprofile --norc -e -o pipefail {0}`; none → `bash -e {0}`. */
export function shellCommand(shell: string, file: string): string[] {
  const s = (shell ?? '').trim();
  if (s === '') return ['bash', '-e', file];
  if (s === 'bash') return ['bash', '--noprofile', '--norc', '-e', '-o', 'pipefail', file];
  if (s === 'sh') return ['sh', '-e', file];
  if (!s.includes('{0}'))
    throw new Error("Invalid shell option. Shell must be a valid built-in (bash, sh, …) or a format string with '{0}'");
  return s.split(/\s+/).map((part) => part.replace('{0}', file));
}

function processEnvironment(state: JobState, stepEnv: Record<string, string>, files: FileCommands, stepId: string) {
  const { github, runner } = state;
  const env: Record<string, string> = {
    ...state.baseEnv,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: state.workspace,
    GITHUB_EVENT_NAME: github.event_name,
    GITHUB_EVENT_PATH: github._eventPath,
    GITHUB_REPOSITORY: github.repository,
    GITHUB_REPOSITORY_OWNER: github.repository_owner,
    GITHUB_SHA: github.sha,
    GITHUB_REF: github.ref,
    GITHUB_RUN_ID: String(github.run_id),
    GITHUB_RUN_NUMBER: String(github.run_number),
    GITHUB_RUN_ATTEMPT: String(github.run_attempt),
    GITHUB_ACTOR: github.actor,
    GITHUB_JOB: state.id,
    GITHUB_WORKFLOW: github.workflow,
    GITHUB_SERVER_URL: github.server_url,
    GITHUB_API_URL: github.api_url,
    GITHUB_GRAPHQL_URL: github.graphql_url,
    GITHUB_ACTION: stepId,
    RUNNER_OS: runner.os!,
    RUNNER_ARCH: runner.arch!,
    RUNNER_NAME: runner.name!,
    RUNNER_TEMP: runner.temp!,
    RUNNER_TOOL_CACHE: runner.tool_cache!,
    ...files,
    ...state.env,
    ...stepEnv,
  };
  if (state.prependPath.length)
    env.PATH = [...state.prependPath].reverse().join(':') + (env.PATH ? `:${env.PATH}` : '');
  return env;
}

export interface LineSink {
  outputs: Record<string, string>;
  failed(): boolean;
  line(stream: 'stdout' | 'stderr', text: string): void;
  chunk(stream: 'stdout' | 'stderr', data: string): void;
  flush(): void;
}

/** The workflow commands a line holds, handled as the runner handles them (ActionCommandManager and the commands). */
function handleLine(state: JobState, label: string, sink: LineSink, fail: (m: string) => void) {
  const { record, masker, commands } = state;
  const out = (stream: 'stdout' | 'stderr', text: string) =>
    record.line(state.id, label, stream, masker.mask(text), text);
  return (stream: 'stdout' | 'stderr', text: string) => {
    let cmd;
    try {
      cmd = commands.process(text);
    } catch (err) {
      annotate(state, label, `Unable to process command '${text}' successfully.`, 'error');
      return fail((err as Error).message);
    }
    if (!cmd) return out(stream, text);
    if (cmd.kind === 'stop') {
      if (cmd.token.length > 6) masker.add(cmd.token);
      return out(stream, text);
    }
    if (cmd.kind === 'resume') return out(stream, text);
    const { command, properties, data } = cmd;
    switch (command.toLowerCase()) {
      case 'add-mask':
        if (!data.trim())
          return annotate(state, label, "Can't add secret mask for empty string in ##[add-mask] command.");
        record.masks.push({ job: state.id, step: label, value: data });
        masker.add(data);
        for (const part of data.split(/[\r\n]+/)) masker.add(part.trim());
        if (state.echo) out(stream, '::add-mask::***');
        return;
      case 'error':
      case 'warning':
      case 'notice':
        return annotate(state, label, data, command.toLowerCase() as 'error', properties);
      case 'debug':
        return record.line(state.id, label, stream, `##[debug]${masker.mask(data)}`, data);
      case 'group':
      case 'endgroup':
        return out(stream, `##[${command.toLowerCase()}]${data}`);
      case 'echo':
        if (!['on', 'off'].includes(data.toLowerCase()))
          return fail(`Invalid echo command value. Possible values can be: 'on', 'off'. Current value is: '${data}'.`);
        state.echo = data.toLowerCase() === 'on';
        return;
      case 'set-output':
        annotate(state, label, 'The `set-output` command is deprecated and will be disabled soon.');
        if (!properties.name) return fail("Required field 'name' is missing in ##[set-output] command.");
        sink.outputs[properties.name] = data;
        return;
      case 'save-state':
        return annotate(state, label, 'The `save-state` command is deprecated and will be disabled soon.');
      case 'set-env':
      case 'add-path':
        if (state.env.ACTIONS_ALLOW_UNSECURE_COMMANDS === 'true')
          return void record.unhandled.push(`${command} with ACTIONS_ALLOW_UNSECURE_COMMANDS`);
        annotate(state, label, `Unable to process command '${text}' successfully.`, 'error');
        return fail(`The \`${command}\` command is disabled. Please upgrade to using Environment Files.`);
      default:
        record.unhandled.push(`workflow command ${command}`);
        return out(stream, text);
    }
  };
}

/** Line handling of one step: lines end at CRLF, CR or LF (ReadLine); each is offered to the command parser. */
export function lineSink(state: JobState, label: string): LineSink {
  let failed = false;
  const buffers = { stdout: '', stderr: '' };
  const sink: LineSink = {
    outputs: {},
    failed: () => failed,
    line: (stream, text) => handle(stream, text),
    chunk(stream, data) {
      buffers[stream] += data;
      for (;;) {
        const b = buffers[stream];
        const m = /\r\n|\r|\n/.exec(b);
        if (!m || (m[0] === '\r' && m.index === b.length - 1)) break; // a CR at the end may be half of a CRLF
        handle(stream, b.slice(0, m.index));
        buffers[stream] = b.slice(m.index + m[0].length);
      }
    },
    flush() {
      for (const s of ['stdout', 'stderr'] as const) {
        const rest = buffers[s].replace(/\r$/, '');
        buffers[s] = '';
        if (rest) handle(s, rest);
      }
    },
  };
  const handle = handleLine(state, label, sink, (m) => {
    annotate(state, label, m, 'error');
    failed = true;
  });
  return sink;
}

function spawnStep(
  file: string,
  args: string[],
  o: { cwd: string; env: Record<string, string>; timeoutMs: number },
  io: LineSink,
): Promise<number | 'timeout'> {
  return new Promise((res) => {
    const child = spawn(file, args, { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, o.timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => io.chunk('stdout', d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => io.chunk('stderr', d));
    child.on('error', (err) => io.line('stderr', `##[error]${err.message}`));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      res(timedOut ? 'timeout' : (code ?? (signal ? 128 : 1)));
    });
  });
}

interface StepRun {
  processEnv: Record<string, string>;
  files: FileCommands;
  io: LineSink;
  label: string;
  timeoutMs: number;
  stepEnv: Record<string, string>;
  sc: (extra?: Contexts) => Scope;
}

async function runAction(state: JobState, step: any, raw: Token, r: StepRun): Promise<number | 'timeout'> {
  const uses: string = step.uses.value;
  const withValues = stringMap(valueOf(field(raw, 'with'), r.sc()), 'with');
  let dir: string | undefined;
  if (uses.startsWith('$/')) dir = join(state.selfRepository, uses.slice(2));
  else if (uses.startsWith('./')) dir = join(state.workspace, uses.slice(2));
  else if (uses.startsWith('docker://')) throw new Error(`${uses}: docker actions are not handled by the harness`);
  if (!dir) {
    const name = uses.split('@')[0]!.toLowerCase();
    const standIn = state.standIns[name] ?? defaultStandIns[name];
    if (!standIn) throw new Error(`${uses}: no stand-in registered for ${name}`);
    header(state, r.label, [`Run ${uses}`], { inputs: withValues, env: { ...state.env, ...r.stepEnv } });
    const log = (l: string) => r.io.line('stdout', l);
    await standIn({ inputs: withValues, env: r.processEnv, files: r.files, log, state, options: state.options, uses });
    return 0;
  }
  const file = ['action.yml', 'action.yaml'].map((f) => join(dir, f)).find(existsSync);
  if (!file) throw new Error(`Can't find 'action.yml' or 'action.yaml' under '${dir}'.`);
  const parsed = parseAction({ name: file, content: readFileSync(file, 'utf8') }, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors();
  if (errors.length) throw new Error(`${file}: ${errors.map((e) => e.message).join('; ')}`);
  const runs = valueOf(field(parsed.value, 'runs'), { contexts: {} });
  const inputs: Record<string, string> = {};
  const declared: string[] = [];
  for (const { key, value } of field(parsed.value, 'inputs') ?? []) {
    declared.push(key.value);
    const def = field(value, 'default');
    if (def !== undefined) inputs[key.value] = asString(valueOf(def, r.sc()));
  }
  const unexpected = Object.keys(withValues).filter((k) => !declared.some((d) => d.toLowerCase() === k.toLowerCase()));
  if (unexpected.length)
    annotate(
      state,
      r.label,
      `Unexpected input(s) '${unexpected.join("', '")}', valid inputs are ['${declared.join("', '")}']`,
    );
  Object.assign(inputs, withValues);
  header(state, r.label, [`Run ${uses}`], { inputs: withValues, env: { ...state.env, ...r.stepEnv } });
  if (runs.pre || runs.post) state.record.unhandled.push(`${uses}: pre/post steps`);
  if (!/^node\d+$/.test(runs.using)) throw new Error(`${uses}: runs.using ${runs.using} is not handled`);
  const node = state.node[runs.using] ?? process.execPath;
  const env: Record<string, string> = { ...r.processEnv, GITHUB_ACTION_PATH: dir };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.replace(/ /g, '_').toUpperCase()}`] = v;
  const main = isAbsolute(runs.main) ? runs.main : join(dir, runs.main);
  return spawnStep(node, [main], { cwd: state.workspace, env, timeoutMs: r.timeoutMs }, r.io);
}

async function runScript(state: JobState, step: any, raw: Token, r: StepRun): Promise<number | 'timeout'> {
  const script = asString(valueOf(step.run, r.sc({ env: { ...state.env, ...r.stepEnv } })), 'run');
  const shell = asString(valueOf(field(raw, 'shell'), r.sc())) || state.defaults.shell || '';
  const wd = asString(valueOf(field(raw, 'working-directory'), r.sc())) || state.defaults['working-directory'] || '';
  const lines = script.split('\n');
  header(state, r.label, [`Run ${lines[0]}`, ...lines.slice(1)], {
    shell: shellCommand(shell, '{0}').join(' '),
    env: { ...state.env, ...r.stepEnv },
  });
  const cwd = resolve(state.workspace, wd);
  if (!existsSync(cwd))
    throw new Error(`An error occurred trying to start process '${shell || 'bash'}' with working directory '${cwd}'.`);
  const scriptFile = join(state.runnerTemp, `${randomUUID()}.sh`);
  writeFileSync(scriptFile, script);
  const [file, ...args] = shellCommand(shell, scriptFile);
  return spawnStep(file!, args, { cwd, env: r.processEnv, timeoutMs: r.timeoutMs }, r.io);
}

/** After the step: outputs, GITHUB_ENV, GITHUB_PATH, the step summary (masked line by line, refused over 1 MiB). */
function applyFileCommands(state: JobState, label: string, files: FileCommands, outputs: Record<string, string>) {
  const fc = readFileCommands(files);
  for (const [k, v] of fc.outputs()) outputs[k] = v;
  for (const [k, v] of fc.env()) {
    if (k.toUpperCase() === 'NODE_OPTIONS')
      annotate(state, label, "Can't store NODE_OPTIONS output parameter using '$GITHUB_ENV' command.", 'error');
    else state.env[k] = v;
  }
  for (const p of fc.path()) {
    state.prependPath = state.prependPath.filter((x) => x !== p);
    state.prependPath.push(p);
  }
  fc.state();
  const summary = fc.summary();
  if (summary.tooLarge)
    annotate(state, label, `$GITHUB_STEP_SUMMARY upload aborted, supports content up to a size of 1024k.`, 'error');
  else if (summary.text)
    state.record.summaries.push({
      job: state.id,
      step: label,
      markdown: summary.text
        .split('\n')
        .map((l) => state.masker.mask(l))
        .join('\n'),
    });
}

export async function runStep(state: JobState, step: any, raw: Token): Promise<void> {
  const { record } = state;
  const status: Status = {
    success: () => state.jobCtx.status === 'success',
    failure: () => state.jobCtx.status === 'failure',
    cancelled: () => false,
  };
  const sc = (extra: Contexts = {}): Scope => ({
    ...state.scope({ steps: state.steps, env: { ...state.env }, ...extra }),
    status,
  });
  const runText = step.run ? String(step.run.value ?? step.run.expression).split('\n')[0] : '';
  const display = asString(valueOf(step.name, sc())) || (step.run ? `Run ${runText}` : `Run ${step.uses.value}`);
  const label = step.id.startsWith('__') ? display : step.id;
  let run: boolean;
  try {
    const allowedContext = step.if.definitionInfo?.allowedContext;
    run = evaluateCondition(step.if.expression, sc().contexts, { allowedContext, status });
  } catch (err) {
    annotate(
      state,
      label,
      `The step failed and an error occurred when evaluating if: ${(err as Error).message}`,
      'error',
    );
    state.jobCtx.status = 'failure';
    return;
  }
  if (!run) {
    if (!step.id.startsWith('__')) state.steps[step.id] = { outputs: {}, outcome: 'skipped', conclusion: 'skipped' };
    record.line(state.id, label, 'runner', `(skipped) ${display}`);
    return;
  }
  let outcome = 'success';
  const outputs: Record<string, string> = {};
  try {
    const stepEnv = stringMap(valueOf(step.env, sc()), 'env');
    const files = createFileCommands(state.runnerTemp);
    const processEnv = processEnvironment(state, stepEnv, files, step.id);
    const timeoutMs = Number(valueOf(field(raw, 'timeout-minutes'), sc()) ?? 360) * 60_000;
    const io = lineSink(state, label);
    const r: StepRun = { processEnv, files, io, label, timeoutMs, stepEnv, sc };
    const code = step.run ? await runScript(state, step, raw, r) : await runAction(state, step, raw, r);
    io.flush();
    applyFileCommands(state, label, files, outputs);
    for (const [k, v] of Object.entries(io.outputs)) outputs[k] ??= v; // a file output wins on the same name
    if (code === 'timeout') {
      annotate(state, label, 'The action has timed out.', 'error');
      outcome = 'failure';
    } else if (code !== 0) {
      annotate(state, label, `Process completed with exit code ${code}.`, 'error');
      outcome = 'failure';
    } else if (io.failed()) outcome = 'failure';
  } catch (err) {
    if (!(err as { reported?: boolean }).reported) annotate(state, label, (err as Error).message, 'error');
    outcome = 'failure';
  }
  record.stepOutputs.push({ job: state.id, step: label, outputs });
  const coe = step['continue-on-error'];
  const continueOnError = typeof coe === 'boolean' ? coe : coe ? Boolean(valueOf(coe, sc())) : false;
  const conclusion = outcome === 'failure' && continueOnError ? 'success' : outcome;
  if (conclusion === 'failure') state.jobCtx.status = 'failure';
  if (!step.id.startsWith('__')) state.steps[step.id] = { outputs, outcome, conclusion };
}
