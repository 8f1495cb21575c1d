/**
 * Preflight: everything the cutover can check before the first apply, so it never starts an apply it cannot
 * finish. The reviewed plan's digest (plan-guard's plan-sha), whether there is anything to apply, how many
 * applies the plan needs against `max-applies`, and — when the run may need EC2 after the apply (the race) or
 * before it (the NAT AMI check) — the region and credentials that work for EC2 (one cheap read call, bounded),
 * then the AMI. A refusal here leaves nothing applied, and its advice says so.
 */
import { DescribeAddressesCommand, DescribeNatGatewaysCommand } from '@aws-sdk/client-ec2';
import {
  explainRejections,
  formatTags,
  searchAmis,
  type AmiCriteria,
  type AmiSearch,
  type UsableAmi,
} from '../ami/index';
import { awsErrorCode } from '../aws/index';
import { InputError } from '../inputs/index';
import { shownAmi } from '../nat/index';
import { describeError } from '../runtime/index';
import { NOTHING_APPLIED, RERUN_WHEN_READY } from './advice';
import { within } from './bounded';
import { reviewedNat, type ReviewedNat } from './reviewed-nat';
import type { CutoverRun, ReadPlan } from './run';
import { egressRoles } from './timeline';
import { egressRolesByAz } from './gaps';

export interface Reviewed {
  plan: ReadPlan;
  /** The applies the plan needs: 2 when it can hit the Elastic IP race. */
  expectedApplies: number;
  /** Allocation ids that change hands inside the apply (held by a gateway being deleted, taken by something new). */
  contested: string[];
  planPath: string;
}

/** Bound of the preflight's EC2 calls (each; the SDK's own timeouts apply inside it). */
const PREFLIGHT_CALL_MS = 60_000;

function bootstrapSteps(criteria: AmiCriteria): string[] {
  const tags = criteria.requiredTags.length > 0 ? ` carrying ${formatTags(criteria.requiredTags)}` : '';
  return [
    'Apply in gateway mode first (TF_VAR_USE_NAT_INSTANCE=false): NAT gateways give the Image Builder build the ' +
      'egress it needs.',
    'Build the NAT AMI (the build-nat-ami action or the "Build NAT AMI" workflow) and wait until an AMI named ' +
      `${criteria.namePattern}${tags} is available (the tag is added only after the image's tests pass).`,
    'Then flip to instances (TF_VAR_USE_NAT_INSTANCE=true), plan, review, and apply with cutover.',
  ];
}

/** Errors that mean the job has no working AWS credentials (SDK credential providers, STS, EC2 signing). */
const CREDENTIALS = new RegExp(
  [
    'CredentialsProviderError',
    'Could not load credentials',
    'ExpiredToken',
    'InvalidClientTokenId',
    'AuthFailure',
    'SignatureDoesNotMatch',
  ].join('|'),
  'i',
);

/** What to do after an EC2 call failed before anything was applied. */
function ec2Advice(err: unknown, actions: string): string[] {
  const code = awsErrorCode(err);
  if (err instanceof InputError)
    return [
      NOTHING_APPLIED,
      'Set the region input, or AWS_REGION (aws-actions/configure-aws-credentials sets it), then re-run the job.',
    ];
  if (CREDENTIALS.test(`${code} ${(err as Error)?.message ?? ''}`)) {
    return [
      NOTHING_APPLIED,
      'Configure AWS credentials that work for EC2 in this job (aws-actions/configure-aws-credentials with the ' +
        'apply role), then re-run the job.',
    ];
  }
  if (/UnauthorizedOperation|AccessDenied/.test(code))
    return [NOTHING_APPLIED, `Grant ${actions} to the apply role (docs/iam/cutover.json), then re-run the job.`];
  return [
    NOTHING_APPLIED,
    'EC2 did not answer in time or failed: re-run the job when EC2 answers (the AWS Health Dashboard shows ' +
      'regional EC2 API problems).',
  ];
}

/** What the checks share: the run, when the preflight started, the reviewed plan and what it needs. */
interface Preflight {
  run: CutoverRun;
  started: number;
  plan: ReadPlan;
  /** What the plan does to the NAT (reviewed-nat.ts, from the nat/ model). */
  nat: ReviewedNat;
  applies: number;
  contested: string[];
  /** The plan creates NAT instances and nat-ami-check is auto. */
  needsAmi: boolean;
}

/** One check: true to go on, false when it ended the run (run.result says how). */
type Check = (p: Preflight) => boolean | Promise<boolean>;

/** Ends the run before anything was applied, with the check's step. */
function refuse(p: Preflight, outcome: string, detail: string, message: string, steps: string[]): false {
  p.run.step('check', p.started, outcome, { detail });
  p.run.fail(message, steps);
  return false;
}

function cancelledBefore(p: Preflight): false {
  p.run.step('check', p.started, 'cancelled');
  p.run.fail('cancelled before anything was applied', [RERUN_WHEN_READY], { cancelled: true });
  return false;
}

/** Reads the reviewed plan and records what it is (digest, mode switch, egress roles, applies it needs). */
async function readReviewed(run: CutoverRun, planPath: string, started: number): Promise<Preflight> {
  const { options } = run;
  const plan = await run.readPlan(planPath, `planfile: ${options.planfile}`, true);
  const nat = reviewedNat(plan.natChanges);
  const roles = egressRoles(plan.natChanges);
  run.roles = roles;
  run.azRoles = egressRolesByAz(plan.natChanges);
  run.touchesNat = roles.breaking.size > 0 || nat.modeSwitch !== 'none';
  const r = run.result;
  r.planSha = plan.sha;
  r.modeSwitch = nat.modeSwitch;
  r.warnings.push(...plan.warnings);
  for (const w of plan.warnings) run.warn(`plan: ${w}`);
  const { expectedApplies: applies, contested } = nat;
  r.expectedApplies = applies;
  const needsAmi = options.amiCheck === 'auto' && nat.launched.length > 0;
  return { run, started, plan, nat, applies, contested, needsAmi };
}

/** The digest is the reviewed one (plan-guard's plan-sha), when expected-plan-sha is given. */
function checkDigest(p: Preflight): boolean {
  const { run, plan } = p;
  run.info(`Plan digest (plan-sha): ${plan.sha}`);
  const expected = run.options.expectedPlanSha?.trim().toLowerCase() ?? '';
  if (expected !== '' && expected !== plan.sha) {
    return refuse(
      p,
      'refused',
      `digest ${plan.sha} ≠ expected ${expected}`,
      `the plan's digest ${plan.sha} differs from expected-plan-sha ${expected}: refusing to apply a plan that is ` +
        'not the one reviewed',
      [
        'Nothing was applied. Apply only the saved plan plan-guard reviewed: pass the same plan artifact, or plan ' +
          'and review again.',
      ],
    );
  }
  if (expected === '')
    run.warn(
      "expected-plan-sha is empty: not checking that this is the reviewed plan (pass plan-guard's plan-sha output)",
    );
  return true;
}

/** A plan without changes ends the run: unchanged. */
function checkChanges(p: Preflight): boolean {
  const { run, plan } = p;
  if (plan.refs.length > 0 || plan.applyable === true) return true;
  run.step('check', p.started, 'unchanged', { detail: 'the plan has no changes' });
  run.info('The plan has no changes: nothing to apply.');
  run.succeed('unchanged');
  return false;
}

/** The applies the plan needs fit max-applies; says what happens when the plan can hit the race. */
function checkApplies(p: Preflight): boolean {
  const { run, applies, contested, nat } = p;
  const { options } = run;
  if (applies > options.maxApplies) {
    return refuse(
      p,
      'refused',
      `needs ${applies} applies > max-applies ${options.maxApplies}`,
      `the plan needs ${applies} applies (Elastic IP(s) ${contested.join(', ') || 'of the NAT'} change hands ` +
        'while their NAT gateways are deleted: the first apply fails on them and a second finishes) but ' +
        `max-applies is ${options.maxApplies}: refusing to apply`,
      [`Nothing was applied. Set max-applies to ${applies} or more (default 3) and re-run the job.`],
    );
  }
  if (applies >= 2) {
    const restore =
      options.restore === 'reapply'
        ? 're-applies'
        : 'associates them itself (restore: associate), falling back to a re-apply';
    run.info(
      (
        `The plan moves Elastic IP(s) ${contested.join(', ') || ''} from NAT gateways being deleted to new NAT ` +
        'resources in one apply: the first apply may fail on them (the Elastic IP race); cutover confirms that ' +
        `with EC2, waits for the release and ${restore}.`
      ).replace('IP(s)  from', 'IP(s) from'),
    );
  } else if (nat.modeSwitch === 'instance-to-gateway') {
    run.info(
      'Instance → gateway switch: one apply, unless a NAT gateway creation meets its Elastic IP still on the ' +
        'association terraform is deleting in parallel (Resource.AlreadyAssociated): cutover then confirms that with ' +
        'EC2, waits for the release and applies again.',
    );
  }
  return true;
}

/** One cheap, bounded EC2 read with the run's credentials: the contested addresses, else any NAT gateway. */
async function probeEc2(p: Preflight): Promise<void> {
  const { run, contested } = p;
  const { clock } = run;
  const callStart = clock.now();
  const bound = {
    clock,
    deadline: callStart + Math.min(PREFLIGHT_CALL_MS, run.options.releaseTimeoutMs),
    ...(run.deps.signal ? { signal: run.deps.signal } : {}),
  };
  const ec2 = run.deps.ec2();
  if (contested.length > 0) {
    const out = await within(
      (abortSignal) => ec2.send(new DescribeAddressesCommand({ AllocationIds: contested }), { abortSignal }),
      { ...bound, what: 'EC2 DescribeAddresses (preflight)' },
    );
    const missing = contested.filter((a) => !(out.Addresses ?? []).some((x) => x.AllocationId === a));
    if (missing.length > 0)
      throw Object.assign(new Error(`Elastic IP ${missing.join(', ')} does not exist`), {
        name: 'InvalidAllocationID.NotFound',
      });
  } else {
    await within((abortSignal) => ec2.send(new DescribeNatGatewaysCommand({ MaxResults: 5 }), { abortSignal }), {
      ...bound,
      what: 'EC2 DescribeNatGateways (preflight)',
    });
  }
  const what = contested.length > 0 ? `DescribeAddresses ${contested.join(', ')}` : 'DescribeNatGateways';
  run.info(`EC2 answers with these credentials (${what}).`);
}

/** Region and credentials that work for EC2, when EC2 may be needed before or after the first apply. */
async function checkEc2(p: Preflight): Promise<boolean> {
  const { run, applies, contested, needsAmi } = p;
  if (applies < 2 && !needsAmi) return true;
  try {
    await probeEc2(p);
    return true;
  } catch (err) {
    if (run.cancelled) return cancelledBefore(p);
    if (awsErrorCode(err) === 'InvalidAllocationID.NotFound') {
      return refuse(
        p,
        'refused',
        'Elastic IP missing',
        `the plan moves ${contested.join(', ')} but EC2 does not know ${describeError(err)}: refusing to apply`,
        [NOTHING_APPLIED, 'Plan again (the plan is stale), review, and apply.'],
      );
    }
    const what =
      err instanceof InputError ? err.message : `EC2 is not usable with these credentials: ${describeError(err)}`;
    const why =
      needsAmi && applies < 2
        ? 'for the NAT AMI check'
        : 'after the first apply (to confirm the race and restore egress)';
    return refuse(
      p,
      'refused',
      'EC2 not usable',
      `${what}; the cutover needs EC2 ${why}: refusing to apply`,
      ec2Advice(err, 'ec2:DescribeAddresses, ec2:DescribeNatGateways, ec2:AssociateAddress and ec2:DescribeImages'),
    );
  }
}

/** No usable AMI matches: refuse, with the bootstrap through a gateway. */
function noUsableAmi(p: Preflight, search: AmiSearch): false {
  const { ami } = p.run.options;
  const why =
    search.candidates.length === 0
      ? 'no AMI owned by this account matches the name'
      : explainRejections(search, 3).join('; ');
  return refuse(
    p,
    'refused',
    'no usable NAT AMI',
    `the plan creates NAT instances (${p.nat.launched.map((i) => i.address).join(', ')}) but no AMI named ` +
      `${ami.namePattern} with ${formatTags(ami.requiredTags) || 'the required tags'} exists (${why}): refusing ` +
      'to apply',
    [
      'Nothing was applied. Bootstrap instance mode through a gateway:',
      ...bootstrapSteps(ami).map((s, i) => `${i + 1}. ${s}`),
    ],
  );
}

/** A NAT instance the plan launches from an AMI that exists but is not usable (untagged, say): refuse. */
function unusablePlannedAmi(p: Preflight, search: AmiSearch, usable: UsableAmi): boolean {
  for (const { address, rc, ami } of p.nat.launched) {
    const candidate = ami ? search.candidates.find((c) => c.imageId === ami) : undefined;
    if (candidate && candidate.problems.length > 0) {
      // Plan values reach text only through shownValue (nat/ shownAmi: sensitivity markers honoured).
      return refuse(
        p,
        'refused',
        `plan launches unusable AMI ${shownAmi(rc, 'after')}`,
        `${address} would launch ${candidate.name} (${candidate.imageId}), which ` +
          `${candidate.problems.join(' and ')}: refusing to apply`,
        [
          'Nothing was applied. Plan again so the instances pick the newest usable AMI ' +
            `(${usable.name}, ${usable.imageId}), or fix the image's tags; then review and apply.`,
        ],
      );
    }
  }
  return true;
}

/** The AMI the new NAT instances need exists, carries the required tags, and is the one the plan launches. */
async function checkAmi(p: Preflight): Promise<boolean> {
  const { run } = p;
  if (!p.needsAmi) return true;
  const { options, clock } = run;
  try {
    const ec2 = run.deps.ec2();
    const search = await within(() => searchAmis(ec2, options.ami), {
      clock,
      deadline: clock.now() + PREFLIGHT_CALL_MS,
      ...(run.deps.signal ? { signal: run.deps.signal } : {}),
      what: 'the NAT AMI check (EC2 DescribeImages)',
    });
    if (!search.usable) return noUsableAmi(p, search);
    run.result.ami = `${search.usable.imageId} (${search.usable.name})`;
    run.info(
      `NAT AMI: ${search.usable.name} (${search.usable.imageId}) carries ` +
        `${formatTags(options.ami.requiredTags) || 'no required tags'}`,
    );
    return unusablePlannedAmi(p, search, search.usable);
  } catch (err) {
    if (run.cancelled) return cancelledBefore(p);
    return refuse(
      p,
      'failed',
      'AMI check',
      `the NAT AMI check failed: ${describeError(err)}: refusing to apply`,
      ec2Advice(err, 'ec2:DescribeImages'),
    );
  }
}

/** The checks, in order; the first that ends the run ends the preflight. */
const CHECKS: ReadonlyArray<readonly [name: string, check: Check]> = [
  ['digest', checkDigest],
  ['changes', checkChanges],
  ['applies', checkApplies],
  ['ec2', checkEc2],
  ['ami', checkAmi],
];

/** Runs the preflight; returns the reviewed plan, or undefined when the run ended (run.result says how). */
export async function preflight(run: CutoverRun, planPath: string): Promise<Reviewed | undefined> {
  const started = run.clock.now();
  const p = await readReviewed(run, planPath, started);
  for (const [, check] of CHECKS) if (!(await check(p))) return undefined;
  const { plan, applies, contested } = p;
  run.step('check', started, 'ok', {
    detail: `plan-sha ${plan.sha.slice(0, 12)}…, ${plan.refs.length} change(s), ${applies} apply(s) expected`,
  });
  return { plan, expectedApplies: applies, contested, planPath };
}
