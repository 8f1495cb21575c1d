import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root: the nearest ancestor of this file holding pnpm-workspace.yaml. */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    const up = resolve(dir, '..');
    if (up === dir) throw new Error('repository root (pnpm-workspace.yaml) not found');
    dir = up;
  }
}

export const repoRoot = findRoot();

/** Workflow files the lint covers: the repo's own workflows and the example callers in the docs. */
export function workflowFiles(): string[] {
  const dirs = [join(repoRoot, '.github', 'workflows'), join(repoRoot, 'docs', 'examples')];
  const files: string[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      if (/\.ya?ml$/.test(name)) files.push(join(dir, name));
    }
  }
  return files;
}
