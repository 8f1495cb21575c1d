/**
 * Where the journal document is kept: beside the state, so it survives the runner as the state does and the job's
 * role can already reach it. For an S3 backend it is the object `<state key>.nat-egress-journal.json` in the state's
 * bucket (written with the backend's server-side encryption); for the local backend the file
 * `<state file>.nat-egress-journal.json` beside the state file (written to a temporary file, synced, renamed); for any
 * other backend a file in the working directory, which does not outlive the runner (the caller says so in one
 * warning line).
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { existsSync, fsyncSync, mkdirSync, openSync, closeSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { awsErrorCode } from '../aws/index';
import { describeError } from '../runtime/index';
import type { Backend } from './backend';
import type { JournalDocument } from './journal-types';

/** The journal object's name beside a state object or file. */
export const JOURNAL_SUFFIX = '.nat-egress-journal.json';

export interface JournalStore {
  /** Where it is, for log lines (s3://bucket/key or a path). */
  readonly location: string;
  /** Survives the runner (beside the state), or only this working directory. */
  readonly durable: boolean;
  /** The document, or undefined when there is none yet. Rejects with a one-line Error when it cannot be read. */
  read(signal?: AbortSignal): Promise<JournalDocument | undefined>;
  /** Replaces the document. Rejects with a one-line Error when it cannot be written. */
  write(doc: JournalDocument, signal?: AbortSignal): Promise<void>;
}

function parse(text: string, location: string): JournalDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`the journal ${location} is not JSON (${describeError(err)})`, { cause: err });
  }
  const d = doc as Partial<JournalDocument>;
  if (d?.format !== 'nat-egress-journal/1' || !Array.isArray(d.runs))
    throw new Error(`the journal ${location} is not a nat-egress journal (format nat-egress-journal/1 expected)`);
  return d as JournalDocument;
}

/** The journal object beside an S3 state object. */
export function s3JournalStore(s3: S3Client, backend: Extract<Backend, { type: 's3' }>): JournalStore {
  const key = `${backend.key}${JOURNAL_SUFFIX}`;
  const location = `s3://${backend.bucket}/${key}`;
  return {
    location,
    durable: true,
    async read(signal) {
      try {
        const out = await s3.send(new GetObjectCommand({ Bucket: backend.bucket, Key: key }), {
          ...(signal ? { abortSignal: signal } : {}),
        });
        const text = (await out.Body?.transformToString('utf8')) ?? '';
        return text.trim() === '' ? undefined : parse(text, location);
      } catch (err) {
        if (/^(NoSuchKey|NotFound)$/.test(awsErrorCode(err))) return undefined;
        if (err instanceof Error && err.message.startsWith('the journal ')) throw err;
        throw new Error(`could not read the journal ${location}: ${describeError(err)}`, { cause: err });
      }
    },
    async write(doc, signal) {
      try {
        await s3.send(
          new PutObjectCommand({
            Bucket: backend.bucket,
            Key: key,
            Body: `${JSON.stringify(doc, null, 1)}\n`,
            ContentType: 'application/json',
            ...(backend.kmsKeyId
              ? { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: backend.kmsKeyId }
              : backend.encrypt
                ? { ServerSideEncryption: 'AES256' as const }
                : {}),
          }),
          { ...(signal ? { abortSignal: signal } : {}) },
        );
      } catch (err) {
        throw new Error(`could not write the journal ${location}: ${describeError(err)}`, { cause: err });
      }
    },
  };
}

/** A journal file (beside a local state file, or in the working directory). */
export function fileJournalStore(path: string, durable: boolean): JournalStore {
  return {
    location: path,
    durable,
    async read() {
      if (!existsSync(path)) return undefined;
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (err) {
        throw new Error(`could not read the journal ${path}: ${describeError(err)}`, { cause: err });
      }
      return text.trim() === '' ? undefined : parse(text, path);
    },
    async write(doc) {
      const tmp = `${path}.${process.pid}.tmp`;
      try {
        mkdirSync(dirname(path), { recursive: true });
        const fd = openSync(tmp, 'w', 0o600);
        try {
          writeSync(fd, `${JSON.stringify(doc, null, 1)}\n`);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        renameSync(tmp, path);
      } catch (err) {
        throw new Error(`could not write the journal ${path}: ${describeError(err)}`, { cause: err });
      }
    },
  };
}

/**
 * The store for `backend`: S3 beside the state object (`s3()` builds the client when first needed), a file beside
 * a local state file, or — any other backend — `<workingDirectory>/.nat-egress-journal.json`, not durable.
 */
export function journalStoreFor(backend: Backend, workingDirectory: string, s3: () => S3Client): JournalStore {
  if (backend.type === 's3') return s3JournalStore(s3(), backend);
  if (backend.type === 'local') return fileJournalStore(`${backend.statePath}${JOURNAL_SUFFIX}`, true);
  return fileJournalStore(join(workingDirectory, JOURNAL_SUFFIX), false);
}
