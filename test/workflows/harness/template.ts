/**
 * Workflow files through GitHub's own parser (@actions/workflow-parser): schema validation, `if:` normalisation,
 * template tokens → values, evaluating `${{ }}` at the moment the runner does, per field's allowed contexts.
 */
import { readFileSync } from 'node:fs';
import {
  convertWorkflowTemplate,
  NoOperationTraceWriter,
  parseWorkflow,
  type WorkflowTemplate,
} from '@actions/workflow-parser';
import { TokenType } from '@actions/workflow-parser/templates/tokens/types';
import { evaluate, type Contexts, type Status } from './expressions';

export type Token = any;

export interface Scope {
  contexts: Contexts;
  status?: Status;
}

/** A token → its value (strings, booleans, numbers, null, sequences, mappings), expressions evaluated in `scope`. */
export function valueOf(token: Token | undefined, scope: Scope): any {
  if (!token) return undefined;
  switch (token.templateTokenType) {
    case TokenType.String:
    case TokenType.Boolean:
    case TokenType.Number:
      return token.value;
    case TokenType.Null:
      return null;
    case TokenType.BasicExpression:
      return evaluate(token.expression, scope.contexts, {
        allowedContext: token.definitionInfo?.allowedContext,
        ...(scope.status ? { status: scope.status } : {}),
      });
    case TokenType.Sequence:
      return [...token].map((t: Token) => valueOf(t, scope));
    case TokenType.Mapping: {
      const out: Record<string, unknown> = {};
      for (const { key, value } of token) out[String(valueOf(key, scope))] = valueOf(value, scope);
      return out;
    }
    default:
      throw new Error(`${token.typeName?.() ?? 'token'} (e.g. \${{ insert }}) is not handled by the harness`);
  }
}

/** The mapping token's entry `key`, if any (the raw YAML tree keeps every field the converted model drops). */
export function field(mapping: Token | undefined, key: string): Token | undefined {
  return mapping?.templateTokenType === TokenType.Mapping ? mapping.find(key) : undefined;
}

export interface LoadedWorkflow {
  file: string;
  root: Token;
  template: WorkflowTemplate;
  /** The raw step mapping of each converted step, by the run:/uses: token they share. */
  rawSteps: Map<Token, Token>;
}

/** Parses and converts a workflow; throws with the parser's own messages when GitHub would reject it. */
export async function loadWorkflow(file: string): Promise<LoadedWorkflow> {
  const content = readFileSync(file, 'utf8');
  const parsed = parseWorkflow({ name: file, content }, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors();
  if (errors.length > 0 || !parsed.value) throw new Error(`${file}: ${errors.map((e) => e.message).join('; ')}`);
  const template = await convertWorkflowTemplate(parsed.context, parsed.value);
  if (template.errors?.length) throw new Error(`${file}: ${template.errors.map((e) => e.Message).join('; ')}`);
  // The converted model drops with:, working-directory:, shell:, timeout-minutes:, defaults: … : keep the raw
  // step mappings, found through the run:/uses: token the converted step shares with its mapping.
  const rawSteps = new Map<Token, Token>();
  for (const { value: job } of field(parsed.value, 'jobs') ?? [])
    for (const step of field(job, 'steps') ?? []) rawSteps.set(field(step, 'run') ?? field(step, 'uses'), step);
  return { file, root: parsed.value, template, rawSteps };
}
