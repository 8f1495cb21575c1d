/**
 * No workflow-command injection through the cutover: infra.yml's apply job run by the workflow harness with
 * actions/cutover's fake terraform (real terraform cannot be made to print this), whose apply fails with a provider
 * diagnostic and raw output lines carrying runner commands — `::add-mask::` of an egress IP, `::error` with a
 * forged title, a legacy `##[warning]` inside a line, `::set-output` of the cutover's own output, `::set-env`
 * (which would fail the step), `::stop-commands::` (which would silence the job's annotations), a command after a
 * bare CR, `%0A::` (an encoded line break before a command). The runner (the harness's port of its parser) must take none of them: no forged annotation, mask or
 * output, and the cutover's own error annotation and outputs as they should be.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { NODE24, REPO_ROOT } from '../../packages/shared/test/support/action-runner';
import { change, planJson } from '../../packages/shared/test/support/plans';
import { combineDigests, loadPlanFile } from '../../packages/shared/src/plan/index';
import { sealPlan } from '../../packages/shared/src/seal/index';
import { diagnostic, version } from '../../actions/cutover/test/support/streams';
import type { RunRecord } from './harness/record';
import { runWorkflow } from './harness/runner';

const HOSTILE = [
  '::add-mask::203.0.113.10',
  '  ::error title=forged::forged annotation',
  'foo ##[warning]forged legacy warning',
  '::set-output name=result::applied',
  '::set-env name=NODE_OPTIONS::--require=/tmp/evil.js',
  '::stop-commands::pause-logging',
  'progress 50%\r::error title=forged::after a bare CR',
  '::notice::forged notice%0A::add-mask::203.0.113.10',
  'text%0A::error title=forged::forged after an encoded line break',
];

let root = '';
let record: RunRecord;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'wf-injection-'));
  const fake = join(REPO_ROOT, 'actions', 'cutover', 'test', 'fake-terraform', 'terraform');
  const wrapper = join(root, 'terraform');
  // What the fake does not do itself: `version -json` (setup-terraform) and `init` (the workflow's init step).
  writeFileSync(
    wrapper,
    [
      '#!/usr/bin/env bash',
      'if [ "$1" = version ]; then echo \'{"terraform_version":"1.9.8"}\'; exit 0; fi',
      'if [ "$1" = init ]; then echo "Terraform has been successfully initialized!"; exit 0; fi',
      `exec ${JSON.stringify(fake)} "$@"`,
      '',
    ].join('\n'),
  );
  chmodSync(wrapper, 0o755);
  const fakeDir = join(root, 'fake');
  mkdirSync(fakeDir);
  const plan = planJson([change('aws_ssm_parameter.app', ['create'], null, { name: '/app/x', type: 'String' })]);
  const apply = {
    lines: [
      version(0),
      ...HOSTILE,
      diagnostic(`creating SSM Parameter: ${HOSTILE[0]}`, 1, 'aws_ssm_parameter.app', 'error', HOSTILE.join('\n')),
    ],
    stderr: HOSTILE,
    exit: 1,
  };
  writeFileSync(join(fakeDir, 'scenario.json'), JSON.stringify({ plans: { reviewed: plan }, apply: [apply] }));
  writeFileSync(join(root, 'plan.json'), JSON.stringify(plan));
  const planSha = combineDigests((await loadPlanFile(join(root, 'plan.json'))).documents.map((d) => d.digest));

  const identity = await generateX25519Identity();
  const runDir = join(root, 'run');
  const store = join(runDir, 'artifacts', 'nat-egress-plan-prod-1');
  mkdirSync(store, { recursive: true });
  const binding = { repository: 'example/infra', run_id: '6001', run_attempt: '1', environment: 'prod' };
  const sealed = await sealPlan(Buffer.from('FAKEPLAN:reviewed\n'), [await identityToRecipient(identity)], {
    ...binding,
    plan_sha: planSha,
  });
  writeFileSync(join(store, 'tfplan.age'), sealed.bundle);
  const repo = join(root, 'repo');
  mkdirSync(join(repo, 'infra'), { recursive: true });
  record = await runWorkflow({
    workflow: join(REPO_ROOT, '.github', 'workflows', 'infra.yml'),
    runDir,
    jobs: ['apply'],
    needs: {
      plan: {
        result: 'success',
        outputs: { 'has-changes': 'true', artifact: 'nat-egress-plan-prod-1', 'plan-sha': planSha },
      },
    },
    event: { name: 'push', payload: {} },
    inputs: {
      environment: 'prod',
      'working-directory': 'infra',
      'aws-region': 'eu-west-1',
      'role-to-assume': 'arn:aws:iam::123456789012:role/apply',
      apply: true,
    },
    environments: { prod: { secrets: { NAT_EGRESS_SEAL_IDENTITY: identity } } },
    github: { run_id: '6001' },
    node: { node24: NODE24, node20: NODE24 },
    baseEnv: {
      PATH: process.env.PATH ?? '',
      HOME: root,
      FAKE_TF_DIR: fakeDir,
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    options: { checkout: repo, terraform: wrapper, aws: { endpoint: 'http://127.0.0.1:9' } },
  });
}, 180_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

test('the apply fails as the provider said, and the job log shows the hostile lines as text', () => {
  expect(record.jobs.apply?.result).toBe('failure');
  const cutover = record.stepOutputs.find((s) => s.step === 'cutover')?.outputs;
  expect(cutover).toMatchObject({ result: 'failed', applies: '1' });
  const printed = record.log.filter((l) => l.step === 'cutover' && l.stream !== 'runner').map((l) => l.text);
  expect(printed.join('\n').replaceAll('\u200b', '')).toContain('::add-mask::203.0.113.10');
  expect(printed.join('\n').replaceAll('\u200b', '')).toContain('##[warning]forged legacy warning');
});

test('no forged annotation, mask, output or env; no command failed the step; the cutover annotated once', () => {
  const annotations = record.annotations.filter((a) => a.step === 'cutover');
  expect(
    annotations.filter((a) => a.properties.title === 'forged' || /^forged|^after a bare CR/.test(a.message)),
  ).toEqual([]);
  expect(annotations.filter((a) => /Unable to process command|disabled/.test(a.message))).toEqual([]);
  expect(record.masks.map((m) => m.value).filter((v) => v.includes('203.0.113.10'))).toEqual([]);
  expect(record.log.some((l) => l.text.includes('203.0.113.10'))).toBe(true); // not masked: no add-mask was taken
  const errors = annotations.filter((a) => a.level === 'error');
  expect(errors[0]).toMatchObject({ properties: { title: 'terraform' } });
  expect(errors[0]?.message).toMatch(/^aws_ssm_parameter\.app: creating SSM Parameter: /);
  // The runner's commands were never paused (a `::stop-commands::` taken would have swallowed these): the action's
  // own failure line (core.setFailed, written last) is still an annotation, then the runner's exit line.
  expect(errors.map((e) => e.message).slice(-1)).toEqual(['Process completed with exit code 1.']);
  expect(errors.length).toBeGreaterThanOrEqual(3);
  expect(errors.at(-2)?.message).not.toMatch(/forged/);
});
