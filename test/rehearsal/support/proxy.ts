/**
 * The fault-injection proxy in front of moto: the AWS stand-in the rehearsal points terraform and the actions at
 * (AWS_ENDPOINT_URL). It models what moto does not, on loopback only:
 *
 * - NAT gateway deletion takes `natDeleteMs`: DeleteNatGateway answers at once, DescribeNatGateways shows the
 *   gateway `deleting` (it still holds its Elastic IP: moto keeps the association, so DescribeAddresses shows it),
 *   and AssociateAddress for that allocation answers HTTP 400 `AuthFailure` in EC2's XML error format — what EC2
 *   answers while a deleting gateway holds the address (see ../shared/DOMAIN.md, "The cutover race"). When the
 *   time is up the gateway is deleted in moto; `addressLagMs` later the address is disassociated (released), and
 *   the refusal lingers `authLingerMs` more.
 * - An instance's source/destination check is its primary interface's (moto keeps two separate flags).
 * - Reverse DNS of Elastic IPs (ModifyAddressAttribute / DescribeAddressesAttribute / ResetAddressAttribute),
 *   which moto lacks and `aws_eip_domain_name` needs. Updates complete at once (no `ptrRecordUpdate` pending).
 * - Faults on demand (`inject`): throttling bursts (`RequestLimitExceeded`, HTTP 503), 5xx, or any EC2 error code.
 * - moto gaps EC2 behaves otherwise in, per region when asked (`gaps`, `setGaps`; models in ./gaps/): route State
 *   `blackhole`, ReplaceRoute target checks, DeleteSecurityGroup `DependencyViolation`, CreateNatGateway → `failed`.
 * - Observers (the data plane, ./dataplane-watch.ts) read through it with the header `x-rehearsal-observer: 1`: they
 *   see what clients see, are never faulted, logged or counted; `listen` tells them of every call and event.
 *
 * Every call is logged with its start and end times (ms since the epoch), region, service, action, parameters and
 * status; the deletion lifecycle is logged as events (`nat-deleting`, `nat-deleted`, `address-released`).
 * Region and service come from the SigV4 credential scope; moto does not check signatures.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import {
  answerWith,
  createGaps,
  gapSet,
  rewriteWith,
  type GapEvent,
  type GapModels,
  type GapName,
  type NatFailureOptions,
} from './gaps/index';

export interface ProxyOptions {
  /** moto's base URL. */
  upstream: string;
  /** How long a NAT gateway stays `deleting` (holding its Elastic IP). Default 20 s. */
  natDeleteMs?: number;
  /** After `deleted`, how long DescribeAddresses still shows the association. Default 0. */
  addressLagMs?: number;
  /** After the release, how long AssociateAddress for the address still answers AuthFailure. Default 1 s. */
  authLingerMs?: number;
  /** Also append every call and event to this file as JSON lines. */
  logFile?: string;
  /** moto-gap models on in every region (default none; `setGaps` per region). */
  gaps?: GapName[] | 'all';
  /** Timings of the nat-failure model. */
  natFailure?: NatFailureOptions;
}

/** Told of every call (when it starts and when it is logged) and every event; observer calls excluded. */
export interface ProxyListener {
  started?(call: { region: string; service: string; action: string; start: number }): void;
  recorded?(record: LogRecord): void;
  /** The answer to the client waits for this (the data plane reads what the call changed first). */
  hold?(call: CallRecord): Promise<void> | undefined;
}

/** The header an observer's requests carry (not faulted, logged or told to listeners). */
export const OBSERVER_HEADER = 'x-rehearsal-observer';

export interface CallRecord {
  kind: 'call';
  /** Request received / response sent, ms since the epoch. */
  start: number;
  end: number;
  region: string;
  service: string;
  action: string;
  params: Record<string, string>;
  status: number;
  /** The error code answered, when status ≥ 400. */
  error?: string;
  /** Answered by the proxy (a modelled behaviour or an injected fault), not by moto. */
  by: 'moto' | 'proxy' | 'fault';
}

export interface EventRecord {
  kind: 'event';
  t: number;
  region: string;
  event: 'nat-deleting' | 'nat-deleted' | 'address-released' | GapEvent;
  natGatewayId: string;
  allocationIds: string[];
}

export type LogRecord = CallRecord | EventRecord;

export interface Fault {
  /** The API action (EC2 Query `Action`, e.g. DescribeAddresses; REST calls as `METHOD /path`). */
  action: string;
  service?: string;
  region?: string;
  /** How many matching calls get the fault (default 1). */
  times?: number;
  /** Only calls whose parameters satisfy this. */
  when?: (params: Record<string, string>) => boolean;
  status: number;
  code: string;
  message: string;
}

/** EC2's throttling answer (HTTP 503 RequestLimitExceeded). */
export const throttle = (action: string, times: number, extra: Partial<Fault> = {}): Fault => ({
  action,
  times,
  status: 503,
  code: 'RequestLimitExceeded',
  message: 'Request limit exceeded.',
  ...extra,
});

/** EC2's internal error (HTTP 500 InternalError). */
export const internalError = (action: string, times: number, extra: Partial<Fault> = {}): Fault => ({
  action,
  times,
  status: 500,
  code: 'InternalError',
  message: 'An internal error has occurred',
  ...extra,
});

const AUTH_FAILURE = 'You do not have permission to access the specified resource.';
const EC2_NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

/** EC2's XML error body (`<Response><Errors><Error>…`). */
export function ec2ErrorXml(code: string, message: string, requestId = randomUUID()): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`;
}

function queryErrorXml(code: string, message: string, status: number): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function tag(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

/** [start, end) of each top-level `<item>` inside `<setName>`. */
export function topLevelItems(xml: string, setName: string): Array<[number, number]> {
  const open = xml.indexOf(`<${setName}>`);
  if (open < 0) return [];
  const close = xml.indexOf(`</${setName}>`, open);
  const re = /<(\/?)item>/g;
  re.lastIndex = open;
  const items: Array<[number, number]> = [];
  let depth = 0;
  let start = -1;
  for (let m = re.exec(xml); m && m.index < close; m = re.exec(xml)) {
    if (m[1] === '') {
      if (depth === 0) start = m.index;
      depth++;
    } else {
      depth--;
      if (depth === 0) items.push([start, m.index + m[0].length]);
    }
  }
  return items;
}

interface RegionState {
  /** Gateways the proxy is deleting: id → allocation ids. */
  deleting: Map<string, string[]>;
  /** Allocation id → AuthFailure until this time (Infinity while a deleting gateway holds it). */
  refused: Map<string, number>;
  /** Allocation id → reverse DNS domain. */
  ptr: Map<string, string>;
}

interface Upstream {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export class FaultProxy {
  readonly log: LogRecord[] = [];
  url = '';
  private server?: Server;
  private readonly regions = new Map<string, RegionState>();
  private readonly faults: Array<Fault & { left: number }> = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly natDeleteMs: number;
  private readonly natDeleteMsByRegion = new Map<string, number>();
  private readonly addressLagMs: number;
  private readonly authLingerMs: number;
  private readonly gapModels: GapModels;
  private readonly defaultGaps: Set<GapName>;
  private readonly gapsByRegion = new Map<string, Set<GapName>>();
  private readonly listeners = new Set<ProxyListener>();

  constructor(private readonly options: ProxyOptions) {
    this.natDeleteMs = options.natDeleteMs ?? 20_000;
    this.addressLagMs = options.addressLagMs ?? 0;
    this.authLingerMs = options.authLingerMs ?? 1_000;
    this.gapModels = createGaps(options.natFailure);
    this.defaultGaps = gapSet(options.gaps);
  }

  /** Listens on 127.0.0.1 (a free port unless given). */
  async start(port = 0): Promise<string> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.handle(req.method ?? 'GET', req.url ?? '/', req.headers, Buffer.concat(chunks))
          .then((r) => {
            const headers: Record<string, string | string[]> = {};
            for (const [k, v] of Object.entries(r.headers)) {
              if (v !== undefined && !['content-length', 'transfer-encoding', 'connection'].includes(k)) headers[k] = v;
            }
            headers['content-length'] = String(r.body.length);
            res.writeHead(r.status, headers).end(r.body);
          })
          .catch((err: unknown) => {
            const body = Buffer.from(
              ec2ErrorXml('InternalError', `proxy: ${err instanceof Error ? err.message : String(err)}`),
            );
            res.writeHead(500, { 'content-type': 'text/xml', 'content-length': String(body.length) }).end(body);
          });
      });
    });
    this.server = server;
    await new Promise<void>((res, rej) => {
      server.once('error', rej);
      server.listen(port, '127.0.0.1', () => res());
    });
    const address = server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((res) => server.close(() => res()));
  }

  /** NAT gateway deletion time in one region (scenarios that do not measure the race need not wait 20 s). */
  setNatDeleteMs(region: string, ms: number): void {
    this.natDeleteMsByRegion.set(region, ms);
  }

  /** The moto-gap models on in one region ('all', or names; [] for moto's behaviour). */
  setGaps(region: string, gaps: GapName[] | 'all'): void {
    this.gapsByRegion.set(region, gapSet(gaps));
  }

  gapsOf(region: string): ReadonlySet<GapName> {
    return this.gapsByRegion.get(region) ?? this.defaultGaps;
  }

  /** Tells `listener` of every call and event from now on; returns the function that stops it. */
  listen(listener: ProxyListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Adds a fault for the next `times` matching calls. */
  inject(fault: Fault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  /** Calls (no events) matching the filter. */
  calls(filter: Partial<Pick<CallRecord, 'region' | 'action' | 'service'>> = {}): CallRecord[] {
    return this.log.filter(
      (r): r is CallRecord =>
        r.kind === 'call' &&
        Object.entries(filter).every(([k, v]) => (r as unknown as Record<string, unknown>)[k] === v),
    );
  }

  events(region?: string): EventRecord[] {
    return this.log.filter(
      (r): r is EventRecord => r.kind === 'event' && (region === undefined || r.region === region),
    );
  }

  private state(region: string): RegionState {
    let s = this.regions.get(region);
    if (!s) this.regions.set(region, (s = { deleting: new Map(), refused: new Map(), ptr: new Map() }));
    return s;
  }

  private record(r: LogRecord): void {
    this.log.push(r);
    if (this.options.logFile) appendFileSync(this.options.logFile, `${JSON.stringify(r)}\n`);
    for (const l of this.listeners) l.recorded?.(r);
  }

  /** What the moto-gap models may use of the proxy. */
  private readonly gapHost = {
    moto: (region: string, action: string, params: Record<string, string>) => this.motoEc2(region, action, params),
    ok: (action: string, inner: string) => this.ok(action, inner),
    error: (status: number, code: string, message: string) => this.error('ec2', status, code, message),
    deleting: (region: string) => this.state(region).deleting,
    event: (region: string, event: GapEvent, natGatewayId: string, allocationIds: string[]) =>
      this.record({ kind: 'event', t: Date.now(), region, event, natGatewayId, allocationIds }),
    later: (ms: number, fn: () => Promise<void>) => this.later(ms, fn),
  };

  private later(ms: number, fn: () => Promise<void>): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn().catch((err: unknown) => console.error(`fault proxy: ${err instanceof Error ? err.message : String(err)}`));
    }, ms);
    this.timers.add(t);
  }

  private async handle(method: string, url: string, headers: IncomingHttpHeaders, body: Buffer): Promise<Upstream> {
    const start = Date.now();
    const scope = /Credential=[^/]+\/\d+\/([^/]+)\/([^/]+)\//.exec(String(headers.authorization ?? ''));
    const region = scope?.[1] ?? 'us-east-1';
    const service = scope?.[2] ?? 'unknown';
    const form = String(headers['content-type'] ?? '').includes('x-www-form-urlencoded')
      ? new URLSearchParams(body.toString('utf8'))
      : undefined;
    const action = form?.get('Action') ?? `${method} ${url.split('?')[0]}`;
    const params: Record<string, string> = {};
    for (const [k, v] of form ?? []) if (k !== 'Action' && k !== 'Version') params[k] = v.slice(0, 200);
    const observer = headers[OBSERVER_HEADER] === '1';
    if (!observer) for (const l of this.listeners) l.started?.({ region, service, action, start });
    const gaps = new Set<GapName>(service === 'ec2' && form ? this.gapsOf(region) : []);
    if (observer) gaps.delete('route-state'); // the data plane reads targets, not route State: 3 moto calls saved
    const call = form ? { region, action, form } : undefined;

    let by: CallRecord['by'] = 'proxy';
    let r: Upstream;
    const fault = this.faults.find(
      (f) =>
        !observer &&
        f.left > 0 &&
        f.action === action &&
        (!f.service || f.service === service) &&
        (!f.region || f.region === region) &&
        (!f.when || f.when(params)),
    );
    if (fault) {
      fault.left--;
      by = 'fault';
      r = this.error(service, fault.status, fault.code, fault.message);
    } else {
      const gapped = call && gaps.size > 0 ? await answerWith(this.gapModels, gaps, call, this.gapHost) : undefined;
      const modelled =
        gapped ?? (service === 'ec2' && form ? await this.ec2(region, action, form, headers) : undefined);
      if (modelled) r = modelled;
      else {
        by = 'moto';
        const gateways = service === 'ec2' && action === 'DescribeNatGateways' && form;
        r = await this.forward(
          method,
          url,
          headers,
          gateways ? Buffer.from(withoutStateFilter(form).toString()) : body,
        );
        if (service === 'ec2' && action === 'DescribeNatGateways' && form) r = this.rewriteGateways(region, form, r);
        if (service === 'ec2' && action === 'ModifyInstanceAttribute' && form && r.status === 200)
          await this.syncSourceDestCheck(region, form);
        if (call && gaps.size > 0) r = await rewriteWith(this.gapModels, gaps, call, r, this.gapHost);
      }
    }
    if (observer) return r;
    const text = r.status >= 400 ? r.body.toString('utf8') : '';
    const record: CallRecord = {
      kind: 'call',
      start,
      end: Date.now(),
      region,
      service,
      action,
      params,
      status: r.status,
      ...(r.status >= 400 ? { error: tag(text, 'Code') ?? 'unknown' } : {}),
      by,
    };
    this.record(record);
    await Promise.all([...this.listeners].map((l) => l.hold?.(record)));
    return r;
  }

  private error(service: string, status: number, code: string, message: string): Upstream {
    const xml = service === 'ec2' ? ec2ErrorXml(code, message) : queryErrorXml(code, message, status);
    return { status, headers: { 'content-type': 'text/xml;charset=UTF-8' }, body: Buffer.from(xml) };
  }

  private ok(action: string, inner: string): Upstream {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${EC2_NS}"><requestId>${randomUUID()}</requestId>${inner}</${action}Response>`;
    return { status: 200, headers: { 'content-type': 'text/xml;charset=UTF-8' }, body: Buffer.from(xml) };
  }

  private forward(method: string, url: string, headers: IncomingHttpHeaders, body: Buffer): Promise<Upstream> {
    const target = new URL(url, this.options.upstream);
    return new Promise((res, rej) => {
      const req = request(
        target,
        { method, headers: { ...headers, host: target.host, 'content-length': String(body.length) } },
        (up) => {
          const chunks: Buffer[] = [];
          up.on('data', (c: Buffer) => chunks.push(c));
          up.on('end', () => res({ status: up.statusCode ?? 502, headers: up.headers, body: Buffer.concat(chunks) }));
          up.on('error', rej);
        },
      );
      req.on('error', rej);
      req.end(body);
    });
  }

  /** An EC2 call the proxy itself makes to moto (unsigned; moto reads the region from the credential scope). */
  async motoEc2(region: string, action: string, params: Record<string, string>): Promise<string> {
    const body = Buffer.from(new URLSearchParams({ Action: action, Version: '2016-11-15', ...params }).toString());
    const r = await this.forward(
      'POST',
      '/',
      {
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${region}/ec2/aws4_request, SignedHeaders=host, Signature=00`,
      },
      body,
    );
    const text = r.body.toString('utf8');
    if (r.status >= 400)
      throw new Error(
        `moto ${action}: HTTP ${r.status} ${tag(text, 'Code') ?? ''} ${tag(text, 'Message') ?? ''}`.trim(),
      );
    return text;
  }

  private async ec2(
    region: string,
    action: string,
    form: URLSearchParams,
    _headers: IncomingHttpHeaders,
  ): Promise<Upstream | undefined> {
    const st = this.state(region);
    switch (action) {
      case 'DeleteNatGateway': {
        const id = form.get('NatGatewayId') ?? '';
        if (st.deleting.has(id)) return this.ok(action, `<natGatewayId>${id}</natGatewayId>`);
        const xml = await this.motoEc2(region, 'DescribeNatGateways', { 'NatGatewayId.1': id });
        const state = tag(xml, 'state');
        if (!state || state === 'deleted') return undefined; // moto answers (not found / already deleted)
        const allocationIds = [...xml.matchAll(/<allocationId>([^<]+)<\/allocationId>/g)].map((m) => m[1] as string);
        st.deleting.set(id, allocationIds);
        for (const a of allocationIds) st.refused.set(a, Number.POSITIVE_INFINITY);
        this.record({ kind: 'event', t: Date.now(), region, event: 'nat-deleting', natGatewayId: id, allocationIds });
        this.later(this.natDeleteMsByRegion.get(region) ?? this.natDeleteMs, async () => {
          await this.motoEc2(region, 'DeleteNatGateway', { NatGatewayId: id });
          st.deleting.delete(id);
          this.record({ kind: 'event', t: Date.now(), region, event: 'nat-deleted', natGatewayId: id, allocationIds });
          this.later(this.addressLagMs, async () => {
            for (const a of allocationIds) {
              const addr = await this.motoEc2(region, 'DescribeAddresses', { 'AllocationId.1': a });
              const association = tag(addr, 'associationId');
              if (association) await this.motoEc2(region, 'DisassociateAddress', { AssociationId: association });
              st.refused.set(a, Date.now() + this.authLingerMs);
            }
            this.record({
              kind: 'event',
              t: Date.now(),
              region,
              event: 'address-released',
              natGatewayId: id,
              allocationIds,
            });
          });
        });
        return this.ok(action, `<natGatewayId>${id}</natGatewayId>`);
      }
      case 'AssociateAddress': {
        const allocation = form.get('AllocationId') ?? '';
        const until = st.refused.get(allocation);
        if (until !== undefined && Date.now() < until) return this.error('ec2', 400, 'AuthFailure', AUTH_FAILURE);
        return undefined;
      }
      case 'ModifyAddressAttribute': {
        const allocation = form.get('AllocationId') ?? '';
        const domain = form.get('DomainName') ?? '';
        const publicIp = await this.publicIp(region, allocation);
        if (publicIp === undefined)
          return this.error(
            'ec2',
            400,
            'InvalidAllocationID.NotFound',
            `The allocation ID '${allocation}' does not exist`,
          );
        st.ptr.set(allocation, domain);
        return this.ok(action, `<address>${this.attributeXml(allocation, publicIp, domain)}</address>`);
      }
      case 'ResetAddressAttribute': {
        const allocation = form.get('AllocationId') ?? '';
        const publicIp = await this.publicIp(region, allocation);
        if (publicIp === undefined)
          return this.error(
            'ec2',
            400,
            'InvalidAllocationID.NotFound',
            `The allocation ID '${allocation}' does not exist`,
          );
        st.ptr.delete(allocation);
        return this.ok(action, `<address>${this.attributeXml(allocation, publicIp, undefined)}</address>`);
      }
      case 'DescribeAddressesAttribute': {
        const wanted = [...form.entries()].filter(([k]) => /^AllocationId\.\d+$/.test(k)).map(([, v]) => v);
        const ids = wanted.length > 0 ? wanted : [...st.ptr.keys()];
        const items: string[] = [];
        for (const a of ids) {
          const publicIp = await this.publicIp(region, a);
          if (publicIp === undefined) {
            if (wanted.length > 0)
              return this.error('ec2', 400, 'InvalidAllocationID.NotFound', `The allocation ID '${a}' does not exist`);
            continue;
          }
          items.push(`<item>${this.attributeXml(a, publicIp, st.ptr.get(a))}</item>`);
        }
        return this.ok(action, `<addressSet>${items.join('')}</addressSet>`);
      }
      default:
        return undefined;
    }
  }

  /**
   * EC2 keeps an instance's source/destination check on its primary network interface (ModifyInstanceAttribute
   * changes that interface's attribute); moto keeps two flags. The proxy copies the instance's to the interface.
   */
  private async syncSourceDestCheck(region: string, form: URLSearchParams): Promise<void> {
    const value = form.get('SourceDestCheck.Value');
    const instance = form.get('InstanceId');
    if (value === null || !instance) return;
    const xml = await this.motoEc2(region, 'DescribeInstances', { 'InstanceId.1': instance });
    const eni = tag(xml, 'networkInterfaceId');
    if (eni)
      await this.motoEc2(region, 'ModifyNetworkInterfaceAttribute', {
        NetworkInterfaceId: eni,
        'SourceDestCheck.Value': value,
      });
  }

  private attributeXml(allocation: string, publicIp: string, domain: string | undefined): string {
    return `<publicIp>${publicIp}</publicIp><allocationId>${allocation}</allocationId>${domain ? `<ptrRecord>${escapeXml(domain.endsWith('.') ? domain : `${domain}.`)}</ptrRecord>` : ''}`;
  }

  private async publicIp(region: string, allocation: string): Promise<string | undefined> {
    try {
      return tag(await this.motoEc2(region, 'DescribeAddresses', { 'AllocationId.1': allocation }), 'publicIp');
    } catch {
      return undefined;
    }
  }

  /** Gateways the proxy is deleting show `deleting`; a `state` filter is applied after that rewrite. */
  private rewriteGateways(region: string, form: URLSearchParams, r: Upstream): Upstream {
    const deleting = this.state(region).deleting;
    if (r.status !== 200 || deleting.size === 0) return r;
    let xml = r.body.toString('utf8');
    const stateFilter = [...form.entries()].find(([k, v]) => /^Filter\.\d+\.Name$/.test(k) && v === 'state');
    const wantedStates = stateFilter
      ? [...form.entries()]
          .filter(([k]) => k.startsWith(`${stateFilter[0].replace(/Name$/, '')}Value.`))
          .map(([, v]) => v)
      : undefined;
    const items = topLevelItems(xml, 'natGatewaySet');
    for (const [s, e] of items.reverse()) {
      let item = xml.slice(s, e);
      const id = tag(item, 'natGatewayId') ?? '';
      if (deleting.has(id)) item = item.replace(/<state>[^<]*<\/state>/, '<state>deleting</state>');
      const state = tag(item, 'state') ?? '';
      if (wantedStates && !wantedStates.includes(state)) item = '';
      xml = xml.slice(0, s) + item + xml.slice(e);
    }
    return { ...r, body: Buffer.from(xml) };
  }
}

/**
 * The same Query body without its `state` filter (renumbering the other filters), so moto returns the gateways
 * the proxy shows as `deleting`; the proxy applies the state filter after its rewrite.
 */
export function withoutStateFilter(form: URLSearchParams): URLSearchParams {
  const filters = new Map<string, Array<[string, string]>>();
  const out = new URLSearchParams();
  for (const [k, v] of form) {
    const m = /^Filter\.(\d+)\.(.+)$/.exec(k);
    if (!m) out.append(k, v);
    else {
      const list = filters.get(m[1] as string) ?? [];
      list.push([m[2] as string, v]);
      filters.set(m[1] as string, list);
    }
  }
  let n = 0;
  for (const [, entries] of [...filters.entries()].sort((a, b) => Number(a[0]) - Number(b[0]))) {
    if (entries.some(([k, v]) => k === 'Name' && v === 'state')) continue;
    n++;
    for (const [k, v] of entries) out.append(`Filter.${n}.${k}`, v);
  }
  return out;
}
