/**
 * A local stand-in for the GitHub REST API's issue-comment endpoints (list with pagination, create,
 * update), with switches for the failures an action must survive: a read-only token (403) and GitHub's
 * 65,536-character comment limit (422).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Comment {
  id: number;
  body: string;
  html_url: string;
  user: { login: string };
}

export interface FakeGitHub {
  url: string;
  comments: Comment[];
  requests: Array<{ method: string; path: string; auth?: string }>;
  /** Respond 403 to writes (a fork's read-only token). */
  readOnly: boolean;
  close(): Promise<void>;
}

const LIMIT = 65_536;

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    req.on('data', (d) => (data += d));
    req.on('end', () => resolve(data));
  });
}

export async function startFakeGitHub(seed: Comment[] = []): Promise<FakeGitHub> {
  let nextId = 1000;
  const state: FakeGitHub = {
    url: '',
    comments: [...seed],
    requests: [],
    readOnly: false,
    close: async () => undefined,
  };
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    state.requests.push({ method: req.method ?? '', path: url.pathname, auth: req.headers.authorization });
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(payload));
    };
    const list = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(url.pathname);
    const one = /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/.exec(url.pathname);
    if (list && req.method === 'GET') {
      const perPage = Number(url.searchParams.get('per_page') ?? 30);
      const page = Number(url.searchParams.get('page') ?? 1);
      const slice = state.comments.slice((page - 1) * perPage, page * perPage);
      const last = Math.max(1, Math.ceil(state.comments.length / perPage));
      const headers: Record<string, string> = {};
      if (page < last)
        headers.link = `<${state.url}${url.pathname}?per_page=${perPage}&page=${page + 1}>; rel="next", <${state.url}${url.pathname}?per_page=${perPage}&page=${last}>; rel="last"`;
      return send(200, slice, headers);
    }
    if ((list && req.method === 'POST') || (one && req.method === 'PATCH')) {
      if (state.readOnly) return send(403, { message: 'Resource not accessible by integration', status: '403' });
      const payload = JSON.parse(await body(req)) as { body: string };
      // GitHub counts characters as Unicode code points (the limits module's commentBody), not UTF-16 units.
      if ([...payload.body].length > LIMIT) {
        return send(422, {
          message: 'Validation Failed',
          errors: [
            {
              resource: 'IssueComment',
              code: 'custom',
              field: 'body',
              message: 'body is too long (maximum is 65536 characters)',
            },
          ],
        });
      }
      if (list) {
        const id = nextId++;
        const comment = {
          id,
          body: payload.body,
          html_url: `https://github.example/${list[1]}/${list[2]}/pull/${list[3]}#issuecomment-${id}`,
          user: { login: 'github-actions[bot]' },
        };
        state.comments.push(comment);
        return send(201, comment);
      }
      const comment = state.comments.find((c) => c.id === Number(one?.[3]));
      if (!comment) return send(404, { message: 'Not Found' });
      comment.body = payload.body;
      return send(200, comment);
    }
    send(404, { message: 'Not Found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise((resolve) => server.close(() => resolve()));
  return state;
}
