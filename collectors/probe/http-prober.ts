/**
 * The HTTP(S) prober: blackbox_exporter's http prober on Node's http/https clients. Every hop
 * gets a fresh connection (agent: false, no keep-alive) to the one address resolveTarget picked,
 * with Host and SNI set to the name, so each phase is timed on its own:
 *   resolve     our lookup (each hop)
 *   connect     TCP connect
 *   tls         TLS handshake
 *   processing  request written → response headers parsed (Node has no first-byte hook)
 *   transfer    headers → end of body (final hop)
 */
import { readBounded } from '../../src/fs/bounded-read.js';
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Readable } from 'node:stream';
import { VERSION } from '../../src/version.js';
import type { HttpSettings } from './module.js';
import type { ProbeContext } from './probe-context.js';
import type { ProbeReport } from './probe-report.js';
import { ProbeError, resolveTarget, seconds, socketFailure, splitHostPort, stripBrackets } from './resolve.js';
import { recordTls, tlsClientOptions, tlsFacts, type TlsFacts } from './tls.js';

const MAX_REDIRECTS = 10;
/** Bodies are kept in memory only for regex checks, and never beyond this (body_size_limit can lower it). */
const MAX_MATCHED_BODY_BYTES = 16 << 20;
const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);
const PHASES = ['resolve', 'connect', 'tls', 'processing', 'transfer'] as const;

interface HopTimes {
  start: number;
  resolved?: number;
  connected?: number;
  secured?: number;
  responseStart?: number;
  end?: number;
}

export async function probeHttp(target: string, s: HttpSettings, ctx: ProbeContext, report: ProbeReport): Promise<boolean> {
  for (const phase of PHASES) report.set('probe_http_duration_seconds', 0, { phase });
  for (const name of [
    'probe_http_status_code',
    'probe_http_content_length',
    'probe_http_uncompressed_body_length',
    'probe_http_redirects',
    'probe_http_ssl',
    'probe_http_version',
    'probe_failed_due_to_regex',
  ] as const) {
    report.set(name, 0);
  }
  let url = parseTarget(target);
  let method = s.method;
  let body = s.bodyFile !== undefined ? await readBodyFile(s.bodyFile) : s.body;
  const hostOverride = ctx.hostname ?? headerValue(s.headers, 'host');
  let sameOrigin = true;
  for (let redirects = 0; ; redirects++) {
    const hop = await requestOnce(url, {
      method,
      body,
      s,
      ctx,
      report,
      hostOverride: sameOrigin ? hostOverride : undefined,
      withAuth: sameOrigin,
      firstHop: redirects === 0,
    });
    const { res, times } = hop;
    const location = res.headers.location;
    if (s.followRedirects && REDIRECT_CODES.has(res.statusCode ?? 0) && location !== undefined) {
      res.resume();
      addHopPhases(report, times, hop.tls !== undefined);
      if (redirects === MAX_REDIRECTS) {
        finishResponse(report, res, hop.tls, redirects, 0);
        return report.fail(`stopped after ${MAX_REDIRECTS} redirects`);
      }
      const next = new URL(location, url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') return report.fail(`redirect to unsupported URL scheme ${next.protocol}`);
      sameOrigin &&= next.host === url.host && next.protocol === url.protocol;
      if (res.statusCode !== 307 && res.statusCode !== 308 && method !== 'GET' && method !== 'HEAD') {
        method = 'GET';
        body = undefined;
      }
      url = next;
      report.set('probe_http_redirects', redirects + 1);
      continue;
    }
    return finalResponse(hop, redirects, s, report);
  }
}

function parseTarget(target: string): URL {
  const withScheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(target) ? target : `http://${target}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ProbeError(`invalid target URL ${JSON.stringify(target)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ProbeError(`the http prober needs an http:// or https:// URL, not ${url.protocol}`);
  return url;
}

interface Hop {
  res: IncomingMessage;
  times: HopTimes;
  /** Taken at the handshake (see TlsFacts); undefined for plain HTTP. */
  tls: TlsFacts | undefined;
}

interface HopInput {
  method: string;
  body: string | undefined;
  s: HttpSettings;
  ctx: ProbeContext;
  report: ProbeReport;
  hostOverride: string | undefined;
  /** Credentials go to the origin configured, not to another host a redirect points at. */
  withAuth: boolean;
  firstHop: boolean;
}

async function requestOnce(url: URL, h: HopInput): Promise<Hop> {
  const { s, ctx, report } = h;
  const times: HopTimes = { start: performance.now() };
  const resolved = await resolveTarget(url.hostname, s.ip, ctx, report);
  times.resolved = performance.now();
  if (h.firstHop) report.set('probe_http_duration_seconds', resolved.lookupSeconds, { phase: 'resolve' });
  else report.add('probe_http_duration_seconds', seconds(times.resolved - times.start), { phase: 'resolve' });
  const isTls = url.protocol === 'https:';
  const hostHeader = h.hostOverride ?? url.host;
  const headers: OutgoingHttpHeaders = { 'user-agent': `spyglass/${VERSION}` };
  for (const [k, v] of Object.entries(s.headers)) if (k.toLowerCase() !== 'host') headers[k.toLowerCase()] = v;
  headers.host = hostHeader;
  headers.connection = 'close';
  if (s.compression) headers['accept-encoding'] = s.compression;
  if (h.withAuth) await addAuthorization(headers, s, url);
  if (h.body !== undefined) headers['content-length'] = Buffer.byteLength(h.body);
  const serverName = h.hostOverride ? (splitHostPort(h.hostOverride, 443)?.host ?? h.hostOverride) : stripBrackets(url.hostname);
  const tlsOptions = isTls ? await tlsClientOptions(s.tls, serverName) : {};
  const port = url.port ? Number(url.port) : isTls ? 443 : 80;
  let tls: TlsFacts | undefined;
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = (isTls ? httpsRequest : httpRequest)({
      host: resolved.address,
      family: resolved.family,
      port,
      method: h.method,
      path: `${url.pathname}${url.search}`,
      headers,
      agent: false,
      signal: ctx.signal,
      setHost: false,
      ...(s.ip.sourceAddress ? { localAddress: s.ip.sourceAddress } : {}),
      ...tlsOptions,
    });
    req.once('socket', (socket) => {
      socket.once('connect', () => (times.connected = performance.now()));
      if (isTls) {
        socket.once('secureConnect', () => {
          times.secured = performance.now();
          tls = tlsFacts(socket as TLSSocket);
        });
      }
    });
    req.once('response', (r) => {
      times.responseStart = performance.now();
      resolve(r);
    });
    req.once('error', (err) => reject(hopError(err, times, isTls)));
    req.end(h.body);
  });
  return { res, times, tls };
}

function hopError(err: Error, times: HopTimes, isTls: boolean): Error {
  if (err.name === 'AbortError') return err;
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (code.startsWith('HPE_')) return new ProbeError(`malformed HTTP response (${code}): ${err.message}`);
  return socketFailure(times.connected === undefined ? 'connect' : isTls && times.secured === undefined ? 'TLS handshake' : 'request', err);
}

async function finalResponse(hop: Hop, redirects: number, s: HttpSettings, report: ProbeReport): Promise<boolean> {
  const { res, times } = hop;
  const status = res.statusCode ?? 0;
  let success = s.validStatusCodes.length ? s.validStatusCodes.includes(status) : status >= 200 && status < 300;
  if (!success) report.fail(`status code ${status} is not ${s.validStatusCodes.length ? `one of ${s.validStatusCodes.join(', ')}` : '2xx'}`);
  if (success && (s.headerMatches.length || s.headerNotMatches.length)) {
    const problem = headerProblem(res, s);
    report.set('probe_failed_due_to_regex', problem ? 1 : 0);
    if (problem) success = report.fail(problem);
  }
  const wantBody = success && (s.bodyMatches.length > 0 || s.bodyNotMatches.length > 0);
  let read: BodyRead;
  try {
    read = await readBody(res, s, wantBody);
  } catch (err) {
    times.end = performance.now();
    addHopPhases(report, times, hop.tls !== undefined);
    finishResponse(report, res, hop.tls, redirects, 0);
    return report.fail((err as Error).message);
  }
  times.end = performance.now();
  if (wantBody && read.body) {
    const problem = bodyProblem(read.body.toString('utf8'), s);
    report.set('probe_failed_due_to_regex', problem ? 1 : 0);
    if (problem) success = report.fail(problem);
  }
  const lastModified = res.headers['last-modified'];
  if (lastModified && Number.isFinite(Date.parse(lastModified)))
    report.set('probe_http_last_modified_timestamp_seconds', Math.floor(Date.parse(lastModified) / 1000));
  if (s.validHttpVersions.length && !s.validHttpVersions.includes(`HTTP/${res.httpVersion}`))
    success = report.fail(`HTTP version HTTP/${res.httpVersion} is not one of ${s.validHttpVersions.join(', ')}`);
  addHopPhases(report, times, hop.tls !== undefined);
  finishResponse(report, res, hop.tls, redirects, read.bytes);
  if (hop.tls && s.failIfSsl) success = report.fail('the final request used TLS (fail_if_ssl)');
  if (!hop.tls && s.failIfNotSsl && success) success = report.fail('the final request did not use TLS (fail_if_not_ssl)');
  return success;
}

function finishResponse(report: ProbeReport, res: IncomingMessage, tls: TlsFacts | undefined, redirects: number, bodyBytes: number): void {
  const length = Number(res.headers['content-length']);
  report.set('probe_http_status_code', res.statusCode ?? 0);
  report.set('probe_http_content_length', res.headers['content-length'] !== undefined && Number.isSafeInteger(length) ? length : -1);
  report.set('probe_http_uncompressed_body_length', bodyBytes);
  report.set('probe_http_redirects', redirects);
  report.set('probe_http_version', Number(res.httpVersion) || 0);
  if (tls) {
    report.set('probe_http_ssl', 1);
    recordTls(tls, report, { cipher: true });
  }
}

/** Adds one hop's phases the way blackbox sums them over redirects. */
function addHopPhases(report: ProbeReport, t: HopTimes, isTls: boolean): void {
  if (t.connected === undefined || t.resolved === undefined) return;
  const gotConn = isTls ? t.secured : t.connected;
  if (gotConn === undefined) return;
  report.add('probe_http_duration_seconds', seconds(t.connected - t.resolved), { phase: 'connect' });
  if (isTls) report.add('probe_http_duration_seconds', seconds(gotConn - t.connected), { phase: 'tls' });
  if (t.responseStart === undefined) return;
  report.add('probe_http_duration_seconds', seconds(t.responseStart - gotConn), { phase: 'processing' });
  if (t.end !== undefined) report.add('probe_http_duration_seconds', seconds(t.end - t.responseStart), { phase: 'transfer' });
}

interface BodyRead {
  bytes: number;
  body?: Buffer;
}

/** Reads the body to its end (counting, keeping it only for regex checks), decompressing when the module says so. */
async function readBody(res: IncomingMessage, s: HttpSettings, keep: boolean): Promise<BodyRead> {
  const stream = decompressed(res, s.compression);
  const keepLimit = s.bodySizeLimit > 0 ? Math.min(s.bodySizeLimit, MAX_MATCHED_BODY_BYTES) : MAX_MATCHED_BODY_BYTES;
  const chunks: Buffer[] = [];
  let bytes = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (s.bodySizeLimit > 0 && bytes > s.bodySizeLimit) throw new ProbeError(`response body is larger than body_size_limit (${s.bodySizeLimit} bytes)`);
      if (keep) {
        if (bytes > keepLimit) throw new ProbeError(`response body is larger than ${keepLimit} bytes, the most kept for regular expression checks`);
        chunks.push(chunk);
      }
    }
  } catch (err) {
    res.destroy();
    if (err instanceof ProbeError || (err as Error).name === 'AbortError') throw err;
    throw new ProbeError(`cannot read the response body: ${(err as Error).message}`);
  }
  return keep ? { bytes, body: Buffer.concat(chunks) } : { bytes };
}

function decompressed(res: IncomingMessage, compression: HttpSettings['compression']): Readable {
  switch (compression) {
    case 'gzip':
      return res.pipe(createGunzip()).on('error', (e) => res.emit('error', e));
    case 'deflate':
      return res.pipe(createInflate()).on('error', (e) => res.emit('error', e));
    case 'br':
      return res.pipe(createBrotliDecompress()).on('error', (e) => res.emit('error', e));
    default:
      return res;
  }
}

function headerProblem(res: IncomingMessage, s: HttpSettings): string | undefined {
  for (const m of s.headerMatches) {
    const values = headerValues(res, m.header);
    if (values.length === 0) {
      if (!m.allowMissing) return `header ${m.header} is missing`;
      continue;
    }
    if (values.some((v) => m.regexp.test(v))) return `header ${m.header} matched ${m.regexp.source}`;
  }
  for (const m of s.headerNotMatches) {
    const values = headerValues(res, m.header);
    if (values.length === 0) {
      if (!m.allowMissing) return `header ${m.header} is missing`;
      continue;
    }
    if (!values.some((v) => m.regexp.test(v))) return `header ${m.header} did not match ${m.regexp.source}`;
  }
  return undefined;
}

function headerValues(res: IncomingMessage, name: string): string[] {
  const v = res.headersDistinct[name];
  return v ?? [];
}

function bodyProblem(body: string, s: HttpSettings): string | undefined {
  for (const re of s.bodyMatches) if (re.test(body)) return `body matched ${re.source}`;
  for (const re of s.bodyNotMatches) if (!re.test(body)) return `body did not match ${re.source}`;
  return undefined;
}

async function addAuthorization(headers: OutgoingHttpHeaders, s: HttpSettings, url: URL): Promise<void> {
  if (url.username && !s.basicAuth && !s.authorization) {
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  } else if (s.basicAuth) {
    const password = await s.basicAuth.password.read();
    headers.authorization = `Basic ${Buffer.from(`${s.basicAuth.username}:${password}`).toString('base64')}`;
  } else if (s.authorization) {
    headers.authorization = `${s.authorization.type} ${await s.authorization.credentials.read()}`;
  }
}

/** A request body read from a file (blackbox's body_file): sent whole, so it is bounded. */
const MAX_BODY_FILE_BYTES = 16 << 20;

async function readBodyFile(file: string): Promise<string> {
  try {
    return (await readBounded(file, MAX_BODY_FILE_BYTES)).toString('utf8');
  } catch (err) {
    throw new ProbeError(`cannot read body_file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}
