#!/usr/bin/env node
// nat-egress <plan-guard|verify-egress|build-nat-ami|cutover> [flags]: see packages/cli/src/main.mjs.
import { main } from '../src/main.mjs';

// A reader that closes the pipe early (`| head -1`, a failing `| jq`) is not an error of the run: stop quietly,
// with the shell's status for a broken pipe, instead of an EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(141);
    throw err;
  });
}

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
