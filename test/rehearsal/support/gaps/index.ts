/**
 * The moto-gap models (model.ts), one instance of each per proxy. `answerWith` and `rewriteWith` run the models a
 * region has turned on: answers in ALL_GAPS order (the first answer wins), rewrites of a 200 answer each in turn.
 */
import { ALL_GAPS, type Ec2Answer, type Ec2Call, type GapHost, type GapModel, type GapName } from './model';
import { natFailure, type NatFailureOptions } from './nat-failure';
import { replaceRoute } from './replace-route';
import { routeState } from './route-state';
import { sgInUse } from './sg-in-use';

export { ALL_GAPS, type Ec2Answer, type GapEvent, type GapName } from './model';
export type { NatFailureOptions } from './nat-failure';

export type GapModels = Record<GapName, GapModel>;

export function createGaps(options: NatFailureOptions = {}): GapModels {
  return {
    'nat-failure': natFailure(options),
    'replace-route': replaceRoute,
    'sg-in-use': sgInUse,
    'route-state': routeState,
  };
}

/** The first answer of the region's models, or undefined (moto answers). */
export async function answerWith(
  models: GapModels,
  on: ReadonlySet<GapName>,
  call: Ec2Call,
  host: GapHost,
): Promise<Ec2Answer | undefined> {
  for (const name of ALL_GAPS) {
    if (!on.has(name)) continue;
    const answer = await models[name].answer?.(call, host);
    if (answer) return answer;
  }
  return undefined;
}

/** A 200 answer rewritten by each of the region's models in turn. */
export async function rewriteWith(
  models: GapModels,
  on: ReadonlySet<GapName>,
  call: Ec2Call,
  answer: Ec2Answer,
  host: GapHost,
): Promise<Ec2Answer> {
  let out = answer;
  for (const name of ALL_GAPS) {
    const rewrite = models[name].rewrite;
    if (on.has(name) && rewrite && out.status === 200) out = await rewrite(call, out, host);
  }
  return out;
}

/** Parses a `gaps` option: names, or 'all'. Throws on an unknown name. */
export function gapSet(value: readonly GapName[] | 'all' | undefined): Set<GapName> {
  if (value === undefined) return new Set();
  if (value === 'all') return new Set(ALL_GAPS);
  for (const v of value)
    if (!ALL_GAPS.includes(v)) throw new Error(`unknown moto-gap model '${v}' (${ALL_GAPS.join(', ')})`);
  return new Set(value);
}
