/**
 * No workflow-command injection through verify-egress (issue 20): an AWS error whose message carries runner
 * commands (`::add-mask::` of an egress IP, `::error` with a forged title, `##[warning]` inside a line, `%0A::`, a
 * bare CR before a command) reaches the log and the annotation as text: no line of the action's stdout or stderr
 * is a command the runner would take (the workflow harness's port of its parser), beyond the action's own.
 */
import { afterEach, expect, it } from '@jest/globals';
import { runAction } from '../../../packages/shared/test/support/action-runner';
import { startFaultServer, type FaultServer } from '../../../packages/shared/test/support/fault-server';
import { commandsIn } from '../../../test/workflows/harness/commands';

const servers: FaultServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const HOSTILE = [
  'denied',
  '::add-mask::203.0.113.10',
  '  ::error title=forged::forged annotation',
  'x ##[warning]forged legacy warning',
  'y%0A::notice::forged after an encoded line break',
  'progress\r::set-output name=healthy::true',
].join('\n');

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

it('an AWS error message carrying runner commands forges no mask, annotation or output', async () => {
  const server = await startFaultServer('hang', {
    route: () => ({
      status: 403,
      body:
        '<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>UnauthorizedOperation</Code>' +
        `<Message>${xml(HOSTILE)}</Message></Error></Errors><RequestID>r-1</RequestID></Response>`,
    }),
  });
  servers.push(server);
  const run = await runAction(
    'verify-egress',
    { 'vpc-id': 'vpc-0123456789abcdef0', region: 'us-east-1', wait: '0' },
    {
      env: {
        AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'secret',
        AWS_ENDPOINT_URL: server.url,
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    },
  );
  expect(run.outputs).toMatchObject({ healthy: 'false', result: 'failed' });
  const printed = `${run.stdout}\n${run.stderr}`;
  expect(printed.replaceAll('\u200b', '')).toContain('add-mask::203.0.113.10'); // the message is shown, as text
  const commands = commandsIn(printed).filter((c) => c?.kind === 'command');
  expect(commands.filter((c) => c.command === 'add-mask' || c.command === 'set-output')).toEqual([]);
  expect(commands.filter((c) => c.properties.title === 'forged' || /^forged/.test(c.data))).toEqual([]);
  // The action's own lines: the error annotation (the message's first line) and the whole message as a debug
  // line, both written by @actions/core, which escapes line breaks and % — each one command, one line.
  const errors = commands.filter((c) => c.command === 'error');
  expect(errors.map((e) => e.data)).toEqual([expect.stringMatching(/^UnauthorizedOperation: denied \(HTTP 403\)/)]);
  const debug = commands.filter((c) => c.command === 'debug').map((c) => c.data);
  expect(debug.some((d) => d.includes('\n::add-mask::203.0.113.10\n'))).toBe(true);
  expect(debug.some((d) => d.includes('y%0A::notice::forged'))).toBe(true); // %0A stays text
});
