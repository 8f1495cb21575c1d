/**
 * The rehearsal's S3 backend (issue 19): the state in a moto S3 bucket with terraform's `use_lockfile` (the lock is
 * the object `<key>.tflock`), or once with a DynamoDB lock table — what real environments use, and what a killed
 * terraform leaves locked. The endpoint is the fault proxy, from `AWS_ENDPOINT_URL` alone (terraform's S3 backend
 * honours it and uses path-style for an IP endpoint: /work/notes/research-19.md §1); the module stays as it is and
 * each environment gets a `backend.tf` with an empty `backend "s3" {}` block and `-backend-config` at init.
 *
 * Reads go straight to moto (unsigned; moto takes region and service from the credential scope), so that they are
 * not in the proxy's log of the environment's calls.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exec } from './terraform';
import type { Environment, Rehearsal } from './rehearsal';

export type LockKind = 'lockfile' | 'dynamodb';

export interface S3State {
  bucket: string;
  key: string;
  lock: LockKind;
  table?: string;
}

const auth = (region: string, service: string) =>
  `AWS4-HMAC-SHA256 Credential=testing/20260101/${region}/${service}/aws4_request, SignedHeaders=host, Signature=00`;

async function moto(
  r: Rehearsal,
  region: string,
  service: 's3' | 'dynamodb',
  method: string,
  path: string,
  init: { body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${r.moto.url}${path}`, {
    method,
    headers: { authorization: auth(region, service), ...init.headers },
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  return { status: res.status, text: await res.text() };
}

async function dynamodb(r: Rehearsal, region: string, target: string, body: unknown) {
  const out = await moto(r, region, 'dynamodb', 'POST', '/', {
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${target}` },
  });
  if (out.status >= 400) throw new Error(`moto DynamoDB ${target}: HTTP ${out.status} ${out.text.slice(0, 200)}`);
  return JSON.parse(out.text || '{}') as Record<string, unknown>;
}

/** The environment's state bucket (and lock table), created in moto. */
export async function createStateStore(r: Rehearsal, region: string, name: string, lock: LockKind): Promise<S3State> {
  const bucket = `tfstate-${name}`;
  const body =
    region === 'us-east-1'
      ? undefined
      : `<CreateBucketConfiguration><LocationConstraint>${region}</LocationConstraint></CreateBucketConfiguration>`;
  const made = await moto(r, region, 's3', 'PUT', `/${bucket}`, body ? { body } : {});
  if (made.status >= 400)
    throw new Error(`moto CreateBucket ${bucket}: HTTP ${made.status} ${made.text.slice(0, 200)}`);
  const state: S3State = { bucket, key: `${name}/terraform.tfstate`, lock };
  if (lock === 'dynamodb') {
    state.table = `tflock-${name}`;
    await dynamodb(r, region, 'CreateTable', {
      TableName: state.table,
      KeySchema: [{ AttributeName: 'LockID', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'LockID', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
  }
  return state;
}

/** Puts the environment on the S3 backend: backend.tf and `terraform init -reconfigure` with -backend-config. */
export async function useS3Backend(env: Environment, state: S3State): Promise<void> {
  writeFileSync(join(env.dir, 'backend.tf'), 'terraform {\n  backend "s3" {}\n}\n');
  const tf = env.rehearsal.tf;
  const config = [
    `bucket=${state.bucket}`,
    `key=${state.key}`,
    `region=${env.region}`,
    ...(state.lock === 'dynamodb' ? [`dynamodb_table=${state.table}`] : ['use_lockfile=true']),
  ];
  const mirror = tf.provider === 'registry.terraform.io' ? [] : [`-plugin-dir=${tf.provider}`];
  const args = [
    'init',
    '-input=false',
    '-no-color',
    '-reconfigure',
    ...mirror,
    ...config.map((c) => `-backend-config=${c}`),
  ];
  const run = await exec(tf.terraform, args, { cwd: env.dir, env: env.env(), timeoutMs: 180_000 });
  if (run.code !== 0) throw new Error(`terraform init (S3 backend) failed: ${(run.stderr || run.stdout).slice(-600)}`);
}

/** An object of the state bucket (text), or undefined when it does not exist. */
export async function getObject(
  r: Rehearsal,
  region: string,
  state: S3State,
  key: string,
): Promise<string | undefined> {
  const out = await moto(r, region, 's3', 'GET', `/${state.bucket}/${key}`);
  if (out.status === 404) return undefined;
  if (out.status >= 400) throw new Error(`moto GetObject ${key}: HTTP ${out.status} ${out.text.slice(0, 200)}`);
  return out.text;
}

export interface TfState {
  serial: number;
  lineage: string;
  resources: Array<{
    module?: string;
    mode: string;
    type: string;
    name: string;
    instances: Array<{ index_key?: number | string; attributes: Record<string, unknown>; status?: string }>;
  }>;
}

/** The state object terraform wrote. */
export async function readState(r: Rehearsal, region: string, state: S3State): Promise<TfState> {
  const text = await getObject(r, region, state, state.key);
  if (!text) throw new Error(`no state object s3://${state.bucket}/${state.key}`);
  return JSON.parse(text) as TfState;
}

/** The state lock's info (LockInfo JSON: ID, Who, Created, Operation…), or undefined when the state is unlocked. */
export async function readLock(
  r: Rehearsal,
  region: string,
  state: S3State,
): Promise<{ ID: string; Who: string } | undefined> {
  if (state.lock === 'lockfile') {
    const text = await getObject(r, region, state, `${state.key}.tflock`);
    return text ? (JSON.parse(text) as { ID: string; Who: string }) : undefined;
  }
  const out = await dynamodb(r, region, 'GetItem', {
    TableName: state.table,
    Key: { LockID: { S: `${state.bucket}/${state.key}` } },
    ConsistentRead: true,
  });
  const info = (out.Item as { Info?: { S?: string } } | undefined)?.Info?.S;
  return info ? (JSON.parse(info) as { ID: string; Who: string }) : undefined;
}

/** The journal the cutover keeps beside the state (`<key>.nat-egress-journal.json`), parsed. */
export async function readJournal(
  r: Rehearsal,
  region: string,
  state: S3State,
): Promise<{ runs: unknown[] } | undefined> {
  const text = await getObject(r, region, state, `${state.key}.nat-egress-journal.json`);
  return text ? (JSON.parse(text) as { runs: unknown[] }) : undefined;
}

/** `module.vpc.aws_instance.nat[0]` → the state's attributes of that instance (by address). */
export function stateIndex(s: TfState): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const res of s.resources) {
    if (res.mode !== 'managed') continue;
    for (const i of res.instances) {
      const key =
        i.index_key === undefined ? '' : typeof i.index_key === 'number' ? `[${i.index_key}]` : `["${i.index_key}"]`;
      out.set(`${res.module ? `${res.module}.` : ''}${res.type}.${res.name}${key}`, i.attributes);
    }
  }
  return out;
}
