/**
 * Sticky pull-request comments: one comment per marker (per environment), created once and then updated
 * in place. @actions/github (Octokit) is loaded only when a comment is actually posted, so runs that do
 * not comment start faster.
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
}

export interface StickyOptions {
  token: string;
  pr: PullRequestContext;
  marker: string;
  body: string;
  /** 'upsert': create when missing; 'update-only': only update an existing comment. */
  mode: 'upsert' | 'update-only';
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
    // Page by page (100 comments each), each page its own bounded call.
    for (let page = 1; page <= 300 && !existing; page++) {
      const res = await boundedCall(
        'list comments',
        (request) =>
          octokit.rest.issues.listComments({ owner, repo, issue_number: number, per_page: 100, page, request }),
        bound,
      );
      existing = res.data.find((c) => typeof c.body === 'string' && c.body.includes(options.marker));
      if (res.data.length < 100) break;
    }
    if (existing) {
      if (existing.body === options.body) return { status: 'unchanged', url: existing.html_url };
      const commentId = existing.id;
      const res = await boundedCall(
        'update comment',
        (request) =>
          octokit.rest.issues.updateComment({ owner, repo, comment_id: commentId, body: options.body, request }),
        bound,
      );
      return { status: 'updated', url: res.data.html_url };
    }
    if (options.mode === 'update-only') return { status: 'skipped', message: 'no earlier comment to update' };
    const res = await boundedCall(
      'create comment',
      (request) =>
        octokit.rest.issues.createComment({ owner, repo, issue_number: number, body: options.body, request }),
      bound,
    );
    return { status: 'created', url: res.data.html_url };
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
