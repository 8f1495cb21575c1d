/**
 * The sealed plan (seal/): round trip, key rotation, and every way a bundle must be refused with one line that
 * carries no key material: a missing or wrong key, a changed byte anywhere, a cut at any point, another run,
 * repository, attempt, environment or plan-sha.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import {
  SEAL_FORMAT,
  identitiesInput,
  openPlan,
  openSealedPlanFile,
  recipientsInput,
  sealPlan,
  sealPlanFile,
  sealedPlanInputs,
  type SealExpectation,
} from '../../src/seal/index';

const PLAN_SHA = 'a'.repeat(64);
const binding = { repository: 'acme/infra', run_id: '4242', run_attempt: '1', environment: 'prod', plan_sha: PLAN_SHA };
const expect0: SealExpectation = { ...binding };
// A plan file is a zip of some MB; 200 kB spans several of age's 64 KiB chunks.
const plan = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7) % 256));

let identity: string;
let recipient: string;
let other: string;
let bundle: Uint8Array;

beforeAll(async () => {
  identity = await generateX25519Identity();
  recipient = await identityToRecipient(identity);
  other = await generateX25519Identity();
  bundle = (await sealPlan(plan, [recipient], binding)).bundle;
});

async function refusal(b: Uint8Array, ids: string[], x: SealExpectation = expect0): Promise<string> {
  try {
    await openPlan(b, ids, x);
  } catch (err) {
    const m = (err as Error).message;
    expect(m).not.toContain('\n');
    expect(m).not.toMatch(/AGE-SECRET-KEY-1[0-9A-Z]/);
    return m;
  }
  throw new Error('the bundle opened');
}

describe('sealing', () => {
  it('opens to the same bytes, and the header says what it is bound to', async () => {
    const opened = await openPlan(bundle, [identity], expect0);
    expect(opened.plan.equals(plan)).toBe(true);
    expect(opened.header).toMatchObject({ format: SEAL_FORMAT, ...binding });
    expect(opened.header.planfile_sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('nothing of the plan is in the bundle in clear, and the overhead is small', () => {
    const text = Buffer.from(bundle).toString('latin1');
    expect(text.startsWith('age-encryption.org/v1\n')).toBe(true);
    expect(text).not.toContain('acme/infra');
    expect(text).not.toContain(PLAN_SHA);
    expect(Buffer.from(bundle).includes(plan.subarray(1000, 1032))).toBe(false);
    expect(bundle.length - plan.length).toBeLessThan(2_000);
  });

  it('key rotation: sealed for old and new, each identity alone opens it', async () => {
    const next = await generateX25519Identity();
    const both = (await sealPlan(plan, [recipient, await identityToRecipient(next)], binding)).bundle;
    expect((await openPlan(both, [identity], expect0)).plan.equals(plan)).toBe(true);
    expect((await openPlan(both, [next], expect0)).plan.equals(plan)).toBe(true);
    expect((await openPlan(both, [other, next], expect0)).plan.equals(plan)).toBe(true);
  });
});

describe('refusals: one line, nothing opened', () => {
  it('no identity', async () => {
    expect(await refusal(bundle, [])).toMatch(/^seal-identity: is required with sealed-planfile/);
  });

  it('the wrong identity', async () => {
    expect(await refusal(bundle, [other])).toMatch(/^sealed-planfile: none of the seal-identity keys opens it/);
  });

  it('a changed byte anywhere in the payload, or a cut at any point', async () => {
    const cuts = [bundle.length - 1, bundle.length - 17, 65_536 + 200, 120, 0];
    for (const n of cuts)
      expect(await refusal(bundle.subarray(0, n), [identity])).toMatch(
        n === 0 ? /the file is empty/ : /^sealed-planfile: (the sealed plan was altered or truncated|none of)/,
      );
    for (const at of [bundle.length - 3, 100_000, 300]) {
      const b = Uint8Array.from(bundle);
      b[at] = (b[at] as number) ^ 0x01;
      expect(await refusal(b, [identity])).toMatch(/^sealed-planfile: /);
    }
  });

  it('not an age file at all', async () => {
    expect(await refusal(Buffer.from('PK\u0003\u0004 a plain plan file'), [identity])).toBe(
      'sealed-planfile: not a sealed plan (no age header); nothing was applied',
    );
  });

  it.each([
    ['another run', { run_id: '4243' }, /sealed in run 4242, not this run \(4243\)/],
    ['another repository', { repository: 'evil/fork' }, /sealed in repository acme\/infra, not evil\/fork/],
    ['another environment', { environment: 'staging' }, /sealed for environment prod, not staging/],
    ['a plan-sha that is not the reviewed one', { plan_sha: 'b'.repeat(64) }, /is not the reviewed expected-plan-sha/],
  ])('%s', async (_name, change, why) => {
    expect(await refusal(bundle, [identity], { ...expect0, ...change })).toMatch(why);
  });

  it('a later attempt of the same run is refused; an earlier one (a re-run of the apply job alone) opens', async () => {
    const later = (await sealPlan(plan, [recipient], { ...binding, run_attempt: '3' })).bundle;
    expect(await refusal(later, [identity], { ...expect0, run_attempt: '2' })).toMatch(/attempt 3 .* attempt 2/);
    expect((await openPlan(bundle, [identity], { ...expect0, run_attempt: '2' })).plan.equals(plan)).toBe(true);
  });

  it('an age file of the right recipient that is not a sealed plan', async () => {
    const { Encrypter } = await import('age-encryption');
    const e = new Encrypter();
    e.addRecipient(recipient);
    expect(await refusal(await e.encrypt(plan), [identity])).toMatch(/opened, but it is not a plan sealed/);
  });
});

describe('inputs', () => {
  it('recipients: one per line or comma-separated, comments skipped; a bad one named', () => {
    expect(recipientsInput('seal-recipients', `# old\n${recipient}\n, ${recipient}`)).toEqual([recipient, recipient]);
    expect(recipientsInput('seal-recipients', '')).toEqual([]);
    expect(() => recipientsInput('seal-recipients', 'age1nope')).toThrow(
      'seal-recipients: "age1nope" is not an age recipient (age1…, the public key age-keygen prints)',
    );
  });

  it('identities: a bad one is named by its position, never by its value', () => {
    const broken = `${identity.slice(0, -3)}QQQ`;
    let message = '';
    try {
      identitiesInput('seal-identity', `${identity}\n${broken}`);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe(
      'seal-identity: item 2 is not an age identity (AGE-SECRET-KEY-1…, the secret key age-keygen writes)',
    );
  });

  it("cutover's inputs: nothing without sealed-planfile; environment and identity required with it", () => {
    const read = (v: Record<string, string>) => (n: string) => v[n] ?? '';
    expect(sealedPlanInputs(read({}), '/w')).toBeUndefined();
    expect(() => sealedPlanInputs(read({ 'seal-identity': identity }), '/w')).toThrow(/given without sealed-planfile/);
    expect(() => sealedPlanInputs(read({ 'sealed-planfile': 'p.age', 'seal-identity': identity }), '/w')).toThrow(
      /^environment: is required with sealed-planfile/,
    );
    expect(() => sealedPlanInputs(read({ 'sealed-planfile': 'p.age', environment: 'prod' }), '/w')).toThrow(
      /^seal-identity: is required/,
    );
    expect(
      sealedPlanInputs(read({ 'sealed-planfile': 'p.age', environment: 'prod', 'seal-identity': identity }), '/w'),
    ).toEqual({ sealedPlanfile: '/w/p.age', identities: [identity], environment: 'prod' });
  });
});

describe('files', () => {
  it('plan-guard seals into RUNNER_TEMP; cutover opens it into planfile, bound to the run from the environment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seal-'));
    writeFileSync(join(dir, 'tfplan'), plan);
    const env = { GITHUB_REPOSITORY: 'acme/infra', GITHUB_RUN_ID: '77', GITHUB_RUN_ATTEMPT: '1' };
    const sealed = await sealPlanFile({
      planfile: join(dir, 'tfplan'),
      recipients: [recipient],
      environment: 'prod',
      planSha: PLAN_SHA,
      tempDir: dir,
      env,
    });
    expect(sealed.path).toBe(join(dir, 'nat-egress-sealed', 'prod', 'tfplan.age'));
    const out = join(dir, 'opened.tfplan');
    const open = (e: Record<string, string>) =>
      openSealedPlanFile({
        sealedPlanfile: sealed.path,
        identities: [identity],
        environment: 'prod',
        expectedPlanSha: PLAN_SHA,
        planfile: out,
        env: e,
      });
    await expect(open({ ...env, GITHUB_RUN_ID: '78' })).rejects.toThrow(/sealed in run 77, not this run \(78\)/);
    expect(existsSync(out)).toBe(false);
    await expect(open({})).rejects.toThrow(/GITHUB_REPOSITORY \/ GITHUB_RUN_ID are not set/);
    await open({ ...env, GITHUB_RUN_ATTEMPT: '2' });
    expect(readFileSync(out).equals(plan)).toBe(true);
    await expect(
      openSealedPlanFile({
        sealedPlanfile: join(dir, 'missing.age'),
        identities: [identity],
        environment: 'prod',
        expectedPlanSha: PLAN_SHA,
        planfile: out,
        env,
      }),
    ).rejects.toThrow(/missing\.age cannot be read \(was the plan job's artifact downloaded\?\)/);
  });
});
