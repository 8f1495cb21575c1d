/**
 * What the action entry gives the engine about the state: the journal beside it (journal-store.ts) and the reader
 * of its lock (lock.ts), for the initialised working directory's backend (backend.ts). The clients are built
 * when first needed and destroyed by `close`; they are not bound to the run's signal: the journal's last write is
 * what a cancelled run still has to do (each write is bounded by its own deadline).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { describeError, type Clock } from '../runtime/index';
import { readBackend, stateLocation, type Backend } from './backend';
import { createDynamoDbClient, createS3Client } from './clients';
import { Journal, runIdentity } from './journal';
import { journalStoreFor } from './journal-store';
import { lockReaderFor, type LockReader } from './lock';

export interface StateAccess {
  backend: Backend;
  journal: Journal;
  stateLock?: LockReader;
  close(): void;
}

export interface StateAccessOptions {
  workingDirectory: string;
  environment: string;
  env: NodeJS.ProcessEnv;
  clock: Clock;
  warn: (line: string) => void;
}

/**
 * Opens the journal of the working directory's state. A backend the journal cannot live beside is one warning; an
 * unreadable journal is one warning and a new journal (the lock and the orphan look-up do not depend on it).
 * Throws an InputError (one line) when `.terraform/terraform.tfstate` is unreadable.
 */
export async function openStateAccess(o: StateAccessOptions): Promise<StateAccess> {
  const backend = readBackend(o.workingDirectory, o.env);
  let s3: S3Client | undefined;
  let ddb: DynamoDBClient | undefined;
  const endpoint = backend.type === 's3' ? backend : undefined;
  const clients = {
    s3: () =>
      (s3 ??= createS3Client({
        region: endpoint?.region ?? '',
        ...(endpoint?.endpoint ? { endpoint: endpoint.endpoint } : {}),
        forcePathStyle: endpoint?.forcePathStyle ?? false,
        ...(endpoint?.profile ? { profile: endpoint.profile } : {}),
      })),
    dynamodb: () =>
      (ddb ??= createDynamoDbClient({
        region: endpoint?.region ?? '',
        ...(endpoint?.lock.kind === 'dynamodb' && endpoint.lock.endpoint ? { endpoint: endpoint.lock.endpoint } : {}),
        ...(endpoint?.profile ? { profile: endpoint.profile } : {}),
      })),
  };
  const store = journalStoreFor(backend, o.workingDirectory, clients.s3);
  if (!store.durable)
    o.warn(
      `journal: the ${backend.type === 'other' ? backend.name : backend.type} backend keeps no file the journal can ` +
        `live beside; it is kept in ${store.location} and does not outlive this runner (${stateLocation(backend)})`,
    );
  const identity = runIdentity(o.env, o.environment, o.clock.now());
  let journal: Journal;
  try {
    journal = await Journal.open(store, identity, { clock: o.clock, warn: o.warn });
  } catch (err) {
    o.warn(`journal: ${describeError(err)}; starting a new one (earlier runs' records are not read)`);
    journal = await Journal.open({ ...store, read: async () => undefined }, identity, { clock: o.clock, warn: o.warn });
    journal.historyUnknown = true;
  }
  const stateLock = lockReaderFor(backend, clients);
  return {
    backend,
    journal,
    ...(stateLock ? { stateLock } : {}),
    close() {
      s3?.destroy();
      ddb?.destroy();
    },
  };
}
