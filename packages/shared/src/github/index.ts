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
  let payload: { pull_request?: { number?: number }; issue?: { number?: number; pull_request?: unknown }; number?: number };
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
  const { owner, repo, number } = options.pr;
  try {
    let existing: { id: number; body?: string | null; html_url: string } | undefined;
    for await (const page of octokit.paginate.iterator(octokit.rest.issues.listComments, { owner, repo, issue_number: number, per_page: 100 })) {
      existing = page.data.find((c) => typeof c.body === 'string' && c.body.includes(options.marker));
      if (existing) break;
    }
    if (existing) {
      if (existing.body === options.body) return { status: 'unchanged', url: existing.html_url };
      const res = await octokit.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body: options.body });
      return { status: 'updated', url: res.data.html_url };
    }
    if (options.mode === 'update-only') return { status: 'skipped', message: 'no earlier comment to update' };
    const res = await octokit.rest.issues.createComment({ owner, repo, issue_number: number, body: options.body });
    return { status: 'created', url: res.data.html_url };
  } catch (err) {
    const e = err as RequestError;
    if (e.status === 403) {
      return {
        status: 'forbidden',
        message: 'the token may not write comments (HTTP 403: a pull request from a fork gets a read-only token); the report is in the job summary and report-file',
      };
    }
    if (e.status === 422) return { status: 'failed', message: `GitHub rejected the comment (HTTP 422): ${firstLine(e.message ?? '').slice(0, 300)}` };
    return { status: 'failed', message: `${e.status ? `HTTP ${e.status}: ` : ''}${firstLine(e.message ?? String(err)).slice(0, 300)}` };
  }
}
