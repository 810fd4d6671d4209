import { counter, defineCollector, gauge, type MetricFamily, type OptionProblem, type Sample } from '../../src/collector.js';
import { readOptionalPseudoFile } from '../../src/fs/procfs.js';
import { parseIpvsBackends, parseIpvsStats, type IpvsBackend } from '../../src/parsers/proc-net-ipvs.js';

/** node_exporter's backend labels, in its order. */
const BACKEND_LABELS = ['local_address', 'local_port', 'remote_address', 'remote_port', 'proto', 'local_mark'] as const;
type BackendLabel = (typeof BACKEND_LABELS)[number];

function labelValue(b: IpvsBackend, label: BackendLabel): string {
  switch (label) {
    case 'local_address':
      return b.localAddress;
    case 'local_port':
      return String(b.localPort);
    case 'remote_address':
      return b.remoteAddress;
    case 'remote_port':
      return String(b.remotePort);
    case 'proto':
      return b.proto;
    case 'local_mark':
      return b.localMark;
  }
}

/** The labels named in the option, in node_exporter's order, or the unknown ones. */
export function parseBackendLabels(option: string): { labels: BackendLabel[] } | { unknown: string[] } {
  const named = new Set(option.split(',').filter(Boolean));
  const unknown = [...named].filter((l) => !(BACKEND_LABELS as readonly string[]).includes(l)).sort();
  if (unknown.length) return { unknown };
  return { labels: BACKEND_LABELS.filter((l) => named.has(l)) };
}

export default defineCollector<{ backend_labels: string }>({
  name: 'ipvs',
  description: 'IPVS totals and per-real-server connections and weight from /proc/net/ip_vs_stats and /proc/net/ip_vs',
  enabledByDefault: true,
  group: 'host',
  options: {
    type: 'object',
    properties: {
      backend_labels: {
        type: 'string',
        default: BACKEND_LABELS.join(','),
        description: 'Comma-separated labels of the backend series; series that share them are summed',
      },
    },
  },
  validate(options): OptionProblem[] {
    const parsed = parseBackendLabels(options.backend_labels ?? BACKEND_LABELS.join(','));
    return 'unknown' in parsed
      ? [{ path: ['backend_labels'], message: `unknown IPVS backend labels: ${parsed.unknown.join(', ')} (known: ${BACKEND_LABELS.join(', ')})` }]
      : [];
  },
  collect(ctx) {
    const chosen = parseBackendLabels(ctx.config.backend_labels);
    if ('unknown' in chosen) throw new Error(`unknown IPVS backend labels: ${chosen.unknown.join(', ')}`);
    // Without the ip_vs module there is no ip_vs_stats: no data.
    const statsText = readOptionalPseudoFile(ctx.paths.procfs, 'net/ip_vs_stats');
    if (statsText === undefined) return [];
    const families: MetricFamily[] = [];
    const stats = parseIpvsStats(statsText);
    if (!stats.ok) ctx.skip('garbled file', stats.error);
    else {
      const t = stats.value;
      families.push(
        counter('node_ipvs_connections_total', 'The total number of connections made.', [{ value: t.connections }]),
        counter('node_ipvs_incoming_packets_total', 'The total number of incoming packets.', [{ value: t.incomingPackets }]),
        counter('node_ipvs_outgoing_packets_total', 'The total number of outgoing packets.', [{ value: t.outgoingPackets }]),
        counter('node_ipvs_incoming_bytes_total', 'The total amount of incoming data.', [{ value: t.incomingBytes }]),
        counter('node_ipvs_outgoing_bytes_total', 'The total amount of outgoing data.', [{ value: t.outgoingBytes }]),
      );
    }
    const backendText = readOptionalPseudoFile(ctx.paths.procfs, 'net/ip_vs');
    if (backendText === undefined) return families;
    const { backends, skipped } = parseIpvsBackends(backendText);
    for (const s of skipped) ctx.skip(s.reason, s.detail);
    // Real servers that the chosen labels do not tell apart are summed, as node_exporter does.
    const sums = new Map<string, { labels: Record<string, string>; active: number; inactive: number; weight: number }>();
    for (const b of backends) {
      const labels = Object.fromEntries(chosen.labels.map((l) => [l, labelValue(b, l)]));
      const key = JSON.stringify(Object.values(labels));
      const sum = sums.get(key) ?? { labels, active: 0, inactive: 0, weight: 0 };
      sum.active += b.activeConnections;
      sum.inactive += b.inactiveConnections;
      sum.weight += b.weight;
      sums.set(key, sum);
    }
    const of = (pick: (s: { active: number; inactive: number; weight: number }) => number): Sample[] =>
      [...sums.values()].map((s) => ({ labels: s.labels, value: pick(s) }));
    families.push(
      gauge(
        'node_ipvs_backend_connections_active',
        'The current active connections by local and remote address.',
        of((s) => s.active),
      ),
      gauge(
        'node_ipvs_backend_connections_inactive',
        'The current inactive connections by local and remote address.',
        of((s) => s.inactive),
      ),
      gauge(
        'node_ipvs_backend_weight',
        'The current backend weight by local and remote address.',
        of((s) => s.weight),
      ),
    );
    return families;
  },
});
