/**
 * Loopback HTTP endpoints that misbehave the ways a real endpoint does, for AWS_ENDPOINT_URL / GitHub API tests:
 * - `hang`: accepts the connection, reads the request, never answers;
 * - `503`: answers every request 503 Service Unavailable, forever;
 * - `slow`: answers after `delayMs` (the `route` answer, else `body`).
 * Listens on 127.0.0.1 only; every server stops itself after `lifetimeMs` (default 60 s) even if a test forgets,
 * destroying the sockets it holds, and its timers never keep the process alive.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FaultMode = 'hang' | '503' | 'slow';

export interface FaultServerOptions {
  delayMs?: number;
  /** Response for `slow` (status 200 unless `status`). */
  body?: string;
  status?: number;
  contentType?: string;
  lifetimeMs?: number;
  /** Answers for particular requests (e.g. by Action=…) in any mode; return undefined to fall through. */
  route?: (req: IncomingMessage, body: string) => { status: number; body: string; contentType?: string } | undefined;
  /** Sees every request as it arrives (before it is answered or left hanging). */
  onRequest?: (req: IncomingMessage, body: string) => void;
}

export interface FaultServer {
  url: string;
  /** Requests seen (method, url, body), in order. */
  requests: Array<{ method: string; url: string; body: string }>;
  /** Sockets closed by the client while the server still held the request (aborted calls). */
  abandoned: number;
  close(): Promise<void>;
}

export async function startFaultServer(mode: FaultMode, options: FaultServerOptions = {}): Promise<FaultServer> {
  const sockets = new Set<Socket>();
  const state: FaultServer = { url: '', requests: [], abandoned: 0, close: async () => undefined };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      state.requests.push({ method: req.method ?? '', url: req.url ?? '', body });
      options.onRequest?.(req, body);
      res.on('close', () => {
        if (!res.writableEnded) state.abandoned++;
      });
      const routed = options.route?.(req, body);
      if (routed) {
        const answer = () => {
          if (res.destroyed) return;
          res.writeHead(routed.status, { 'content-type': routed.contentType ?? 'text/xml' });
          res.end(routed.body);
        };
        // In slow mode routed answers are delayed too.
        if (mode === 'slow') setTimeout(answer, options.delayMs ?? 1000).unref();
        else answer();
        return;
      }
      if (mode === 'hang') return;
      if (mode === '503') {
        res.writeHead(503, { 'content-type': 'text/xml' });
        res.end(
          '<Response><Errors><Error><Code>Unavailable</Code><Message>Service Unavailable</Message></Error></Errors><RequestID>fault</RequestID></Response>',
        );
        return;
      }
      const t = setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(options.status ?? 200, { 'content-type': options.contentType ?? 'text/xml' });
        res.end(options.body ?? '');
      }, options.delayMs ?? 1000);
      t.unref();
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let closed: Promise<void> | undefined;
  state.close = () =>
    (closed ??= new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }));
  setTimeout(() => void state.close(), options.lifetimeMs ?? 60_000).unref();
  server.unref();
  return state;
}
