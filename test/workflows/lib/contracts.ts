/**
 * Input/output names of the four actions, as fixed by their issues (a contract). Workflows may use only
 * these names; when an action's action.yml exists it must declare them too.
 */
export interface ActionContract {
  inputs: readonly string[];
  outputs: readonly string[];
}

export const CONTRACTS: Record<string, ActionContract> = {
  'plan-guard': {
    inputs: [
      'plan-json',
      'planfile',
      'terraform',
      'working-directory',
      'fail-on',
      'comment',
      'github-token',
      'environment',
      'comment-author',
      'seal-recipients',
    ],
    outputs: [
      'risk',
      'findings',
      'mode-switch',
      'expected-applies',
      'affected',
      'plan-sha',
      'comment-url',
      'report-file',
      'sealed-planfile',
      'planfile-sha256',
    ],
  },
  cutover: {
    inputs: [
      'working-directory',
      'terraform',
      'planfile',
      'apply-args',
      'expected-plan-sha',
      'region',
      'max-applies',
      'release-timeout',
      'poll-interval',
      'nat-ami-check',
      'ami-name-pattern',
      'required-tags',
      'restore',
      'operation',
      'sealed-planfile',
      'seal-identity',
      'environment',
    ],
    outputs: ['result', 'applies', 'retried-because', 'egress-gap-seconds', 'timeline', 'restore-path', 'recovery'],
  },
  'build-nat-ami': {
    inputs: [
      'pipeline-name',
      'pipeline-arn',
      'region',
      'ami-name-pattern',
      'required-tags',
      'build',
      'if-building',
      'timeout',
      'cancel-on-timeout',
      'client-token',
    ],
    outputs: ['ami-id', 'ami-name', 'image-arn', 'image-version', 'build-seconds', 'reused'],
  },
  'verify-egress': {
    inputs: [
      'vpc-id',
      'vpc-name',
      'region',
      'mode',
      'nat-name-pattern',
      'expected-ips',
      'probe',
      'probe-instances',
      'probe-tag',
      'probe-url',
      'log-groups',
      'max-log-silence',
      'expect-quiesced',
      'wait',
      'fail-on',
      'advise',
      'advise-days',
      'advise-instance-type',
    ],
    outputs: ['healthy', 'egress-ips', 'report', 'report-file', 'advice'],
  },
};
