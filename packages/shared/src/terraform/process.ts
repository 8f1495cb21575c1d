/**
 * Running terraform as a child process, line by line, with cancellation that keeps state safe: on abort the
 * child gets ONE SIGINT (terraform then stops starting new operations, waits for the running ones, writes
 * state and releases the lock), and only if it is still running after a grace period is it sent SIGTERM,
 * then SIGKILL. A second SIGINT would make terraform abandon in-flight operations, so it is never sent.
 * The child runs in its own process group so a signal aimed at the action's group does not reach it twice.
 */
import { spawn } from 'node:child_process';
import { ActionFailure } from '../runtime/index';

export class TerraformNotFoundError extends ActionFailure {
  override name = 'TerraformNotFoundError';
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
}

export function notFoundMessage(terraform: string): string {
  return `terraform: ${JSON.stringify(terraform)} was not found (install Terraform, e.g. hashicorp/setup-terraform with terraform_wrapper: false, or set the terraform input to its path)`;
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

export function runTerraform(options: RunOptions): Promise<RunResult> {
  const graceMs = options.graceMs ?? 120_000;
  const killGraceMs = options.killGraceMs ?? 10_000;
  return new Promise<RunResult>((resolve, reject) => {
    if (options.signal?.aborted) {
      resolve({ exitCode: null, signal: null, interrupted: true, escalated: [] });
      return;
    }
    const child = spawn(options.terraform, options.args, {
      cwd: options.cwd,
      env: { ...(options.env ?? process.env), TF_IN_AUTOMATION: '1', TF_INPUT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const out = lineSplitter((l) => options.onLine(l, 'stdout'));
    const err = lineSplitter((l) => options.onLine(l, 'stderr'));
    child.stdout?.on('data', (c: Buffer) => out.write(c));
    child.stderr?.on('data', (c: Buffer) => err.write(c));
    let interrupted = false;
    const escalated: NodeJS.Signals[] = [];
    const timers: NodeJS.Timeout[] = [];
    let spawnFailed = false;

    const send = (sig: NodeJS.Signals) => {
      try {
        child.kill(sig);
      } catch {
        // already gone
      }
    };
    const onAbort = () => {
      if (interrupted || child.exitCode !== null) return;
      interrupted = true;
      options.onNote?.(
        `Interrupting terraform (SIGINT): it finishes the operations in progress, saves state and releases the lock. Waiting up to ${Math.round(graceMs / 1000)} s.`,
      );
      send('SIGINT');
      timers.push(
        setTimeout(() => {
          escalated.push('SIGTERM');
          options.onNote?.(`terraform is still running ${Math.round(graceMs / 1000)} s after SIGINT: sending SIGTERM`);
          send('SIGTERM');
          timers.push(
            setTimeout(() => {
              escalated.push('SIGKILL');
              options.onNote?.('terraform ignored SIGTERM: sending SIGKILL (state may need `terraform force-unlock`)');
              send('SIGKILL');
            }, killGraceMs),
          );
        }, graceMs),
      );
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });

    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnFailed = true;
      options.signal?.removeEventListener('abort', onAbort);
      for (const t of timers) clearTimeout(t);
      if (e.code === 'ENOENT') reject(new TerraformNotFoundError(notFoundMessage(options.terraform)));
      else if (e.code === 'EACCES')
        reject(new TerraformNotFoundError(`terraform: ${JSON.stringify(options.terraform)} is not executable`));
      else reject(new ActionFailure(`terraform: could not run ${JSON.stringify(options.terraform)}: ${e.message}`));
    });
    child.on('close', (exitCode, signal) => {
      if (spawnFailed) return;
      options.signal?.removeEventListener('abort', onAbort);
      for (const t of timers) clearTimeout(t);
      out.end();
      err.end();
      resolve({ exitCode, signal, interrupted, escalated });
    });
  });
}
