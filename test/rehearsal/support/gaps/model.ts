/**
 * What the fault-injection proxy (../proxy.ts) composes to fill a moto gap: a model answers an EC2 call instead of
 * moto (`answer`), or rewrites the answer moto (or an earlier model) gave (`rewrite`). Each model is in its own
 * file of this folder; the proxy turns them on per region (`setGaps`), so the rehearsal's older scenarios keep
 * moto's behaviour unless they ask for EC2's.
 *
 * The moto gaps, measured with moto 5.2.1 against EC2's documented behaviour (/work/notes/research-18.md §3):
 * - `route-state`: moto's route `State` is always `active`; EC2 shows `blackhole` when the target is gone.
 * - `replace-route`: moto's ReplaceRoute / CreateRoute accept an unknown NAT gateway id and two targets at once.
 * - `sg-in-use`: moto deletes a security group that interfaces still use; EC2 answers `DependencyViolation`.
 * - `nat-failure`: moto refuses CreateNatGateway with an associated address at once (HTTP 400
 *   Resource.AlreadyAssociated); EC2 creates the gateway and takes it to `failed` asynchronously.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** An HTTP answer to an EC2 Query call. */
export interface Ec2Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One EC2 Query call as the proxy received it. */
export interface Ec2Call {
  region: string;
  action: string;
  form: URLSearchParams;
}

/** What the proxy lends a model. */
export interface GapHost {
  /** An EC2 call to moto itself (unsigned, not logged); throws on an HTTP error. */
  moto(region: string, action: string, params: Record<string, string>): Promise<string>;
  /** EC2's success envelope around `inner`. */
  ok(action: string, inner: string): Ec2Answer;
  /** EC2's XML error. */
  error(status: number, code: string, message: string): Ec2Answer;
  /** The NAT gateways the proxy is deleting in a region (id → allocation ids): EC2 shows them `deleting`. */
  deleting(region: string): ReadonlyMap<string, readonly string[]>;
  /** Logs a lifecycle event (the proxy log's EventRecord). */
  event(region: string, event: GapEvent, natGatewayId: string, allocationIds: string[]): void;
  /** Runs `fn` after `ms` (cancelled when the proxy stops). */
  later(ms: number, fn: () => Promise<void>): void;
}

/** The lifecycle events the models add to the proxy log. */
export type GapEvent = 'nat-failed' | 'nat-deleted';

export interface GapModel {
  /** Answers the call instead of moto; undefined passes it on. */
  answer?(call: Ec2Call, host: GapHost): Promise<Ec2Answer | undefined>;
  /** Rewrites a 200 answer (moto's or a model's). */
  rewrite?(call: Ec2Call, answer: Ec2Answer, host: GapHost): Promise<Ec2Answer>;
}

export type GapName = 'route-state' | 'replace-route' | 'sg-in-use' | 'nat-failure';

/** Every model, in the order the proxy applies them (answers: first wins; rewrites: each in turn). */
export const ALL_GAPS: readonly GapName[] = ['nat-failure', 'replace-route', 'sg-in-use', 'route-state'];
