/**
 * prior_state and configuration, read while the plan streams (plan/sections.ts over plan/scan.ts's walk): the
 * resource instances and blocks of the wanted types at any module depth, the same in every chunking and layout as
 * a plain JSON.parse walk of the same plan finds them, and nothing else kept.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPlanFile, loadPlanText, type ConfigResource, type PriorResource } from '@nat-egress/shared/plan';
import { PlanScanner } from '../src/plan/scan';
import { SectionCollector } from '../src/plan/sections';

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', 'examples', 'plans');
const WANTED = { priorTypes: new Set(['aws_ami', 'aws_subnet']), configTypes: new Set(['aws_ami', 'aws_instance']) };

type Json = Record<string, any>;

/** What a plain JSON.parse walk of the plan finds (the reference the streaming reader must agree with). */
function reference(plan: Json): { prior: string[]; config: string[] } {
  const prior: string[] = [];
  const stateModule = (m: Json | undefined): void => {
    for (const r of m?.resources ?? []) if (WANTED.priorTypes.has(r.type)) prior.push(r.address);
    for (const c of m?.child_modules ?? []) stateModule(c);
  };
  stateModule(plan.prior_state?.values?.root_module);
  const config: string[] = [];
  const configModule = (m: Json | undefined, path: string): void => {
    for (const r of m?.resources ?? [])
      if (WANTED.configTypes.has(r.type)) config.push(path ? `${path}.${r.address}` : r.address);
    for (const [name, call] of Object.entries(m?.module_calls ?? {}))
      configModule((call as Json).module, path ? `${path}.module.${name}` : `module.${name}`);
  };
  configModule(plan.configuration?.root_module, '');
  return { prior, config };
}

/** Streams `text` through the scanner in chunks of `size` bytes; returns the addresses the collector kept. */
function streamed(text: string, size: number): { prior: PriorResource[]; config: ConfigResource[] } {
  const sections = new SectionCollector(WANTED);
  const scanner = new PlanScanner({
    documentStart: () => undefined,
    key: (k) => (sections.wants(k) ? 'walk' : 'skip'),
    value: () => undefined,
    element: (name, raw, compact, path) => path && sections.element(name, raw, compact, path),
    nestedKey: (name, path, key) => sections.nestedKey(name, path, key),
    documentEnd: () => undefined,
    noise: () => undefined,
  });
  const buf = Buffer.from(text);
  for (let i = 0; i < buf.length; i += size) scanner.write(buf.subarray(i, i + size));
  scanner.end();
  const { priorState, configuration } = sections.take();
  return { prior: priorState, config: configuration };
}

const ami = (address: string, name: string) => ({
  address,
  mode: 'data',
  type: 'aws_ami',
  name: 'custom_nat',
  index: 0,
  values: { name, tags: { Role: 'cabal-nat' }, block_device_mappings: [{ ebs: { type: 'gp3' } }] },
  sensitive_values: { tags: {} },
});

/** Decoys everywhere the walk must not look: outputs and variables with `resources` keys, nested `type` keys. */
function nestedPlan(): Json {
  return {
    format_version: '1.2',
    variables: { resources: { value: [{ address: 'x', type: 'aws_ami' }] } },
    resource_changes: [],
    prior_state: {
      format_version: '1.0',
      values: {
        outputs: { resources: { value: [{ address: 'decoy', type: 'aws_ami' }] } },
        root_module: {
          resources: [
            { address: 'aws_vpc.main', mode: 'managed', type: 'aws_vpc', name: 'main', values: { type: 'aws_ami' } },
            ami('data.aws_ami.root[0]', 'root-image'),
          ],
          child_modules: [
            {
              address: 'module.vpc',
              resources: [ami('module.vpc.data.aws_ami.custom_nat[0]', 'cabal-nat-al2023-2026-11-15')],
              child_modules: [
                {
                  address: 'module.vpc.module.nat["a"]',
                  resources: [
                    { address: 'module.vpc.module.nat["a"].aws_subnet.s', mode: 'managed', type: 'aws_subnet' },
                  ],
                },
              ],
            },
          ],
        },
      },
    },
    configuration: {
      provider_config: { aws: { name: 'aws', expressions: { resources: { constant_value: 'decoy' } } } },
      root_module: {
        outputs: { resources: { expression: { references: ['aws_instance.decoy'] } } },
        resources: [
          { address: 'aws_instance.bastion', mode: 'managed', type: 'aws_instance', name: 'bastion' },
          {
            address: 'null_resource.p',
            mode: 'managed',
            type: 'null_resource',
            name: 'p',
            provisioners: [{ type: 'local-exec', expressions: {} }],
          },
        ],
        module_calls: {
          vpc: {
            source: './modules/vpc',
            expressions: { resources: { references: ['var.x'] } },
            module: {
              resources: [
                {
                  address: 'aws_instance.nat',
                  mode: 'managed',
                  type: 'aws_instance',
                  name: 'nat',
                  expressions: { ami: { references: ['data.aws_ami.custom_nat[0].id', 'data.aws_ami.custom_nat'] } },
                },
                { address: 'data.aws_ami.custom_nat', mode: 'data', type: 'aws_ami', name: 'custom_nat' },
              ],
              module_calls: {
                module: {
                  source: './inner',
                  module: {
                    resources: [{ address: 'aws_instance.inner', mode: 'managed', type: 'aws_instance', name: 'i' }],
                  },
                },
              },
            },
          },
        },
      },
    },
  };
}

describe('prior_state and configuration sections', () => {
  it('keeps the wanted types at every module depth, with module paths, and nothing from decoys', () => {
    const plan = nestedPlan();
    const { prior, config } = streamed(JSON.stringify(plan), 1 << 20);
    expect(prior.map((p) => p.address)).toEqual([
      'data.aws_ami.root[0]',
      'module.vpc.data.aws_ami.custom_nat[0]',
      'module.vpc.module.nat["a"].aws_subnet.s',
    ]);
    expect(prior[1]).toMatchObject({ mode: 'data', type: 'aws_ami', index: 0, sensitive_values: { tags: {} } });
    expect((prior[1]!.values as Json).name).toBe('cabal-nat-al2023-2026-11-15');
    expect(config.map((c) => [c.address, c.moduleAddress])).toEqual([
      ['aws_instance.bastion', ''],
      ['module.vpc.aws_instance.nat', 'module.vpc'],
      ['module.vpc.data.aws_ami.custom_nat', 'module.vpc'],
      ['module.vpc.module.module.aws_instance.inner', 'module.vpc.module.module'],
    ]);
    expect(config[1]!.expressions).toEqual({
      ami: { references: ['data.aws_ami.custom_nat[0].id', 'data.aws_ami.custom_nat'] },
    });
    expect(reference(plan)).toEqual({ prior: prior.map((p) => p.address), config: config.map((c) => c.address) });
  });

  it('reads the same in any chunking and in any layout (compact, pretty-printed)', () => {
    const plan = nestedPlan();
    const want = reference(plan);
    for (const text of [JSON.stringify(plan), JSON.stringify(plan, null, 2)]) {
      for (const size of [1, 2, 3, 7, 64, 1000]) {
        const got = streamed(text, size);
        expect({ prior: got.prior.map((p) => p.address), config: got.config.map((c) => c.address) }).toEqual(want);
      }
    }
  });

  it('agrees with a plain JSON walk on generated module trees', () => {
    const leaf = fc.record({
      type: fc.constantFrom('aws_ami', 'aws_subnet', 'aws_instance', 'aws_vpc'),
      name: fc.constantFrom('a', 'b', 'resources', 'type'),
    });
    const tree = fc.letrec((tie) => ({
      module: fc.record({
        resources: fc.array(leaf, { maxLength: 3 }),
        children: fc.oneof(
          { depthSize: 'small' },
          fc.constant([]),
          fc.array(fc.tuple(fc.constantFrom('x', 'module', 'module_calls', 'resources'), tie('module')), {
            maxLength: 2,
          }),
        ),
      }),
    })).module;
    fc.assert(
      fc.property(tree, fc.integer({ min: 1, max: 50 }), (root, size) => {
        const toState = (m: any, path: string): Json => ({
          address: path,
          resources: m.resources.map((r: any, i: number) => ({
            address: `${path ? `${path}.` : ''}${r.type}.${r.name}[${i}]`,
            mode: 'managed',
            ...r,
            values: { type: 'aws_ami', resources: [] },
          })),
          child_modules: m.children.map(([n, c]: [string, any], i: number) =>
            toState(c, `${path ? `${path}.` : ''}module.${n}[${i}]`),
          ),
        });
        const toConfig = (m: any): Json => ({
          resources: m.resources.map((r: any) => ({ address: `${r.type}.${r.name}`, mode: 'managed', ...r })),
          module_calls: Object.fromEntries(m.children.map(([n, c]: [string, any]) => [n, { module: toConfig(c) }])),
        });
        const plan = {
          format_version: '1.2',
          prior_state: { values: { root_module: toState(root, '') } },
          configuration: { root_module: toConfig(root) },
        };
        const got = streamed(JSON.stringify(plan), size);
        expect({ prior: got.prior.map((p) => p.address), config: got.config.map((c) => c.address) }).toEqual(
          reference(plan),
        );
      }),
      { numRuns: 80 },
    );
  });

  it('a real terraform plan: the NAT AMI data source as read, the instance block that references it', async () => {
    const file = join(EXAMPLES, 'ami-adoption.json');
    const loaded = (await loadPlanFile(file, WANTED)).documents[0]!;
    const data = loaded.sections.priorState.find((p) => p.type === 'aws_ami');
    expect(data?.address).toBe('module.vpc.data.aws_ami.custom_nat[0]');
    expect((data?.values as Json).tags).toEqual({ Name: 'cabal-nat-al2023', Role: 'cabal-nat' });
    const nat = loaded.sections.configuration.find((c) => c.address === 'module.vpc.aws_instance.nat');
    expect((nat?.expressions?.ami as Json).references).toContain('data.aws_ami.custom_nat[0]');
    // The same plan, without asking for sections: nothing kept, the same changes and digest.
    const plain = loadPlanText(readFileSync(file)).documents[0]!;
    expect(plain.sections).toEqual({ priorState: [], configuration: [] });
    expect([plain.totalChanges, plain.digest]).toEqual([loaded.totalChanges, loaded.digest]);
  });

  it('a malformed wanted resource is a one-line PlanFormatError', () => {
    const bad = '{"format_version":"1.2","prior_state":{"values":{"root_module":{"resources":[{"type":"aws_ami",]}}}}';
    expect(() => loadPlanText(bad, WANTED)).toThrow(/not valid JSON|unexpected/);
  });
});
