/**
 * What every action entry shares: the clock (injected so tests and benchmarks run on virtual time),
 * and the top-level error handling that turns any failure into one clear line.
 */
import { InputError } from '../inputs/index';

export * from './clock';

export * from './cancel';
export * from './progress';

/** A controlled failure: the message is what the operator needs, already one line. */
export class ActionFailure extends Error {
  override name = 'ActionFailure';
}

/** One line that says what went wrong, with a hint for the failures operators meet most. */
export function describeError(err: unknown): string {
  if (err instanceof InputError || err instanceof ActionFailure) return firstLine(err.message);
  if (err instanceof Error) {
    const name = err.name && err.name !== 'Error' ? err.name : '';
    const meta = (err as { $metadata?: { httpStatusCode?: number } }).$metadata;
    const status = meta?.httpStatusCode ? ` (HTTP ${meta.httpStatusCode})` : '';
    let hint = '';
    if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(err.message)) {
      hint = ' (configure AWS credentials first, e.g. with aws-actions/configure-aws-credentials)';
    } else if (/AccessDenied|UnauthorizedOperation|not authorized/i.test(`${name} ${err.message}`)) {
      hint = ' (the role lacks a permission: see the action README for the IAM policy)';
    }
    return `${name ? `${name}: ` : ''}${firstLine(err.message)}${status}${hint}`;
  }
  return firstLine(String(err));
}

export function firstLine(text: string): string {
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? text;
  return line.trim().slice(0, 1000);
}
