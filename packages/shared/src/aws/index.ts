/**
 * AWS client configuration shared by the actions: every SDK client gets connection and request timeouts and a
 * retry strategy whose total time per call is bounded, and (via `bindSignal`) the run's cancellation/deadline
 * signal on every `send`.
 *
 * Retries (throttling, 5xx, network faults, timeouts) are left to the SDK's own retry strategy: `adaptive` mode
 * adds client-side rate limiting on top of `standard` exponential backoff with jitter, which is what a long
 * polling loop wants.
 */
import { abortError } from '../runtime/index';

/** Milliseconds to establish a TCP (and TLS) connection before the attempt fails with TimeoutError. */
export const CONNECTION_TIMEOUT_MS = 3_000;
/** Milliseconds from sending a request until the response headers arrive before the attempt fails with TimeoutError. */
export const REQUEST_TIMEOUT_MS = 15_000;
/** Milliseconds a socket may stay idle (e.g. a response body that stops arriving) before the attempt fails. */
export const SOCKET_TIMEOUT_MS = 15_000;
/** Attempts per call, including the first (SDK default 3). */
export const MAX_ATTEMPTS = 5;

/**
 * Facts about the SDK's retry strategy this bound rests on (@smithy/core retry, `StandardRetryStrategy` and
 * `DefaultRateLimiter`, as installed with @aws-sdk/client-* 3.1169): the delay before retry i (0-based) is
 * random × min(base × 2^i, 20 s) with base 1 s for throttling errors (50 ms otherwise); a `Retry-After` hint can
 * add at most 5 s to a delay; in adaptive mode the rate limiter waits at most 1 token ÷ 0.5 tokens/s = 2 s per attempt.
 */
export const SDK_RETRY_FACTS = {
  maxDelayMs: 20_000,
  throttlingBaseMs: 1_000,
  retryAfterExtraMs: 5_000,
  rateLimiterWaitMs: 2_000,
} as const;

export interface AwsClientOptions {
  region: string;
  /** Attempts per call, including the first. Default MAX_ATTEMPTS (5). */
  maxAttempts?: number;
  /** Default CONNECTION_TIMEOUT_MS. */
  connectionTimeoutMs?: number;
  /** Default REQUEST_TIMEOUT_MS. */
  requestTimeoutMs?: number;
  /** Default SOCKET_TIMEOUT_MS. */
  socketTimeoutMs?: number;
}

/**
 * The configuration every SDK client is built with: `{ region, maxAttempts, retryMode: 'adaptive', requestHandler }`
 * where `requestHandler` holds the NodeHttpHandler options (`connectionTimeout`, `requestTimeout` with
 * `throwOnRequestTimeout`, `socketTimeout`; the SDK builds its NodeHttpHandler from them).
 *
 * Worst case for one `send` with the defaults, before any deadline cuts it shorter: `worstCaseCallMs()` =
 * 5 attempts × 15 s + retry delays (1 + 2 + 4 + 8 s) + 4 × 5 s Retry-After + 5 × 2 s rate limiter = 120 s.
 * The run's hard deadline (`bindSignal` + runtime `startDeadline`) ends a call in flight earlier.
 */
export function clientConfig(options: AwsClientOptions) {
  return {
    region: options.region,
    maxAttempts: options.maxAttempts ?? MAX_ATTEMPTS,
    retryMode: 'adaptive' as const,
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? CONNECTION_TIMEOUT_MS,
      requestTimeout: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
      socketTimeout: options.socketTimeoutMs ?? SOCKET_TIMEOUT_MS,
    },
  };
}

/**
 * Upper bound in ms of one `send` under `clientConfig(options)`: every attempt times out at the request timeout
 * (which runs from the start of the attempt, so it includes the connection), every retry waits its longest backoff
 * plus the longest Retry-After extension, and the adaptive rate limiter makes every attempt wait its longest.
 * Source: SDK_RETRY_FACTS.
 */
export function worstCaseCallMs(options: Partial<AwsClientOptions> = {}): number {
  const attempts = Math.max(1, options.maxAttempts ?? MAX_ATTEMPTS);
  const perAttempt = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  let delays = 0;
  for (let i = 0; i < attempts - 1; i++) {
    delays +=
      Math.min(SDK_RETRY_FACTS.throttlingBaseMs * 2 ** i, SDK_RETRY_FACTS.maxDelayMs) +
      SDK_RETRY_FACTS.retryAfterExtraMs;
  }
  return attempts * perAttempt + delays + attempts * SDK_RETRY_FACTS.rateLimiterWaitMs;
}

interface Sendable {
  send(command: unknown, options?: unknown): Promise<unknown>;
}

/**
 * Makes every `client.send(command)` carry `signal` as its `abortSignal` (the SDK then destroys the request in
 * flight and stops retrying when it aborts) and settle no later than the abort even if something inside ignores
 * it. Mutates and returns `client`; see `withSignal` for a bound view that leaves the client as it is. `signal` is
 * typically the run's signal (cancellation + hard deadline) from runtime's `runGuardedAction`. A send's own
 * `abortSignal` option is combined with it.
 */
export function bindSignal<T extends Sendable>(client: T, signal: AbortSignal | undefined): T {
  if (!signal) return client;
  (client as { send: unknown }).send = boundSend(client.send.bind(client), signal);
  return client;
}

/**
 * A view of `client` whose `send` is bound to `signal` (as `bindSignal`), leaving `client` itself unchanged — for a
 * phase with its own deadline (e.g. a wait) while other phases use the client with another signal.
 */
export function withSignal<T extends Sendable>(client: T, signal: AbortSignal | undefined): T {
  if (!signal) return client;
  const view = Object.create(client) as T;
  (view as { send: unknown }).send = boundSend(client.send.bind(client), signal);
  return view;
}

function boundSend(send: (command: unknown, options?: unknown) => Promise<unknown>, signal: AbortSignal) {
  return (command: unknown, options?: unknown) => {
    if (signal.aborted) return Promise.reject(abortError(signal));
    const own = (options as { abortSignal?: AbortSignal } | undefined)?.abortSignal;
    const abortSignal = own ? AbortSignal.any([signal, own]) : signal;
    const opts = typeof options === 'object' && options !== null ? { ...options, abortSignal } : { abortSignal };
    return new Promise<unknown>((resolve, reject) => {
      const onAbort = () => reject(abortError(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      Promise.resolve()
        .then(() => send(command, opts))
        .then(
          (v) => {
            signal.removeEventListener('abort', onAbort);
            resolve(v);
          },
          (e: unknown) => {
            signal.removeEventListener('abort', onAbort);
            reject(signal.aborted ? abortError(signal) : e);
          },
        );
    });
  };
}

/** Error names the SDK gives throttling, 5xx and network failures (matched as a prefix or anywhere in the name). */
const TRANSIENT_NAMES = new RegExp(
  [
    'Throttl',
    'RequestLimitExceeded',
    'CallRateLimitExceeded',
    'TooManyRequests',
    'ServiceUnavailable',
    'InternalError',
    'TimeoutError',
    'ECONNRESET',
    'ETIMEDOUT',
    'EAI_AGAIN',
  ].join('|'),
  'i',
);

/** True for errors the SDK classifies as throttling or transient (after its own retries gave up). */
export function isTransientAwsError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { name?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  if (e.$retryable) return true;
  const status = e.$metadata?.httpStatusCode ?? 0;
  if (status === 429 || status >= 500) return true;
  return TRANSIENT_NAMES.test(e.name ?? '');
}

/** The AWS error code (`AuthFailure`, `InvalidAllocationID.NotFound`, …) of an SDK error, or ''. */
export function awsErrorCode(err: unknown): string {
  if (!err || typeof err !== 'object') return '';
  const e = err as { name?: string; Code?: string; code?: string };
  return e.Code ?? e.code ?? e.name ?? '';
}
