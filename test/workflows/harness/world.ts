/**
 * The world the workflows run in for the harness tests: the rehearsal's moto behind its fault-injection proxy and
 * its terraform (one provider install), a checkout of the rehearsal's root module (plus test files such as the
 * canaries) with a local backend outside the workspaces (the plan and apply jobs share the state as they share
 * S3 in production), the fake GitHub API, and the runner machine's environment. `run()` runs a workflow's jobs
 * and returns the record, the fake API's requests of that run included.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { NODE24, REPO_ROOT } from '../../../packages/shared/test/support/action-runner';
import { Rehearsal } from '../../rehearsal/support/rehearsal';
import { findProviderMirror } from '../../rehearsal/support/terraform';
import { startFakeGitHub, type FakeGitHub } from './fake-github';
import type { RunRecord } from './record';
import { runWorkflow, type RunOptions } from './runner';

export interface World {
  rehearsal: Rehearsal;
  gh: FakeGitHub;
  root: string;
  /** The checkout: <repo>/infra is the root module. */
  repo: string;
  stateFile: string;
  baseEnv: Record<string, string>;
  run(name: string, workflow: string, opts: Partial<RunOptions>): Promise<RunRecord>;
  stop(): Promise<void>;
}

/** Starts the world, or says why it cannot run here (no terraform, provider or moto). */
export async function startWorld(extraFiles: Record<string, string> = {}): Promise<World | { skip: string }> {
  const started = await Rehearsal.start({ natDeleteMs: 3_000 });
  if ('skip' in started) return started;
  const rehearsal = started;
  const root = mkdtempSync(join(tmpdir(), 'wf-harness-'));
  const repo = join(root, 'repo');
  const infra = join(repo, 'infra');
  cpSync(rehearsal.tf.template, infra, { recursive: true, verbatimSymlinks: true });
  const stateFile = join(root, 'state', 'terraform.tfstate');
  mkdirSync(dirname(stateFile), { recursive: true });
  writeFileSync(
    join(infra, 'backend.tf'),
    `# The harness's shared state (S3 in production).\nterraform {\n  backend "local" {\n    path = ${JSON.stringify(stateFile)}\n  }\n}\n`,
  );
  for (const [name, text] of Object.entries(extraFiles)) writeFileSync(join(infra, name), text);
  // terraform init in each job installs the provider from the mirror (or the rehearsal's plugin cache).
  const mirror = findProviderMirror();
  const cliConfig = join(root, 'terraform.rc');
  writeFileSync(
    cliConfig,
    mirror ? `provider_installation {\n  filesystem_mirror {\n    path = ${JSON.stringify(mirror)}\n  }\n}\n` : '',
  );
  const baseEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? root,
    LANG: 'C.UTF-8',
    TF_CLI_CONFIG_FILE: cliConfig,
    CHECKPOINT_DISABLE: '1',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...(!mirror && rehearsal.tf.env.TF_PLUGIN_CACHE_DIR
      ? { TF_PLUGIN_CACHE_DIR: rehearsal.tf.env.TF_PLUGIN_CACHE_DIR }
      : {}),
  };
  const gh = await startFakeGitHub();
  const world: World = {
    rehearsal,
    gh,
    root,
    repo,
    stateFile,
    baseEnv,
    async run(name, workflow, opts) {
      // Each run its own GITHUB_TOKEN (all github-actions[bot]), so concurrent runs' API requests are told apart.
      const token = `ghs_${name.replace(/[^A-Za-z0-9]/g, '')}${'0'.repeat(36)}`.slice(0, 40);
      gh.addToken(token);
      const record = await runWorkflow({
        ...opts,
        workflow: join(REPO_ROOT, '.github', 'workflows', workflow),
        runDir: join(root, 'runs', name),
        node: { node24: NODE24, node20: NODE24 },
        baseEnv: { ...baseEnv, ...opts.baseEnv },
        github: { repository: 'example/infra', api_url: gh.url, token, ...opts.github },
        options: {
          checkout: repo,
          terraform: rehearsal.tf.terraform,
          aws: { endpoint: rehearsal.proxy.url, accessKeyId: 'testing', secretAccessKey: 'testing-secret' },
          ...opts.options,
        },
      });
      record.github.push(...gh.requests.filter((q) => q.token === token));
      if (process.env.HARNESS_KEEP === '1') record.save(join(root, 'runs', name, 'record'));
      return record;
    },
    async stop() {
      await gh.close();
      await rehearsal.stop();
      if (process.env.HARNESS_KEEP !== '1') rmSync(root, { recursive: true, force: true });
      else console.log(`workflow harness run folder kept: ${root}`);
    },
  };
  return world;
}
