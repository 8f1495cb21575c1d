/**
 * Image Builder image states. The service adds states over time, so everything here treats an unknown state
 * as "still in progress": the wait loop logs it and keeps waiting (the timeout bounds it).
 */
export const PROGRESS_STATES = ['PENDING', 'CREATING', 'BUILDING', 'TESTING', 'DISTRIBUTING', 'INTEGRATING'] as const;
export const SUCCESS_STATE = 'AVAILABLE';
/** Terminal states that end a wait without a usable image. DEPRECATED/DISABLED can only be seen on old images. */
export const FAILURE_STATES = ['FAILED', 'CANCELLED', 'DELETED', 'DEPRECATED', 'DISABLED'] as const;

export type StateKind = 'progress' | 'success' | 'failure' | 'unknown';

export function stateKind(state: string | undefined): StateKind {
  const s = (state ?? '').toUpperCase();
  if (s === SUCCESS_STATE) return 'success';
  if ((FAILURE_STATES as readonly string[]).includes(s)) return 'failure';
  if ((PROGRESS_STATES as readonly string[]).includes(s)) return 'progress';
  return 'unknown';
}

export function isTerminal(state: string | undefined): boolean {
  const kind = stateKind(state);
  return kind === 'success' || kind === 'failure';
}

/** `arn:aws:imagebuilder:us-east-1:123456789012:image/cabal-nat-al2023/1.0.0/3` → `1.0.0/3`. */
export function imageVersionFromArn(arn: string): string {
  const m = /:image\/[^/]+\/(\d+\.\d+\.\d+)(?:\/(\d+))?$/.exec(arn);
  if (!m) return '';
  return m[2] ? `${m[1]}/${m[2]}` : (m[1] as string);
}
