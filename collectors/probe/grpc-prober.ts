/**
 * The gRPC prober: the standard health check (grpc.health.v1.Health/Check) spoken directly over
 * Node's HTTP/2 client, one fresh connection per probe, with the probe's deadline sent as
 * `grpc-timeout` (blackbox's Check ignores its deadline). Phases: resolve, check (connect, TLS
 * and the call).
 */
import { connect as http2Connect, constants, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, TLSSocket, type ConnectionOptions } from 'node:tls';
import type { GrpcSettings } from './module.js';
import type { ProbeContext } from './probe-context.js';
import type { ProbeReport } from './probe-report.js';
import { ProbeError, resolveTarget, seconds, socketFailure, splitHostPort } from './resolve.js';
import { recordTls, tlsClientOptions, tlsFacts } from './tls.js';

export const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;
const HEALTH_CHECK_PATH = '/grpc.health.v1.Health/Check';
/** gRPC codes used when the call never got a gRPC status (the same grpc-go reports). */
const UNAVAILABLE = 14;
const DEADLINE_EXCEEDED = 4;
const INTERNAL = 13;
const MAX_RESPONSE_BYTES = 64 * 1024;

export async function probeGrpc(target: string, s: GrpcSettings, ctx: ProbeContext, report: ProbeReport): Promise<boolean> {
  for (const phase of ['resolve', 'check']) report.set('probe_grpc_duration_seconds', 0, { phase });
  report.set('probe_grpc_ssl', 0);
  report.set('probe_grpc_status_code', 0);
  const { host, port } = grpcHostPort(target, s.tls);
  const resolved = await resolveTarget(host, s.ip, ctx, report);
  report.set('probe_grpc_duration_seconds', resolved.lookupSeconds, { phase: 'resolve' });
  const checkStart = performance.now();
  const tlsOptions = s.tls ? await tlsClientOptions(s.tlsConfig, ctx.hostname ?? host) : undefined;
  const authority = port === (s.tls ? 443 : 80) ? hostForAuthority(host) : `${hostForAuthority(host)}:${port}`;
  let outcome: CallOutcome;
  const onTls = (socket: TLSSocket) => {
    report.set('probe_grpc_ssl', 1);
    recordTls(tlsFacts(socket), report, { cipher: false, chainExpiry: false });
  };
  try {
    outcome = await check({ resolved, port, authority, tlsOptions, s, signal: ctx.signal, deadline: ctx.deadline, onTls });
  } catch (err) {
    if (ctx.signal.aborted) report.set('probe_grpc_status_code', DEADLINE_EXCEEDED);
    throw err;
  } finally {
    report.set('probe_grpc_duration_seconds', seconds(performance.now() - checkStart), { phase: 'check' });
  }
  for (const status of SERVING_STATUS) report.set('probe_grpc_healthcheck_response', 0, { serving_status: status });
  if (outcome.servingStatus !== undefined) report.set('probe_grpc_healthcheck_response', 1, { serving_status: outcome.servingStatus });
  report.set('probe_grpc_status_code', outcome.statusCode);
  if (outcome.statusCode !== 0) return report.fail(`gRPC status ${outcome.statusCode}${outcome.message ? `: ${outcome.message}` : ''}`);
  if (outcome.servingStatus !== 'SERVING') return report.fail(`serving status ${outcome.servingStatus ?? 'missing'}`);
  return true;
}

function grpcHostPort(target: string, tls: boolean): { host: string; port: number } {
  const split = splitHostPort(target.replace(/^https?:\/\//, '').replace(/\/.*$/, ''), tls ? 443 : 80);
  if (!split) throw new ProbeError(`target ${JSON.stringify(target)} must be host or host:port`);
  return split;
}

function hostForAuthority(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

interface CallOutcome {
  statusCode: number;
  message?: string;
  servingStatus?: (typeof SERVING_STATUS)[number];
}

interface CallInput {
  resolved: { address: string; family: 4 | 6 };
  port: number;
  authority: string;
  tlsOptions: ConnectionOptions | undefined;
  s: GrpcSettings;
  signal: AbortSignal;
  /** performance.now() time of the probe's deadline, sent as grpc-timeout. */
  deadline: number;
  /** Called with the TLS socket at the end of a call that got through the handshake, before the connection closes. */
  onTls: (socket: TLSSocket) => void;
}

function check(c: CallInput): Promise<CallOutcome> {
  return new Promise((resolve, reject) => {
    // eslint-disable-next-line prefer-const -- settle() may run before the assignment below returns; a const would not exist yet
    let session: ClientHttp2Session | undefined;
    let socket: Socket | undefined;
    let settled = false;
    const finish = (o: CallOutcome | Error) => {
      if (settled) return;
      settled = true;
      c.signal.removeEventListener('abort', onAbort);
      if (socket instanceof TLSSocket && socket.authorized !== undefined && socket.getProtocol()) c.onTls(socket);
      session?.destroy();
      socket?.destroy(); // not always closed by the session when it never got the server's SETTINGS
      if (o instanceof Error) reject(o);
      else resolve(o);
    };
    const onAbort = () => finish(c.signal.reason as Error);
    c.signal.addEventListener('abort', onAbort, { once: true });
    const connectTo = { host: c.resolved.address, port: c.port, family: c.resolved.family };
    session = http2Connect(`${c.tlsOptions ? 'https' : 'http'}://${c.authority}`, {
      createConnection: () => {
        if (!c.tlsOptions) return (socket = netConnect(connectTo));
        return (socket = tlsConnect({ ...connectTo, ...c.tlsOptions, ALPNProtocols: ['h2'] }));
      },
    });
    const unavailable = (err: NodeJS.ErrnoException) =>
      finish({ statusCode: UNAVAILABLE, message: socketFailure('connect', (err.cause as NodeJS.ErrnoException | undefined) ?? err).message });
    session.once('error', unavailable);
    const remainingMs = Math.max(1, Math.floor(c.deadline - performance.now()));
    const headers: Record<string, string | string[]> = {
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      [constants.HTTP2_HEADER_PATH]: HEALTH_CHECK_PATH,
      [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
      te: 'trailers',
      'grpc-timeout': `${remainingMs}m`,
      'user-agent': 'spyglass-grpc-health-probe',
    };
    for (const [k, v] of Object.entries(c.s.metadata)) headers[k] = v;
    const stream = session.request(headers);
    let responseHeaders: IncomingHttpHeaders = {};
    let body = Buffer.alloc(0);
    stream.once('response', (h) => (responseHeaders = h));
    stream.on('data', (d: Buffer) => {
      body = Buffer.concat([body, d]);
      if (body.length > MAX_RESPONSE_BYTES) finish({ statusCode: INTERNAL, message: `health response larger than ${MAX_RESPONSE_BYTES} bytes` });
    });
    stream.once('error', unavailable);
    stream.once('trailers', (trailers) => (responseHeaders = { ...responseHeaders, ...trailers }));
    stream.once('end', () => finish(callOutcome(responseHeaders, body)));
    stream.end(healthCheckRequest(c.s.service));
  });
}

/** The length-prefixed HealthCheckRequest message: field 1 (service) as a length-delimited string. */
export function healthCheckRequest(service: string): Buffer {
  const name = Buffer.from(service, 'utf8');
  const message = name.length ? Buffer.concat([Buffer.from([0x0a]), varint(name.length), name]) : Buffer.alloc(0);
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt8(0, 0);
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  return frame;
}

function varint(n: number): Buffer {
  const bytes: number[] = [];
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  bytes.push(n);
  return Buffer.from(bytes);
}

/** The call's status (trailers, or headers for a trailers-only reply) and the serving status in the body. */
export function callOutcome(headers: IncomingHttpHeaders, body: Buffer): CallOutcome {
  const httpStatus = Number(headers[constants.HTTP2_HEADER_STATUS] ?? 0);
  const grpcStatus = headers['grpc-status'];
  if (grpcStatus === undefined) {
    if (httpStatus !== 200) return { statusCode: httpToGrpc(httpStatus), message: `HTTP status ${httpStatus}` };
    return { statusCode: INTERNAL, message: 'no grpc-status in the reply' };
  }
  const statusCode = Number(grpcStatus);
  const message = headers['grpc-message'] !== undefined ? decodeURIComponent(String(headers['grpc-message'])) : undefined;
  if (!Number.isInteger(statusCode)) return { statusCode: INTERNAL, message: `invalid grpc-status ${String(grpcStatus)}` };
  if (statusCode !== 0) return { statusCode, ...(message ? { message } : {}) };
  const parsed = parseHealthResponse(body);
  if ('error' in parsed) return { statusCode: INTERNAL, message: parsed.error };
  return { statusCode: 0, servingStatus: parsed.status };
}

type Parsed = { status: (typeof SERVING_STATUS)[number] } | { error: string };

/** Decodes the one length-prefixed HealthCheckResponse. */
export function parseHealthResponse(body: Buffer): Parsed {
  const error = (e: string) => ({ error: e });
  if (body.length < 5) return error('health response shorter than a gRPC message header');
  if (body[0] !== 0) return error('compressed health responses are not supported');
  const length = body.readUInt32BE(1);
  if (body.length < 5 + length) return error('health response shorter than its length prefix');
  const message = body.subarray(5, 5 + length);
  let status = 0; // proto3: an absent field is its zero value, UNKNOWN
  for (let i = 0; i < message.length;) {
    const key = readVarint(message, i);
    if (!key) return error('malformed protobuf in the health response');
    i = key.next;
    const wire = key.value & 7;
    if (wire === 0) {
      const v = readVarint(message, i);
      if (!v) return error('malformed protobuf in the health response');
      if (key.value >>> 3 === 1) status = v.value;
      i = v.next;
    } else if (wire === 2) {
      const len = readVarint(message, i);
      if (!len || len.next + len.value > message.length) return error('malformed protobuf in the health response');
      i = len.next + len.value;
    } else if (wire === 5) i += 4;
    else if (wire === 1) i += 8;
    else return error('malformed protobuf in the health response');
  }
  const name = SERVING_STATUS[status];
  return name ? { status: name } : error(`unknown serving status ${status}`);
}

function readVarint(b: Buffer, i: number): { value: number; next: number } | undefined {
  let value = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (i >= b.length) return undefined;
    const byte = b[i++] as number;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return { value, next: i };
  }
  return undefined;
}

/** gRPC's mapping of HTTP statuses for replies that carry no grpc-status. */
function httpToGrpc(status: number): number {
  if (status === 400) return INTERNAL;
  if (status === 401) return 16;
  if (status === 403) return 7;
  if (status === 404) return 12;
  if (status === 429 || status === 502 || status === 503 || status === 504) return UNAVAILABLE;
  return 2;
}
