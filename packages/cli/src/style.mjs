/** ANSI styling, applied only when colour is on (a terminal, unless NO_COLOR or --color says otherwise). */
const CODES = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], cyan: [36, 39] };

/**
 * @param {boolean} enabled
 * @param {keyof typeof CODES} style
 * @param {string} text
 */
export function paint(enabled, style, text) {
  if (!enabled) return text;
  const [on, off] = CODES[style];
  return `\x1b[${on}m${text}\x1b[${off}m`;
}

/**
 * Whether to colour a stream: --color always|never wins; auto colours a TTY unless NO_COLOR is set
 * (https://no-color.org) or TERM is dumb.
 * @param {string} mode
 * @param {{ isTTY?: boolean }} stream
 * @param {Record<string, string | undefined>} env
 */
export function colorEnabled(mode, stream, env) {
  if (mode === 'always') return true;
  if (mode === 'never') return false;
  return Boolean(stream.isTTY) && !env.NO_COLOR && env.TERM !== 'dumb';
}
