/**
 * Command-line flags generated from each action's action.yml, so the CLI and the actions never drift: every
 * input `name` is the flag `--name VALUE` (or `--name=VALUE`); repeating a flag joins the values with newlines,
 * the way a multi-line `with:` value reads (log-groups, probe-instances, expected-ips, ...).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

/** The toolkit's root: the actions' action.yml and dist/ live under actions/<name>/. */
export const TOOLKIT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const COMMANDS = ['plan-guard', 'verify-egress', 'build-nat-ami', 'cutover'];

/** Flags of the CLI itself, beside each action's inputs. */
export const CLI_FLAGS = {
  format: {
    type: 'string',
    description:
      'terminal (a view for a person: aligned columns, wrapped text) or markdown (the job summary as the action ' +
      'wrote it, on stdout; logs go to stderr)',
    default: 'terminal',
  },
  json: { type: 'boolean', description: "print the action's outputs as one JSON object on stdout (logs go to stderr)" },
  'report-dir': {
    type: 'string',
    description:
      'keep the files the action writes for you (its report-file output) in this directory; without it the run ' +
      'leaves nothing in the temporary directory',
  },
  color: {
    type: 'string',
    description: 'auto (on a terminal only, unless NO_COLOR is set), always or never',
    default: 'auto',
  },
  profile: {
    type: 'string',
    description:
      'AWS profile of your shared config (sets AWS_PROFILE): credentials and, unless --region is given, region',
  },
  verbose: { type: 'boolean', description: "also show the action's debug lines" },
  help: { type: 'boolean', short: 'h', description: 'this help' },
};

/**
 * Reads actions/<command>/action.yml.
 * @param {string} command  one of COMMANDS
 * @param {string} [root]
 * @returns {{ name: string, description: string,
 *   inputs: Record<string, { description: string, default?: string, required?: boolean }>,
 *   outputs: Record<string, { description: string }>, main: string }}
 */
export function readAction(command, root = TOOLKIT_ROOT) {
  const file = join(root, 'actions', command, 'action.yml');
  if (!existsSync(file)) throw new Error(`${file} not found: is this a checkout of the toolkit?`);
  const doc = parseYaml(readFileSync(file, 'utf8'));
  return {
    name: String(doc.name ?? command),
    description: String(doc.description ?? ''),
    inputs: doc.inputs ?? {},
    outputs: doc.outputs ?? {},
    main: join(root, 'actions', command, String(doc.runs?.main ?? 'dist/index.js')),
  };
}

/**
 * node:util parseArgs options for a command: each input a repeatable string flag, plus CLI_FLAGS.
 * @param {ReturnType<typeof readAction>} action
 */
export function parseArgsOptions(action) {
  /** @type {Record<string, { type: 'string' | 'boolean', multiple?: boolean, short?: string }>} */
  const options = {};
  for (const name of Object.keys(action.inputs)) {
    if (name in CLI_FLAGS) throw new Error(`action input ${name} collides with the CLI flag --${name}`);
    options[name] = { type: 'string', multiple: true };
  }
  for (const [name, spec] of Object.entries(CLI_FLAGS)) {
    options[name] = {
      type: /** @type {'string' | 'boolean'} */ (spec.type),
      ...(spec.short ? { short: spec.short } : {}),
    };
  }
  return options;
}

/**
 * The action inputs given on the command line, as the runner would pass them: INPUT_<NAME> (upper case,
 * spaces to underscores, hyphens kept: @actions/core's getInput reads exactly that).
 * @param {ReturnType<typeof readAction>} action
 * @param {Record<string, unknown>} values  parseArgs values
 * @returns {Record<string, string>}
 */
export function inputEnv(action, values) {
  /** @type {Record<string, string>} */
  const env = {};
  for (const name of Object.keys(action.inputs)) {
    const given = values[name];
    if (given === undefined) continue;
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = /** @type {string[]} */ (given).join('\n');
  }
  return env;
}

function wrap(text, width, indent) {
  const words = text.split(/\s+/).filter(Boolean);
  const lines = [];
  let line = '';
  for (const w of words) {
    if (line && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.map((l, i) => (i === 0 ? l : `${' '.repeat(indent)}${l}`)).join('\n');
}

/**
 * " (default: X)" for a flag whose description does not give its default already: action.yml's `default`, or what
 * the action takes when the input is empty. An expression default (`${{ github.token }}`) is the workflow's; from a
 * terminal the flag must be given. plan-guard's `comment` is `never` from a terminal (main.mjs).
 * @param {string} command
 * @param {string} name
 * @param {{ description?: string, default?: unknown }} spec
 */
export function defaultNote(command, name, spec) {
  if (/\bdefault\b/i.test(spec.description ?? '')) return '';
  if (command === 'plan-guard' && name === 'comment') return ' (default: never from a terminal; auto in a workflow)';
  const value = spec.default;
  if (value === undefined || value === null || value === '') return '';
  const text = String(value);
  if (text.includes('${{')) return ` (default in a workflow: ${text}; from a terminal, give it)`;
  return ` (default: ${text})`;
}

/** Help of one command: its inputs as flags (descriptions and defaults from action.yml), its outputs. */
export function commandHelp(command, action) {
  const names = Object.keys(action.inputs);
  const width = Math.max(...names.map((n) => n.length), ...Object.keys(CLI_FLAGS).map((n) => n.length)) + 8;
  const row = (flag, text) => `  ${flag.padEnd(width)}${wrap(text, 100 - width, width + 2)}`;
  const out = [
    `nat-egress ${command} [flags]`,
    '',
    wrap(action.description, 100, 0),
    '',
    'Flags (the action inputs, from its action.yml):',
  ];
  for (const n of names) {
    const spec = action.inputs[n] ?? {};
    const text = `${spec.description ?? ''}${spec.required ? ' (required)' : ''}`;
    out.push(row(`--${n}`, `${text}${defaultNote(command, n, spec)}`));
  }
  out.push('', 'Command-line flags:');
  for (const [n, spec] of Object.entries(CLI_FLAGS))
    out.push(row(`--${n}${spec.short ? `, -${spec.short}` : ''}`, `${spec.description}${defaultNote('', n, spec)}`));
  out.push('', 'Outputs (printed at the end; with --json, the object on stdout):');
  for (const [n, spec] of Object.entries(action.outputs)) out.push(row(n, spec.description ?? ''));
  if (command === 'plan-guard')
    out.push('', 'From a terminal, --comment defaults to never: nothing is posted to GitHub unless you ask.');
  else
    out.push(
      '',
      'AWS: your usual credential chain (environment, --profile / AWS_PROFILE, SSO, ...) ' +
        "and region (--region, AWS_REGION, or the profile's region).",
    );
  return out.join('\n');
}

export function mainHelp() {
  return [
    "nat-egress <command> [flags]: the NAT egress toolkit's actions from a terminal",
    '',
    'Commands:',
    '  plan-guard      review a terraform plan for NAT egress risk (no AWS needed)',
    "  verify-egress   is egress up per AZ? if not, why, and the runbook's mitigation",
    '  build-nat-ami   run the NAT AMI Image Builder pipeline and wait for the tested AMI',
    '  cutover         apply the reviewed plan, surviving the gateway→instance Elastic IP race',
    '',
    '`nat-egress <command> --help` lists its flags (one per action input). Exit status: 0 success, 1 the action',
    'failed, 2 bad command line.',
  ].join('\n');
}
