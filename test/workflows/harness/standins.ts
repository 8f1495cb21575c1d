/**
 * Local stand-ins for third-party actions, registered by `owner/name` (the ref after @ is ignored). Each gets the
 * evaluated `with:` inputs and writes its effects the way the real action does: file commands and workflow
 * commands, so outputs, env, PATH, masks and annotations go through the same runner code as any other step.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, relative, resolve, sep } from 'node:path';
import type { FileCommands } from './file-commands';
import type { JobState } from './step';

/** Settings the stand-ins read (nothing here is a machine path: the tests pass them). */
export interface StandInOptions {
  /** The directory actions/checkout copies into the workspace. */
  checkout?: string;
  /** The terraform binary setup-terraform puts on PATH (else terraform on PATH). */
  terraform?: string;
  /** What configure-aws-credentials exports (an endpoint sends every AWS call to moto's proxy). */
  aws?: {
    endpoint?: string;
    accessKeyId?: string;
    secretAccessKey?: string;
    sessionToken?: string;
    accountId?: string;
  };
}

export interface StandInContext {
  inputs: Record<string, string>;
  env: Record<string, string>;
  files: FileCommands;
  log: (line: string) => void;
  state: JobState;
  options: StandInOptions;
  uses: string;
}

export type StandIn = (ctx: StandInContext) => void | Promise<void>;

/** The file-command writers of @actions/core (prepareKeyValueMessage: a random heredoc delimiter). */
export function setOutput(files: FileCommands, name: string, value: string): void {
  const d = `ghadelimiter_${randomUUID()}`;
  appendFileSync(files.GITHUB_OUTPUT, `${name}<<${d}\n${value}\n${d}\n`);
}
export function exportVariable(files: FileCommands, name: string, value: string): void {
  const d = `ghadelimiter_${randomUUID()}`;
  appendFileSync(files.GITHUB_ENV, `${name}<<${d}\n${value}\n${d}\n`);
}
const addPath = (files: FileCommands, p: string) => appendFileSync(files.GITHUB_PATH, `${p}\n`);
const escapeData = (s: string) => String(s).replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
const escapeProperty = (s: string) => escapeData(s).replaceAll(':', '%3A').replaceAll(',', '%2C');

/** A workflow command as @actions/core writes it (command.ts: escaped data and properties). */
export function command(name: string, properties: Record<string, string | undefined>, message: string): string {
  const props = Object.entries(properties ?? {}).filter(([, v]) => v);
  const list = props.map(([k, v]) => `${k}=${escapeProperty(v as string)}`).join(',');
  return `::${name}${props.length ? ` ${list}` : ''}::${escapeData(message)}`;
}

function fail(message: string): never {
  throw new Error(message);
}

function checkout({ inputs, state, options, log }: StandInContext): void {
  const source = options.checkout ?? fail('actions/checkout stand-in: options.checkout (the directory) is not set');
  const dest = resolve(state.workspace, inputs.path ?? '');
  cpSync(source, dest, { recursive: true, verbatimSymlinks: true, filter: (p) => !p.split(sep).includes('.git') });
  log(`Copied the repository into ${dest} (persist-credentials: ${inputs['persist-credentials'] ?? 'true'})`);
}

function findOnPath(name: string, pathValue: string | undefined): string | undefined {
  for (const d of (pathValue ?? '').split(delimiter)) if (d && existsSync(join(d, name))) return join(d, name);
  return undefined;
}

function setupTerraform({ inputs, files, state, options, log, env }: StandInContext): void {
  const bin = options.terraform ?? findOnPath('terraform', env.PATH) ?? fail('setup-terraform stand-in: no terraform');
  const dir = join(state.toolCache, 'terraform', randomUUID());
  mkdirSync(dir, { recursive: true });
  symlinkSync(bin, join(dir, 'terraform'));
  addPath(files, dir);
  const out = execFileSync(bin, ['version', '-json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env });
  const version = (JSON.parse(out) as { terraform_version: string }).terraform_version;
  const want = inputs.terraform_version;
  if (want && want !== 'latest' && want !== version)
    log(command('notice', { title: 'setup-terraform stand-in' }, `terraform ${version} stands in for ${want}`));
  if ((inputs.terraform_wrapper ?? 'true') !== 'false')
    state.record.unhandled.push('setup-terraform: terraform_wrapper (the stand-in installs no wrapper)');
  log(`terraform ${version}`);
}

function configureAws({ inputs, files, options, log }: StandInContext): void {
  if (!inputs['aws-region']) fail('Input required and not supplied: aws-region');
  const aws = {
    accessKeyId: 'AKIAHARNESS000000000',
    secretAccessKey: 'harness-secret-access-key',
    sessionToken: 'harness-session-token',
    ...options.aws,
  };
  for (const v of [aws.accessKeyId, aws.secretAccessKey, aws.sessionToken]) log(command('add-mask', {}, v));
  exportVariable(files, 'AWS_REGION', inputs['aws-region']);
  exportVariable(files, 'AWS_DEFAULT_REGION', inputs['aws-region']);
  exportVariable(files, 'AWS_ACCESS_KEY_ID', aws.accessKeyId);
  exportVariable(files, 'AWS_SECRET_ACCESS_KEY', aws.secretAccessKey);
  exportVariable(files, 'AWS_SESSION_TOKEN', aws.sessionToken);
  if (aws.endpoint) exportVariable(files, 'AWS_ENDPOINT_URL', aws.endpoint);
  setOutput(files, 'aws-account-id', aws.accountId ?? '123456789012');
  log(`Assuming role ${inputs['role-to-assume'] ?? '(none)'} as ${inputs['role-session-name'] ?? 'GitHubActions'}`);
}

function* filesUnder(dir: string, includeHidden: boolean): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (!includeHidden && name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* filesUnder(p, includeHidden);
    else yield p;
  }
}

function commonRoot(dirs: string[]): string {
  const parts = dirs.map((d) => d.split(sep));
  const common: string[] = [];
  for (let i = 0; parts.every((p) => p[i] !== undefined && p[i] === parts[0]![i]); i++) common.push(parts[0]![i]!);
  return common.join(sep) || sep;
}

/** actions/upload-artifact: literal paths into the run's artifact store (one directory per artifact name). */
function uploadArtifact({ inputs, files: fc, state, log }: StandInContext): void {
  const name = inputs.name || 'artifact';
  const includeHidden = inputs['include-hidden-files'] === 'true';
  const paths = (inputs.path ?? '')
    .split('\n')
    .map((p) => p.trim())
    .filter(Boolean);
  if (paths.some((p) => /[*?[]/.test(p) || p.startsWith('!'))) state.record.unhandled.push('upload-artifact: globs');
  const found: { file: string; root: string }[] = [];
  for (const p of paths.map((x) => resolve(state.workspace, x)).filter(existsSync))
    if (statSync(p).isDirectory()) for (const f of filesUnder(p, includeHidden)) found.push({ file: f, root: p });
    else found.push({ file: p, root: dirname(p) });
  if (found.length === 0) {
    const mode = inputs['if-no-files-found'] || 'warn';
    const msg = `No files were found with the provided path: ${paths.join('\n')}. No artifacts will be uploaded.`;
    if (mode === 'error') fail(msg);
    log(mode === 'warn' ? command('warning', {}, msg) : msg);
    return;
  }
  const root = found.length === 1 ? found[0]!.root : commonRoot(found.map((f) => f.root));
  const dest = join(state.artifactStore, name);
  if (existsSync(dest)) {
    if (inputs.overwrite !== 'true')
      fail(`Failed to CreateArtifact: an artifact with this name already exists on the workflow run (${name})`);
    rmSync(dest, { recursive: true });
  }
  const hash = createHash('sha256');
  const rel: string[] = [];
  for (const { file } of found) {
    const r = relative(root, file);
    mkdirSync(dirname(join(dest, r)), { recursive: true });
    cpSync(file, join(dest, r));
    hash.update(r);
    rel.push(r);
  }
  state.record.artifacts.push({
    job: state.id,
    name,
    dir: dest,
    files: rel,
    retentionDays: inputs['retention-days'] || '',
  });
  setOutput(fc, 'artifact-id', String(state.record.artifacts.length));
  setOutput(fc, 'artifact-digest', hash.digest('hex'));
  log(`Artifact ${name} has been successfully uploaded! (${rel.length} files)`);
}

/** actions/download-artifact by name (into `path`), or every artifact of the run (each into its own folder). */
function downloadArtifact({ inputs, files: fc, state, log }: StandInContext): void {
  const dest = resolve(state.workspace, inputs.path || '.');
  const store = state.artifactStore;
  const names = inputs.name ? [inputs.name] : existsSync(store) ? readdirSync(store) : [];
  for (const name of names) {
    const src = join(store, name);
    if (!existsSync(src)) fail(`Unable to download artifact(s): Artifact not found for name: ${name}`);
    cpSync(src, inputs.name ? dest : join(dest, name), { recursive: true });
  }
  setOutput(fc, 'download-path', dest);
  log(`Downloaded ${names.join(', ')} to ${dest}`);
}

/** actions/github-script: the script runs with a real Octokit (@actions/github) pointed at GITHUB_API_URL. */
async function githubScript({ inputs, env, files: fc, log, state }: StandInContext): Promise<void> {
  const require = createRequire(import.meta.url);
  const { getOctokit } = await import('@actions/github');
  const github = getOctokit(inputs['github-token'] || state.github.token, { baseUrl: env.GITHUB_API_URL });
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '/').split('/');
  const event = state.github.event as any;
  const context = {
    repo: { owner, repo },
    payload: event,
    eventName: env.GITHUB_EVENT_NAME,
    runId: Number(env.GITHUB_RUN_ID),
    issue: { owner, repo, number: event?.pull_request?.number ?? event?.issue?.number },
  };
  let failed: string | undefined;
  const core = {
    info: (m: string) => log(String(m)),
    debug: (m: string) => log(command('debug', {}, m)),
    notice: (m: string, p?: Record<string, string>) => log(command('notice', p ?? {}, m)),
    warning: (m: string, p?: Record<string, string>) => log(command('warning', p ?? {}, m)),
    error: (m: string, p?: Record<string, string>) => log(command('error', p ?? {}, m)),
    setFailed: (m: string) => {
      failed = String(m);
      log(command('error', {}, failed));
    },
    setOutput: (k: string, v: unknown) => setOutput(fc, k, typeof v === 'string' ? v : JSON.stringify(v)),
    exportVariable: (k: string, v: string) => exportVariable(fc, k, v),
    setSecret: (v: string) => log(command('add-mask', {}, v)),
    getInput: (n: string) => inputs[n] ?? '',
  };
  const fakeProcess = { env, cwd: () => state.workspace };
  const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (
    ...args: string[]
  ) => (...a: unknown[]) => Promise<unknown>;
  const fn = new AsyncFunction('require', 'github', 'context', 'core', 'process', inputs.script ?? '');
  const result = await fn(require, github, context, core, fakeProcess);
  if (result !== undefined) setOutput(fc, 'result', typeof result === 'string' ? result : JSON.stringify(result));
  if (failed) throw Object.assign(new Error(failed), { reported: true });
}

export const defaultStandIns: Record<string, StandIn> = {
  'actions/checkout': checkout,
  'hashicorp/setup-terraform': setupTerraform,
  'aws-actions/configure-aws-credentials': configureAws,
  'actions/upload-artifact': uploadArtifact,
  'actions/download-artifact': downloadArtifact,
  'actions/github-script': githubScript,
};
