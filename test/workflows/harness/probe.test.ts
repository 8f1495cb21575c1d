import { test, expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parseWorkflow, NoOperationTraceWriter, convertWorkflowTemplate } from '@actions/workflow-parser';
import { Lexer } from '@actions/expressions';

test('probe', async () => {
  const content = readFileSync('.github/workflows/infra.yml', 'utf8');
  const parsed = parseWorkflow({ name: 'infra.yml', content }, new NoOperationTraceWriter());
  expect(parsed.context.errors.getErrors()).toEqual([]);
  const t = await convertWorkflowTemplate(parsed.context, parsed.value!);
  expect(t.jobs.length).toBe(2);
  expect(new Lexer('a.b').lex().tokens.length).toBeGreaterThan(0);
});
