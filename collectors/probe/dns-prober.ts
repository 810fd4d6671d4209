/**
 * The DNS prober: one query to the target server over UDP or TCP, blackbox's phases
 * (resolve = the server's own name, connect = socket set-up, request = query sent → reply
 * decoded), rcode and section checks.
 */
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect as netConnect } from 'node:net';
import type { DnsSettings, RrValidator } from './module.js';
import type { ProbeContext } from './probe-context.js';
import type { ProbeReport } from './probe-report.js';
import { ProbeError, resolveTarget, seconds, socketFailure, splitHostPort } from './resolve.js';
import { decodeResponse, DnsFormatError, encodeQuery, parseClass, parseType, RCODES, TYPES, type DnsResponse, type ResourceRecord } from './dns-wire.js';

/** Largest UDP reply read (EDNS0 is not requested, so servers send at most 512 bytes; some send more). */
const MAX_UDP_REPLY = 65535;

export async function probeDns(target: string, s: DnsSettings, ctx: ProbeContext, report: ProbeReport): Promise<boolean> {
  for (const phase of ['resolve', 'connect', 'request']) report.set('probe_dns_duration_seconds', 0, { phase });
  for (const name of ['probe_dns_answer_rrs', 'probe_dns_authority_rrs', 'probe_dns_additional_rrs', 'probe_dns_query_succeeded'] as const) report.set(name, 0);
  const type = parseType(s.queryType);
  const klass = parseClass(s.queryClass);
  if (type === undefined) throw new ProbeError(`unknown query_type ${s.queryType}`);
  if (klass === undefined) throw new ProbeError(`unknown query_class ${s.queryClass}`);
  const split = splitHostPort(target, 53);
  if (!split) throw new ProbeError(`invalid DNS server ${target}: host, host:port or [v6]:port with a port from 1 to 65535`);
  const { host, port } = split;
  const resolved = await resolveTarget(host, s.ip, ctx, report);
  report.set('probe_dns_duration_seconds', resolved.lookupSeconds, { phase: 'resolve' });
  const id = randomInt(0, 65536);
  const query = encodeQuery(id, { name: s.queryName, type, class: klass }, s.recursionDesired);
  const exchange = s.transport === 'tcp' ? exchangeTcp : exchangeUdp;
  const server = { address: resolved.address, family: resolved.family, port, localAddress: s.ip.sourceAddress };
  const { reply, connectMs, requestMs } = await exchange(server, query, ctx.signal);
  report.set('probe_dns_duration_seconds', seconds(connectMs), { phase: 'connect' });
  report.set('probe_dns_duration_seconds', seconds(requestMs), { phase: 'request' });
  let response: DnsResponse;
  try {
    response = decodeResponse(reply);
  } catch (err) {
    if (err instanceof DnsFormatError) throw new ProbeError(`malformed DNS reply: ${err.message}`);
    throw err;
  }
  if (response.id !== id) throw new ProbeError(`DNS reply has id ${response.id}, the query had ${id}`);
  report.set('probe_dns_answer_rrs', response.answer.length);
  report.set('probe_dns_authority_rrs', response.authority.length);
  report.set('probe_dns_additional_rrs', response.additional.length);
  report.set('probe_dns_query_succeeded', 1);
  if (type === TYPES.SOA) {
    report.set('probe_dns_serial', 0);
    for (const rr of response.answer) if (rr.serial !== undefined) report.set('probe_dns_serial', rr.serial);
  }
  const valid = s.validRcodes.map((r) => RCODES[r]);
  if (!valid.includes(response.rcode)) return report.fail(`rcode ${rcodeName(response.rcode)} is not one of ${s.validRcodes.join(', ')}`);
  const problem =
    rrProblem('answer', response.answer, s.validateAnswer) ??
    rrProblem('authority', response.authority, s.validateAuthority) ??
    rrProblem('additional', response.additional, s.validateAdditional);
  return problem ? report.fail(problem) : true;
}

/** blackbox's validRRs: the four regexp lists over the records as text. */
export function rrProblem(section: string, rrs: readonly ResourceRecord[], v: RrValidator): string | undefined {
  if (rrs.length === 0 && (v.failIfNotMatches.length || v.failIfNoneMatches.length)) return `no ${section} records, but a regexp match is required`;
  for (const rr of rrs) {
    for (const re of v.failIfMatches) if (re.test(rr.text)) return `${section} record ${rr.text} matched ${re.source}`;
    for (const re of v.failIfNotMatches) if (!re.test(rr.text)) return `${section} record ${rr.text} did not match ${re.source}`;
  }
  if (v.failIfAllMatch.length && rrs.every((rr) => v.failIfAllMatch.every((re) => re.test(rr.text))))
    return `every ${section} record matched fail_if_all_match_regexp`;
  if (v.failIfNoneMatches.length && !rrs.some((rr) => v.failIfNoneMatches.some((re) => re.test(rr.text))))
    return `no ${section} record matched fail_if_none_matches_regexp`;
  return undefined;
}

function rcodeName(rcode: number): string {
  return Object.entries(RCODES).find(([, v]) => v === rcode)?.[0] ?? String(rcode);
}

interface Server {
  address: string;
  family: 4 | 6;
  port: number;
  localAddress: string | undefined;
}

interface Exchange {
  reply: Buffer;
  connectMs: number;
  requestMs: number;
}

type Settle = (err: Error | undefined, reply?: Buffer) => void;

/**
 * One query/reply over a socket `open` creates: `settle` ends it once (closing the socket), and
 * so does the deadline. `sent()` marks when the query went out: before it is connect, after it request.
 */
function exchange(signal: AbortSignal, open: (settle: Settle, sent: () => void) => { close(): void }): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let sentAt = started;
    let settled = false;
    // eslint-disable-next-line prefer-const -- settle() may run before the assignment below returns; a const would not exist yet
    let socket: { close(): void } | undefined;
    const settle: Settle = (err, reply) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket?.close();
      if (err) reject(err);
      else resolve({ reply: reply as Buffer, connectMs: sentAt - started, requestMs: performance.now() - sentAt });
    };
    const onAbort = () => settle(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    socket = open(settle, () => (sentAt = performance.now()));
  });
}

function exchangeUdp(server: Server, query: Buffer, signal: AbortSignal): Promise<Exchange> {
  return exchange(signal, (settle, sent) => {
    const socket = createSocket({ type: server.family === 6 ? 'udp6' : 'udp4', recvBufferSize: MAX_UDP_REPLY });
    socket.once('error', (err) => settle(socketFailure('DNS over UDP', err)));
    // The first datagram from the server is the reply; others (and strays from elsewhere, which a connected socket drops) are ignored.
    socket.once('message', (msg) => settle(undefined, msg));
    const connect = () =>
      socket.connect(server.port, server.address, () => {
        sent();
        socket.send(query, (err) => err && settle(new ProbeError(`DNS query not sent: ${err.message}`)));
      });
    if (server.localAddress) socket.bind({ address: server.localAddress, port: 0 }, connect);
    else connect();
    return socket;
  });
}

function exchangeTcp(server: Server, query: Buffer, signal: AbortSignal): Promise<Exchange> {
  return exchange(signal, (settle, sent) => {
    let buffered = Buffer.alloc(0);
    const socket = netConnect({
      host: server.address,
      port: server.port,
      family: server.family,
      ...(server.localAddress ? { localAddress: server.localAddress } : {}),
    });
    socket.once('connect', () => {
      sent();
      const framed = Buffer.alloc(2 + query.length);
      framed.writeUInt16BE(query.length, 0);
      query.copy(framed, 2);
      socket.write(framed);
    });
    socket.on('data', (d) => {
      buffered = Buffer.concat([buffered, d]);
      if (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) settle(undefined, buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
    });
    socket.once('end', () => settle(new ProbeError(`DNS server closed the TCP connection after ${buffered.length} bytes, before a whole reply`)));
    socket.once('error', (err: NodeJS.ErrnoException) => settle(socketFailure('DNS over TCP', err)));
    return { close: () => socket.destroy() };
  });
}
