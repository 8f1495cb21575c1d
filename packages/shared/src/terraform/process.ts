/**
 * The one place that starts terraform. `spawnTerraform` starts the child (TF_IN_AUTOMATION=1, and TF_INPUT=0 for
 * runs) and names why a start failed (`spawnFailure`); `runTerraform` runs it line by line, with cancellation that
 * keeps state safe: on abort the child gets ONE SIGINT (terraform then stops starting new operations, waits for
 * the running ones, writes state and releases the lock), and only if it is still running after a grace period is
 * it sent SIGTERM, then SIGKILL. A second SIGINT would make terraform abandon in-flight operations, so it is never
 * sent. A run's child is in its own process group so a signal aimed at the action's group does not reach it twice.
 * (`terraform show -json` goes through spawnTerraform too: show.ts.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { ActionFailure } from '../runtime/index';

export class TerraformNotFoundError extends ActionFailure {
  override name = 'TerraformNotFoundError';
}

export interface SpawnOptions {
  terraform: string;
  args: string[];
  cwd: string;
  /** The child's environment (default process.env); TF_IN_AUTOMATION=1 is always added. */
  env?: NodeJS.ProcessEnv;
  /** Also TF_INPUT=0 (runs; `show` never asks). */
  noInput: boolean;
  /** 'pipe' (read it line by line) or a file descriptor terraform writes to directly (show -json into a file). */
  stdout: 'pipe' | number;
  /** Its own process group (runs: see above). */
  detached: boolean;
  /** Node sends `killSignal` when `signal` aborts (show: it only reads, nothing to save). */
  kill?: { signal: AbortSignal; killSignal: NodeJS.Signals };
}

/** Starts terraform; stderr is always piped. Start failures arrive as the child's 'error' event (spawnFailure). */
export function spawnTerraform(options: SpawnOptions): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env), TF_IN_AUTOMATION: '1' };
  if (options.noInput) env.TF_INPUT = '0';
  return spawn(options.terraform, options.args, {
    cwd: options.cwd,
    env,
    stdio: ['ignore', options.stdout, 'pipe'],
    ...(options.detached ? { detached: true } : {}),
    ...(options.kill ? { signal: options.kill.signal, killSignal: options.kill.killSignal } : {}),
  });
}

/** Why terraform could not be started, from the spawn error's code (ENOENT, EACCES, anything else). */
export function spawnFailure(err: NodeJS.ErrnoException): 'not-found' | 'not-executable' | 'other' {
  if (err.code === 'ENOENT') return 'not-found';
  if (err.code === 'EACCES') return 'not-executable';
  return 'other';
}

export interface RunOptions {
  terraform: string;
  args: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Aborting it interrupts terraform (SIGINT), escalating after `graceMs`. */
  signal?: AbortSignal;
  /** Time terraform gets to finish after SIGINT before SIGTERM (default 120 s). */
  graceMs?: number;
  /** Time after SIGTERM before SIGKILL (default 10 s). */
  killGraceMs?: number;
  /**
   * Instead of escalating: stop waiting this long after the SIGINT and resolve (`abandoned`), sending nothing more —
   * for a run that has only the runner's few seconds (its SIGTERM follows its SIGINT by 7.5 s). Terraform, left
   * running, still saves state and releases its lock if it gets there; a second signal would make it abandon them.
   */
  abandonAfterMs?: number;
  onLine: (line: string, source: 'stdout' | 'stderr') => void;
  /** Notes about signals sent (for the log). */
  onNote?: (message: string) => void;
}

export interface RunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The run was aborted (SIGINT forwarded). */
  interrupted: boolean;
  /** Signals sent after SIGINT because terraform ignored it. */
  escalated: NodeJS.Signals[];
  /** Still running `abandonAfterMs` after the SIGINT: no longer waited for (exitCode and signal are null). */
  abandoned?: boolean;
  /** The child's process id (while it runs, for the journal and the log). */
  pid?: number;
}

export function notFoundMessage(terraform: string): string {
  return (
    `terraform: ${JSON.stringify(terraform)} was not found (install Terraform, e.g. hashicorp/setup-terraform ` +
    'with terraform_wrapper: false, or set the terraform input to its path)'
  );
}

/** The one-line error of a run whose terraform could not be started. */
function runStartError(terraform: string, e: NodeJS.ErrnoException): ActionFailure {
  switch (spawnFailure(e)) {
    case 'not-found':
      return new TerraformNotFoundError(notFoundMessage(terraform));
    case 'not-executable':
      return new TerraformNotFoundError(`terraform: ${JSON.stringify(terraform)} is not executable`);
    default:
      return new ActionFailure(`terraform: could not run ${JSON.stringify(terraform)}: ${e.message}`);
  }
}

/** Splits a byte stream into lines (UTF-8 safe across chunk boundaries). */
function lineSplitter(emit: (line: string) => void): { write: (chunk: Buffer) => void; end: () => void } {
  const decoder = new TextDecoder('utf-8');
  let rest = '';
  return {
    write(chunk) {
      rest += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = rest.indexOf('\n')) >= 0) {
        emit(rest.slice(0, nl));
        rest = rest.slice(nl + 1);
      }
    },
    end() {
      rest += decoder.decode();
      if (rest !== '') emit(rest);
      rest = '';
    },
  };
}

interface Interrupter {
  readonly interrupted: boolean;
  readonly escalated: NodeJS.Signals[];
  /** Stops listening and clears the escalation timers (the child has exited or never started). */
  dispose(): void;
}

/**
 * On abort: ONE SIGINT, then SIGTERM after `graceMs` and SIGKILL `killGraceMs` after that (see the file comment) —
 * or, with `abandonAfterMs`, `onAbandon` after that time and no other signal.
 */
function interruptOnAbort(child: ChildProcess, options: RunOptions, onAbandon: () => void): Interrupter {
  const graceMs = options.graceMs ?? 120_000;
  const killGraceMs = options.killGraceMs ?? 10_000;
  const escalated: NodeJS.Signals[] = [];
  const timers: NodeJS.Timeout[] = [];
  let interrupted = false;
  const send = (sig: NodeJS.Signals) => {
    try {
      child.kill(sig);
    } catch {
      // already gone
    }
  };
  const escalate = (sig: NodeJS.Signals, note: string) => {
    escalated.push(sig);
    options.onNote?.(note);
    send(sig);
  };
  const onAbort = () => {
    if (interrupted || child.exitCode !== null) return;
    interrupted = true;
    const waitMs = options.abandonAfterMs ?? graceMs;
    options.onNote?.(
      'Interrupting terraform (SIGINT): it finishes the operations in progress, saves state and releases the ' +
        `lock. Waiting up to ${Math.round(waitMs / 1000)} s.`,
    );
    send('SIGINT');
    if (options.abandonAfterMs !== undefined) {
      timers.push(setTimeout(onAbandon, options.abandonAfterMs));
      return;
    }
    timers.push(
      setTimeout(() => {
        escalate('SIGTERM', `terraform is still running ${Math.round(graceMs / 1000)} s after SIGINT: sending SIGTERM`);
        timers.push(
          setTimeout(
            () =>
              escalate(
                'SIGKILL',
                'terraform ignored SIGTERM: sending SIGKILL (state may need `terraform force-unlock`)',
              ),
            killGraceMs,
          ),
        );
      }, graceMs),
    );
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  return {
    get interrupted() {
      return interrupted;
    },
    escalated,
    dispose() {
      options.signal?.removeEventListener('abort', onAbort);
      for (const t of timers) clearTimeout(t);
    },
  };
}

/** Runs `terraform <args>`, every output line to `onLine`; rejects only when terraform could not be started. */
export function runTerraform(options: RunOptions): Promise<RunResult> {
  return new Promise<RunResult>((resolve, reject) => {
    if (options.signal?.aborted) {
      resolve({ exitCode: null, signal: null, interrupted: true, escalated: [] });
      return;
    }
    const child = spawnTerraform({ ...options, noInput: true, stdout: 'pipe', detached: true });
    const out = lineSplitter((l) => options.onLine(l, 'stdout'));
    const err = lineSplitter((l) => options.onLine(l, 'stderr'));
    child.stdout?.on('data', (c: Buffer) => out.write(c));
    child.stderr?.on('data', (c: Buffer) => err.write(c));
    let settled = false;
    const interrupter = interruptOnAbort(child, options, () => {
      if (settled) return;
      settled = true;
      options.onNote?.(
        `terraform is still running ${Math.round((options.abandonAfterMs ?? 0) / 1000)} s after SIGINT: no longer ` +
          'waiting for it (no second signal: it may still save state and release the lock)',
      );
      interrupter.dispose();
      const pid = child.pid;
      const base = { exitCode: null, signal: null, interrupted: true, escalated: [], abandoned: true };
      resolve({ ...base, ...(pid ? { pid } : {}) });
    });
    let spawnFailed = false;
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnFailed = true;
      interrupter.dispose();
      reject(runStartError(options.terraform, e));
    });
    child.on('close', (exitCode, signal) => {
      if (spawnFailed || settled) return;
      settled = true;
      interrupter.dispose();
      out.end();
      err.end();
      resolve({ exitCode, signal, interrupted: interrupter.interrupted, escalated: interrupter.escalated });
    });
  });
}
