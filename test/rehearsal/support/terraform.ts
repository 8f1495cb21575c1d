/**
 * Real terraform for the rehearsal: finds the binary and the hashicorp/aws provider, initialises the module once
 * (a template working directory), and gives each scenario its own copy that shares that one provider install.
 *
 * Provider discovery (never a machine path in the repo): TF_PLUGIN_DIR, then a filesystem mirror named in the
 * CLI config (TF_CLI_CONFIG_FILE or ~/.terraformrc), then a search of a few well-known roots (the XDG and
 * ~/.terraform.d plugin folders, /usr/share, /usr/local/share, /opt, /srv) for a
 * `registry.terraform.io/hashicorp/aws` folder with a provider binary. Without one, a plain `terraform init`
 * downloads the provider from the registry where it is reachable.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, onPath } from './moto';

export const MODULE_DIR = join(REPO_ROOT, 'test', 'rehearsal', 'terraform');
const PROVIDER = join('registry.terraform.io', 'hashicorp', 'aws');

export function findTerraform(): string | undefined {
  if (process.env.TERRAFORM && existsSync(process.env.TERRAFORM)) return process.env.TERRAFORM;
  return onPath('terraform');
}

function hasProviderBinary(root: string): boolean {
  const dir = join(root, PROVIDER);
  try {
    for (const version of readdirSync(dir)) {
      for (const platform of readdirSync(join(dir, version))) {
        const files = statSync(join(dir, version, platform)).isDirectory()
          ? readdirSync(join(dir, version, platform))
          : [platform];
        if (files.some((f) => f.startsWith('terraform-provider-aws'))) return true;
      }
    }
  } catch {
    return false;
  }
  return false;
}

/** Bounded breadth-first search under `root` for a folder holding registry.terraform.io/hashicorp/aws. */
function searchRoot(root: string, maxDepth: number): string | undefined {
  let level = [root];
  for (let depth = 0; depth <= maxDepth && level.length > 0; depth++) {
    const next: string[] = [];
    for (const dir of level) {
      if (hasProviderBinary(dir)) return dir;
      let entries: string[];
      try {
        entries = readdirSync(dir, { withFileTypes: true })
          .filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules' && e.name !== 'proc')
          .map((e) => join(dir, e.name));
      } catch {
        continue;
      }
      next.push(...entries.slice(0, 200));
    }
    level = next;
  }
  return undefined;
}

function mirrorsInCliConfig(): string[] {
  const file = process.env.TF_CLI_CONFIG_FILE || join(homedir(), '.terraformrc');
  try {
    const text = readFileSync(file, 'utf8');
    return [...text.matchAll(/filesystem_mirror\s*\{[^}]*?path\s*=\s*"([^"]+)"/g)].map((m) => m[1] as string);
  } catch {
    return [];
  }
}

/** The plugin directory (for `terraform init -plugin-dir`) holding hashicorp/aws, or undefined. */
export function findProviderMirror(): string | undefined {
  const home = homedir();
  const candidates = [
    process.env.TF_PLUGIN_DIR,
    ...mirrorsInCliConfig(),
    join(home, '.terraform.d', 'plugins'),
    join(process.env.XDG_DATA_HOME || join(home, '.local', 'share'), 'terraform', 'plugins'),
    '/usr/local/share/terraform/plugins',
    '/usr/share/terraform/plugins',
  ].filter((c): c is string => !!c);
  for (const c of candidates) if (hasProviderBinary(c)) return c;
  for (const root of ['/opt', '/usr/local/share', '/usr/share', '/srv', join(home, '.terraform.d')]) {
    const found = searchRoot(root, 3);
    if (found) return found;
  }
  return undefined;
}

export interface Exec {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function exec(
  file: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<Exec> {
  const started = Date.now();
  return new Promise((res, rej) => {
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
    child.on('error', rej);
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

export interface TerraformSetup {
  terraform: string;
  /** How the provider was installed: the mirror found, or the registry. */
  provider: string;
  /** An initialised copy of the module whose .terraform and lock file every workspace shares. */
  template: string;
  /** Environment for terraform (CLI config without the machine's settings). */
  env: NodeJS.ProcessEnv;
  initMs: number;
}

/** `terraform init` of the module in `<root>/template`, from the mirror when found, else the registry. */
export async function initTemplate(
  terraform: string,
  root: string,
  baseEnv: NodeJS.ProcessEnv,
): Promise<TerraformSetup> {
  const template = join(root, 'template');
  mkdirSync(template, { recursive: true });
  cpSync(MODULE_DIR, template, { recursive: true, filter: (src) => !src.includes(`${'/'}.terraform`) });
  const cliConfig = join(root, 'terraform.rc');
  writeFileSync(cliConfig, '# rehearsal: no machine settings\n');
  const mirror = findProviderMirror();
  // From the registry, the provider lands once in a plugin cache and every workspace links to it.
  const env: NodeJS.ProcessEnv = {
    ...baseEnv,
    TF_CLI_CONFIG_FILE: cliConfig,
    TF_IN_AUTOMATION: '1',
    CHECKPOINT_DISABLE: '1',
    ...(mirror ? {} : { TF_PLUGIN_CACHE_DIR: join(root, 'plugin-cache') }),
  };
  if (!mirror) mkdirSync(join(root, 'plugin-cache'), { recursive: true });
  const args = ['init', '-input=false', '-no-color', ...(mirror ? [`-plugin-dir=${mirror}`] : [])];
  const r = await exec(terraform, args, { cwd: template, env });
  if (r.code !== 0) {
    const why = (r.stderr || r.stdout)
      .trim()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(-3)
      .join(' | ');
    throw new Error(
      `terraform init failed (${mirror ? `provider mirror ${mirror}` : 'no provider mirror found; registry'}): ${why}`,
    );
  }
  return { terraform, provider: mirror ?? 'registry.terraform.io', template, env, initMs: r.ms };
}

/** A scenario's working directory: the module plus the template's .terraform (provider symlinked) and lock file. */
export function workspace(setup: TerraformSetup, root: string, name: string): string {
  const dir = join(root, name);
  cpSync(setup.template, dir, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (src) => !/terraform\.tfstate|\.tfplan$|terraform\.tfvars$/.test(src),
  });
  return dir;
}

export function writeVars(dir: string, vars: Record<string, string | number | boolean | number[]>): void {
  const value = (v: string | number | boolean | number[]) =>
    typeof v === 'string' || Array.isArray(v) ? JSON.stringify(v) : String(v);
  const lines = Object.entries(vars).map(([k, v]) => `${k} = ${value(v)}`);
  writeFileSync(join(dir, 'terraform.tfvars'), `${lines.join('\n')}\n`);
}
