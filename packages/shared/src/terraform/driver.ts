/**
 * The terraform operations a cutover needs, behind an interface so the orchestration can be driven by the real
 * binary (this file), by a fake executable in tests, or by an in-process simulation in the benchmark.
 */
import { ShowStartError, terraformShowJson } from './show';
import { TerraformNotFoundError, notFoundMessage, runTerraform, type RunResult } from './process';

export interface TerraformDriver {
  /** `terraform show -json <planfile>` written to `outFile`. */
  show(planfile: string, outFile: string): Promise<void>;
  /** Runs `terraform <args>`, passing every output line to `onLine`; aborting `signal` interrupts it. */
  run(
    args: string[],
    onLine: (line: string, source: 'stdout' | 'stderr') => void,
    signal?: AbortSignal,
  ): Promise<RunResult>;
}

export interface ProcessDriverOptions {
  terraform: string;
  cwd: string;
  env?: NodeJS.ProcessEnv;
  graceMs?: number;
  killGraceMs?: number;
  /** RunOptions.abandonAfterMs. */
  abandonAfterMs?: number;
  onNote?: (message: string) => void;
}

export function processDriver(options: ProcessDriverOptions): TerraformDriver {
  return {
    async show(planfile, outFile) {
      try {
        await terraformShowJson({
          terraform: options.terraform,
          planfile,
          cwd: options.cwd,
          outFile,
          ...(options.env ? { env: options.env } : {}),
        });
      } catch (err) {
        // terraform missing or not executable: the same one line as a run's (process.ts)
        if (err instanceof ShowStartError && err.reason !== 'other')
          throw new TerraformNotFoundError(notFoundMessage(options.terraform));
        throw err;
      }
    },
    run(args, onLine, signal) {
      return runTerraform({
        terraform: options.terraform,
        args,
        cwd: options.cwd,
        onLine,
        ...(options.env ? { env: options.env } : {}),
        ...(signal ? { signal } : {}),
        ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}),
        ...(options.killGraceMs !== undefined ? { killGraceMs: options.killGraceMs } : {}),
        ...(options.abandonAfterMs !== undefined ? { abandonAfterMs: options.abandonAfterMs } : {}),
        ...(options.onNote ? { onNote: options.onNote } : {}),
      });
    },
  };
}
