/**
 * What the operators rely on in the workflows (issue 6): one concurrency group per environment with a fixed
 * prefix, the apply applies the exact reviewed plan, Terraform without its stdout wrapper, least privilege per
 * job, the fork relay never checks out code, the examples pin the toolkit consistently.
 */
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot, workflowFiles } from './lib/paths';
import { jobsOf, parseWorkflow, stepsOf, type ParsedWorkflow } from './lib/workflow-checks';

type Obj = Record<string, unknown>;

function load(path: string): ParsedWorkflow {
  return parseWorkflow(path, readFileSync(join(repoRoot, path), 'utf8'));
}
const all = workflowFiles().map((f) => load(relative(repoRoot, f)));
const infra = load('.github/workflows/infra.yml');
const ami = load('.github/workflows/nat_ami_build.yml');
const watch = load('.github/workflows/egress_watch.yml');
const relay = load('.github/workflows/plan_guard_comment.yml');
const ci = load('.github/workflows/ci.yml');

const job = (wf: ParsedWorkflow, name: string): Obj => {
  const found = jobsOf(wf.doc).find(([n]) => n === name);
  if (!found) throw new Error(`${wf.file}: no job ${name}`);
  return found[1];
};
const steps = (wf: ParsedWorkflow, name: string): Obj[] =>
  stepsOf(wf.doc)
    .filter((s) => s.job === name)
    .map((s) => s.step);
const stepUsing = (wf: ParsedWorkflow, name: string, action: string): Obj => {
  const s = steps(wf, name).find((st) => typeof st.uses === 'string' && st.uses.includes(action));
  if (!s) throw new Error(`${wf.file}: job ${name} does not use ${action}`);
  return s;
};
const triggers = (wf: ParsedWorkflow): Obj => wf.doc.on as Obj;

describe('concurrency: one group per environment, fixed prefix, never cancelling a run in progress', () => {
  test.each([
    [infra, 'nat-egress-infra-'],
    [ami, 'nat-egress-ami-'],
    [watch, 'nat-egress-watch-'],
  ])('%#: %s', (wf, prefix) => {
    const c = wf.doc.concurrency as Obj;
    // A called workflow sees the caller's github.workflow: the group must not be built from it.
    expect(c.group).toBe(`${prefix}\${{ inputs.environment }}`);
    expect(c['cancel-in-progress']).toBe(false);
  });
});

describe('infra.yml', () => {
  test('is reusable and dispatchable, with the inputs the issue names', () => {
    const call = triggers(infra).workflow_call as Obj;
    const inputs = Object.keys(call.inputs as Obj);
    for (const name of [
      'environment',
      'working-directory',
      'terraform-version',
      'aws-region',
      'role-to-assume',
      'var-files',
      'vpc-id',
      'expected-ips',
    ]) {
      expect(inputs).toContain(name);
    }
    expect(triggers(infra)).toHaveProperty('workflow_dispatch');
    // GitHub caps workflow_dispatch at 10 inputs for older runners/APIs: stay within it.
    expect(Object.keys((triggers(infra).workflow_dispatch as Obj).inputs as Obj).length).toBeLessThanOrEqual(10);
  });

  test("strategy and health-timeout reach plan-guard and cutover; cutover's strategy and egress-gaps come out", () => {
    const inputs = (triggers(infra).workflow_call as Obj).inputs as Record<string, Obj>;
    expect(inputs.strategy).toMatchObject({ type: 'string', default: 'auto' });
    expect(inputs['health-timeout']).toMatchObject({ type: 'string', default: '' });
    const guard = stepUsing(infra, 'plan', '$/actions/plan-guard');
    expect((guard.with as Obj).strategy).toBe("${{ inputs.strategy || 'auto' }}");
    const cutover = stepUsing(infra, 'apply', '/actions/cutover');
    expect(cutover.with as Obj).toMatchObject({
      strategy: "${{ inputs.strategy || 'auto' }}",
      'health-timeout': '${{ inputs.health-timeout }}',
    });
    expect(cutover.id).toBe('cutover');
    const jobOutputs = job(infra, 'apply').outputs as Obj;
    expect(jobOutputs.strategy).toBe('${{ steps.cutover.outputs.strategy }}');
    expect(jobOutputs['egress-gaps']).toBe('${{ steps.cutover.outputs.egress-gaps }}');
    const outputs = (triggers(infra).workflow_call as Obj).outputs as Record<string, Obj>;
    expect(outputs.strategy?.value).toBe('${{ jobs.apply.outputs.strategy }}');
    expect(outputs['egress-gaps']?.value).toBe('${{ jobs.apply.outputs.egress-gaps }}');
  });

  test('terraform is installed without the stdout wrapper in every job', () => {
    for (const name of ['plan', 'apply']) {
      const s = stepUsing(infra, name, 'hashicorp/setup-terraform@');
      expect((s.with as Obj).terraform_wrapper).toBe(false);
    }
  });

  test('plan: plan -out, plan-guard on the plan file sealing it, only the sealed plan uploaded (issue 20)', () => {
    const runs = steps(infra, 'plan')
      .map((s) => String(s.run ?? ''))
      .join('\n');
    expect(runs).toMatch(/terraform plan [^\n]*-out=tfplan/);
    expect(runs).not.toMatch(/terraform show -json/); // no tfplan.json on disk, let alone in an artifact
    const guard = stepUsing(infra, 'plan', '$/actions/plan-guard');
    expect((guard.with as Obj).planfile).toBe('tfplan');
    expect((guard.with as Obj).comment).toBe('auto');
    // sealed only when it is to be applied, never for a fork's pull request
    expect(String((guard.with as Obj)['seal-recipients'])).toMatch(
      /^\$\{\{ inputs\.apply && steps\.plan\.outputs\.has-changes == 'true' && !\(github\.event_name == 'pull_request' && github\.event\.pull_request\.head\.repo\.full_name != github\.repository\)/,
    );
    const uploads = steps(infra, 'plan').filter((s) => String(s.uses ?? '').startsWith('actions/upload-artifact@'));
    const plan = uploads.find((u) => String((u.with as Obj).name).startsWith('nat-egress-plan-'))!;
    expect((plan.with as Obj).path).toBe('${{ steps.guard.outputs.sealed-planfile }}');
    expect(plan.if).toBe("steps.guard.outputs.sealed-planfile != ''");
    const outputs = job(infra, 'plan').outputs as Obj;
    expect(outputs['plan-sha']).toBe('${{ steps.guard.outputs.plan-sha }}');
    expect(outputs['planfile-sha256']).toBe('${{ steps.guard.outputs.planfile-sha256 }}');
  });

  test('apply: environment-gated, downloads the sealed plan, cutover opens it (identity from the environment) with expected-plan-sha, verify-egress with wait', () => {
    const apply = job(infra, 'apply');
    expect(apply.environment).toBe('${{ inputs.environment }}');
    expect(apply.needs).toBe('plan');
    const names = steps(infra, 'apply').map((s) => String(s.uses ?? s.name));
    const idx = (needle: string): number => names.findIndex((n) => n.includes(needle));
    expect(idx('actions/download-artifact@')).toBeGreaterThan(-1);
    expect(idx('/actions/cutover')).toBeGreaterThan(idx('actions/download-artifact@'));
    expect(idx('/actions/verify-egress')).toBeGreaterThan(idx('/actions/cutover'));
    const download = stepUsing(infra, 'apply', 'actions/download-artifact@');
    expect((download.with as Obj).name).toBe('${{ needs.plan.outputs.artifact }}');
    const cutover = stepUsing(infra, 'apply', '/actions/cutover');
    expect(cutover.with as Obj).toMatchObject({
      'expected-plan-sha': '${{ needs.plan.outputs.plan-sha }}',
      planfile: 'tfplan',
      'sealed-planfile': '${{ runner.temp }}/nat-egress-plan/tfplan.age',
      'seal-identity': '${{ secrets.NAT_EGRESS_SEAL_IDENTITY }}',
      environment: '${{ inputs.environment }}',
    });
    const verify = stepUsing(infra, 'apply', '/actions/verify-egress');
    expect((verify.with as Obj).wait).toMatch(/inputs\.verify-wait/);
    // no re-plan: the apply job never runs terraform plan or apply itself
    const runs = steps(infra, 'apply')
      .map((s) => String(s.run ?? ''))
      .join('\n');
    expect(runs).not.toMatch(/terraform (plan|apply)/);
    // the plan job never sees the identity
    expect(JSON.stringify(job(infra, 'plan'))).not.toContain('secrets.NAT_EGRESS_SEAL_IDENTITY');
  });

  test('fork PRs: plan-guard report kept as an artifact even when plan-guard fails the step', () => {
    const keep = steps(infra, 'plan').find((s) => s.id === 'relay')!;
    expect(String(keep.if)).toMatch(/^always\(\) && github\.event_name == 'pull_request'/);
    const uploads = steps(infra, 'plan').filter((s) => String(s.uses ?? '').startsWith('actions/upload-artifact@'));
    expect(uploads.map((u) => (u.with as Obj).name)).toContain(
      'plan-guard-report-${{ inputs.environment }}-${{ github.run_attempt }}',
    );
  });
});

describe('least privilege', () => {
  test('workflow-level permissions are empty everywhere', () => {
    for (const wf of all) expect([wf.file, wf.doc.permissions]).toEqual([wf.file, {}]);
  });

  test('id-token: write only in jobs that assume an AWS role', () => {
    for (const wf of all.filter((w) => w.file.startsWith('.github/'))) {
      for (const [name, def] of jobsOf(wf.doc)) {
        const perms = (def.permissions ?? {}) as Obj;
        const assumes = steps(wf, name).some((s) =>
          String(s.uses ?? '').startsWith('aws-actions/configure-aws-credentials@'),
        );
        expect([wf.file, name, perms['id-token'] === 'write']).toEqual([wf.file, name, assumes]);
      }
    }
  });

  test('no job asks for write access it does not use', () => {
    const writes = (wf: ParsedWorkflow, name: string): string[] =>
      Object.entries((job(wf, name).permissions ?? {}) as Obj)
        .filter(([, v]) => v === 'write')
        .map(([k]) => k)
        .sort();
    expect(writes(infra, 'plan')).toEqual(['id-token', 'pull-requests']);
    expect(writes(infra, 'apply')).toEqual(['id-token']);
    expect(writes(ami, 'build')).toEqual(['id-token']);
    expect(writes(watch, 'verify')).toEqual(['id-token']);
    expect(writes(watch, 'issue')).toEqual(['issues']);
    expect(writes(relay, 'relay')).toEqual(['pull-requests']);
    for (const [name] of jobsOf(ci.doc)) expect(writes(ci, name)).toEqual([]);
  });
});

describe('fork PR comment relay', () => {
  test('never checks out code and reads the triggering run only as data', () => {
    const uses = stepsOf(relay.doc).map((s) => String(s.step.uses ?? ''));
    expect(uses.some((u) => u.startsWith('actions/checkout@'))).toBe(false);
    expect(stepsOf(relay.doc).some((s) => s.step.run !== undefined)).toBe(false);
    const download = stepUsing(relay, 'relay', 'actions/download-artifact@');
    expect((download.with as Obj)['run-id']).toBe('${{ github.event.workflow_run.id }}');
  });

  test('the example caller is a workflow_run workflow on the infra workflow', () => {
    const example = load('docs/examples/plan-guard-comment.yml');
    expect(triggers(example).workflow_run).toEqual({ workflows: ['infra'], types: ['completed'] });
    expect(load('docs/examples/infra.yml').doc.name).toBe('infra');
  });
});

describe('nat_ami_build.yml', () => {
  test('dispatch with an environment choice and reusable; verify-egress first (optional), then build-nat-ami, then a summary', () => {
    expect(((triggers(ami).workflow_dispatch as Obj).inputs as Obj).environment).toMatchObject({ type: 'environment' });
    expect(triggers(ami)).toHaveProperty('workflow_call');
    const names = steps(ami, 'build').map((s) => String(s.uses ?? s.name));
    const verify = names.findIndex((n) => n.endsWith('/actions/verify-egress'));
    const build = names.findIndex((n) => n.endsWith('/actions/build-nat-ami'));
    expect(verify).toBeGreaterThan(-1);
    expect(build).toBeGreaterThan(verify);
    expect(steps(ami, 'build')[verify]!.if).toBe('inputs.verify-egress-first');
    expect(String(steps(ami, 'build').at(-1)!.run)).toMatch(/GITHUB_STEP_SUMMARY/);
  });
});

describe('example callers', () => {
  const examples = all.filter((w) => w.file.startsWith('docs/examples/'));

  test('pin the toolkit release by full commit SHA with its version tag in the comment (`@<sha> # v1.2.3`)', () => {
    let checked = 0;
    for (const wf of examples) {
      for (const [name, def] of jobsOf(wf.doc)) {
        if (typeof def.uses !== 'string' || !def.uses.includes('/nat-egress-toolkit/')) continue;
        const line = wf.text.split('\n').find((l) => l.includes(def.uses as string))!;
        expect([wf.file, name, /@[0-9a-f]{40} # v1\.\d+\.\d+$/.test(line)]).toEqual([wf.file, name, true]);
        // The reusable workflows load the actions from their own commit ($/): nothing else to keep in step.
        expect([wf.file, name, 'toolkit-ref' in ((def.with ?? {}) as Obj)]).toEqual([wf.file, name, false]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(6);
  });

  test('the reusable workflows use the toolkit actions through $/ (the exact commit the caller pinned)', () => {
    for (const wf of [infra, ami, watch]) {
      const local = stepsOf(wf.doc)
        .map((s) => String(s.step.uses ?? ''))
        .filter((u) => u.includes('actions/') && !u.includes('@'));
      expect(local.length).toBeGreaterThan(0);
      for (const u of local) expect([wf.file, u]).toEqual([wf.file, expect.stringMatching(/^\$\/actions\/[a-z-]+$/)]);
    }
  });

  test('call only workflows that exist here, with inputs they declare', () => {
    for (const wf of examples) {
      for (const [name, def] of jobsOf(wf.doc)) {
        if (typeof def.uses !== 'string') continue;
        const path = /^[^/]+\/[^/]+\/(\.github\/workflows\/[^@]+)@/.exec(def.uses)?.[1];
        expect([wf.file, name, path]).toEqual([wf.file, name, expect.any(String)]);
        const called = load(path!);
        const declared = Object.keys(((triggers(called).workflow_call as Obj).inputs ?? {}) as Obj);
        for (const key of Object.keys((def.with ?? {}) as Obj))
          expect([wf.file, name, key, declared.includes(key)]).toEqual([wf.file, name, key, true]);
        for (const [key, spec] of Object.entries(
          ((triggers(called).workflow_call as Obj).inputs ?? {}) as Record<string, Obj>,
        )) {
          if (spec.required === true)
            expect([wf.file, name, key, key in ((def.with ?? {}) as Obj)]).toEqual([wf.file, name, key, true]);
        }
        // The caller must grant at least what the called jobs ask for.
        const granted = (def.permissions ?? {}) as Obj;
        for (const [, calledJob] of jobsOf(called.doc)) {
          for (const [perm, level] of Object.entries((calledJob.permissions ?? {}) as Obj)) {
            if (level === 'write') expect([wf.file, name, perm, granted[perm]]).toEqual([wf.file, name, perm, 'write']);
            if (level === 'read')
              expect([wf.file, name, perm, ['read', 'write'].includes(String(granted[perm]))]).toEqual([
                wf.file,
                name,
                perm,
                true,
              ]);
          }
        }
      }
    }
  });
});

describe('runtimes', () => {
  // GitHub removes the node20 runtime from its runners (deprecated 2025-09-19): every pinned action must be a
  // release that runs on node24. The first major of each on node24, from each action's action.yml.
  const NODE24_SINCE: Record<string, number> = {
    'actions/checkout': 5,
    'actions/setup-node': 5,
    'actions/github-script': 8,
    'actions/upload-artifact': 7,
    'actions/download-artifact': 7,
    'aws-actions/configure-aws-credentials': 6,
    'hashicorp/setup-terraform': 4,
  };

  test('every pinned third-party action is a node24 release', () => {
    const texts = [...all.map((w) => ({ file: w.file, text: w.text })), ...readmeTexts()];
    let checked = 0;
    for (const { file, text } of texts) {
      for (const m of text.matchAll(/uses: ([\w.-]+\/[\w.-]+)(?:\/[\w./-]+)?@([0-9a-f]{40}) # v(\d+)\./g)) {
        const [, action, , major] = m;
        if (action!.endsWith('/nat-egress-toolkit')) continue;
        expect([file, action, action! in NODE24_SINCE]).toEqual([file, action, true]);
        expect([file, action, Number(major) >= NODE24_SINCE[action!]!]).toEqual([file, action, true]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });
});

function readmeTexts(): { file: string; text: string }[] {
  return [
    'README.md',
    ...['plan-guard', 'cutover', 'build-nat-ami', 'verify-egress'].map((a) => `actions/${a}/README.md`),
  ].map((file) => ({
    file,
    text: readFileSync(join(repoRoot, file), 'utf8'),
  }));
}
