/**
 * nat-egress <plan-guard|verify-egress|build-nat-ami|cutover> [flags]
 *
 * Runs the action's own bundle (actions/<command>/dist/index.js, exactly what a workflow runs) with the flags
 * as its inputs, your AWS credential chain and region, and prints the result for a person (colour only on a
 * terminal) or, with --json, the action's outputs as one JSON object on stdout.
 * Exit status: the action's (0 success, 1 failed), 2 for a bad command line.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { COMMANDS, commandHelp, inputEnv, mainHelp, parseArgsOptions, readAction } from './flags.mjs';
import { renderHuman } from './render.mjs';
import { runActionDist } from './run.mjs';
import { colorEnabled, paint } from './style.mjs';

/** Actions that call AWS and take a `region` input. */
const AWS_COMMANDS = new Set(['verify-egress', 'build-nat-ami', 'cutover']);

/**
 * The region of an AWS profile in the shared config file ($AWS_CONFIG_FILE or ~/.aws/config), as the AWS CLI
 * and SDKs read it: `[default]` or `[profile NAME]`, key `region`.
 * @param {Record<string, string | undefined>} env
 * @returns {string | undefined}
 */
export function profileRegion(env) {
  const file = env.AWS_CONFIG_FILE || join(env.HOME || homedir(), '.aws', 'config');
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const profile = env.AWS_PROFILE || env.AWS_DEFAULT_PROFILE || 'default';
  const wanted =
    profile === 'default'
      ? /^\[\s*(?:profile\s+)?default\s*\]$/
      : new RegExp(`^\\[\\s*profile\\s+${profile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\]$`);
  let inSection = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('[')) inSection = wanted.test(line);
    else if (inSection) {
      const m = /^region\s*=\s*(\S+)/.exec(line);
      if (m) return m[1];
    }
  }
  return undefined;
}

class UsageError extends Error {}

/**
 * @param {string[]} argv
 * @param {{ stdout: NodeJS.WritableStream & { isTTY?: boolean }, stderr: NodeJS.WritableStream & { isTTY?: boolean },
 *   env: Record<string, string | undefined>, cwd: string, node?: string }} io
 * @returns {Promise<number>} exit status
 */
export async function main(argv, io) {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.stdout.write(`${mainHelp()}\n`);
    return command === undefined ? 2 : 0;
  }
  try {
    if (!COMMANDS.includes(command))
      throw new UsageError(`unknown command ${JSON.stringify(command)}: expected one of ${COMMANDS.join(', ')}`);
    const action = readAction(command);
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: parseArgsOptions(action), allowPositionals: false, strict: true });
    } catch (err) {
      // parseArgs' messages are one line already ("Unknown option '--vpc'. …"); keep the first sentence.
      throw new UsageError(String(err.message).split('. ')[0].replace(/\.$/, ''));
    }
    const values = parsed.values;
    if (values.help) {
      io.stdout.write(`${commandHelp(command, action)}\n`);
      return 0;
    }
    const colorMode = values.color ?? 'auto';
    if (!['auto', 'always', 'never'].includes(colorMode))
      throw new UsageError(`--color: ${JSON.stringify(colorMode)} is not auto, always or never`);

    // Logs go where a person looks; with --json they move to stderr so stdout is only the JSON.
    const log = values.json ? io.stderr : io.stdout;
    const color = colorEnabled(colorMode, log, io.env);
    const env = { ...io.env, ...inputEnv(action, values) };
    if (values.profile) env.AWS_PROFILE = values.profile;
    if (AWS_COMMANDS.has(command) && !env.INPUT_REGION && !env.AWS_REGION && !env.AWS_DEFAULT_REGION) {
      const region = profileRegion(env);
      if (region) env.AWS_REGION = region;
    }
    // Never post to GitHub from a laptop by accident: plan-guard's comment needs an explicit --comment.
    if (command === 'plan-guard' && values.comment === undefined) env.INPUT_COMMENT = 'never';

    const run = await runActionDist({
      main: action.main,
      env,
      cwd: io.cwd,
      log,
      color,
      progress: Boolean(log.isTTY),
      verbose: Boolean(values.verbose),
      ...(io.node ? { node: io.node } : {}),
    });
    if (values.json) {
      io.stdout.write(`${JSON.stringify(run.outputs, null, 2)}\n`);
    } else {
      const text = renderHuman(command, run, color);
      if (text) log.write(`\n${text}\n`);
      if (run.code !== 0) {
        const why = run.errors.length ? `: ${run.errors[run.errors.length - 1]}` : ` (exit ${run.code})`;
        log.write(`\n${paint(color, 'red', `nat-egress ${command} failed`)}${why}\n`);
      }
    }
    return run.code;
  } catch (err) {
    const usage = err instanceof UsageError;
    io.stderr.write(
      `nat-egress${COMMANDS.includes(command) ? ` ${command}` : ''}: ${err.message}${usage ? ' (see --help)' : ''}\n`,
    );
    return usage ? 2 : 1;
  }
}
