import { parseFailure, type ParseResult } from './parse-result.js';
import { excerpt, type SkippedLine } from './skipped-line.js';

export interface IpvsTotals {
  connections: number;
  incomingPackets: number;
  outgoingPackets: number;
  incomingBytes: number;
  outgoingBytes: number;
}

/**
 * /proc/net/ip_vs_stats: two header lines, then the five totals since the module was loaded, in
 * hexadecimal (conns, packets in, packets out, bytes in, bytes out); the per-second rates after
 * them are not read.
 */
export function parseIpvsStats(text: string): ParseResult<IpvsTotals> {
  const line = text.split('\n')[2];
  if (line === undefined) return parseFailure('/proc/net/ip_vs_stats', 3, 'file too short: no totals line');
  const fields = line.trim().split(/\s+/);
  if (fields.length !== 5 || !fields.every((f) => /^[0-9A-Fa-f]{1,16}$/.test(f)))
    return parseFailure('/proc/net/ip_vs_stats', 3, `expected 5 hexadecimal totals, got ${excerpt(line)}`);
  const [connections, incomingPackets, outgoingPackets, incomingBytes, outgoingBytes] = fields.map((f) => Number(BigInt(`0x${f}`))) as [
    number,
    number,
    number,
    number,
    number,
  ];
  return { ok: true, value: { connections, incomingPackets, outgoingPackets, incomingBytes, outgoingBytes } };
}

export interface IpvsBackend {
  /** Empty for a firewall-mark service. */
  localAddress: string;
  localPort: number;
  /** The mark of a firewall-mark (FWM) service as the kernel prints it, else empty. */
  localMark: string;
  remoteAddress: string;
  remotePort: number;
  /** TCP, UDP, SCTP or FWM. */
  proto: string;
  weight: number;
  activeConnections: number;
  inactiveConnections: number;
}

/** `C0A80016:0CEA` (IPv4) or `[2001:0db8:…:0001]:0050` (IPv6) as address and port; undefined if neither. */
export function parseIpvsAddress(s: string): { address: string; port: number } | undefined {
  let m = /^([0-9A-Fa-f]{8}):([0-9A-Fa-f]{4})$/.exec(s);
  if (m) {
    const hex = m[1] as string;
    const address = [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
    return { address, port: parseInt(m[2] as string, 16) };
  }
  m = /^\[((?:[0-9A-Fa-f]{4}:){7}[0-9A-Fa-f]{4})\]:([0-9A-Fa-f]{4})$/.exec(s);
  if (m) return { address: formatIpv6((m[1] as string).split(':').map((g) => parseInt(g, 16))), port: parseInt(m[2] as string, 16) };
  return undefined;
}

/**
 * Eight 16-bit groups as Go's net.IP prints them (node_exporter's label values): an IPv4-mapped
 * address as dotted quad, else RFC 5952 (lower case, the first longest run of two or more zero
 * groups as `::`).
 */
export function formatIpv6(groups: number[]): string {
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [a, b] = [groups[6] as number, groups[7] as number];
    return [a >> 8, a & 0xff, b >> 8, b & 0xff].join('.');
  }
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [best, bestLength] = [i, j - i];
    if (j > i) i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLength).join(':')}`;
}

const SERVICE_PROTOS = new Set(['TCP', 'UDP', 'SCTP']);

/**
 * /proc/net/ip_vs: three header lines, then each virtual service (`TCP  C0A80016:0CEA wlc …` or
 * `FWM  10001000 wlc …`) followed by its real servers (`-> C0A85216:0CEA Tunnel 100 248 2`: weight,
 * active and inactive connections). A garbled line is skipped; so are the real servers of a
 * service whose line was.
 */
export function parseIpvsBackends(text: string): { backends: IpvsBackend[]; skipped: SkippedLine[] } {
  const backends: IpvsBackend[] = [];
  const skipped: SkippedLine[] = [];
  let service: Pick<IpvsBackend, 'localAddress' | 'localPort' | 'localMark' | 'proto'> | undefined;
  let serviceGarbled = false;
  text.split('\n').forEach((line, i) => {
    const fields = line.trim().split(/\s+/).filter(Boolean);
    const first = fields[0];
    if (first === undefined || first === 'IP' || first === 'Prot' || fields[1] === 'RemoteAddress:Port') return;
    const skip = (what: string) => skipped.push({ reason: 'garbled line', detail: `/proc/net/ip_vs:${i + 1}: ${what}: ${excerpt(line)}` });
    if (SERVICE_PROTOS.has(first)) {
      const local = parseIpvsAddress(fields[1] ?? '');
      serviceGarbled = !local;
      if (!local) return skip('bad service address');
      service = { proto: first, localAddress: local.address, localPort: local.port, localMark: '' };
    } else if (first === 'FWM') {
      serviceGarbled = !/^[0-9A-Fa-f]+$/.test(fields[1] ?? '');
      if (serviceGarbled) return skip('bad firewall mark');
      service = { proto: first, localAddress: '', localPort: 0, localMark: fields[1] as string };
    } else if (first === '->') {
      if (serviceGarbled) return skip('real server of a garbled service');
      const remote = parseIpvsAddress(fields[1] ?? '');
      const numbers = fields.slice(3, 6);
      if (!service || !remote || numbers.length < 3 || !numbers.every((n) => /^\d+$/.test(n))) return skip('bad real server');
      const [weight, activeConnections, inactiveConnections] = numbers.map(Number) as [number, number, number];
      backends.push({ ...service, remoteAddress: remote.address, remotePort: remote.port, weight, activeConnections, inactiveConnections });
    } else {
      serviceGarbled = true;
      skip('unknown line');
    }
  });
  return { backends, skipped };
}
