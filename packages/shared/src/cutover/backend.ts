/**
 * Where terraform keeps the state of an initialised working directory, read the way terraform itself records it:
 * `terraform init` writes the backend's type and every configuration attribute (unset ones null) to
 * `.terraform/terraform.tfstate` (`backend.type`, `backend.config`), and the selected workspace to
 * `.terraform/environment` (absent for `default`; TF_WORKSPACE overrides both). Endpoints given only by
 * environment variable are not recorded there, so AWS_ENDPOINT_URL_S3 / _DYNAMODB / AWS_ENDPOINT_URL come next,
 * as terraform's S3 backend reads them (measured with terraform 1.11.4: /work/notes/research-19.md §1).
 *
 * S3 (terraform's s3 backend, `backend_state.go` path()): the state object is `<key>` in the default workspace,
 * else `<workspace_key_prefix, default "env:">/<workspace>/<key>`; with `use_lockfile` the lock is the object
 * `<state object>.tflock`; with `dynamodb_table` the lock is the item `LockID = "<bucket>/<state object>"`.
 * Local: `path` (default terraform.tfstate), workspaces under `workspace_dir` (default terraform.tfstate.d);
 * terraform locks it with an OS lock that a killed process loses (nothing stale to release).
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { InputError } from '../inputs/index';

export interface S3Backend {
  type: 's3';
  bucket: string;
  /** The state object's key (workspace applied). */
  key: string;
  region: string;
  /** Custom S3 endpoint (backend `endpoints.s3` / `endpoint`, else AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL). */
  endpoint?: string;
  forcePathStyle: boolean;
  /** The backend's `profile`, when set. */
  profile?: string;
  /** The backend's `encrypt` / `kms_key_id`: the journal object is written with the same server-side encryption. */
  encrypt: boolean;
  kmsKeyId?: string;
  lock: { kind: 'lockfile' } | { kind: 'dynamodb'; table: string; endpoint?: string } | { kind: 'none' };
  workspace: string;
}

export interface LocalBackend {
  type: 'local';
  /** Absolute path of the state file. */
  statePath: string;
  workspace: string;
}

/** A backend the journal cannot live beside (remote, gcs, azurerm, http, …). */
export interface OtherBackend {
  type: 'other';
  name: string;
  workspace: string;
}

export type Backend = S3Backend | LocalBackend | OtherBackend;

type Config = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The selected workspace: TF_WORKSPACE, else `.terraform/environment`, else default. */
function workspaceOf(dir: string, env: NodeJS.ProcessEnv): string {
  if (str(env.TF_WORKSPACE)) return env.TF_WORKSPACE as string;
  const file = join(dir, '.terraform', 'environment');
  if (!existsSync(file)) return 'default';
  return readFileSync(file, 'utf8').trim() || 'default';
}

function s3Backend(config: Config, workspace: string, env: NodeJS.ProcessEnv): S3Backend {
  const bucket = str(config.bucket);
  const key = str(config.key);
  if (!bucket || !key) throw new InputError('.terraform/terraform.tfstate: the s3 backend has no bucket or key');
  const prefix = str(config.workspace_key_prefix) ?? 'env:';
  const endpoints = (config.endpoints ?? {}) as Config;
  const endpoint =
    str(endpoints.s3) ?? str(config.endpoint) ?? str(env.AWS_ENDPOINT_URL_S3) ?? str(env.AWS_ENDPOINT_URL);
  const table = str(config.dynamodb_table);
  const ddbEndpoint =
    str(endpoints.dynamodb) ??
    str(config.dynamodb_endpoint) ??
    str(env.AWS_ENDPOINT_URL_DYNAMODB) ??
    str(env.AWS_ENDPOINT_URL);
  const region = str(config.region) ?? str(env.AWS_REGION) ?? str(env.AWS_DEFAULT_REGION);
  if (!region) throw new InputError('.terraform/terraform.tfstate: the s3 backend has no region (nor AWS_REGION)');
  return {
    type: 's3',
    bucket,
    key: workspace === 'default' ? key : `${prefix}/${workspace}/${key}`,
    region,
    ...(endpoint ? { endpoint } : {}),
    forcePathStyle: config.use_path_style === true || config.force_path_style === true,
    ...(str(config.profile) ? { profile: str(config.profile) } : {}),
    encrypt: config.encrypt === true,
    ...(str(config.kms_key_id) ? { kmsKeyId: str(config.kms_key_id) } : {}),
    // Terraform ≥ 1.10 takes both locks when both are set; the lock file is the one read first.
    lock:
      config.use_lockfile === true
        ? { kind: 'lockfile' }
        : table
          ? { kind: 'dynamodb', table, ...(ddbEndpoint ? { endpoint: ddbEndpoint } : {}) }
          : { kind: 'none' },
    workspace,
  };
}

function localBackend(dir: string, config: Config, workspace: string): LocalBackend {
  const path = str(config.path) ?? 'terraform.tfstate';
  const wsDir = str(config.workspace_dir) ?? 'terraform.tfstate.d';
  const rel = workspace === 'default' ? path : join(wsDir, workspace, 'terraform.tfstate');
  return { type: 'local', statePath: isAbsolute(rel) ? rel : join(dir, rel), workspace };
}

/**
 * The backend of the initialised working directory `dir`. Throws an InputError (one line) when
 * `.terraform/terraform.tfstate` is unreadable or an s3 backend lacks its bucket, key or region.
 */
export function readBackend(dir: string, env: NodeJS.ProcessEnv = process.env): Backend {
  const workspace = workspaceOf(dir, env);
  const file = join(dir, '.terraform', 'terraform.tfstate');
  if (!existsSync(file)) return localBackend(dir, {}, workspace);
  let doc: { backend?: { type?: unknown; config?: unknown } };
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as typeof doc;
  } catch (err) {
    throw new InputError(`.terraform/terraform.tfstate: not JSON (${(err as Error).message.split('\n')[0]})`);
  }
  const type = str(doc.backend?.type);
  const config = (doc.backend?.config ?? {}) as Config;
  if (!type || type === 'local') return localBackend(dir, config, workspace);
  if (type === 's3') return s3Backend(config, workspace, env);
  return { type: 'other', name: type, workspace };
}

/** The state's place as text (s3://bucket/key, or the local path). */
export function stateLocation(b: Backend): string {
  if (b.type === 's3') return `s3://${b.bucket}/${b.key}`;
  if (b.type === 'local') return b.statePath;
  return `${b.name} backend (workspace ${b.workspace})`;
}
