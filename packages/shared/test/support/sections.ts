/**
 * The prior_state and configuration parts a plan carries about NAT AMIs, built after terraform's JSON output format
 * and the hashicorp/aws aws_ami data source schema (id, image_id, name, creation_date, state, tags, most_recent),
 * for plans the TypeScript builder writes (plans.ts, topology-plans.ts). Real terraform plans carry the same shapes:
 * examples/plans/ami-adoption*.json.
 */
import type { ConfigResource, PlanSections, PriorResource } from '@nat-egress/shared/plan';

export interface ImageSpec {
  imageId: string;
  name?: string;
  creationDate?: string;
  tags?: Record<string, string>;
  state?: string;
  mostRecent?: boolean;
  /** Marks for prior_state's sensitive_values (e.g. { tags: { Role: true } }). */
  sensitive?: unknown;
}

/** An aws_ami data source instance as terraform read it while planning. */
export function amiRead(address: string, spec: ImageSpec): PriorResource {
  return {
    address,
    mode: 'data',
    type: 'aws_ami',
    name: address.split('.').pop()!.replace(/\[.*$/, ''),
    ...(/\[(\d+)\]$/.test(address) ? { index: Number(/\[(\d+)\]$/.exec(address)![1]) } : {}),
    values: {
      id: spec.imageId,
      image_id: spec.imageId,
      name: spec.name ?? 'cabal-nat-al2023-2026-11-15',
      creation_date: spec.creationDate ?? '2026-11-15T10:24:02.000Z',
      state: spec.state ?? 'available',
      most_recent: spec.mostRecent ?? true,
      owners: ['self'],
      tags: spec.tags ?? { Name: 'cabal-nat-al2023', Role: 'cabal-nat' },
    },
    sensitive_values: spec.sensitive ?? { tags: {} },
  };
}

/** A configuration block whose `argument` references a data source (module-relative), e.g. data.aws_ami.custom_nat[0]. */
export function referencing(address: string, argument: string, ref: string | null): ConfigResource {
  const parts = address.split('.');
  const moduleAddress = parts.slice(0, -2).join('.');
  const [type, name] = parts.slice(-2) as [string, string];
  const expressions: Record<string, unknown> =
    ref === null
      ? { [argument]: { constant_value: 'ami-0literal' } }
      : { [argument]: { references: [`${ref}.id`, ref] } };
  return { address, moduleAddress, mode: 'managed', type, name, expressions };
}

export function sections(priorState: PriorResource[], configuration: ConfigResource[] = []): PlanSections {
  return { priorState, configuration };
}

/** The same as top-level plan JSON keys, for planJson(changes, extra) and the streaming loader. */
export function sectionsJson(s: PlanSections): Record<string, unknown> {
  const byModule = new Map<string, ConfigResource[]>();
  for (const c of s.configuration) byModule.set(c.moduleAddress, [...(byModule.get(c.moduleAddress) ?? []), c]);
  const relative = (c: ConfigResource) => ({
    ...c,
    address: c.moduleAddress ? c.address.slice(c.moduleAddress.length + 1) : c.address,
    moduleAddress: undefined,
  });
  const calls = [...byModule.keys()].filter((m) => m !== '');
  return {
    prior_state: {
      format_version: '1.0',
      values: {
        root_module: {
          resources: s.priorState.filter((p) => !p.address.startsWith('module.')),
          child_modules: calls.map((m) => ({
            address: m,
            resources: s.priorState.filter((p) => p.address.startsWith(`${m}.`)),
          })),
        },
      },
    },
    configuration: {
      root_module: {
        resources: (byModule.get('') ?? []).map(relative),
        module_calls: Object.fromEntries(
          calls.map((m) => [m.replace(/^module\./, ''), { module: { resources: byModule.get(m)!.map(relative) } }]),
        ),
      },
    },
  };
}
