/**
 * The build-nat-ami flow's dependencies, its report (what happened, recorded as it goes, also when the flow fails,
 * so the action writes the job summary either way) and its result.
 */
import type { ImagebuilderClient } from '@aws-sdk/client-imagebuilder';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { Clock, Progress } from '../runtime/index';
import type { FailureDetails } from './failure';
import type { ResolvedPipeline } from './pipeline';
import type { Logger, PollPolicy, StateChange, WaitStats } from './wait';

export interface BuildNatAmiDeps {
  imagebuilder: ImagebuilderClient;
  ec2: EC2Client;
  clock: Clock;
  log: Logger;
  /** For the default client token (GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT). */
  env?: NodeJS.ProcessEnv;
  poll?: Partial<PollPolicy>;
  /** The short wait for the AMI's tags / available state after the image is AVAILABLE. */
  amiWait?: { waitMs?: number; intervalMs?: number };
  /** The run's cancellation signal (SIGINT/SIGTERM). `timeout` is a hard deadline on top of it. */
  signal?: AbortSignal;
  /** How long the CancelImageCreation call after a timeout may take. Default CLEANUP_MS. */
  cleanupMs?: number;
  /** Where the image wait's progress goes (runtime actionProgress); default: its lines to `log.info`. */
  progress?: Progress;
}

/** Milliseconds allowed, after the timeout, for cancelling the build this run started (one bounded call). */
export const CLEANUP_MS = 15_000;

/** lookup = build: false; started = this run started the build; attached = joined a build in progress;
 * rerun = the client token had already started a build (an earlier try of this step), which was followed. */
export type BuildMode = 'lookup' | 'started' | 'attached' | 'rerun';

export interface BuildReport {
  region: string;
  startedAt: number;
  finishedAt?: number;
  pipeline?: ResolvedPipeline;
  pipelineRequested?: string;
  mode?: BuildMode;
  clientToken?: string;
  imageArn?: string;
  imageVersion?: string;
  amiId?: string;
  amiName?: string;
  buildSeconds?: number;
  timeline: StateChange[];
  stats?: WaitStats;
  outcome?: 'success' | 'failure' | 'cancelled';
  failure?: string;
  /** What the run was doing (for a timeout or cancel: where it stopped). */
  phase?: string;
  /** What the operator should do next, fitted to the state the run left. */
  nextSteps: string[];
  failureDetails?: FailureDetails;
  /** AMIs that were not used and why (newest first). */
  rejections: string[];
  /** Things the operator should know (disabled pipeline, …). */
  notes: string[];
}

export interface BuildNatAmiResult {
  amiId: string;
  amiName: string;
  imageArn: string;
  imageVersion: string;
  buildSeconds: number;
  /** True when it attached to a build already running (or followed one its token had started) or only looked one up. */
  reused: boolean;
}

/** An empty report for a run in `region` started at `now` (epoch ms). */
export function newReport(region: string, now: number): BuildReport {
  return { region, startedAt: now, timeline: [], rejections: [], notes: [], nextSteps: [] };
}
