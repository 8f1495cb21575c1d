/**
 * Sticky pull-request comments: one comment per marker (per environment), created once and then updated
 * in place. @actions/github (Octokit) is loaded only when a comment is actually posted, so runs that do
 * not comment start faster.
 *
 * A comment is plan-guard's only when it carries the marker AND was written by the token's own identity: anyone
 * who can comment on the pull request can paste the marker, and updating (or trusting) their comment would put the
 * report under their name or keep their text as plan-guard's. The identity is GraphQL `viewer { login }` (REST
 * `GET /user` answers 403 "Resource not accessible by integration" to GITHUB_TOKEN, a GitHub App installation
 * token; `viewer` answers `github-actions[bot]`: the approach of marocchino/sticky-pull-request-comment), asked
 * only when a marker comment exists; when it cannot be read, the `author` option (plan-guard's `comment-author`,
 * default github-actions[bot]) — never the marker alone.
 */
import { readFileSync } from 'node:fs';
import { firstLine } from '../runtime/index';

export interface PullRequestContext {
  owner: string;
  repo: string;
  number: number;
  eventName: string;
}

/** The pull request this run is about, from the runner's environment; undefined when there is none. */
export function pullRequestFromEnv(env: NodeJS.ProcessEnv = process.env): PullRequestContext | undefined {
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/');
  const eventName = env.GITHUB_EVENT_NAME ?? '';
  if (!owner || !repo || !env.GITHUB_EVENT_PATH) return undefined;
  let payload: {
    pull_request?: { number?: number };
    issue?: { number?: number; pull_request?: unknown };
    number?: number;
  };
  try {
    payload = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8'));
  } catch {
    return undefined;
  }
  const number = payload.pull_request?.number ?? (payload.issue?.pull_request ? payload.issue.number : undefined);
  return typeof number === 'number' ? { owner, repo, number, eventName } : undefined;
}

export type StickyStatus = 'created' | 'updated' | 'unchanged' | 'skipped' | 'forbidden' | 'failed';

export interface StickyResult {
  status: StickyStatus;
  url?: string;
  message?: string;
  /** Comments carrying the marker written by someone else (ignored), with their authors' logins. */
  ignored?: { count: number; authors: string[] };
}

/** The login whose comments are trusted when the token's identity cannot be read: GITHUB_TOKEN's bot. */
export const DEFAULT_COMMENT_AUTHOR = 'github-actions[bot]';

export interface StickyOptions {
  token: string;
  pr: PullRequestContext;
  marker: string;
  body: string;
  /** 'upsert': create when missing; 'update-only': only update an existing comment. */
  mode: 'upsert' | 'update-only';
  /** Login trusted as the token's own when GraphQL `viewer` cannot be read. Default DEFAULT_COMMENT_AUTHOR. */
  author?: string;
  /** GitHub API base URL; default GITHUB_API_URL or https://api.github.com. */
  apiUrl?: string;
  /** Per-request timeout in ms (connection, headers and body). Default GITHUB_REQUEST_TIMEOUT_MS. */
  requestTimeoutMs?: number;
  /** The run's cancellation/deadline signal: aborts the request in flight. */
  signal?: AbortSignal;
  /** All the calls of one comment update together (listing pages, then create or update). Default COMMENT_BUDGET_MS. */
  totalTimeoutMs?: number;
}

/** Milliseconds all the GitHub calls of one sticky-comment update may take together. */
export const COMMENT_BUDGET_MS = 60_000;

/**
 * Milliseconds one GitHub REST request may take end to end before it is aborted. @actions/github's Octokit sets no
 * timeout of its own (its fetch waits as long as the server does), and does not retry, so this bounds each call.
 */
export const GITHUB_REQUEST_TIMEOUT_MS = 10_000;

/**
 * One bounded GitHub REST call: `call(request)` must pass `request` as the Octokit call's `request` option, which
 * carries an AbortSignal that fires after `timeoutMs` (connection, headers and body) or when `signal` aborts.
 * A timed-out call rejects with `TimeoutError: GitHub API <what> timed out after N ms`; a cancelled one with the
 * signal's reason.
 */
export async function boundedCall<T>(
  what: string,
  call: (request: { signal: AbortSignal }) => Promise<T>,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? GITHUB_REQUEST_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  try {
    return await call({ signal });
  } catch (err) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (timeout.aborted)
      throw Object.assign(new Error(`GitHub API ${what} timed out after ${timeoutMs} ms`), { name: 'TimeoutError' });
    throw err;
  }
}

interface RequestError {
  status?: number;
  message?: string;
}

interface CommentUser {
  login?: string;
  type?: string;
}

/**
 * Whether a REST comment author is `identity`: the same login (case-insensitive), or, for a bot, `identity` + `[bot]`
 * (GraphQL may give an app's login without the suffix). A user named like a bot without the suffix never matches.
 */
export function writtenBy(user: CommentUser | null | undefined, identity: string): boolean {
  const login = (user?.login ?? '').toLowerCase();
  const want = identity.toLowerCase();
  if (login === '' || want === '') return false;
  return login === want || (user?.type === 'Bot' && !want.endsWith('[bot]') && login === `${want}[bot]`);
}

type Octokit = ReturnType<typeof import('@actions/github').getOctokit>;

/** The token's own login: GraphQL `viewer { login }`, else `fallback` (when the query fails or times out). */
async function tokenIdentity(
  octokit: Octokit,
  fallback: string,
  bound: { timeoutMs?: number; signal?: AbortSignal },
): Promise<string> {
  try {
    const res = await boundedCall(
      'viewer',
      (request) => octokit.graphql<{ viewer?: { login?: string } }>('query { viewer { login } }', { request }),
      bound,
    );
    return res.viewer?.login || fallback;
  } catch (err) {
    if (bound.signal?.aborted) throw err;
    return fallback;
  }
}

export async function upsertStickyComment(options: StickyOptions): Promise<StickyResult> {
  if (!options.token) return { status: 'skipped', message: 'no github-token: the comment was not posted' };
  const { getOctokit } = await import('@actions/github');
  const baseUrl = options.apiUrl ?? process.env.GITHUB_API_URL ?? 'https://api.github.com';
  const octokit = getOctokit(options.token, { baseUrl });
  const totalMs = options.totalTimeoutMs ?? COMMENT_BUDGET_MS;
  const total = AbortSignal.timeout(totalMs);
  const bound = {
    ...(options.requestTimeoutMs !== undefined ? { timeoutMs: options.requestTimeoutMs } : {}),
    signal: options.signal ? AbortSignal.any([options.signal, total]) : total,
  };
  const { owner, repo, number } = options.pr;
  try {
    let existing: { id: number; body?: string | null; html_url: string } | undefined;
    let identity: string | undefined;
    const foreign: string[] = [];
    // Page by page (100 comments each), each page its own bounded call.
    for (let page = 1; page <= 300 && !existing; page++) {
      const res = await boundedCall(
        'list comments',
        (request) =>
          octokit.rest.issues.listComments({ owner, repo, issue_number: number, per_page: 100, page, request }),
        bound,
      );
      for (const c of res.data) {
        if (existing || typeof c.body !== 'string' || !c.body.includes(options.marker)) continue;
        identity ??= await tokenIdentity(octokit, options.author || DEFAULT_COMMENT_AUTHOR, bound);
        if (writtenBy(c.user, identity)) existing = c;
        else foreign.push(c.user?.login ?? '(unknown)');
      }
      if (res.data.length < 100) break;
    }
    const ignored = foreign.length > 0 ? { ignored: { count: foreign.length, authors: [...new Set(foreign)] } } : {};
    if (existing) {
      if (existing.body === options.body) return { status: 'unchanged', url: existing.html_url, ...ignored };
      const commentId = existing.id;
      const res = await boundedCall(
        'update comment',
        (request) =>
          octokit.rest.issues.updateComment({ owner, repo, comment_id: commentId, body: options.body, request }),
        bound,
      );
      return { status: 'updated', url: res.data.html_url, ...ignored };
    }
    if (options.mode === 'update-only')
      return { status: 'skipped', message: 'no earlier comment to update', ...ignored };
    const res = await boundedCall(
      'create comment',
      (request) =>
        octokit.rest.issues.createComment({ owner, repo, issue_number: number, body: options.body, request }),
      bound,
    );
    return { status: 'created', url: res.data.html_url, ...ignored };
  } catch (err) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (total.aborted)
      return {
        status: 'failed',
        message: `the GitHub calls for the comment took longer than ${totalMs} ms in all; the comment was not posted`,
      };
    const e = err as RequestError;
    if (e.status === 403) {
      return {
        status: 'forbidden',
        message:
          'the token may not write comments (HTTP 403: a pull request from a fork gets a read-only token); ' +
          'the report is in the job summary and report-file',
      };
    }
    if (e.status === 422)
      return {
        status: 'failed',
        message: `GitHub rejected the comment (HTTP 422): ${firstLine(e.message ?? '').slice(0, 300)}`,
      };
    return {
      status: 'failed',
      message: `${e.status ? `HTTP ${e.status}: ` : ''}${firstLine(e.message ?? String(err)).slice(0, 300)}`,
    };
  }
}
