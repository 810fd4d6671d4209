import { defineCollector, gauge, type Sample } from '../../src/collector.js';
import { parseFailure, type ParseResult } from '../../src/parsers/parse-result.js';
import { readOptionalPseudoFile } from '../../src/fs/procfs.js';

export interface UdpQueueTotals {
  tx: number;
  rx: number;
}

/**
 * /proc/net/udp and udp6: a header, then one socket per line whose fifth field is
 * `tx_queue:rx_queue` in hex bytes. The totals are summed over all sockets.
 */
export function parseUdpQueues(text: string, file: string): ParseResult<UdpQueueTotals> {
  const totals = { tx: 0, rx: 0 };
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (!line) continue;
    const queues = line.split(/\s+/)[4];
    const m = queues === undefined ? null : /^([0-9A-Fa-f]+):([0-9A-Fa-f]+)$/.exec(queues);
    if (!m) return parseFailure(file, i + 1, `expected tx_queue:rx_queue in field 5, got ${JSON.stringify(queues ?? line.slice(0, 60))}`);
    totals.tx += parseInt(m[1] as string, 16);
    totals.rx += parseInt(m[2] as string, 16);
  }
  return { ok: true, value: totals };
}

export default defineCollector({
  name: 'udp_queues',
  description: 'Bytes queued in UDP sockets (IPv4 and IPv6) from /proc/net/udp{,6}',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    const samples: Sample[] = [];
    for (const [ip, file] of [['v4', 'net/udp'], ['v6', 'net/udp6']] as const) {
      const text = readOptionalPseudoFile(ctx.paths.procfs, file);
      if (text === undefined) continue; // no IPv6 (or no IPv4) on this kernel: no data for it
      const parsed = parseUdpQueues(text, `/proc/${file}`);
      if (!parsed.ok) throw new Error(parsed.error);
      samples.push({ labels: { queue: 'tx', ip }, value: parsed.value.tx }, { labels: { queue: 'rx', ip }, value: parsed.value.rx });
    }
    return samples.length ? [gauge('node_udp_queues', 'Number of allocated memory in the kernel for UDP datagrams in bytes.', samples)] : [];
  },
});
