/**
 * Expressions, evaluated by GitHub's own library (@actions/expressions), with the contexts and the status
 * functions the runner provides. Templates (YAML values holding `${{ }}`) are read by @actions/workflow-parser,
 * which turns `a ${{ x }} b` into `format('a {0} b', x)` exactly as the runner's template reader does.
 */
import { Evaluator, Lexer, Parser, data } from '@actions/expressions';
import { truthy } from '@actions/expressions/result';
import { splitAllowedContext } from '@actions/workflow-parser/templates/allowed-context';

export const CONTEXT_NAMES = [
  'github',
  'env',
  'vars',
  'secrets',
  'inputs',
  'needs',
  'steps',
  'job',
  'jobs',
  'runner',
  'matrix',
  'strategy',
];
const STATUS_FUNCTIONS = ['success', 'failure', 'always', 'cancelled'];

export type Contexts = Record<string, unknown>;
export interface Status {
  success(): boolean;
  failure(): boolean;
  cancelled(): boolean;
}

/** Plain JSON-like JavaScript value → ExpressionData. */
export function toData(value: unknown): data.ExpressionData {
  if (value === null || value === undefined) return new data.Null();
  if (typeof value === 'string') return new data.StringData(value);
  if (typeof value === 'number') return new data.NumberData(value);
  if (typeof value === 'boolean') return new data.BooleanData(value);
  if (Array.isArray(value)) return new data.Array(...value.map(toData));
  if (typeof value === 'object') {
    const v = value as { kind?: unknown; coerceString?: unknown };
    if (typeof v.kind === 'number' && typeof v.coerceString === 'function') return value as data.ExpressionData;
    return new data.Dictionary(...Object.entries(value).map(([key, x]) => ({ key, value: toData(x) })));
  }
  throw new TypeError(`cannot turn ${typeof value} into expression data`);
}

/** ExpressionData → plain JavaScript value. */
export function fromData(d: data.ExpressionData): unknown {
  switch (d.kind) {
    case data.Kind.Null:
      return null;
    case data.Kind.String:
    case data.Kind.Number:
    case data.Kind.Boolean:
      return (d as unknown as { value: unknown }).value;
    case data.Kind.Array:
      return (d as data.Array).values().map(fromData);
    default:
      return Object.fromEntries((d as data.Dictionary).pairs().map(({ key, value }) => [key, fromData(value)]));
  }
}

/** The runner's string form of a value in a string field (env, with, run, …): booleans "true"/"false", null "". */
export function asString(value: unknown, what = 'value'): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return toData(value).coerceString();
  throw new Error(`${what}: a ${Array.isArray(value) ? 'sequence' : 'mapping'} was not expected`);
}

export interface EvalOptions {
  /** The schema's contexts for the field (token.definitionInfo.allowedContext): others fail as on GitHub. */
  allowedContext?: string[];
  status?: Status;
}

/** Evaluates one expression (without `${{ }}`). */
export function evaluateData(expression: string, contexts: Contexts, options: EvalOptions = {}): data.ExpressionData {
  const allowed = options.allowedContext?.length
    ? splitAllowedContext(options.allowedContext)
    : {
        namedContexts: CONTEXT_NAMES,
        functions: STATUS_FUNCTIONS.map((name) => ({ name, minArgs: 0, maxArgs: 0 })),
      };
  const tree = new Parser(new Lexer(expression).lex().tokens, allowed.namedContexts, allowed.functions).parse();
  const dict = new data.Dictionary(
    ...allowed.namedContexts.map((name) => ({
      key: name,
      value: toData(contexts[name] ?? (name === 'env' ? {} : null)),
    })),
  );
  const status = options.status ?? { success: () => true, failure: () => false, cancelled: () => false };
  const fn = (name: string, call: () => data.ExpressionData) => [name, { name, minArgs: 0, maxArgs: 0, call }] as const;
  const functions = new Map<string, any>([
    fn('success', () => new data.BooleanData(status.success())),
    fn('failure', () => new data.BooleanData(status.failure())),
    fn('cancelled', () => new data.BooleanData(status.cancelled())),
    fn('always', () => new data.BooleanData(true)),
    [
      'hashfiles',
      {
        name: 'hashFiles',
        minArgs: 1,
        maxArgs: 255,
        call: () => {
          throw new Error('hashFiles() is not modelled by the harness');
        },
      },
    ],
  ]);
  return new Evaluator(tree, dict, functions).evaluate();
}

export function evaluate(expression: string, contexts: Contexts, options?: EvalOptions): unknown {
  return fromData(evaluateData(expression, contexts, options));
}

export function evaluateCondition(expression: string, contexts: Contexts, options?: EvalOptions): boolean {
  return truthy(evaluateData(expression, contexts, options));
}
