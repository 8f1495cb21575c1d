/**
 * AWS client configuration shared by the actions. Retries (throttling, 5xx, network faults) are left to
 * the SDK's own retry strategy: `adaptive` mode adds client-side rate limiting on top of `standard`
 * exponential backoff with jitter, which is what a long polling loop wants.
 */
export interface AwsClientOptions {
  region: string;
  /** Attempts per call, including the first (SDK default 3). */
  maxAttempts?: number;
}

export function clientConfig(options: AwsClientOptions) {
  return {
    region: options.region,
    maxAttempts: options.maxAttempts ?? 8,
    retryMode: 'adaptive' as const,
  };
}

/** True for errors the SDK classifies as throttling or transient (after its own retries gave up). */
export function isTransientAwsError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { name?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  if (e.$retryable) return true;
  const status = e.$metadata?.httpStatusCode ?? 0;
  if (status === 429 || status >= 500) return true;
  return /Throttl|RequestLimitExceeded|CallRateLimitExceeded|TooManyRequests|ServiceUnavailable|InternalError|TimeoutError|ECONNRESET|ETIMEDOUT|EAI_AGAIN/i.test(e.name ?? '');
}

/** The AWS error code (`AuthFailure`, `InvalidAllocationID.NotFound`, …) of an SDK error, or ''. */
export function awsErrorCode(err: unknown): string {
  if (!err || typeof err !== 'object') return '';
  const e = err as { name?: string; Code?: string; code?: string };
  return e.Code ?? e.code ?? e.name ?? '';
}
