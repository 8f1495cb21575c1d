/** The workflow checks themselves: they must catch what they claim to catch, and only that. */
import { describe, expect, test } from '@jest/globals';
import {
  checkJobPermissions,
  checkLocalActions,
  checkPinConsistency,
  checkPins,
  checkUntrustedInput,
  parseWorkflow,
  untrustedRefs,
  usesRefs,
} from './lib/workflow-checks';
import { repoRoot } from './lib/paths';

const SHA = '08c6903cd8c0fde910a37f88322edcfb5dd907a8';

function wf(body: string): ReturnType<typeof parseWorkflow> {
  return parseWorkflow('t.yml', body);
}

function job(steps: string, extra = ''): string {
  return `on:\n  workflow_call:\n    inputs:\n      name: {type: string}\n      flag: {type: boolean}\n      count: {type: number}\n${extra}permissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    permissions: {}\n    steps:\n${steps}`;
}

describe('untrusted input in run:', () => {
  test.each([
    ['github.event.pull_request.title', 'echo "${{ github.event.pull_request.title }}"'],
    ['github.event.issue.body', 'echo ${{ github.event.issue.body }}'],
    ['github.head_ref', 'git checkout ${{ github.head_ref }}'],
    ['github.ref_name', 'echo ${{ github.ref_name }}'],
    ['inputs.name (string input)', 'echo ${{ inputs.name }}'],
    ['steps outputs', 'echo ${{ steps.guard.outputs.report-file }}'],
    ['needs outputs', 'echo ${{ needs.plan.outputs.plan-sha }}'],
    ['env', 'echo ${{ env.TITLE }}'],
    ['inside a function', "echo ${{ format('{0}', github.event.comment.body) }}"],
    ['bracket access', "echo ${{ github.event['pull_request']['title'] }}"],
    ['matrix', 'echo ${{ matrix.target }}'],
  ])('flags %s', (_what, run) => {
    const findings = checkUntrustedInput(wf(job(`      - run: ${JSON.stringify(run)}\n`)));
    expect(findings).toHaveLength(1);
    expect(findings[0]!.rule).toBe('untrusted-input');
    expect(findings[0]!.message).toMatch(/script injection/);
    expect(findings[0]!.line).toBe(13);
  });

  test.each([
    ['boolean input', 'echo ${{ inputs.flag }}'],
    ['number input', 'echo ${{ inputs.count }}'],
    ['run id and attempt', 'echo ${{ github.run_id }}-${{ github.run_attempt }}'],
    ['runner temp', 'cd ${{ runner.temp }}'],
    ['string literal mentioning a context', "echo ${{ 'github.event.x' }}"],
    ['no expression, env var', 'echo "$TITLE"'],
  ])('accepts %s', (_what, run) => {
    expect(checkUntrustedInput(wf(job(`      - run: ${JSON.stringify(run)}\n`)))).toEqual([]);
  });

  test('an input that is a string in one trigger and boolean in the other is untrusted', () => {
    const text =
      'on:\n  workflow_call:\n    inputs:\n      x: {type: boolean}\n  workflow_dispatch:\n    inputs:\n      x: {type: string}\n' +
      'permissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    permissions: {}\n    steps:\n      - run: echo ${{ inputs.x }}\n';
    expect(checkUntrustedInput(wf(text))).toHaveLength(1);
  });

  test('the same value passed through env: is accepted', () => {
    const steps = '      - run: echo "$TITLE"\n        env:\n          TITLE: ${{ github.event.pull_request.title }}\n';
    expect(checkUntrustedInput(wf(job(steps)))).toEqual([]);
  });

  test('github-script `script:` is source code too', () => {
    const steps =
      `      - uses: actions/github-script@${SHA} # v8.0.0\n        with:\n          script: |\n            core.info("\${{ github.event.issue.title }}")\n`;
    const findings = checkUntrustedInput(wf(job(steps)));
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toMatch(/github-script/);
  });

  test('untrustedRefs lists every untrusted reference of an expression', () => {
    expect(untrustedRefs(" github.event.pull_request.head.ref || github.sha && inputs.n == 'x' ")).toEqual([
      'github.event.pull_request.head.ref',
      'inputs.n',
    ]);
  });
});

describe('pinning', () => {
  const step = (uses: string): string => `      - uses: ${uses}\n`;

  test.each([
    ['a tag', 'actions/checkout@v5'],
    ['a branch', 'actions/checkout@main'],
    ['a short SHA', 'actions/checkout@08c6903 # v5.0.0'],
    ['no ref', 'actions/checkout'],
    ['an uppercase pseudo-SHA', `actions/checkout@${SHA.toUpperCase()} # v5.0.0`],
  ])('refuses %s', (_what, uses) => {
    const findings = checkPins(wf(job(step(uses))));
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toMatch(/not pinned by a full 40-hex commit SHA/);
  });

  test('refuses a full SHA without a version comment', () => {
    const findings = checkPins(wf(job(step(`actions/checkout@${SHA}`))));
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toMatch(/no version comment/);
  });

  test('refuses a comment that is not a version', () => {
    expect(checkPins(wf(job(step(`actions/checkout@${SHA} # latest`))))).toHaveLength(1);
  });

  test.each([
    ['a full SHA with a version comment', `actions/checkout@${SHA} # v5.0.0`],
    ['a quoted one', `"actions/checkout@${SHA}" # v5.0.0`],
    ['a sub-path action', `github/codeql-action/init@${SHA} # v3.29.0`],
    ['a local action', './actions/plan-guard'],
    ['a docker image', 'docker://alpine:3.20'],
  ])('accepts %s', (_what, uses) => {
    expect(checkPins(wf(job(step(uses))))).toEqual([]);
  });

  test('reusable workflows called by a job are checked too', () => {
    const text = 'on: push\npermissions: {}\njobs:\n  infra:\n    permissions: {}\n    uses: org/toolkit/.github/workflows/infra.yml@main\n';
    const findings = checkPins(wf(text));
    expect(findings).toHaveLength(1);
    expect(findings[0]!.line).toBe(6);
  });

  test('one action pinned to two SHAs across files is reported', () => {
    const other = 'b4ffde65f46336ab88eb53be808477a3936bae11';
    const refs = [
      ...usesRefs(parseWorkflow('a.yml', job(step(`actions/checkout@${SHA} # v5.0.0`)))),
      ...usesRefs(parseWorkflow('b.yml', job(step(`actions/checkout@${other} # v4.1.1`)))),
    ];
    const findings = checkPinConsistency(refs);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toMatch(/pinned differently/);
  });
});

describe('local toolkit actions', () => {
  test('an input outside the contract is reported', () => {
    const steps = '      - uses: ./.nat-egress-toolkit/actions/cutover\n        with:\n          plan-file: tfplan\n          expected-plan-sha: abc\n';
    const findings = checkLocalActions(wf(job(steps)), repoRoot).map((f) => f.message);
    expect(findings).toContainEqual(expect.stringMatching(/`cutover` has no input `plan-file`/));
    expect(findings.every((m) => /plan-?file/.test(m))).toBe(true);
  });

  test('an output outside the contract is reported', () => {
    const steps =
      '      - id: v\n        uses: ./actions/verify-egress\n        with:\n          vpc-id: vpc-1\n' +
      '      - run: echo "$H"\n        env:\n          H: ${{ steps.v.outputs.is-healthy }}\n';
    const findings = checkLocalActions(wf(job(steps)), repoRoot);
    expect(findings.map((f) => f.message)).toEqual([expect.stringMatching(/`verify-egress` \(step `v`\) has no output `is-healthy`/)]);
  });

  test('an unknown local action is reported', () => {
    const findings = checkLocalActions(wf(job('      - uses: ./actions/fix-everything\n')), repoRoot);
    expect(findings[0]!.message).toMatch(/unknown local action/);
  });

  test('contract inputs and outputs pass', () => {
    const steps =
      '      - id: g\n        uses: ./actions/plan-guard\n        with:\n          plan-json: p.json\n          fail-on: high\n' +
      '      - run: echo "$R"\n        env:\n          R: ${{ steps.g.outputs.risk }}\n';
    expect(checkLocalActions(wf(job(steps)), repoRoot)).toEqual([]);
  });
});

describe('permissions', () => {
  test('a job without its own permissions is reported', () => {
    const text = 'on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: "true"\n';
    expect(checkJobPermissions(wf(text)).map((f) => f.message)).toEqual(['jobs.a has no `permissions:` of its own']);
  });

  test('a workflow without top-level permissions is reported', () => {
    const text = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    permissions: {}\n    steps:\n      - run: "true"\n';
    expect(checkJobPermissions(wf(text))).toHaveLength(1);
  });
});
