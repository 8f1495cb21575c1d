/**
 * Workflow commands on a step's stdout and stderr, parsed as actions/runner parses them (src/Runner.Common/
 * ActionCommand.cs TryParseV2 / TryParse, src/Runner.Worker/ActionCommandManager.cs):
 *   `::name k=v,k=v::data` after leading whitespace (.NET TrimStart), and the legacy `##[name k=v;k=v]data`
 *   ANYWHERE in a line; only registered names count (case-insensitive); `::stop-commands::TOKEN` pauses every
 *   command until a line parses as command TOKEN (`::TOKEN::` at the start, or `##[TOKEN]` anywhere).
 * Lines end at LF, CR or CRLF (.NET StreamReader.ReadLine, which the runner reads process output with).
 */

export const REGISTERED = [
  'set-env',
  'set-output',
  'save-state',
  'add-mask',
  'add-path',
  'add-matcher',
  'remove-matcher',
  'debug',
  'warning',
  'error',
  'notice',
  'group',
  'endgroup',
  'echo',
];

export interface Command {
  command: string;
  properties: Record<string, string>;
  data: string;
}

export type Processed =
  ({ kind: 'command' } & Command) | { kind: 'stop'; token: string } | { kind: 'resume'; token: string } | undefined;

const unescapeData = (s: string) => s.replaceAll('%0D', '\r').replaceAll('%0A', '\n').replaceAll('%25', '%');
const unescapeProperty = (s: string) =>
  s
    .replaceAll('%0D', '\r')
    .replaceAll('%0A', '\n')
    .replaceAll('%3A', ':')
    .replaceAll('%2C', ',')
    .replaceAll('%25', '%');
const unescapeLegacy = (s: string) =>
  s
    .replaceAll('%3B', ';')
    .replaceAll('%0D', '\r')
    .replaceAll('%0A', '\n')
    .replaceAll('%5D', ']')
    .replaceAll('%25', '%');

const has = (names: Iterable<string>, name: string) => [...names].some((n) => n.toLowerCase() === name.toLowerCase());

/** .NET String.TrimStart(): char.IsWhiteSpace (Unicode Zs, Zl, Zp, U+0009–U+000D, U+0085, U+00A0). */
export function dotnetTrimStart(s: string): string {
  return s.replace(/^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u, '');
}

/** The lines the runner sees in a chunk of output: split at CRLF, CR or LF (ReadLine). */
export function runnerLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

/** `::name props::data` (TryParseV2). */
export function parseV2(line: string, registered: Iterable<string>): Command | undefined {
  const message = dotnetTrimStart(line);
  if (!message.startsWith('::')) return undefined;
  const end = message.indexOf('::', 2);
  if (end < 0) return undefined;
  const info = message.slice(2, end);
  const space = info.indexOf(' ');
  const command = space < 0 ? info : info.slice(0, space);
  if (!has(registered, command)) return undefined;
  const properties: Record<string, string> = {};
  if (space > 0) {
    for (const prop of info
      .slice(space + 1)
      .trim()
      .split(',')
      .filter(Boolean)) {
      const eq = prop.indexOf('=');
      if (eq > 0 && eq < prop.length - 1) properties[prop.slice(0, eq)] = unescapeProperty(prop.slice(eq + 1));
    }
  }
  return { command, properties, data: unescapeData(message.slice(end + 2)) };
}

/** `##[name props]data` anywhere in the line (TryParse, the legacy form). */
export function parseV1(line: string, registered: Iterable<string>): Command | undefined {
  const start = line.indexOf('##[');
  if (start < 0) return undefined;
  const rb = line.indexOf(']', start);
  if (rb < 0) return undefined;
  const info = line.slice(start + 3, rb);
  const space = info.indexOf(' ');
  const command = space < 0 ? info : info.slice(0, space);
  if (!has(registered, command)) return undefined;
  const properties: Record<string, string> = {};
  if (space > 0) {
    for (const prop of info
      .slice(space + 1)
      .split(';')
      .filter(Boolean)) {
      const eq = prop.indexOf('=');
      if (eq > 0 && eq < prop.length - 1) properties[prop.slice(0, eq)] = unescapeLegacy(prop.slice(eq + 1));
    }
  }
  return { command, properties, data: unescapeLegacy(line.slice(rb + 1)) };
}

export class StopTokenError extends Error {
  constructor(readonly token: string) {
    super(
      "You cannot use a endToken that is an empty string, the string 'pause-logging', or another workflow command.",
    );
  }
}

/**
 * One job's command state (the runner keeps one ActionCommandManager per job, so a stop token outlives a step).
 * `process(line)` returns the parsed command, or undefined when the line is plain output or commands are paused.
 */
export class CommandParser {
  readonly registered = new Set(['stop-commands', ...REGISTERED]);
  stopToken: string | null = null;

  process(line: string): Processed {
    if (!line || (!line.includes('::') && !line.includes('##['))) return undefined;
    const cmd = parseV2(line, this.registered) ?? parseV1(line, this.registered);
    if (!cmd) return undefined;
    if (this.stopToken !== null) {
      if (cmd.command.toLowerCase() !== this.stopToken.toLowerCase()) return undefined;
      const token = this.stopToken;
      this.registered.delete(token);
      this.stopToken = null;
      return { kind: 'resume', token };
    }
    if (cmd.command.toLowerCase() === 'stop-commands') {
      const token = cmd.data;
      if (!token || has(this.registered, token) || token.toLowerCase() === 'pause-logging')
        throw new StopTokenError(token);
      this.stopToken = token;
      this.registered.add(token);
      return { kind: 'stop', token };
    }
    return { kind: 'command', ...cmd };
  }
}

/** Every command the runner would take from `text` (a fresh parser; stop-commands honoured). */
export function commandsIn(text: string): Processed[] {
  const parser = new CommandParser();
  const out: Processed[] = [];
  for (const line of runnerLines(text)) {
    try {
      const c = parser.process(line);
      if (c) out.push(c);
    } catch {
      out.push({ kind: 'command', command: 'stop-commands', properties: {}, data: '(refused token)' });
    }
  }
  return out;
}
