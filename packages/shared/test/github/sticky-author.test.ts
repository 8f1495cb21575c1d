/**
 * The sticky comment is found by marker AND author (issue 20): against a loopback API holding a comment with the
 * marker by someone else and one by the token's identity, plan-guard's comment is the latter; when GraphQL
 * `viewer` cannot be read the `author` option (comment-author) decides, never the marker alone.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { upsertStickyComment, writtenBy, type StickyOptions } from '../../src/github/index';
import { startFaultServer, type FaultServer } from '../support/fault-server';

const MARKER = '<!-- nat-egress/plan-guard environment=prod -->';
const servers: FaultServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const COMMENTS = [
  { id: 1, body: `${MARKER}\nspoofed`, user: { login: 'mallory', type: 'User' }, html_url: 'u1' },
  { id: 2, body: `${MARKER}\nold report`, user: { login: 'github-actions[bot]', type: 'Bot' }, html_url: 'u2' },
];

async function api(viewer: string | undefined, comments = COMMENTS): Promise<FaultServer> {
  const server = await startFaultServer('slow', {
    delayMs: 0,
    route: (req) => {
      const json = (status: number, data: unknown) => ({
        status,
        body: JSON.stringify(data),
        contentType: 'application/json',
      });
      if (req.url === '/graphql')
        return viewer ? json(200, { data: { viewer: { login: viewer } } }) : json(502, { message: 'down' });
      if (req.method === 'GET' && /\/issues\/7\/comments/.test(req.url ?? '')) return json(200, comments);
      if (req.method === 'PATCH') return json(200, { html_url: `patched ${req.url}` });
      if (req.method === 'POST') return json(201, { html_url: 'created' });
      return json(404, { message: 'no' });
    },
  });
  servers.push(server);
  return server;
}

const options = (url: string, extra: Partial<StickyOptions> = {}): StickyOptions => ({
  token: 't',
  pr: { owner: 'o', repo: 'r', number: 7, eventName: 'pull_request' },
  marker: MARKER,
  body: `${MARKER}\nnew report`,
  mode: 'upsert',
  apiUrl: url,
  ...extra,
});

const writes = (s: FaultServer) => s.requests.filter((r) => r.method !== 'GET' && r.url !== '/graphql');

describe('sticky comment: marker and author', () => {
  it("updates the token's own marker comment, never the foreign one, and reports the foreign one", async () => {
    const s = await api('github-actions[bot]');
    const r = await upsertStickyComment(options(s.url));
    expect(r).toMatchObject({ status: 'updated', ignored: { count: 1, authors: ['mallory'] } });
    expect(writes(s).map((w) => `${w.method} ${w.url}`)).toEqual(['PATCH /repos/o/r/issues/comments/2']);
  });

  it('only a foreign marker comment: a new comment is created, the foreign one left as it is', async () => {
    const s = await api('github-actions[bot]', [COMMENTS[0]!]);
    const r = await upsertStickyComment(options(s.url));
    expect(r).toMatchObject({ status: 'created', ignored: { count: 1 } });
    expect(writes(s).map((w) => `${w.method} ${w.url}`)).toEqual(['POST /repos/o/r/issues/7/comments']);
  });

  it('GraphQL down: comment-author decides (default github-actions[bot]); another app login matches neither', async () => {
    const s = await api(undefined);
    expect(await upsertStickyComment(options(s.url))).toMatchObject({ status: 'updated' });
    const t = await api(undefined);
    const r = await upsertStickyComment(options(t.url, { author: 'my-app[bot]' }));
    expect(r).toMatchObject({ status: 'created', ignored: { count: 2, authors: ['mallory', 'github-actions[bot]'] } });
    expect(writes(t).map((w) => w.method)).toEqual(['POST']);
  });

  it('update-only with only a foreign marker comment writes nothing', async () => {
    const s = await api('github-actions[bot]', [COMMENTS[0]!]);
    expect(await upsertStickyComment(options(s.url, { mode: 'update-only' }))).toMatchObject({ status: 'skipped' });
    expect(writes(s)).toEqual([]);
  });

  it('writtenBy: case-insensitive login; an app login without [bot] matches only a Bot', () => {
    expect(writtenBy({ login: 'GitHub-Actions[bot]', type: 'Bot' }, 'github-actions[bot]')).toBe(true);
    expect(writtenBy({ login: 'my-app[bot]', type: 'Bot' }, 'my-app')).toBe(true);
    expect(writtenBy({ login: 'my-app[bot]', type: 'User' }, 'my-app')).toBe(false);
    expect(writtenBy({ login: 'mallory', type: 'User' }, 'github-actions[bot]')).toBe(false);
    expect(writtenBy(null, 'github-actions[bot]')).toBe(false);
  });
});
