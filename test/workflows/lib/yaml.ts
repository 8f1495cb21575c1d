/**
 * YAML parsing for the workflow lint.
 *
 * Prefers the `yaml` package when the root package.json lists it; until then it falls back to the js-yaml
 * that jest already installs (reachable through pnpm's hidden hoisting directory). Both parse YAML 1.2
 * core-schema booleans only, so a workflow's `on:` key stays the string "on".
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { repoRoot } from './paths';

type Parse = (text: string) => unknown;

let cached: { parse: Parse; name: string } | undefined;

function load(): { parse: Parse; name: string } {
  const fromRoot = createRequire(join(repoRoot, 'package.json'));
  try {
    const yaml = fromRoot('yaml') as { parse: (t: string, o?: object) => unknown };
    return { parse: (t) => yaml.parse(t, { uniqueKeys: true }), name: 'yaml' };
  } catch {
    // not a root dependency (yet)
  }
  const hoisted = createRequire(join(repoRoot, 'node_modules', '.pnpm', 'node_modules', 'noop.js'));
  try {
    const jsYaml = hoisted('js-yaml') as { load: (t: string, o?: object) => unknown };
    // js-yaml 3 and 4 both default to a safe schema for `load` with json: false (duplicate keys throw).
    return { parse: (t) => jsYaml.load(t, { json: false }), name: 'js-yaml' };
  } catch {
    throw new Error('no YAML parser found: add `yaml` to the root devDependencies (pnpm add -D yaml)');
  }
}

/** Parses one YAML document; throws with the parser's message (line and column) on invalid YAML. */
export function parseYaml(text: string): unknown {
  cached ??= load();
  return cached.parse(text);
}

export function yamlParserName(): string {
  cached ??= load();
  return cached.name;
}
