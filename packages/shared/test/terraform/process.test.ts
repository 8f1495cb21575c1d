/**
 * The one place that starts terraform (terraform/process.ts) and `terraform show -json` through it (show.ts):
 * the environment terraform gets, the one-line start failures, show's failure text from stderr, and the driver
 * naming a missing terraform the same way for show and for runs.
 */
import { describe, expect, it } from '@jest/globals';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlanFormatError } from '@nat-egress/shared/plan';
import { TerraformNotFoundError, processDriver, runTerraform, terraformShowJson } from '@nat-egress/shared/terraform';
import { notFoundMessage, spawnFailure } from '../../src/terraform/process';
import { ShowStartError } from '../../src/terraform/show';

/** A fake terraform: a shell script with `body`, in a fresh directory. */
function fakeTerraform(body: string): { dir: string; bin: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tf-process-'));
  const bin = join(dir, 'terraform');
  writeFileSync(bin, `#!/bin/sh\n${body}\n`);
  chmodSync(bin, 0o755);
  return { dir, bin };
}

const ENV_ECHO = 'echo "args=$*"; echo "auto=${TF_IN_AUTOMATION:-unset} input=${TF_INPUT:-unset}"';

describe('spawnFailure', () => {
  it('names ENOENT, EACCES and anything else', () => {
    const e = (code: string) => Object.assign(new Error(code), { code });
    expect(spawnFailure(e('ENOENT'))).toBe('not-found');
    expect(spawnFailure(e('EACCES'))).toBe('not-executable');
    expect(spawnFailure(e('E2BIG'))).toBe('other');
  });
});

describe('runTerraform', () => {
  it('abandonAfterMs: one SIGINT, then no longer waited for and no other signal (the runner gives no more time)', async () => {
    // A terraform that records every signal it gets and keeps running (a provider call that does not cancel).
    const { dir, bin } = fakeTerraform(
      `trap 'echo INT >> "${'$'}0.signals"' INT; trap 'echo TERM >> "${'$'}0.signals"' TERM; echo started; ` +
        'i=0; while [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done',
    );
    const controller = new AbortController();
    const notes: string[] = [];
    const lines: string[] = [];
    const started = Date.now();
    const running = runTerraform({
      terraform: bin,
      args: ['apply'],
      cwd: dir,
      signal: controller.signal,
      abandonAfterMs: 300,
      onLine: (l) => {
        lines.push(l);
        if (l === 'started') controller.abort();
      },
      onNote: (n) => notes.push(n),
    });
    const r = await running;
    expect({
      interrupted: r.interrupted,
      abandoned: r.abandoned,
      exitCode: r.exitCode,
      escalated: r.escalated,
    }).toEqual({ interrupted: true, abandoned: true, exitCode: null, escalated: [] });
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(notes[1]).toMatch(/still running 0 s after SIGINT: no longer waiting for it \(no second signal/);
    await new Promise((res) => setTimeout(res, 400));
    expect(readFileSync(`${bin}.signals`, 'utf8').trim().split('\n')).toEqual(['INT']);
    if (r.pid) process.kill(r.pid, 'SIGKILL');
  });

  it('passes every line, with TF_IN_AUTOMATION=1 and TF_INPUT=0', async () => {
    const { dir, bin } = fakeTerraform(`${ENV_ECHO}; echo oops >&2; exit 3`);
    const lines: string[] = [];
    const r = await runTerraform({
      terraform: bin,
      args: ['plan', '-json'],
      cwd: dir,
      onLine: (l, s) => lines.push(`${s}:${l}`),
    });
    expect(r).toEqual({ exitCode: 3, signal: null, interrupted: false, escalated: [] });
    expect(lines).toEqual(expect.arrayContaining(['stdout:args=plan -json', 'stdout:auto=1 input=0', 'stderr:oops']));
  });

  it('a terraform that does not exist or cannot be executed is one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tf-process-'));
    const missing = join(dir, 'nope');
    await expect(runTerraform({ terraform: missing, args: [], cwd: dir, onLine: () => undefined })).rejects.toThrow(
      new TerraformNotFoundError(notFoundMessage(missing)),
    );
    const plain = join(dir, 'plain');
    writeFileSync(plain, 'not a program');
    await expect(runTerraform({ terraform: plain, args: [], cwd: dir, onLine: () => undefined })).rejects.toThrow(
      `terraform: ${JSON.stringify(plain)} is not executable`,
    );
  });
});

describe('terraformShowJson', () => {
  it('writes the JSON to the file; show gets TF_IN_AUTOMATION=1 and no TF_INPUT', async () => {
    const { dir, bin } = fakeTerraform(ENV_ECHO);
    const outFile = join(dir, 'out.json');
    await terraformShowJson({ terraform: bin, planfile: 'tfplan', cwd: dir, outFile, env: { PATH: process.env.PATH } });
    expect(readFileSync(outFile, 'utf8')).toBe('args=show -json -no-color tfplan\nauto=1 input=unset\n');
  });

  it("a failed show says why in one line, from terraform's stderr", async () => {
    const { dir, bin } = fakeTerraform(
      'printf "\\n\\033[31m│\\033[0m Error: Failed to read the given file as a state or plan file\\n│\\n│ Error:\\n' +
        '│ zip: not a valid zip file\\n" >&2; exit 1',
    );
    const err = await terraformShowJson({
      terraform: bin,
      planfile: 'tfplan',
      cwd: dir,
      outFile: join(dir, 'o'),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlanFormatError);
    expect(err).not.toBeInstanceOf(ShowStartError);
    expect((err as Error).message).toBe(
      'terraform show -json tfplan failed (exit 1): Error: Failed to read the given file as a state or plan file ' +
        'zip: not a valid zip file',
    );
  });

  it('a missing terraform is a ShowStartError with its one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tf-process-'));
    const err = await terraformShowJson({
      terraform: 'no-such-tf',
      planfile: 'p',
      cwd: dir,
      outFile: join(dir, 'o'),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShowStartError);
    expect((err as ShowStartError).reason).toBe('not-found');
    expect((err as Error).message).toBe(
      '"no-such-tf" was not found (install Terraform, e.g. hashicorp/setup-terraform with terraform_wrapper: false, ' +
        'or set the terraform input)',
    );
  });
});

describe('processDriver.show', () => {
  it('names a missing terraform as a run does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tf-process-'));
    const driver = processDriver({ terraform: 'no-such-tf', cwd: dir });
    await expect(driver.show('tfplan', join(dir, 'o'))).rejects.toThrow(
      new TerraformNotFoundError(notFoundMessage('no-such-tf')),
    );
  });

  it('a show failing with "was not found" in its stderr stays a show failure', async () => {
    const { dir, bin } = fakeTerraform('echo "Error: module \\"vpc\\" was not found" >&2; exit 1');
    const err = await processDriver({ terraform: bin, cwd: dir })
      .show('tfplan', join(dir, 'o'))
      .catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(TerraformNotFoundError);
    expect((err as Error).message).toBe(
      'terraform show -json tfplan failed (exit 1): Error: module "vpc" was not found',
    );
  });
});
