/** The toolkit's one duration formatter (inputs/duration.js), as the actions and the nat-egress CLI use it. */
import { describe, expect, test } from '@jest/globals';
import { formatDuration, formatElapsed } from '../../src/inputs/index';
import * as plain from '../../src/inputs/duration.js';

describe('formatDuration', () => {
  test.each([
    [0, '0 ms'],
    [250.4, '250 ms'],
    [1000, '1s'],
    [65_000, '1m 5s'],
    [3_600_000, '1h'],
    [3_723_000, '1h 2m 3s'],
    [-1, '?'],
    [Number.NaN, '?'],
  ])('%p ms → %p', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('formatElapsed', () => {
  test.each([
    [0, '0s'],
    [999, '0s'],
    [1000, '1s'],
    [95_000, '1m 35s'],
  ])('%p ms → %p', (ms, text) => {
    expect(formatElapsed(ms)).toBe(text);
  });

  test('inputs/index re-exports the plain JavaScript module the CLI imports (one formatter, not two)', () => {
    expect(formatElapsed).toBe(plain.formatElapsed);
    expect(formatDuration).toBe(plain.formatDuration);
  });
});
