/**
 * The runner's file commands (src/Runner.Worker/FileCommandManager.cs): one fresh file per step for GITHUB_OUTPUT,
 * GITHUB_ENV, GITHUB_PATH, GITHUB_STEP_SUMMARY and GITHUB_STATE, read after the step, with the runner's errors.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SUMMARY_LIMIT = 1024 * 1024;
const FILES = {
  GITHUB_OUTPUT: 'set_output_',
  GITHUB_ENV: 'set_env_',
  GITHUB_PATH: 'add_path_',
  GITHUB_STEP_SUMMARY: 'step_summary_',
  GITHUB_STATE: 'save_state_',
} as const;

export type FileCommands = Record<keyof typeof FILES, string>;

export function createFileCommands(runnerTemp: string): FileCommands {
  const dir = join(runnerTemp, '_runner_file_commands');
  mkdirSync(dir, { recursive: true });
  const suffix = randomUUID();
  const env = {} as FileCommands;
  for (const [name, prefix] of Object.entries(FILES) as [keyof typeof FILES, string][]) {
    env[name] = join(dir, prefix + suffix);
    writeFileSync(env[name], '');
  }
  return env;
}

/** `NAME=value` and `NAME<<DELIMITER` … `DELIMITER` (EnvFileKeyValuePairs), with the runner's error messages. */
export function parseKeyValueFile(text: string): [string, string][] {
  const pairs: [string, string][] = [];
  let index = 0;
  const readLine = (): { line: string | null; newline: string | null } => {
    if (index >= text.length) return { line: null, newline: null };
    const lf = text.indexOf('\n', index);
    if (lf < 0) {
      const line = text.slice(index);
      index = text.length;
      return { line, newline: null };
    }
    const line = text.slice(index, lf);
    index = lf + 1;
    return { line, newline: '\n' };
  };
  for (let { line } = readLine(); line !== null; { line } = readLine()) {
    if (line === '') continue;
    const eq = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (eq >= 0 && (heredoc < 0 || eq < heredoc)) {
      pairs.push([line.slice(0, eq), line.slice(eq + 1)]);
    } else if (heredoc >= 0 && (eq < 0 || heredoc < eq)) {
      const key = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      if (!key || !delimiter)
        throw new Error(`Invalid format '${line}'. Name must not be empty and delimiter must not be empty`);
      const start = index;
      let end = index;
      let next = readLine();
      while (next.line !== delimiter) {
        if (next.line === null) throw new Error(`Invalid value. Matching delimiter not found '${delimiter}'`);
        if (next.newline === null) throw new Error('Invalid value. EOF marker missing new line.');
        end = index - next.newline.length;
        next = readLine();
      }
      pairs.push([key, end > start ? text.slice(start, end) : '']);
    } else {
      throw new Error(`Invalid format '${line}'`);
    }
  }
  return pairs;
}

export function readFileCommands(files: FileCommands) {
  const read = (name: keyof FileCommands) => readFileSync(files[name], 'utf8');
  return {
    outputs: () => parseKeyValueFile(read('GITHUB_OUTPUT')),
    env: () => parseKeyValueFile(read('GITHUB_ENV')),
    state: () => parseKeyValueFile(read('GITHUB_STATE')),
    path: () =>
      read('GITHUB_PATH')
        .split('\n')
        .filter((l) => l !== ''),
    summary: (): { text?: string; tooLarge?: number } => {
      const size = statSync(files.GITHUB_STEP_SUMMARY).size;
      if (size > SUMMARY_LIMIT) return { tooLarge: size };
      return { text: read('GITHUB_STEP_SUMMARY') };
    },
  };
}
