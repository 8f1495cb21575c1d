/**
 * `terraform show -json <planfile>` into a file (plans can be larger than a string may be), with the
 * failures operators meet named in one line.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { PlanFormatError } from '../plan/scan';

export interface ShowOptions {
  terraform: string;
  planfile: string;
  cwd: string;
  outFile: string;
  env?: NodeJS.ProcessEnv;
  /** Cancellation: terraform is sent SIGTERM (show only reads; nothing to save) and the call rejects. */
  signal?: AbortSignal;
}

export async function terraformShowJson(options: ShowOptions): Promise<void> {
  const out = openSync(options.outFile, 'w');
  try {
    await new Promise<void>((resolve, reject) => {
      let stderr = '';
      const child = spawn(options.terraform, ['show', '-json', '-no-color', options.planfile], {
        cwd: options.cwd,
        env: { ...(options.env ?? process.env), TF_IN_AUTOMATION: '1' },
        stdio: ['ignore', out, 'pipe'],
        ...(options.signal ? { signal: options.signal, killSignal: 'SIGTERM' as const } : {}),
      });
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (d: string) => {
        if (stderr.length < 8192) stderr += d;
      });
      child.on('error', (err: NodeJS.ErrnoException) => {
        if (options.signal?.aborted) {
          reject(options.signal.reason);
        } else if (err.code === 'ENOENT') {
          reject(
            new PlanFormatError(
              `${JSON.stringify(options.terraform)} was not found (install Terraform, e.g. hashicorp/setup-terraform with terraform_wrapper: false, or set the terraform input)`,
            ),
          );
        } else if (err.code === 'EACCES') {
          reject(new PlanFormatError(`${JSON.stringify(options.terraform)} is not executable`));
        } else {
          reject(new PlanFormatError(`could not run ${options.terraform}: ${err.message}`));
        }
      });
      child.on('close', (codeOrNull, signal) => {
        if (codeOrNull === 0) return resolve();
        const why = stderr
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
        reject(
          new PlanFormatError(
            `terraform show -json ${options.planfile} failed (${signal ? `signal ${signal}` : `exit ${codeOrNull}`})${why ? `: ${why}` : ''}`,
          ),
        );
      });
    });
  } finally {
    closeSync(out);
  }
}
