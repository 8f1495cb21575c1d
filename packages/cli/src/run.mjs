/**
 * Runs an action's bundled dist/index.js the way the GitHub runner does (inputs as INPUT_* variables,
 * GITHUB_OUTPUT and GITHUB_STEP_SUMMARY as files in a temporary RUNNER_TEMP), and turns its workflow commands
 * into terminal output as they arrive:
 *   ::error:: / ::warning:: / ::notice::  → "error: …" (red), "warning: …" (yellow), "note: …"
 *   ::group::title / ::endgroup::        → a bold title line
 *   ::debug::                            → shown with --verbose only
 *   ::add-mask:: and other commands      → not shown
 * On a terminal, the long waits (build-nat-ami's build, verify-egress's `wait`, cutover's wait for the Elastic IP
 * release) show a status line updated in place — the stage, its elapsed time, the AZs' egress — drawn from the
 * action's progress events (packages/shared/src/runtime/progress.ts: JSON lines on a pipe the CLI opens as the
 * child's fd 3 and names in NAT_EGRESS_PROGRESS_FD), never from its log sentences. With the channel attached the
 * action leaves its heartbeat lines out of the log (the status line shows the same); elsewhere (piped, in Actions)
 * no channel is opened and every line is printed as the action wrote it.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, sep } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
// The toolkit's one duration formatter, plain JavaScript in the shared package (the CLI runs from the toolkit's
// checkout under plain node and loads no TypeScript source).
import { formatElapsed } from '../../shared/src/inputs/duration.js';
import { paint } from './style.mjs';

/** runtime/progress.ts PROGRESS_FD_ENV: the variable naming the channel's file descriptor. */
export const PROGRESS_FD_ENV = 'NAT_EGRESS_PROGRESS_FD';
/** runtime/progress.ts PROGRESS_VERSION: the channel version this CLI reads (other versions are skipped). */
export const PROGRESS_VERSION = 1;
/** The child's file descriptor the channel is opened on. */
const PROGRESS_FD = 3;

/** Parses the runner's GITHUB_OUTPUT file (name=value and name<<DELIMITER heredoc forms). */
export function parseOutputFile(text) {
  /** @type {Record<string, string>} */
  const out = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const value = [];
      while (++i < lines.length && lines[i] !== heredoc[2]) value.push(lines[i]);
      out[heredoc[1]] = value.join('\n');
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return out;
}

/**
 * What one line of the progress channel means for the status line, or undefined (not JSON, another version, a
 * type this CLI does not know).
 * @param {string} line  one JSON line of the channel
 * @returns {{ kind: 'stage', key: string, stage: string, heartbeat: boolean }
 *   | { kind: 'az', az: string, egress: string } | { kind: 'end' } | undefined}  a stage's `key` names it: the
 *   status line's elapsed time restarts when the key changes (a new build stage), not on every check of a wait
 */
export function statusUpdate(line) {
  let message;
  try {
    message = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!message || message.v !== PROGRESS_VERSION) return undefined;
  if (message.type === 'stage' && typeof message.stage === 'string') {
    return {
      kind: 'stage',
      key: `${message.wait}@${message.since}`,
      stage: message.stage,
      heartbeat: message.heartbeat === true,
    };
  }
  if (message.type === 'az' && typeof message.az === 'string')
    return { kind: 'az', az: message.az, egress: String(message.egress) };
  if (message.type === 'end') return { kind: 'end' };
  return undefined;
}

/** A status line redrawn in place on a terminal stream; a no-op elsewhere. */
export class StatusLine {
  constructor(stream, enabled, now = Date.now) {
    this.stream = stream;
    this.enabled = enabled;
    this.now = now;
    this.stage = '';
    this.key = '';
    this.since = 0;
    this.start = 0;
    this.shown = false;
    this.timer = undefined;
    /** @type {Map<string, string>} each AZ's egress, as the latest progress event gave it */
    this.azs = new Map();
  }
  /** Applies one statusUpdate. */
  update(update) {
    if (update.kind === 'stage') this.set(update.key, update.stage);
    else if (update.kind === 'az') this.az(update.az, update.egress);
    else this.stop();
  }
  set(key, stage) {
    if (!this.enabled) return;
    if (!this.start) this.start = this.now();
    if (key !== this.key) {
      this.key = key;
      this.since = this.now();
    }
    if (stage) this.stage = stage;
    this.draw();
    if (!this.timer) {
      this.timer = setInterval(() => this.draw(), 1000);
      this.timer.unref();
    }
  }
  az(az, egress) {
    if (!this.enabled) return;
    this.azs.set(az, egress);
    this.draw();
  }
  text() {
    const now = this.now();
    const total = now - this.start > now - this.since + 999 ? ` (${formatElapsed(now - this.start)} in all)` : '';
    const azs = [...this.azs].map(([az, egress]) => `${az} ${egress}`).join(', ');
    return `⏳ ${this.stage} · ${formatElapsed(now - this.since)}${total}${azs ? ` · ${azs}` : ''}`;
  }
  draw() {
    if (!this.enabled || !this.stage) return;
    const text = this.text();
    const cols = this.stream.columns || 100;
    this.stream.write(`\r\x1b[2K${text.length > cols - 1 ? `${text.slice(0, cols - 2)}…` : text}`);
    this.shown = true;
  }
  clear() {
    if (this.shown) this.stream.write('\r\x1b[2K');
    this.shown = false;
  }
  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
    this.stage = '';
    this.key = '';
    this.azs.clear();
  }
}

/**
 * @param {{ main: string, env: Record<string, string | undefined>, cwd: string, log: NodeJS.WritableStream,
 *   color: boolean, progress: boolean, verbose: boolean, view?: { hidePlain: boolean, hold?: string[] },
 *   reportDir?: string, node?: string }} options  `progress`: draw the status line (a terminal), from the progress
 *   channel the child is given; `view`: see lineHandler (`hold`: the annotation levels held, default all);
 *   `reportDir`: see collectResults
 * @returns {Promise<{ code: number, outputs: Record<string, string>, summary: string, errors: string[],
 *   held: { level: string, message: string, title?: string }[], printed: number }>}  `errors`: every error
 *   annotation's message; `held`: the annotations not printed (view); `printed`: lines of the action's stdout shown
 */
export async function runActionDist(options) {
  const runner = runnerFiles(options);
  const status = new StatusLine(options.log, options.progress);
  const errors = [];
  const held = [];
  const counts = { printed: 0 };
  try {
    const code = await spawnAction(options, runner.env, {
      onLine: lineHandler(options, status, errors, held, counts),
      onEvent: (line) => {
        const update = statusUpdate(line);
        if (update) status.update(update);
      },
      status,
    });
    return {
      code,
      ...collectResults(runner, options.reportDir),
      errors,
      held,
      printed: counts.printed,
    };
  } finally {
    rmSync(runner.dir, { recursive: true, force: true });
  }
}

/**
 * The action's RUNNER_TEMP with its GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, and the environment of the run:
 * the runner's variables, and the progress channel's variable only when the CLI opens the channel.
 */
function runnerFiles(options) {
  const dir = mkdtempSync(join(options.env.TMPDIR || tmpdir(), 'nat-egress-'));
  const outputFile = join(dir, 'output');
  const summaryFile = join(dir, 'summary');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  const env = {
    ...options.env,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_STATE: join(dir, 'state'),
    GITHUB_ENV: join(dir, 'env'),
    GITHUB_PATH: join(dir, 'path'),
    RUNNER_TEMP: dir,
    GITHUB_WORKSPACE: options.env.GITHUB_WORKSPACE ?? options.cwd,
  };
  delete env[PROGRESS_FD_ENV];
  if (options.progress) env[PROGRESS_FD_ENV] = String(PROGRESS_FD);
  return { dir, outputFile, summaryFile, env };
}

/**
 * A workflow command's properties (`title=NAT high%3A …,file=…`) decoded as @actions/core encodes them
 * (`%25` `%0D` `%0A` `%3A` `%2C`).
 */
export function commandProperties(raw) {
  /** @type {Record<string, string>} */
  const props = {};
  for (const part of (raw ?? '').split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    props[part.slice(0, eq)] = part
      .slice(eq + 1)
      .replace(/%0A/gi, '\n')
      .replace(/%0D/gi, '\r')
      .replace(/%3A/gi, ':')
      .replace(/%2C/gi, ',')
      .replace(/%25/g, '%');
  }
  return props;
}

/**
 * Prints one stdout line of the action: its workflow commands as terminal text, every other line as it is.
 * With `options.view` (the command has a view drawn from its outputs, render.mjs), annotations are held, not
 * printed: main prints, after the run, those the view does not show; with `view.hidePlain` the plain log lines and
 * groups are left out too (plan-guard: its view says everything its log says).
 */
function lineHandler(options, status, errors, held, counts) {
  const c = (style, text) => paint(options.color, style, text);
  const print = (text) => {
    status.clear();
    options.log.write(`${text}\n`);
    status.draw();
    counts.printed++;
  };
  const hidePlain = Boolean(options.view?.hidePlain);
  return (raw) => {
    const line = raw.replace(/\r$/, '');
    const cmd = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
    if (!cmd) return hidePlain ? undefined : print(line);
    const [, name, rawProps, rawMessage] = cmd;
    const message = rawMessage.replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%');
    if (name === 'error') errors.push(message);
    const holds = options.view?.hold ?? ['error', 'warning', 'notice'];
    if (options.view && holds.includes(name)) {
      const title = commandProperties(rawProps).title;
      held.push({ level: name, message, ...(title ? { title } : {}) });
    } else if (name === 'error') print(`${c('red', 'error:')} ${message}`);
    else if (name === 'warning') print(`${c('yellow', 'warning:')} ${message}`);
    else if (name === 'notice') print(`${c('cyan', 'note:')} ${message}`);
    else if (name === 'group' && !hidePlain) print(c('bold', `▸ ${message}`));
    else if (name === 'debug' && options.verbose) print(c('dim', message));
    return undefined;
  };
}

/** Calls `onLine` with each complete line of `stream` (UTF-8); the returned function flushes the last one. */
function readLines(stream, onLine) {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  stream.on('data', (chunk) => {
    pending += decoder.write(chunk);
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const l of lines) onLine(l);
  });
  return () => {
    pending += decoder.end();
    if (pending) onLine(pending);
    pending = '';
  };
}

/**
 * Runs the dist in its own process group — a Ctrl-C on the terminal reaches only this process, which forwards it
 * once, so the action sees one interrupt, as on the runner (a second one is, to cutover, a request to hurry
 * terraform). Resolves with its exit status (128 + the signal's number when a signal ended it).
 */
function spawnAction(options, env, { onLine, onEvent, status }) {
  return new Promise((resolveRun, reject) => {
    const stdio = ['ignore', 'pipe', 'pipe'];
    if (options.progress) stdio[PROGRESS_FD] = 'pipe';
    const child = spawn(options.node ?? process.execPath, [options.main], {
      cwd: options.cwd,
      env,
      stdio,
      detached: true,
    });
    const forward = (signal) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    const flushOut = readLines(child.stdout, onLine);
    const flushEvents = options.progress ? readLines(child.stdio[PROGRESS_FD], onEvent) : () => {};
    child.stderr.on('data', (chunk) => {
      status.clear();
      options.log.write(chunk);
      status.draw();
    });
    child.on('error', reject);
    child.on('close', (exitCode, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      flushOut();
      flushEvents();
      status.stop();
      resolveRun(exitCode ?? (signal ? 128 + ({ SIGINT: 2, SIGTERM: 15, SIGKILL: 9 }[signal] ?? 1) : 1));
    });
  });
}

/**
 * The outputs and the step summary the action wrote. Nothing of the run's RUNNER_TEMP is left behind (the caller
 * removes it): a file an output names there (report-file) is moved into `reportDir` when one is given, and the
 * output then names it there; without `reportDir` such an output is emptied (the file is gone).
 * @param {{ dir: string, outputFile: string, summaryFile: string }} runner
 * @param {string | undefined} reportDir
 */
function collectResults({ dir, outputFile, summaryFile }, reportDir) {
  const outputs = parseOutputFile(readFileSync(outputFile, 'utf8'));
  const summary = readFileSync(summaryFile, 'utf8');
  for (const [name, value] of Object.entries(outputs)) {
    if (!value.startsWith(`${dir}${sep}`) || !existsSync(value)) continue;
    if (!reportDir) {
      outputs[name] = '';
      continue;
    }
    mkdirSync(reportDir, { recursive: true });
    const kept = join(reportDir, basename(value));
    copyFileSync(value, kept);
    outputs[name] = kept;
  }
  return { outputs, summary };
}
