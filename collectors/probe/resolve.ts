/**
 * Picks the one address a probe connects to, the way blackbox_exporter does: the preferred IP
 * version first, the other one only when allowed and the name has no address of the preferred
 * kind; no happy eyeballs, no retries. Uses getaddrinfo (dns.lookup), so /etc/hosts counts.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { IpPreference } from './module.js';
import type { ProbeContext } from './probe-context.js';
import type { ProbeReport } from './probe-report.js';

export interface Resolved {
  address: string;
  family: 4 | 6;
  lookupSeconds: number;
}

/** Thrown for failures whose message is the whole story (no stack needed in the reason). */
export class ProbeError extends Error {}

/** `connect failed: ECONNREFUSED 127.0.0.1:1`, `TLS handshake failed: CERT_HAS_EXPIRED certificate has expired`. */
export function socketFailure(stage: string, err: NodeJS.ErrnoException & { address?: string; port?: number }): ProbeError {
  if (err.syscall && err.code) return new ProbeError(`${stage} failed: ${err.code}${err.address ? ` ${err.address}${err.port ? `:${err.port}` : ''}` : ''}`);
  return new ProbeError(`${stage} failed: ${err.code && !err.message.includes(err.code) ? `${err.code} ` : ''}${err.message}`);
}

/** Milliseconds from performance.now() to seconds, without float noise below a nanosecond. */
export function seconds(ms: number): number {
  return Math.round(ms * 1e6) / 1e9;
}

/** Resolves `host` (a name or an IP literal, brackets allowed) and records blackbox's resolve gauges. */
export async function resolveTarget(host: string, pref: IpPreference, ctx: ProbeContext, report: ProbeReport): Promise<Resolved> {
  const started = performance.now();
  const resolved = await pick(stripBrackets(host), pref, ctx.signal);
  const lookupSeconds = seconds(performance.now() - started);
  report.add('probe_dns_lookup_time_seconds', lookupSeconds);
  report.set('probe_ip_protocol', resolved.family);
  report.set('probe_ip_addr_hash', ipHash(resolved.address));
  const denied = ctx.checkAddress?.(resolved.address, resolved.family, host);
  if (denied) throw new ProbeError(`address ${resolved.address}${stripBrackets(host) === resolved.address ? '' : ` (${host})`} is not allowed: ${denied}`);
  return { ...resolved, lookupSeconds };
}

async function pick(host: string, pref: IpPreference, signal: AbortSignal): Promise<{ address: string; family: 4 | 6 }> {
  const literal = isIP(host);
  if (literal) {
    if (literal !== pref.family && !pref.fallback) throw new ProbeError(`${host} is not an IPv${pref.family} address and ip_protocol_fallback is off`);
    return { address: host, family: literal as 4 | 6 };
  }
  const addresses = await abortable(lookup(host, pref.fallback ? { all: true } : { all: true, family: pref.family }), signal).catch(
    (err: NodeJS.ErrnoException) => {
      if (signal.aborted) throw err;
      throw new ProbeError(`cannot resolve ${host}: ${err.code ?? err.message}`);
    },
  );
  const preferred = addresses.find((a) => a.family === pref.family) ?? (pref.fallback ? addresses[0] : undefined);
  if (!preferred) throw new ProbeError(`${host} has no IPv${pref.family} address${pref.fallback ? '' : ' and ip_protocol_fallback is off'}`);
  return { address: preferred.address, family: preferred.family as 4 | 6 };
}

/** getaddrinfo cannot be cancelled; the probe stops waiting for it at its deadline. */
export function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e as Error);
      },
    );
  });
}

/**
 * `host:port` or `[v6]:port`; with a default port also a bare `host`, `[v6]` or v6 literal.
 * Undefined when malformed or the port is out of range (each prober words its own error).
 */
export function splitHostPort(target: string, defaultPort?: number): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(target.trim());
  if (!m) return defaultPort !== undefined && isIP(target) === 6 ? { host: target, port: defaultPort } : undefined;
  const port = m[3] !== undefined ? Number(m[3]) : defaultPort;
  if (port === undefined || port < 1 || port > 65535) return undefined;
  return { host: (m[1] ?? m[2]) as string, port };
}

export function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** FNV-32a over the address bytes (4 for IPv4, 16 for IPv6), as blackbox_exporter's probe_ip_addr_hash. */
export function ipHash(address: string): number {
  let h = 0x811c9dc5;
  for (const byte of addressBytes(address)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function addressBytes(address: string): number[] {
  if (isIP(address) === 4) return address.split('.').map(Number);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return (mapped[1] as string).split('.').map(Number);
  const [head = '', tail = ''] = address.split('::');
  const groups = (s: string) => (s ? s.split(':') : []);
  const expand = (gs: string[]) => gs.flatMap((g) => (g.includes('.') ? ipv4AsGroups(g) : [parseInt(g, 16)]));
  const left = expand(groups(head));
  const right = expand(groups(tail));
  const words = address.includes('::') ? [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right] : left;
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

function ipv4AsGroups(v4: string): number[] {
  const [a = 0, b = 0, c = 0, d = 0] = v4.split('.').map(Number);
  return [(a << 8) | b, (c << 8) | d];
}
