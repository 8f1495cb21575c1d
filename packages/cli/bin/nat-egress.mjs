#!/usr/bin/env node
// nat-egress <plan-guard|verify-egress|build-nat-ami|cutover> [flags]: see packages/cli/src/main.mjs.
import { main } from '../src/main.mjs';

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
