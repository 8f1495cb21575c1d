/** The GitHub client is bounded too: a comment call against a loopback API that never answers, 503s, or is cancelled. */
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  COMMENT_BUDGET_MS,
  GITHUB_REQUEST_TIMEOUT_MS,
  upsertStickyComment,
  type StickyOptions,
} from '../src/github/index';
import { CancelledError } from '../src/runtime/index';
import { startFaultServer, type FaultServer } from './support/fault-server';

const servers: FaultServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const base = (url: string): StickyOptions => ({
  token: 't',
  pr: { owner: 'o', repo: 'r', number: 7, eventName: 'pull_request' },
  marker: '<!-- m -->',
  body: 'report <!-- m -->',
  mode: 'upsert',
  apiUrl: url,
});

describe('GitHub request timeout', () => {
  it('defaults to 10 s per request', () => {
    expect(GITHUB_REQUEST_TIMEOUT_MS).toBe(10_000);
  });

  it('an API that never answers: the comment fails with a timeout line instead of hanging', async () => {
    const server = await startFaultServer('hang');
    servers.push(server);
    const result = await upsertStickyComment({ ...base(server.url), requestTimeoutMs: 200 });
    expect(result).toEqual({ status: 'failed', message: 'GitHub API list comments timed out after 200 ms' });
    expect(server.requests).toHaveLength(1);
  });

  it('an API that answers 503: one failed line naming the status', async () => {
    const server = await startFaultServer('503');
    servers.push(server);
    const result = await upsertStickyComment({ ...base(server.url), requestTimeoutMs: 2_000 });
    expect(result.status).toBe('failed');
    expect(result.message).toMatch(/^HTTP 503: /);
  });

  it('a slow API that keeps paging: all the calls of one update stay within their total budget', async () => {
    const page = JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ id: i, body: 'other', html_url: 'u' })));
    const server = await startFaultServer('slow', {
      delayMs: 150,
      route: () => ({ status: 200, body: page, contentType: 'application/json' }),
    });
    servers.push(server);
    const result = await upsertStickyComment({ ...base(server.url), totalTimeoutMs: 500 });
    expect(result).toEqual({
      status: 'failed',
      message: 'the GitHub calls for the comment took longer than 500 ms in all; the comment was not posted',
    });
    expect(server.requests.length).toBeGreaterThanOrEqual(2);
    expect(server.requests.length).toBeLessThanOrEqual(5);
    expect(COMMENT_BUDGET_MS).toBe(60_000);
  });

  it('a cancel aborts the request in flight and is not swallowed as a comment failure', async () => {
    const server = await startFaultServer('hang');
    servers.push(server);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new CancelledError('SIGTERM')), 100);
    await expect(upsertStickyComment({ ...base(server.url), signal: controller.signal })).rejects.toBeInstanceOf(
      CancelledError,
    );
  });
});
