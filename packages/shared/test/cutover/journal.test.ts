/**
 * The cutover journal: where the backend keeps the state (readBackend), the journal written write-ahead beside it
 * (file store, and S3 + the state lock object / DynamoDB item against moto on loopback), and whose lock a lock is
 * (judgeLock).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock, VirtualClock } from '../../src/runtime/index';
import { readBackend, stateLocation, type S3Backend } from '../../src/cutover/backend';
import { Journal, memoryStore, runIdentity } from '../../src/cutover/journal';
import { fileJournalStore, journalStoreFor, s3JournalStore } from '../../src/cutover/journal-store';
import { JOURNAL_MAX_RUNS, type RunIdentity } from '../../src/cutover/journal-types';
import { describeLock, judgeLock, lockReaderFor, type LockInfo } from '../../src/cutover/lock';
import { findMotoServer, startMoto, type Moto } from '../../../../test/rehearsal/support/moto';

const tmp = () => mkdtempSync(join(tmpdir(), 'journal-test-'));

function initialised(backend: { type: string; config: Record<string, unknown> }, environment?: string): string {
  const dir = tmp();
  mkdirSync(join(dir, '.terraform'));
  writeFileSync(join(dir, '.terraform', 'terraform.tfstate'), JSON.stringify({ version: 3, backend }));
  if (environment) writeFileSync(join(dir, '.terraform', 'environment'), environment);
  return dir;
}

const S3_CONFIG = {
  bucket: 'tfstate',
  key: 'env/terraform.tfstate',
  region: 'eu-west-1',
  use_lockfile: true,
  dynamodb_table: null,
  workspace_key_prefix: null,
  endpoints: { dynamodb: null, s3: 'http://127.0.0.1:45120', sts: null },
  use_path_style: true,
};

describe('readBackend: what terraform init recorded', () => {
  test('s3 with use_lockfile: the state object, the endpoint and path style from the recorded config', () => {
    const b = readBackend(initialised({ type: 's3', config: S3_CONFIG }), {});
    expect(b).toEqual({
      type: 's3',
      bucket: 'tfstate',
      key: 'env/terraform.tfstate',
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:45120',
      forcePathStyle: true,
      encrypt: false,
      lock: { kind: 'lockfile' },
      workspace: 'default',
    });
    expect(stateLocation(b)).toBe('s3://tfstate/env/terraform.tfstate');
  });

  test('a workspace puts the state under env:/<workspace>/ (or workspace_key_prefix); AWS_ENDPOINT_URL fills in', () => {
    const config = { ...S3_CONFIG, endpoints: { s3: null }, use_path_style: null };
    const ws = readBackend(initialised({ type: 's3', config }, 'stage'), { AWS_ENDPOINT_URL: 'http://127.0.0.1:1' });
    expect(ws).toMatchObject({
      key: 'env:/stage/env/terraform.tfstate',
      endpoint: 'http://127.0.0.1:1',
      workspace: 'stage',
    });
    const prefixed = readBackend(initialised({ type: 's3', config: { ...config, workspace_key_prefix: 'ws' } }), {
      TF_WORKSPACE: 'prod',
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:2',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:1',
    });
    expect(prefixed).toMatchObject({ key: 'ws/prod/env/terraform.tfstate', endpoint: 'http://127.0.0.1:2' });
  });

  test('dynamodb_table without use_lockfile: the lock is the table item; encrypt and kms_key_id are kept', () => {
    const config = { ...S3_CONFIG, use_lockfile: null, dynamodb_table: 'tflock', encrypt: true, kms_key_id: 'k-1' };
    expect(readBackend(initialised({ type: 's3', config }), {})).toMatchObject({
      lock: { kind: 'dynamodb', table: 'tflock' },
      encrypt: true,
      kmsKeyId: 'k-1',
    });
  });

  test('no backend recorded: the local default; another backend is named; bad files are one-line input errors', () => {
    const dir = tmp();
    expect(readBackend(dir, {})).toEqual({
      type: 'local',
      statePath: join(dir, 'terraform.tfstate'),
      workspace: 'default',
    });
    const ws = initialised({ type: 'local', config: { path: null } }, 'blue');
    expect(readBackend(ws, {})).toMatchObject({
      statePath: join(ws, 'terraform.tfstate.d', 'blue', 'terraform.tfstate'),
    });
    expect(readBackend(initialised({ type: 'remote', config: {} }), {})).toEqual({
      type: 'other',
      name: 'remote',
      workspace: 'default',
    });
    const bad = tmp();
    mkdirSync(join(bad, '.terraform'));
    writeFileSync(join(bad, '.terraform', 'terraform.tfstate'), '{nope');
    expect(() => readBackend(bad, {})).toThrow(/^\.terraform\/terraform\.tfstate: not JSON/);
    expect(() => readBackend(initialised({ type: 's3', config: { bucket: 'b', key: 'k' } }), {})).toThrow(
      /has no region/,
    );
  });
});

function identity(over: Partial<RunIdentity> = {}): RunIdentity {
  return {
    repository: 'o/infra',
    workflow: 'infra',
    environment: 'prod',
    runId: '100',
    attempt: '1',
    job: 'apply',
    host: 'runner-a',
    who: 'runner@runner-a',
    pid: 4242,
    started: '2026-12-06T21:00:00.000Z',
    ...over,
  };
}

describe('Journal: write-ahead records beside the state', () => {
  test('intend resolves only once the file holds the intent; done adds the facts; a reopened journal reads both', async () => {
    const path = join(tmp(), 'terraform.tfstate.nat-egress-journal.json');
    const store = fileJournalStore(path, true);
    const j = await Journal.open(store, identity(), { clock: systemClock });
    const id = await j.intend({ kind: 'associate', address: 'a[0]', allocationId: 'eipalloc-1', targetId: 'i-1' });
    const onDisk = JSON.parse(readFileSync(path, 'utf8'));
    expect(onDisk.runs[0].entries).toEqual([
      expect.objectContaining({ id, intent: expect.objectContaining({ kind: 'associate' }) }),
    ]);
    await j.done(id, { associationId: 'eipassoc-1' });
    const next = await Journal.open(store, identity({ runId: '101' }), { clock: systemClock });
    expect(next.earlier).toHaveLength(1);
    expect(next.earlier[0]?.entries[0]?.done?.facts).toEqual({ associationId: 'eipassoc-1' });
  });

  test('concurrent intents are serialised: every one is in the document when its promise resolves', async () => {
    const store = memoryStore();
    const j = await Journal.open(store, identity(), { clock: new VirtualClock() });
    const ids = await Promise.all(
      [0, 1, 2].map((i) => j.intend({ kind: 'import', address: `x[${i}]`, id: `id-${i}` })),
    );
    expect(store.doc?.runs[0]?.entries.map((e) => e.id)).toEqual(ids);
    expect(new Set(ids).size).toBe(3);
  });

  test('an intent that cannot be written throws one line and is not kept; done and end never throw', async () => {
    const warnings: string[] = [];
    let fail = false;
    const store = {
      ...memoryStore(),
      write: async () => {
        if (fail) throw new Error('could not write the journal s3://b/k: AccessDenied: denied');
      },
    };
    const j = await Journal.open(store, identity(), { clock: new VirtualClock(), warn: (l) => warnings.push(l) });
    const id = await j.intend({ kind: 'import', address: 'x', id: 'y' });
    fail = true;
    await expect(j.intend({ kind: 'import', address: 'x2', id: 'y2' })).rejects.toThrow(
      /^journal: could not record the import before making it: could not write the journal s3:\/\/b\/k: AccessDenied: denied/,
    );
    expect(j.entries.map((e) => e.intent)).toEqual([{ kind: 'import', address: 'x', id: 'y' }]);
    await expect(j.done(id)).resolves.toBeUndefined();
    await expect(j.end('cancelled', 'Re-run the workflow.')).resolves.toBeUndefined();
    expect(warnings).toHaveLength(2);
  });

  test('a write that hangs is bounded: intend rejects at the deadline', async () => {
    const clock = new VirtualClock();
    const store = { ...memoryStore(), write: () => new Promise<void>(() => undefined) };
    const j = await Journal.open(store, identity(), { clock, writeMs: 2_000 });
    const p = j.intend({ kind: 'import', address: 'x', id: 'y' });
    await new Promise((r) => setImmediate(r)); // the write has started (its deadline is armed)
    clock.advance(2_001);
    await expect(p).rejects.toThrow(/journal: could not record the import.*hard deadline/);
  });

  test('earlier = same repository, workflow and environment; the document keeps at most JOURNAL_MAX_RUNS runs', async () => {
    const store = memoryStore();
    const clock = new VirtualClock();
    for (let i = 0; i < JOURNAL_MAX_RUNS + 5; i++) {
      const j = await Journal.open(store, identity({ runId: String(i) }), { clock });
      await j.intend({ kind: 'import', address: 'x', id: String(i) });
      if (i % 2 === 0) await j.end('applied', undefined);
    }
    const other = await Journal.open(store, identity({ runId: 'o', environment: 'stage' }), { clock });
    await other.intend({ kind: 'import', address: 'x', id: 'o' });
    const me = await Journal.open(store, identity({ runId: 'me' }), { clock });
    expect(store.doc?.runs.length).toBe(JOURNAL_MAX_RUNS);
    expect(me.others.some((r) => r.run.environment === 'stage')).toBe(true);
    expect(me.earlier.every((r) => r.run.environment === 'prod' && r.run.runId !== 'me')).toBe(true);
    // The oldest ended ones went first: the unended odd runs are all still there.
    const kept = new Set(store.doc?.runs.map((r) => r.run.runId));
    for (let i = 1; i < JOURNAL_MAX_RUNS + 5; i += 2) expect(kept.has(String(i))).toBe(true);
  });

  test("runIdentity reads the runner's variables; outside GitHub Actions it is a local run", () => {
    const gh = runIdentity(
      {
        GITHUB_RUN_ID: '9',
        GITHUB_RUN_ATTEMPT: '2',
        GITHUB_WORKFLOW: 'infra',
        GITHUB_JOB: 'apply',
        GITHUB_REPOSITORY: 'o/r',
      },
      'prod',
      Date.UTC(2026, 0, 1),
    );
    expect(gh).toMatchObject({
      runId: '9',
      attempt: '2',
      workflow: 'infra',
      job: 'apply',
      repository: 'o/r',
      environment: 'prod',
    });
    expect(gh.who).toMatch(/^.+@.+$/);
    expect(runIdentity({}, '', 5)).toMatchObject({
      workflow: '(local)',
      runId: `local-${process.pid}-5`,
      attempt: '1',
    });
  });

  test('another backend keeps the journal in the working directory, not durable', () => {
    const store = journalStoreFor({ type: 'other', name: 'remote', workspace: 'default' }, '/w', () => {
      throw new Error('no S3 here');
    });
    expect({ location: store.location, durable: store.durable }).toEqual({
      location: '/w/.nat-egress-journal.json',
      durable: false,
    });
  });
});

const LOCK: LockInfo = {
  ID: 'a609e175-94ee-b9d9-3a0d-b44dafef56b6',
  Operation: 'OperationTypeApply',
  Info: '',
  Who: 'runner@runner-a',
  Version: '1.11.4',
  Created: '2026-12-06T21:26:57.300298744Z',
  Path: 'tfstate/env/terraform.tfstate',
};

describe('judgeLock: whose lock is it', () => {
  async function withEarlier(entries: (j: Journal) => Promise<void>, over: Partial<RunIdentity> = {}) {
    const store = memoryStore();
    const clock = new VirtualClock(Date.parse('2026-12-06T21:26:50Z'));
    await entries(await Journal.open(store, identity(over), { clock }));
    return Journal.open(store, identity({ runId: '200', host: 'runner-b', who: 'runner@runner-b' }), { clock });
  }
  const recordLock = (j: Journal) =>
    j.intend({
      kind: 'lock',
      id: LOCK.ID,
      who: LOCK.Who,
      created: LOCK.Created,
      operation: LOCK.Operation,
      path: LOCK.Path,
    });

  test('recorded by an earlier run of this workflow and environment: stale, by ID', async () => {
    const j = await withEarlier(async (e) => void (await recordLock(e)));
    expect(judgeLock(LOCK, j)).toMatchObject({ kind: 'stale', how: 'id', run: { run: { runId: '100' } } });
  });

  test('killed before it read its lock: stale by Who and time, when its terraform entry is pending', async () => {
    const j = await withEarlier(
      async (e) => void (await e.intend({ kind: 'terraform', command: 'apply', detail: 'tfplan' })),
    );
    expect(judgeLock(LOCK, j)).toMatchObject({ kind: 'stale', how: 'who' });
    const other = await withEarlier(
      async (e) => void (await e.intend({ kind: 'terraform', command: 'apply', detail: 'tfplan' })),
      { who: 'someone@else' },
    );
    expect(judgeLock(LOCK, other).kind).toBe('foreign');
  });

  test('by Who only for a lock taken within 60 s of that command, and never once a later run reconciled it', async () => {
    const pending = (e: Journal) => e.intend({ kind: 'terraform', command: 'apply', detail: 'tfplan' });
    const j = await withEarlier(async (e) => void (await pending(e)));
    // a lock taken minutes after the killed command started (a person on the same machine): not that run's
    const later = { ...LOCK, Created: '2026-12-06T21:29:57.300298744Z' };
    expect(judgeLock(later, j).kind).toBe('foreign');
    await j.reconciled(j.earlier);
    expect(judgeLock(LOCK, j).kind).toBe('foreign');
  });

  test('a live run here, another environment, or nobody: foreign, with the reason', async () => {
    const live = await withEarlier(async (e) => void (await recordLock(e)), { host: 'runner-b' });
    expect(judgeLock(LOCK, live, () => true)).toMatchObject({
      kind: 'foreign',
      why: expect.stringMatching(/still running here/),
    });
    const stage = await withEarlier(async (e) => void (await recordLock(e)), { environment: 'stage' });
    expect(judgeLock(LOCK, stage)).toMatchObject({ kind: 'foreign', why: expect.stringMatching(/environment stage/) });
    const none = await withEarlier(async () => undefined);
    expect(judgeLock(LOCK, none)).toMatchObject({
      kind: 'foreign',
      why: 'no earlier run of this workflow and environment recorded it',
    });
    expect(describeLock(LOCK)).toBe(
      'runner@runner-a since 2026-12-06 21:26:57 UTC (OperationTypeApply, lock ID a609e175-94ee-b9d9-3a0d-b44dafef56b6)',
    );
  });
});

const motoServer = findMotoServer();
if (!motoServer) console.warn('skipped: moto not installed (run scripts/setup.sh)');
const withMoto = motoServer ? describe : describe.skip;

withMoto('S3 and DynamoDB against moto: the journal object and the state lock', () => {
  let moto: Moto;
  const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
  let backend: S3Backend;
  let s3: S3Client;
  let ddb: DynamoDBClient;

  beforeAll(async () => {
    moto = await startMoto(motoServer as string);
    backend = {
      ...(readBackend(
        initialised({ type: 's3', config: { ...S3_CONFIG, endpoints: { s3: moto.url } } }),
        {},
      ) as S3Backend),
    };
    s3 = new S3Client({ region: 'eu-west-1', endpoint: moto.url, forcePathStyle: true, credentials });
    ddb = new DynamoDBClient({ region: 'eu-west-1', endpoint: moto.url, credentials });
    await s3.send(
      new CreateBucketCommand({ Bucket: 'tfstate', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }),
    );
  }, 60_000);
  afterAll(async () => {
    s3?.destroy();
    ddb?.destroy();
    await moto?.stop();
  });

  test('the journal object beside the state: absent, written, read back by the next run', async () => {
    const store = s3JournalStore(s3, backend);
    expect(store.location).toBe('s3://tfstate/env/terraform.tfstate.nat-egress-journal.json');
    expect(await store.read()).toBeUndefined();
    const j = await Journal.open(store, identity(), { clock: systemClock });
    await j.intend({
      kind: 'bridge',
      az: 'eu-west-1a',
      routeTableId: 'rtb-1',
      from: 'nat-1',
      to: 'eni-2',
      toNat: 'i-2',
    });
    const next = await Journal.open(store, identity({ runId: '2' }), { clock: systemClock });
    expect(next.earlier[0]?.entries[0]?.intent).toMatchObject({ kind: 'bridge', routeTableId: 'rtb-1' });
  });

  test('the lock object (use_lockfile) and the DynamoDB lock item are read as terraform wrote them', async () => {
    const reader = lockReaderFor(backend, { s3: () => s3, dynamodb: () => ddb });
    expect(reader?.location).toBe('s3://tfstate/env/terraform.tfstate.tflock');
    expect(await reader?.read()).toBeUndefined();
    await s3.send(
      new PutObjectCommand({ Bucket: 'tfstate', Key: 'env/terraform.tfstate.tflock', Body: JSON.stringify(LOCK) }),
    );
    expect(await reader?.read()).toEqual(LOCK);

    const table = 'tflock';
    await ddb.send(
      new CreateTableCommand({
        TableName: table,
        KeySchema: [{ AttributeName: 'LockID', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'LockID', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const ddbBackend: S3Backend = { ...backend, lock: { kind: 'dynamodb', table } };
    const item = lockReaderFor(ddbBackend, { s3: () => s3, dynamodb: () => ddb });
    expect(await item?.read()).toBeUndefined();
    await ddb.send(
      new PutItemCommand({
        TableName: table,
        Item: { LockID: { S: 'tfstate/env/terraform.tfstate' }, Info: { S: JSON.stringify(LOCK) } },
      }),
    );
    expect(await item?.read()).toEqual(LOCK);
    // Terraform's digest item beside it is not a lock.
    expect(
      lockReaderFor({ ...backend, lock: { kind: 'none' } }, { s3: () => s3, dynamodb: () => ddb }),
    ).toBeUndefined();
  });
});
