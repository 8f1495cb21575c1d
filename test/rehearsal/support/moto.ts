/**
 * moto's server (the AWS emulator, `moto[server]` pinned in requirements-dev.txt) on a free loopback port.
 * Found as .venv/bin/moto_server (scripts/setup.sh), then MOTO_SERVER, then `moto_server` on PATH.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';

/** The repository root: the nearest folder above this file (or the working directory) with pnpm-workspace.yaml. */
function repoRoot(): string {
  for (const start of [import.meta.dirname, process.cwd()]) {
    for (let dir = resolve(start); ; dir = dirname(dir)) {
      if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
      if (dirname(dir) === dir) break;
    }
  }
  return process.cwd();
}

export const REPO_ROOT = repoRoot();

/** Path of an executable on PATH, or undefined. */
export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

export function findMotoServer(): string | undefined {
  const venv = join(REPO_ROOT, '.venv', 'bin', 'moto_server');
  if (existsSync(venv)) return venv;
  if (process.env.MOTO_SERVER && existsSync(process.env.MOTO_SERVER)) return process.env.MOTO_SERVER;
  return onPath('moto_server');
}

/** A free TCP port on 127.0.0.1 (bound and released; the caller binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => res(port));
    });
  });
}

export interface Moto {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Starts moto_server on 127.0.0.1 and waits until it answers (at most `timeoutMs`). */
export async function startMoto(binary: string, timeoutMs = 30_000): Promise<Moto> {
  const port = await freePort();
  const child: ChildProcess = spawn(binary, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`moto_server exited (${child.exitCode}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    try {
      const r = await fetch(`${url}/moto-api/`);
      if (r.status < 500) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto_server did not answer on ${url} within ${timeoutMs / 1000} s`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    port,
    stop: () =>
      new Promise<void>((res) => {
        if (child.exitCode !== null) return res();
        child.once('exit', () => res());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }),
  };
}
