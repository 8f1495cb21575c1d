/**
 * `terraform show -json <planfile>` into a file (plans can be larger than a string may be), with the
 * failures operators meet named in one line. Started through process.ts (spawnTerraform).
 */
import { closeSync, openSync } from 'node:fs';
import { PlanFormatError } from '../plan/scan';
import { spawnFailure, spawnTerraform } from './process';

export interface ShowOptions {
  terraform: string;
  planfile: string;
  cwd: string;
  outFile: string;
  env?: NodeJS.ProcessEnv;
  /** Cancellation: terraform is sent SIGTERM (show only reads; nothing to save) and the call rejects. */
  signal?: AbortSignal;
}

/** terraform could not be started at all; `reason` says why (spawnFailure). */
export class ShowStartError extends PlanFormatError {
  constructor(
    message: string,
    readonly reason: ReturnType<typeof spawnFailure>,
  ) {
    super(message);
  }
}

function startError(terraform: string, err: NodeJS.ErrnoException): ShowStartError {
  const reason = spawnFailure(err);
  const name = JSON.stringify(terraform);
  const message =
    reason === 'not-found'
      ? `${name} was not found (install Terraform, e.g. hashicorp/setup-terraform with terraform_wrapper: false, ` +
        'or set the terraform input)'
      : reason === 'not-executable'
        ? `${name} is not executable`
        : `could not run ${terraform}: ${err.message}`;
  return new ShowStartError(message, reason);
}

/** The first two meaningful lines of terraform's stderr (box drawing, colours and a bare "Error:" left out). */
function stderrReason(stderr: string): string {
  return stderr
    .split('\n')
    .map((l) =>
      l
        .replace(/\u001b\[[0-9;]*m/g, '')
        .replace(/^[│╷╵\s]+/, '')
        .trim(),
    )
    .filter((l) => l && !/^Error:?$/.test(l))
    .slice(0, 2)
    .join(' ');
}

/**
 * Writes `terraform show -json -no-color <planfile>` to `outFile`. Rejects with a one-line PlanFormatError
 * (ShowStartError when terraform could not be started), or with the signal's reason when cancelled.
 */
export async function terraformShowJson(options: ShowOptions): Promise<void> {
  const out = openSync(options.outFile, 'w');
  try {
    await new Promise<void>((resolve, reject) => {
      let stderr = '';
      const child = spawnTerraform({
        terraform: options.terraform,
        args: ['show', '-json', '-no-color', options.planfile],
        cwd: options.cwd,
        ...(options.env ? { env: options.env } : {}),
        noInput: false,
        stdout: out,
        detached: false,
        ...(options.signal ? { kill: { signal: options.signal, killSignal: 'SIGTERM' as const } } : {}),
      });
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (d: string) => {
        if (stderr.length < 8192) stderr += d;
      });
      child.on('error', (err: NodeJS.ErrnoException) => {
        reject(options.signal?.aborted ? options.signal.reason : startError(options.terraform, err));
      });
      child.on('close', (codeOrNull, signal) => {
        if (codeOrNull === 0) return resolve();
        const why = stderrReason(stderr);
        const how = signal ? `signal ${signal}` : `exit ${codeOrNull}`;
        reject(new PlanFormatError(`terraform show -json ${options.planfile} failed (${how})${why ? `: ${why}` : ''}`));
      });
    });
  } finally {
    closeSync(out);
  }
}
