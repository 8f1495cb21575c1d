#!/usr/bin/env node
// Code-shape figures for the source the actions ship (packages/*/src, actions/*/src; tests, benches and dist
// left out): files over 400 lines, functions over 80 lines, and the share of non-blank lines over 120
// characters. The same limits are enforced by eslint (max-lines, max-lines-per-function, @stylistic/max-len);
// this prints the figures for a closing note.  Usage: node scripts/code-metrics.mjs [--json] [root]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';

const args = process.argv.slice(2);
const json = args.includes('--json');
const root = resolve(args.find((a) => !a.startsWith('--')) ?? join(import.meta.dirname, '..'));
const FILE_MAX = 400;
const FUNCTION_MAX = 80;
const LINE_MAX = 120;

function sourceFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mts|mjs|js)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

const roots = ['packages', 'actions'].flatMap((top) =>
  readdirSync(join(root, top))
    .map((pkg) => join(root, top, pkg, 'src'))
    .filter((src) => {
      try {
        return statSync(src).isDirectory();
      } catch {
        return false;
      }
    }),
);

const FUNCTION_KINDS = new Set([
  ts.SyntaxKind.FunctionDeclaration,
  ts.SyntaxKind.FunctionExpression,
  ts.SyntaxKind.ArrowFunction,
  ts.SyntaxKind.MethodDeclaration,
  ts.SyntaxKind.Constructor,
  ts.SyntaxKind.GetAccessor,
  ts.SyntaxKind.SetAccessor,
]);

const files = [];
const functions = [];
let nonBlank = 0;
let long = 0;
let longest = 0;
for (const path of roots.flatMap(sourceFiles).sort()) {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const rel = relative(root, path);
  files.push({ file: rel, lines: lines.length - (lines.at(-1) === '' ? 1 : 0) });
  for (const line of lines) {
    if (line.trim() === '') continue;
    nonBlank++;
    if (line.length > LINE_MAX) long++;
    longest = Math.max(longest, line.length);
  }
  const sf = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (FUNCTION_KINDS.has(node.kind)) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      const name =
        node.name?.getText(sf) ??
        (node.parent && ts.isVariableDeclaration(node.parent) ? node.parent.name.getText(sf) : '(anonymous)');
      functions.push({ file: rel, name, line: start + 1, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}

const bigFiles = files.filter((f) => f.lines > FILE_MAX).sort((a, b) => b.lines - a.lines);
const bigFunctions = functions.filter((f) => f.lines > FUNCTION_MAX).sort((a, b) => b.lines - a.lines);
const figures = {
  files: files.length,
  functions: functions.length,
  filesOver400: bigFiles,
  functionsOver80: bigFunctions,
  nonBlankLines: nonBlank,
  linesOver120: long,
  linesOver120Percent: Number(((100 * long) / Math.max(1, nonBlank)).toFixed(2)),
  longestLine: longest,
};
if (json) {
  console.log(JSON.stringify(figures, null, 2));
} else {
  console.log(`${figures.files} files, ${figures.functions} functions, ${nonBlank} non-blank lines`);
  console.log(
    `files over ${FILE_MAX} lines: ${bigFiles.length}${bigFiles.map((f) => `\n  ${f.file} ${f.lines}`).join('')}`,
  );
  console.log(
    `functions over ${FUNCTION_MAX} lines: ${bigFunctions.length}${bigFunctions.map((f) => `\n  ${f.file}:${f.line} ${f.name} ${f.lines}`).join('')}`,
  );
  console.log(`lines over ${LINE_MAX} characters: ${long} (${figures.linesOver120Percent}%), longest ${longest}`);
}
