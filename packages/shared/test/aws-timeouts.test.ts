/**
 * Every SDK call is bounded: the shared client configuration against loopback endpoints that never answer,
 * answer 503 forever, or answer slowly; and `bindSignal` ending a call in flight at the run's deadline or cancel.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { DescribeRegionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  bindSignal,
  clientConfig,
  CONNECTION_TIMEOUT_MS,
  MAX_ATTEMPTS,
  REQUEST_TIMEOUT_MS,
  SOCKET_TIMEOUT_MS,
  worstCaseCallMs,
  type AwsClientOptions,
} from '../src/aws/index';
import { CancelledError, DeadlineExceededError, startDeadline, systemClock } from '../src/runtime/index';
import { startFaultServer, type FaultServer } from './support/fault-server';

const servers: FaultServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const REGIONS_XML =
  '<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><regionInfo><item><regionName>eu-west-1</regionName><regionEndpoint>ec2.eu-west-1.amazonaws.com</regionEndpoint></item></regionInfo></DescribeRegionsResponse>';

function ec2(server: FaultServer, options: Partial<AwsClientOptions> = {}): EC2Client {
  return new EC2Client({
    ...clientConfig({ region: 'eu-west-1', ...options }),
    endpoint: server.url,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
  });
}

async function failure(
  p: Promise<unknown>,
): Promise<Error & { $metadata?: { attempts?: number; httpStatusCode?: number } }> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

describe('clientConfig', () => {
  it('sets connection, request and socket timeouts, a bounded attempt count and adaptive retries', () => {
    const config = clientConfig({ region: 'eu-west-1' });
    expect(config).toEqual({
      region: 'eu-west-1',
      maxAttempts: MAX_ATTEMPTS,
      retryMode: 'adaptive',
      requestHandler: {
        connectionTimeout: CONNECTION_TIMEOUT_MS,
        requestTimeout: REQUEST_TIMEOUT_MS,
        throwOnRequestTimeout: true,
        socketTimeout: SOCKET_TIMEOUT_MS,
      },
    });
    expect([CONNECTION_TIMEOUT_MS, REQUEST_TIMEOUT_MS, SOCKET_TIMEOUT_MS, MAX_ATTEMPTS]).toEqual([
      3_000, 15_000, 15_000, 5,
    ]);
  });

  it('documents its worst case per call: 120 s with the defaults', () => {
    // 5 × 15 s attempts + (1 + 2 + 4 + 8) s backoff + 4 × 5 s Retry-After + 5 × 2 s rate limiter
    expect(worstCaseCallMs()).toBe(120_000);
    expect(worstCaseCallMs({ maxAttempts: 1, requestTimeoutMs: 1000 })).toBe(3_000);
  });
});

describe('SDK calls against faulty endpoints', () => {
  it('an endpoint that accepts and never answers: every attempt times out, then the call fails with TimeoutError', async () => {
    const server = await startFaultServer('hang');
    servers.push(server);
    const options = { maxAttempts: 2, requestTimeoutMs: 300, connectionTimeoutMs: 300 };
    const started = Date.now();
    const err = await failure(ec2(server, options).send(new DescribeRegionsCommand({})));
    expect(err.name).toBe('TimeoutError');
    expect(err.$metadata?.attempts).toBe(2);
    expect(server.requests.filter((r) => r.body.includes('Action=DescribeRegions'))).toHaveLength(2);
    expect(Date.now() - started).toBeLessThanOrEqual(worstCaseCallMs(options));
  });

  it('an endpoint that answers 503 forever: the SDK retries up to maxAttempts, then surfaces HTTP 503', async () => {
    const server = await startFaultServer('503');
    servers.push(server);
    const err = await failure(ec2(server, { maxAttempts: 3 }).send(new DescribeRegionsCommand({})));
    expect(err.$metadata?.httpStatusCode).toBe(503);
    expect(err.$metadata?.attempts).toBe(3);
    expect(server.requests).toHaveLength(3);
  });

  it('a slow endpoint within the request timeout succeeds; beyond it, the attempt times out', async () => {
    const server = await startFaultServer('slow', { delayMs: 400, body: REGIONS_XML });
    servers.push(server);
    const ok = await ec2(server, { requestTimeoutMs: 3_000 }).send(new DescribeRegionsCommand({}));
    expect(ok.Regions?.[0]?.RegionName).toBe('eu-west-1');
    const err = await failure(
      ec2(server, { requestTimeoutMs: 150, maxAttempts: 1 }).send(new DescribeRegionsCommand({})),
    );
    expect(err.name).toBe('TimeoutError');
  });
});

describe('bindSignal', () => {
  it('ends a call in flight at the hard deadline, long before the request timeout, and closes its connection', async () => {
    const server = await startFaultServer('hang');
    servers.push(server);
    const deadline = startDeadline(systemClock, 200, 'test wait 200ms');
    const client = bindSignal(ec2(server, { requestTimeoutMs: 30_000 }), deadline.signal);
    const started = Date.now();
    const err = await failure(client.send(new DescribeRegionsCommand({})));
    deadline.dispose();
    expect(err).toBeInstanceOf(DeadlineExceededError);
    expect(err.message).toBe(
      'test wait 200ms: the hard deadline of 200 ms was reached (calls in flight were abandoned)',
    );
    expect(Date.now() - started).toBeLessThan(30_000);
    for (let i = 0; i < 50 && server.abandoned === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(server.abandoned).toBe(1);
  });

  it('refuses to start a call after a cancel, and passes the SDK the combined signal', async () => {
    const server = await startFaultServer('slow', { delayMs: 10, body: REGIONS_XML });
    servers.push(server);
    const controller = new AbortController();
    const client = bindSignal(ec2(server), controller.signal);
    const ok = await client.send(new DescribeRegionsCommand({}), { abortSignal: new AbortController().signal });
    expect(ok.Regions).toHaveLength(1);
    controller.abort(new CancelledError('SIGTERM'));
    const err = await failure(client.send(new DescribeRegionsCommand({})));
    expect(err).toBeInstanceOf(CancelledError);
    expect(server.requests).toHaveLength(1);
  });
});
