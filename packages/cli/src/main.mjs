/**
 * nat-egress <plan-guard|verify-egress|build-nat-ami|cutover> [flags]
 *
 * Runs the action's own bundle (actions/<command>/dist/index.js, exactly what a workflow runs) with the flags
 * as its inputs, your AWS credential chain and region, and prints the result for a person (--format terminal, the
 * default: aligned columns and wrapped text, colour only on a terminal), the action's job summary as it wrote it
 * (--format markdown), or the action's outputs as one JSON object (--json). Nothing is left in the temporary
 * directory; --report-dir keeps the report files.
 * Exit status: the action's (0 success, 1 failed), 2 for a bad command line.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { COMMANDS, commandHelp, inputEnv, mainHelp, parseArgsOptions, readAction } from './flags.mjs';
import { layoutWidth } from './layout.mjs';
import { VIEWS, renderHuman } from './render.mjs';
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

/** The command line's flags for one command (parseArgs values), or a UsageError. */
function parseFlags(action, rest) {
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: parseArgsOptions(action), allowPositionals: false, strict: true });
  } catch (err) {
    // parseArgs' messages ("Unknown option '--vpc'. …"): keep the first sentence, on one line; a value starting
    // with a dash ("argument is ambiguous", over several lines) says how to give it.
    const message = String(err.message).replace(/\s*\n\s*/g, ' ');
    const first = message.split('. ')[0].replace(/\.$/, '');
    const dashed = /^Option '(--[\w-]+)' argument is ambiguous/.exec(message);
    throw new UsageError(dashed ? `${first}: a value starting with "-" is given as ${dashed[1]}=VALUE` : first);
  }
  const values = parsed.values;
  if (!['auto', 'always', 'never'].includes(values.color ?? 'auto'))
    throw new UsageError(`--color: ${JSON.stringify(values.color)} is not auto, always or never`);
  if (!['terminal', 'markdown'].includes(values.format ?? 'terminal'))
    throw new UsageError(`--format: ${JSON.stringify(values.format)} is not terminal or markdown`);
  if (values.json && values.format !== undefined)
    throw new UsageError('--json and --format: give one of them (--json prints the outputs, --format the report)');
  if (values['report-dir'] === '') throw new UsageError('--report-dir: give a directory');
  return values;
}

/** The action's environment: the caller's, the flags as INPUT_*, the AWS profile and region. */
function actionEnv(command, action, values, io) {
  const env = { ...io.env, ...inputEnv(action, values) };
  if (values.profile) env.AWS_PROFILE = values.profile;
  if (AWS_COMMANDS.has(command) && !env.INPUT_REGION && !env.AWS_REGION && !env.AWS_DEFAULT_REGION) {
    const region = profileRegion(env);
    if (region) env.AWS_REGION = region;
  }
  // Never post to GitHub from a laptop by accident: plan-guard's comment needs an explicit --comment.
  if (command === 'plan-guard' && values.comment === undefined) env.INPUT_COMMENT = 'never';
  return env;
}

/**
 * The terminal format's end of a run: the held annotations the view does not show (warnings and notes first), the
 * view, the other errors, and the failure line with the run's last error. Each thing is said once.
 */
function printForTerminal(command, run, values, log, color, env) {
  const width = layoutWidth(log, env);
  const text = renderHuman(command, run, { color, width, commentAsked: values.comment !== undefined });
  const last = run.code !== 0 ? run.errors[run.errors.length - 1] : undefined;
  const label = { error: ['red', 'error:'], warning: ['yellow', 'warning:'], notice: ['cyan', 'note:'] };
  const say = (a) => log.write(`${paint(color, ...label[a.level])} ${a.message}\n`);
  const shown = run.held.filter((a) => !VIEWS[command]?.covers(a, run.outputs, run.summary));
  const notes = shown.filter((a) => a.level !== 'error');
  notes.forEach(say);
  // A blank line between the action's log (if any was shown) and the view, and before the failure line.
  const logged = run.printed + notes.length > 0;
  if (text) log.write(`${logged ? '\n' : ''}${text}\n`);
  for (const a of shown) if (a.level === 'error' && a.message !== last) say(a);
  if (run.code !== 0) {
    const why = last !== undefined ? `: ${last}` : ` (exit ${run.code})`;
    const gap = text || logged ? '\n' : '';
    log.write(`${gap}${paint(color, 'red', `nat-egress ${command} failed`)}${why}\n`);
  }
}

/** Runs one command whose flags are parsed; returns its exit status. */
async function runCommand(command, action, values, io) {
  const format = values.format ?? 'terminal';
  // Logs go where a person looks; with --json or --format markdown they move to stderr, so stdout is only the
  // JSON or the markdown.
  const piped = Boolean(values.json) || format === 'markdown';
  const log = piped ? io.stderr : io.stdout;
  const color = colorEnabled(values.color ?? 'auto', log, io.env);
  const run = await runActionDist({
    main: action.main,
    env: actionEnv(command, action, values, io),
    cwd: io.cwd,
    log,
    color,
    progress: Boolean(log.isTTY),
    verbose: Boolean(values.verbose),
    // A command with a view drawn from its outputs (render.mjs VIEWS) holds its annotations, and plan-guard its
    // whole log, so that no line says a finding twice; --verbose shows the log as it comes.
    ...(VIEWS[command] && !piped && !values.verbose
      ? { view: { hidePlain: VIEWS[command].hidePlain, ...(VIEWS[command].hold ? { hold: VIEWS[command].hold } : {}) } }
      : {}),
    ...(values['report-dir'] ? { reportDir: resolve(io.cwd, values['report-dir']) } : {}),
    ...(io.node ? { node: io.node } : {}),
  });
  if (values.json) io.stdout.write(`${JSON.stringify(run.outputs, null, 2)}\n`);
  else if (format === 'markdown') io.stdout.write(run.summary);
  else printForTerminal(command, run, values, log, color, io.env);
  return run.code;
}

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
    const values = parseFlags(action, rest);
    if (values.help) {
      io.stdout.write(`${commandHelp(command, action)}\n`);
      return 0;
    }
    return await runCommand(command, action, values, io);
  } catch (err) {
    const usage = err instanceof UsageError;
    io.stderr.write(
      `nat-egress${COMMANDS.includes(command) ? ` ${command}` : ''}: ${err.message}${usage ? ' (see --help)' : ''}\n`,
    );
    return usage ? 2 : 1;
  }
}
