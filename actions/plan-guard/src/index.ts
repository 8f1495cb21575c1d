import * as core from '@actions/core';
import { runAction } from '@nat-egress/shared/runtime';
import { enumInput } from '@nat-egress/shared/inputs';
await runAction(async () => {
  core.info(enumInput('fail-on', core.getInput('fail-on'), ['none', 'high'] as const, 'none'));
});
