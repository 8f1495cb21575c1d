/**
 * A fake GitHub API on loopback for the calls the workflows make (issue comments, issues, labels, pull requests,
 * who am I), recording every request so comment and issue bodies can be searched. Tokens map to identities; an
 * installation token (GITHUB_TOKEN) gets 403 from GET /user as on GitHub, while GraphQL `viewer { login }`
 * answers its bot login (github-actions[bot]). Editing someone else's comment is allowed, as GitHub allows it to a
 * token with write access: the toolkit, not the API, must refuse it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiRequest } from './record';

export const HARNESS_TOKEN = 'ghs_harnessToken000000000000000000000000';

export interface User {
  login: string;
  id: number;
  type: 'Bot' | 'User';
  installation?: boolean;
}
export interface FakeComment {
  id: number;
  issue_number: number;
  body: string;
  user: Omit<User, 'installation'>;
  html_url: string;
}
export interface FakeIssue {
  number: number;
  title: string;
  body: string;
  state: string;
  state_reason?: string;
  labels: { name: string }[];
  user: Omit<User, 'installation'>;
  pull_request?: object;
}

export interface FakeGitHub {
  url: string;
  requests: ApiRequest[];
  comments: FakeComment[];
  issues: Map<number, FakeIssue>;
  pulls: Map<number, { number: number; head: { sha: string } }>;
  addComment(issue: number, body: string, user?: FakeComment['user']): FakeComment;
  addIssue(issue: Omit<FakeIssue, 'number' | 'state' | 'user'> & { user?: FakeComment['user'] }): FakeIssue;
  /** A token GitHub would give a run: GITHUB_TOKEN's identity, github-actions[bot] (each run its own, to tell apart). */
  addToken(token: string): void;
  /** Answer GraphQL with an error (the identity cannot be read). */
  graphqlDown: boolean;
  close(): Promise<void>;
}

export const MALLORY: FakeComment['user'] = { login: 'mallory', id: 666, type: 'User' };

export async function startFakeGitHub(options: { identities?: Record<string, User>; repo?: string } = {}) {
  const repo = options.repo ?? 'example/infra';
  const ids: Record<string, User> = {
    [HARNESS_TOKEN]: { login: 'github-actions[bot]', id: 41898282, type: 'Bot', installation: true },
    ...options.identities,
  };
  let nextId = 1;
  let nextIssue = 1;
  const html = (n: number, c?: number) => `https://github.com/${repo}/issues/${n}${c ? `#issuecomment-${c}` : ''}`;
  const page = <T>(list: T[], url: URL) => {
    const per = Number(url.searchParams.get('per_page') ?? 30);
    const p = Number(url.searchParams.get('page') ?? 1);
    return list.slice((p - 1) * per, p * per);
  };
  const gh: FakeGitHub = {
    url: '',
    requests: [],
    comments: [],
    issues: new Map(),
    pulls: new Map(),
    graphqlDown: false,
    addComment(issue_number, body, user = MALLORY) {
      const c = { id: nextId++, issue_number, body, user, html_url: '' };
      c.html_url = html(issue_number, c.id);
      gh.comments.push(c);
      return c;
    },
    addIssue(i) {
      const issue: FakeIssue = { state: 'open', user: MALLORY, ...i, number: nextIssue++ };
      gh.issues.set(issue.number, issue);
      return issue;
    },
    addToken(token) {
      ids[token] = { login: 'github-actions[bot]', id: 41898282, type: 'Bot', installation: true };
    },
    close: async () => undefined,
  };

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body = text ? JSON.parse(text) : undefined;
    const url = new URL(req.url ?? '/', gh.url);
    const send = (status: number, data: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(data));
    };
    const token = (req.headers.authorization ?? '').replace(/^(token|bearer) /i, '');
    gh.requests.push({ method: req.method ?? '', path: url.pathname + url.search, body, token });
    const user = ids[token];
    if (!user) return send(401, { message: 'Bad credentials' });
    const who = { login: user.login, id: user.id, type: user.type };
    const m = (re: RegExp) => re.exec(url.pathname);
    const method = req.method;
    let r: RegExpExecArray | null;
    if (method === 'GET' && url.pathname === '/user')
      return user.installation ? send(403, { message: 'Resource not accessible by integration' }) : send(200, who);
    if (method === 'POST' && url.pathname === '/graphql') {
      if (gh.graphqlDown) return send(502, { message: 'Server Error' });
      if (/viewer\s*{\s*login\s*}/.test(body?.query ?? ''))
        return send(200, { data: { viewer: { login: user.login } } });
      return send(400, { message: 'the fake API answers only viewer { login }' });
    }
    if ((r = m(/^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments$/))) {
      const n = Number(r[1]);
      if (method === 'GET')
        return send(
          200,
          page(
            gh.comments.filter((c) => c.issue_number === n),
            url,
          ),
        );
      const c = gh.addComment(n, body.body, who);
      return send(201, c);
    }
    if ((r = m(/^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/)) && method === 'PATCH') {
      const c = gh.comments.find((x) => x.id === Number(r![1]));
      if (!c) return send(404, { message: 'Not Found' });
      c.body = body.body;
      return send(200, c);
    }
    if ((r = m(/^\/repos\/[^/]+\/[^/]+\/issues$/))) {
      if (method === 'POST') {
        const i = gh.addIssue({
          title: body.title,
          body: body.body,
          labels: (body.labels ?? []).map((name: string) => ({ name })),
          user: who,
        });
        return send(201, { ...i, html_url: html(i.number) });
      }
      const want = url.searchParams.get('labels');
      const st = url.searchParams.get('state') ?? 'open';
      const list = [...gh.issues.values()].filter(
        (i) => (st === 'all' || i.state === st) && (!want || i.labels.some((l) => l.name === want)),
      );
      return send(200, page(list, url));
    }
    if ((r = m(/^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)$/)) && method === 'PATCH') {
      const i = gh.issues.get(Number(r[1]));
      if (!i) return send(404, { message: 'Not Found' });
      Object.assign(i, body);
      return send(200, i);
    }
    if ((r = m(/^\/repos\/[^/]+\/[^/]+\/pulls\/(\d+)$/)) && method === 'GET') {
      const pr = gh.pulls.get(Number(r[1]));
      return pr ? send(200, pr) : send(404, { message: 'Not Found' });
    }
    if ((r = m(/^\/repos\/[^/]+\/[^/]+\/labels(?:\/(.+))?$/))) {
      if (method === 'GET')
        return labels.has(decodeURIComponent(r[1] ?? ''))
          ? send(200, { name: r[1] })
          : send(404, { message: 'Not Found' });
      labels.add(body.name);
      return send(201, { name: body.name });
    }
    return send(404, { message: `the fake API has no ${method} ${url.pathname}` });
  });
  const labels = new Set<string>();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  gh.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  gh.close = () => new Promise((done) => server.close(() => done()));
  return gh;
}
