/**
 * Durations as the toolkit prints them, in plain JavaScript (with duration.d.ts beside it): the actions import it
 * through inputs/index.ts, and the nat-egress CLI, which runs under plain node from the toolkit's checkout and
 * loads no TypeScript source, imports this file itself, so a terminal and an Actions log say "1m 5s" alike.
 */

/**
 * `1h 2m 3s`-style rendering for logs and summaries: whole seconds from 1 s up (rounded), `250 ms` below a second,
 * `?` for a negative or non-finite value.
 * @param {number} ms  milliseconds
 * @returns {string}
 */
export function formatDuration(ms) {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  let s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return [h ? `${h}h` : '', m ? `${m}m` : '', s || (!h && !m) ? `${s}s` : ''].filter(Boolean).join(' ');
}

/**
 * An elapsed time in whole seconds: `0s` below a second, else formatDuration (`35s`, `1m 35s`). For the
 * `[+…]` marks of build-nat-ami's log and summary and the CLI's status line.
 * @param {number} ms  milliseconds
 * @returns {string}
 */
export function formatElapsed(ms) {
  return ms < 1000 ? '0s' : formatDuration(ms);
}
