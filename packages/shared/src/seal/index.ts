/**
 * The reviewed plan, sealed: the plan job encrypts the saved plan file (`terraform plan -out`) to public age
 * recipients, and only the apply job, whose protected environment holds an age identity, can open it. Nothing
 * else is transported: never the plan's JSON (the apply job can `terraform show` the opened plan).
 *
 * Format (version 1): an age file (age-encryption.org/v1, X25519 or hybrid post-quantum recipients; the
 * `age-encryption` package, age's TypeScript implementation by age's author) whose plaintext is one line of JSON,
 * the header (`SealHeader`: format, repository, run id and attempt, environment, plan-sha, the plan file's
 * SHA-256, sealing time), a line feed, then the plan file's bytes. age has no associated data, so the header is
 * inside the authenticated payload and is compared after decryption with what the apply job expects; a clear copy
 * would prove nothing. age authenticates the header (HMAC) and every 64 KiB chunk (ChaCha20-Poly1305, the last
 * chunk flagged), so a changed byte, a cut at any point, or a bundle for other recipients fails before a single
 * plaintext byte is used (the payload is buffered: a plan is megabytes).
 *
 * Every failure is one InputError line naming the input; no message ever carries key material or file content
 * (age's own messages may, e.g. "Invalid checksum in AGE-SECRET-KEY-1…": they are never passed on).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Decrypter, Encrypter } from 'age-encryption';
import { InputError } from '../inputs/index';

export const SEAL_FORMAT = 'nat-egress-sealed-plan/v1';

/** What a sealed plan is bound to; all strings (run ids as GitHub writes them, digests as lower-case hex). */
export interface SealHeader {
  format: typeof SEAL_FORMAT;
  /** owner/name (GITHUB_REPOSITORY) of the run that sealed it. */
  repository: string;
  /** GITHUB_RUN_ID and GITHUB_RUN_ATTEMPT of the plan job. */
  run_id: string;
  run_attempt: string;
  /** The GitHub Environment (plan-guard's `environment`) the plan is for. */
  environment: string;
  /** plan-guard's plan-sha of this plan (the reviewed digest). */
  plan_sha: string;
  /** SHA-256 of the plan file's bytes. */
  planfile_sha256: string;
  /** ISO 8601, UTC. */
  sealed_at: string;
}

/** What the apply job expects the bundle to be bound to. */
export interface SealExpectation {
  repository: string;
  run_id: string;
  /** The apply job's own GITHUB_RUN_ATTEMPT: a plan sealed in a LATER attempt is refused. */
  run_attempt: string;
  environment: string;
  plan_sha: string;
}

const NO_IDENTITY =
  'seal-identity: is required with sealed-planfile (the age identity AGE-SECRET-KEY-1…, e.g. the apply ' +
  "environment's secret NAT_EGRESS_SEAL_IDENTITY)";

const RECIPIENT = /^age1[0-9a-z]+$/;
const IDENTITY = /^AGE-SECRET-KEY-(PQ-)?1[0-9A-Z]+$/;

/** Items of a list input: one per line, or comma-separated; `#` starts a comment line. */
function items(raw: string): string[] {
  return raw
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s !== '' && !s.startsWith('#'));
}

/**
 * The age recipients of `raw` (age1…, one per line or comma-separated: several while a key is rotated), checked
 * by age itself. [] when empty. InputError naming `name` for anything that is not a recipient.
 */
export function recipientsInput(name: string, raw: string): string[] {
  const list = items(raw);
  const probe = new Encrypter();
  for (const r of list) {
    let ok = RECIPIENT.test(r);
    if (ok) {
      try {
        probe.addRecipient(r);
      } catch {
        ok = false;
      }
    }
    if (!ok)
      throw new InputError(
        `${name}: ${JSON.stringify(r.slice(0, 80))} is not an age recipient (age1…, the public key age-keygen prints)`,
      );
  }
  return list;
}

/**
 * The age identities of `raw` (AGE-SECRET-KEY-1…, one per line: old and new while a key is rotated). [] when
 * empty. InputError naming `name` and the line number, never the value, for anything that is not an identity.
 */
export function identitiesInput(name: string, raw: string): string[] {
  const list = items(raw);
  const probe = new Decrypter();
  list.forEach((id, i) => {
    let ok = IDENTITY.test(id);
    if (ok) {
      try {
        probe.addIdentity(id);
      } catch {
        ok = false;
      }
    }
    if (!ok)
      throw new InputError(
        `${name}: item ${i + 1} is not an age identity (AGE-SECRET-KEY-1…, the secret key age-keygen writes)`,
      );
  });
  return list;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Seals `plan` for `recipients` (at least one), bound to `header`. */
export async function sealPlan(
  plan: Uint8Array,
  recipients: string[],
  binding: Omit<SealHeader, 'format' | 'planfile_sha256' | 'sealed_at'>,
  now = new Date(),
): Promise<{ bundle: Uint8Array; header: SealHeader }> {
  if (recipients.length === 0) throw new InputError('seal-recipients: no recipient to seal the plan for');
  const header: SealHeader = {
    format: SEAL_FORMAT,
    ...binding,
    planfile_sha256: sha256Hex(plan),
    sealed_at: now.toISOString(),
  };
  const e = new Encrypter();
  for (const r of recipients) e.addRecipient(r);
  const head = Buffer.from(`${JSON.stringify(header)}\n`, 'utf8');
  const bundle = await e.encrypt(Buffer.concat([head, plan]));
  return { bundle, header };
}

/** age's failure, in the toolkit's words (never age's message: it may quote a key or the file). */
function openFailure(err: unknown): InputError {
  const m = err instanceof Error ? err.message : String(err);
  if (/no identity matched/.test(m))
    return new InputError(
      'sealed-planfile: none of the seal-identity keys opens it: it was sealed for other recipients (another ' +
        "environment's key, or a key rotated out), or its header was altered; nothing was applied",
    );
  if (/^invalid version/.test(m))
    return new InputError('sealed-planfile: not a sealed plan (no age header); nothing was applied');
  return new InputError(
    'sealed-planfile: the sealed plan was altered or truncated (age could not authenticate it); ' +
      'nothing was applied',
  );
}

function readHeader(plain: Uint8Array): { header: SealHeader; plan: Buffer } {
  const buf = Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength);
  const nl = buf.indexOf(0x0a);
  let header: Partial<SealHeader> | undefined;
  try {
    header =
      nl > 0 && nl < 4096 ? (JSON.parse(buf.subarray(0, nl).toString('utf8')) as Partial<SealHeader>) : undefined;
  } catch {
    header = undefined;
  }
  if (header?.format !== SEAL_FORMAT)
    throw new InputError(
      `sealed-planfile: opened, but it is not a plan sealed in this toolkit's format ${SEAL_FORMAT}; ` +
        'nothing was applied',
    );
  return { header: header as SealHeader, plan: buf.subarray(nl + 1) };
}

/** The first binding that differs, as one line; undefined when the header is what the apply job expects. */
export function bindingMismatch(h: SealHeader, x: SealExpectation, planSha256: string): string | undefined {
  if (h.repository !== x.repository) return `it was sealed in repository ${h.repository}, not ${x.repository}`;
  if (h.run_id !== x.run_id)
    return (
      `it was sealed in run ${h.run_id}, not this run (${x.run_id}): a plan is applied only in the run that ` +
      'reviewed it'
    );
  if (!(Number(h.run_attempt) <= Number(x.run_attempt)))
    return `it was sealed in attempt ${h.run_attempt} of this run, after this job's attempt ${x.run_attempt}`;
  if (h.environment !== x.environment) return `it was sealed for environment ${h.environment}, not ${x.environment}`;
  if (h.plan_sha !== x.plan_sha)
    return `its plan-sha ${h.plan_sha} is not the reviewed expected-plan-sha ${x.plan_sha}`;
  if (h.planfile_sha256 !== planSha256)
    return `the opened plan file's SHA-256 ${planSha256} is not the sealed ${h.planfile_sha256}`;
  return undefined;
}

/**
 * Opens `bundle` with `identities` and checks its binding against `expect`: the plan file's bytes, or an
 * InputError line ("sealed-planfile: …; nothing was applied").
 */
export async function openPlan(
  bundle: Uint8Array,
  identities: string[],
  expect: SealExpectation,
): Promise<{ plan: Buffer; header: SealHeader }> {
  if (identities.length === 0) throw new InputError(NO_IDENTITY);
  if (bundle.length === 0) throw new InputError('sealed-planfile: the file is empty (truncated); nothing was applied');
  const d = new Decrypter();
  for (const id of identities) d.addIdentity(id);
  let plain: Uint8Array;
  try {
    plain = await d.decrypt(bundle);
  } catch (err) {
    throw openFailure(err);
  }
  const opened = readHeader(plain);
  const why = bindingMismatch(opened.header, expect, sha256Hex(opened.plan));
  if (why) throw new InputError(`sealed-planfile: ${why}; nothing was applied`);
  return opened;
}

/** The run a plan is sealed in or opened in, from the runner's environment; InputError naming `name` when unset. */
export function runOf(
  name: string,
  env: NodeJS.ProcessEnv,
): { repository: string; run_id: string; run_attempt: string } {
  const repository = env.GITHUB_REPOSITORY ?? '';
  const run_id = env.GITHUB_RUN_ID ?? '';
  if (!repository || !run_id)
    throw new InputError(
      `${name}: a sealed plan is bound to its workflow run, and GITHUB_REPOSITORY / GITHUB_RUN_ID are not set`,
    );
  return { repository, run_id, run_attempt: env.GITHUB_RUN_ATTEMPT || '1' };
}

/** Where plan-guard writes the bundle of `environment`: RUNNER_TEMP/nat-egress-sealed/<environment>/tfplan.age. */
export function sealedPlanPath(tempDir: string, environment: string): string {
  return join(tempDir, 'nat-egress-sealed', environment.replace(/[^A-Za-z0-9._-]+/g, '_') || 'default', 'tfplan.age');
}

/**
 * plan-guard's sealing: reads `planfile`, seals it for `recipients` bound to this run, `environment` and
 * `planSha`, writes the bundle (`sealedPlanPath`). Returns its path and the plan file's SHA-256.
 */
export async function sealPlanFile(options: {
  planfile: string;
  recipients: string[];
  environment: string;
  planSha: string;
  tempDir: string;
  env?: NodeJS.ProcessEnv;
}): Promise<{ path: string; planfileSha256: string; header: SealHeader }> {
  const run = runOf('seal-recipients', options.env ?? process.env);
  let plan: Buffer;
  try {
    plan = readFileSync(options.planfile);
  } catch {
    throw new InputError(`planfile: ${options.planfile} cannot be read, so it cannot be sealed`);
  }
  const { bundle, header } = await sealPlan(plan, options.recipients, {
    ...run,
    environment: options.environment,
    plan_sha: options.planSha,
  });
  const path = sealedPlanPath(options.tempDir, options.environment);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bundle, { mode: 0o600 });
  return { path, planfileSha256: header.planfile_sha256, header };
}

/**
 * cutover's opening: reads the bundle, opens and checks it (`openPlan`), writes the plan file to `planfile`
 * (mode 0600). Throws one InputError line on any failure, before anything is written.
 */
export async function openSealedPlanFile(options: {
  sealedPlanfile: string;
  identities: string[];
  environment: string;
  expectedPlanSha: string;
  planfile: string;
  env?: NodeJS.ProcessEnv;
}): Promise<SealHeader> {
  const env = options.env ?? process.env;
  const run = runOf('sealed-planfile', env);
  let bundle: Buffer;
  try {
    bundle = readFileSync(options.sealedPlanfile);
  } catch {
    throw new InputError(
      `sealed-planfile: ${options.sealedPlanfile} cannot be read (was the plan job's artifact downloaded?)`,
    );
  }
  const opened = await openPlan(bundle, options.identities, {
    ...run,
    environment: options.environment,
    plan_sha: options.expectedPlanSha,
  });
  writeFileSync(options.planfile, opened.plan, { mode: 0o600 });
  return opened.header;
}

/** cutover's sealing inputs: undefined without sealed-planfile; InputError lines for what is missing. */
export function sealedPlanInputs(
  read: (name: string) => string,
  workingDirectory: string,
): { sealedPlanfile: string; identities: string[]; environment: string } | undefined {
  const sealedPlanfile = read('sealed-planfile').trim();
  const identities = identitiesInput('seal-identity', read('seal-identity'));
  if (!sealedPlanfile) {
    if (identities.length > 0)
      throw new InputError('seal-identity: given without sealed-planfile (what should it open?)');
    return undefined;
  }
  const environment = read('environment').trim();
  if (!environment)
    throw new InputError(
      'environment: is required with sealed-planfile (the sealed plan must be for this environment)',
    );
  if (identities.length === 0) throw new InputError(NO_IDENTITY);
  return { sealedPlanfile: resolve(workingDirectory, sealedPlanfile), identities, environment };
}
