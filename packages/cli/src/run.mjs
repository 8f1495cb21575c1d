/**
 * Runs an action's bundled dist/index.js the way the GitHub runner does (inputs as INPUT_* variables,
 * GITHUB_OUTPUT and GITHUB_STEP_SUMMARY as files in a temporary RUNNER_TEMP), and turns its workflow commands
 * into terminal output as they arrive:
 *   ::error:: / ::warning:: / ::notice::  → "error: …" (red), "warning: …" (yellow), "note: …"
 *   ::group::title / ::endgroup::        → a bold title line
 *   ::debug::                            → shown with --verbose only
 *   ::add-mask:: and other commands      → not shown
 * On a terminal, the long waits (build-nat-ami's build, verify-egress's `wait`, cutover's wait for the
 * Elastic IP release) show a status line updated in place — the stage and its elapsed time — instead of
 * the heartbeat lines that keep an Actions log alive; elsewhere every line is printed as the action wrote it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
// The toolkit's one duration formatter, plain JavaScript in the shared package (the CLI runs from the toolkit's
// checkout under plain node and loads no TypeScript source).
import { formatElapsed } from '../../shared/src/inputs/duration.js';
import { paint } from './style.mjs';

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
 * What a log line says about a long wait: a stage for the status line, and whether the line is only a
 * heartbeat (dropped on a terminal, where the status line shows the same).
 * @param {string} line
 * @returns {{ key: string, stage: string, heartbeat: boolean, done?: true } | undefined}  `key` names the wait: the status line's
 *   elapsed time restarts when it changes (a new build stage), not on every check of the same wait
 */
export function waitStage(line) {
  // The end of a wait: the status line goes away.
  if (
    /^\[\+[^\]]+\] (AVAILABLE|FAILED|CANCELLED|DELETED)\b/.test(line) ||
    /^check \d+: healthy\b/.test(line) ||
    /^(?:\S+: )?Elastic IP\(s\) released after /.test(line)
  ) {
    return { key: '', stage: '', heartbeat: false, done: true };
  }
  // build-nat-ami (imagebuilder/wait.ts): "[+4m10s] BUILDING", "[+5m] still BUILDING (3 checks)"
  let m = /^\[\+[^\]]+\] still (.+?)(?: \(.*\))?$/.exec(line);
  if (m) return { key: `image ${m[1]}`, stage: `image ${m[1]}`, heartbeat: true };
  m = /^\[\+[^\]]+\] ([A-Z_]+)\b/.exec(line);
  if (m) return { key: `image ${m[1]}`, stage: `image ${m[1]}`, heartbeat: false };
  // verify-egress (egress/verify.ts): "check 2: not healthy (…)", "re-checking in 30s (wait 10m, 1m elapsed)"
  m = /^check (\d+): not healthy (\(.*\))$/.exec(line);
  if (m) return { key: 'egress', stage: `waiting for egress: check ${m[1]} not healthy ${m[2]}`, heartbeat: false };
  if (/^re-checking in /.test(line)) return { key: 'egress', stage: '', heartbeat: true };
  // cutover (terraform/release.ts, watch.ts): waiting for the gateways to release the Elastic IPs, the lines
  // prefixed with the association's address when cutover watches during the apply
  m =
    /^((?:\S+: )?(?:waiting for NAT gateway\(s\) to finish deleting: .*|NAT gateway\(s\) deleted; Elastic IP\(s\) .*|watching .* until EC2 shows it free))$/.exec(
      line,
    );
  if (m) return { key: 'release', stage: m[1], heartbeat: false };
  return undefined;
}

/** A status line redrawn in place on a terminal stream; a no-op elsewhere. */
class StatusLine {
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
  draw() {
    if (!this.enabled || !this.stage) return;
    const now = this.now();
    const total = now - this.start > now - this.since + 999 ? ` (${formatElapsed(now - this.start)} in all)` : '';
    const text = `⏳ ${this.stage} · ${formatElapsed(now - this.since)}${total}`;
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
  }
}

/**
 * @param {{ main: string, env: Record<string, string | undefined>, cwd: string, log: NodeJS.WritableStream,
 *   color: boolean, progress: boolean, verbose: boolean, node?: string }} options
 * @returns {Promise<{ code: number, outputs: Record<string, string>, summary: string, errors: string[] }>}
 */
export async function runActionDist(options) {
  // The action's RUNNER_TEMP. It stays when an output names a file in it (report-file), so the path printed works.
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
  const status = new StatusLine(options.log, options.progress);
  const errors = [];
  const c = (style, text) => paint(options.color, style, text);
  const print = (text) => {
    status.clear();
    options.log.write(`${text}\n`);
    status.draw();
  };
  const onLine = (raw) => {
    const line = raw.replace(/\r$/, '');
    const cmd = /^::([a-z-]+)(?: [^:]*)?::(.*)$/.exec(line);
    if (cmd) {
      const [, name, rawMessage] = cmd;
      const message = rawMessage.replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%');
      if (name === 'error') {
        errors.push(message);
        print(`${c('red', 'error:')} ${message}`);
      } else if (name === 'warning') print(`${c('yellow', 'warning:')} ${message}`);
      else if (name === 'notice') print(`${c('cyan', 'note:')} ${message}`);
      else if (name === 'group') print(c('bold', `▸ ${message}`));
      else if (name === 'debug' && options.verbose) print(c('dim', message));
      return;
    }
    const wait = waitStage(line);
    if (wait && options.progress) {
      if (wait.done) {
        status.stop();
        print(line);
        return;
      }
      if (!wait.heartbeat) print(line);
      status.set(wait.key, wait.stage);
      return;
    }
    print(line);
  };
  const code = await new Promise((resolveRun, reject) => {
    // Its own process group: a Ctrl-C on the terminal reaches only this process, which forwards it once, so the
    // action sees one interrupt, as on the runner (a second one is, to cutover, a request to hurry terraform).
    const child = spawn(options.node ?? process.execPath, [options.main], {
      cwd: options.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const forward = (signal) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    const decoder = new StringDecoder('utf8');
    let pending = '';
    child.stdout.on('data', (chunk) => {
      pending += decoder.write(chunk);
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) onLine(l);
    });
    child.stderr.on('data', (chunk) => {
      status.clear();
      options.log.write(chunk);
      status.draw();
    });
    child.on('error', reject);
    child.on('close', (exitCode, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      pending += decoder.end();
      if (pending) onLine(pending);
      status.stop();
      resolveRun(exitCode ?? (signal ? 128 + ({ SIGINT: 2, SIGTERM: 15, SIGKILL: 9 }[signal] ?? 1) : 1));
    });
  });
  const outputs = parseOutputFile(readFileSync(outputFile, 'utf8'));
  const summary = readFileSync(summaryFile, 'utf8');
  // Files the action wrote and named in its outputs (report-file) live in `dir`: keep those, drop the rest.
  const keep = Object.values(outputs).some((v) => v.startsWith(dir));
  if (!keep) rmSync(dir, { recursive: true, force: true });
  else for (const f of [outputFile, summaryFile]) rmSync(f, { force: true });
  return { code, outputs, summary, errors };
}
