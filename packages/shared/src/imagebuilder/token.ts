/**
 * Idempotency tokens for StartImagePipelineExecution. Image Builder returns the build it already started when it
 * sees a token again (and the SDK re-sends the same token when it retries a call whose answer got lost), so a
 * retried or re-run step never starts a second build. The service caps tokens at 36 characters (older API
 * models) so longer ones are hashed.
 */
import { createHash, randomUUID } from 'node:crypto';

export const CLIENT_TOKEN_MAX = 36;

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The token as given when it fits, otherwise a 36-character hash of it (stable: same input, same token). */
export function fitClientToken(token: string): string {
  if (token.length <= CLIENT_TOKEN_MAX) return token;
  return `h-${sha(token).slice(0, CLIENT_TOKEN_MAX - 2)}`;
}

/**
 * The default token: derived from GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT and the pipeline, e.g.
 * `gh-12345678901-1-9f2c4e…` (36 characters). Re-running the step in the same attempt gets the same token;
 * a new attempt ("Re-run jobs") gets a new one, so a build that failed can be retried, while a build still in
 * progress is attached to rather than duplicated (if-building: wait). Outside Actions: a random UUID.
 */
export function defaultClientToken(env: NodeJS.ProcessEnv, pipelineArn: string): { token: string; derived: boolean } {
  const runId = env.GITHUB_RUN_ID?.trim();
  if (!runId) return { token: randomUUID(), derived: false };
  const attempt = env.GITHUB_RUN_ATTEMPT?.trim() || '1';
  const digest = sha(`${runId}\n${attempt}\n${pipelineArn}`);
  const readable = `gh-${runId}-${attempt}-`;
  // Keep at least 12 hex characters of the digest so different pipelines never share a token.
  const token =
    readable.length <= CLIENT_TOKEN_MAX - 12
      ? `${readable}${digest}`.slice(0, CLIENT_TOKEN_MAX)
      : `gh-${digest}`.slice(0, CLIENT_TOKEN_MAX);
  return { token, derived: true };
}
