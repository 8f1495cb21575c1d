/**
 * Never hang: plan-guard's dist/index.js under Node 24 with a GitHub API that never answers, answers 503 forever, or
 * answers slowly, and SIGTERM while terraform show runs and while the comment call is in flight. The comment is the
 * last step: the report file, outputs and summary are already written, and a bounded GitHub call never holds the run.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, runAction } from '../../../packages/shared/test/support/action-runner';
import {
  startFaultServer,
  type FaultMode,
  type FaultServer,
  type FaultServerOptions,
} from '../../../packages/shared/test/support/fault-server';

const work = mkdtempSync(join(tmpdir(), 'plan-guard-faults-'));
const PLAN = join(REPO_ROOT, 'examples', 'plans', 'gateway-to-instance.json');
const servers: FaultServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(mode: FaultMode, options: FaultServerOptions = {}): Promise<FaultServer> {
  const s = await startFaultServer(mode, { contentType: 'application/json', ...options });
  servers.push(s);
  return s;
}

function env(url: string): Record<string, string> {
  const event = join(work, 'event.json');
  writeFileSync(event, JSON.stringify({ pull_request: { number: 5 } }));
  return {
    GITHUB_API_URL: url,
    GITHUB_EVENT_PATH: event,
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_REPOSITORY: 'acme/infra',
  };
}

describe('plan-guard with a faulty GitHub API', () => {
  it('an API that never answers: the comment gives up after 10 s with a warning; the run completes', async () => {
    const server = await serve('hang');
    const started = Date.now();
    const run = await runAction(
      'plan-guard',
      { 'plan-json': PLAN, 'github-token': 't' },
      { env: env(server.url), timeoutMs: 60_000 },
    );
    expect(run.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(run.stdout).toContain(
      '::warning::Could not comment on the pull request: GitHub API list comments timed out after 10000 ms',
    );
    expect(run.outputs).toMatchObject({ risk: 'high', result: 'success', 'comment-url': '' });
    expect(run.summary).toContain('NAT egress risk: HIGH');
  });

  it('an API that answers 503 forever: one warning naming HTTP 503; the run completes', async () => {
    const server = await serve('503');
    const run = await runAction('plan-guard', { 'plan-json': PLAN, 'github-token': 't' }, { env: env(server.url) });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/::warning::Could not comment on the pull request: HTTP 503/);
  });

  it('a slow API (1 s per answer) within the timeout: the comment is posted', async () => {
    const server = await serve('slow', {
      delayMs: 1_000,
      route: (req) =>
        req.method === 'GET'
          ? { status: 200, body: '[]', contentType: 'application/json' }
          : {
              status: 201,
              body: JSON.stringify({ id: 1, html_url: 'https://github.example/acme/infra/pull/5#issuecomment-1' }),
              contentType: 'application/json',
            },
    });
    const run = await runAction('plan-guard', { 'plan-json': PLAN, 'github-token': 't' }, { env: env(server.url) });
    expect(run.code).toBe(0);
    expect(run.outputs['comment-url']).toBe('https://github.example/acme/infra/pull/5#issuecomment-1');
  });

  it('SIGTERM with the comment call in flight: stops at once, result=cancelled, report already in the summary', async () => {
    let kill: ((s: NodeJS.Signals) => void) | undefined;
    const server = await serve('hang', { onRequest: () => kill?.('SIGTERM') });
    const run = await runAction(
      'plan-guard',
      { 'plan-json': PLAN, 'github-token': 't' },
      { env: env(server.url), onStart: (k) => (kill = k) },
    );
    expect(server.requests).toHaveLength(1);
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ risk: 'high', result: 'cancelled' });
    expect(run.stdout).toContain('::error::cancelled by SIGTERM: stopped at once');
    expect(run.summary).toContain('NAT egress risk: HIGH');
  });

  it('SIGTERM while terraform show runs: terraform is stopped, result=cancelled, a summary says what to do', async () => {
    const bin = join(work, 'bin');
    mkdirSync(bin, { recursive: true });
    const fake = join(bin, 'terraform');
    writeFileSync(fake, '#!/bin/sh\necho started >&2\nexec sleep 30\n');
    chmodSync(fake, 0o755);
    writeFileSync(join(work, 'tfplan'), 'binary plan');
    let killed = false;
    const run = await runAction(
      'plan-guard',
      { planfile: 'tfplan', 'working-directory': work, comment: 'never' },
      {
        env: { PATH: `${bin}:${process.env.PATH}` },
        onStart: (kill) => setTimeout(() => ((killed = true), kill('SIGTERM')), 1_000),
      },
    );
    expect(killed).toBe(true);
    expect(run.code).toBe(1);
    expect(run.outputs.result).toBe('cancelled');
    expect(run.summary).toContain('### NAT egress plan guard: ⏹️ cancelled');
    expect(run.summary).toContain('plan-guard only reads the plan: nothing was changed.');
  });
});
