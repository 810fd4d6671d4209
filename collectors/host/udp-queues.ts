import { defineCollector, gauge, type Sample } from '../../src/collector.js';
import { readOptionalPseudoFile } from '../../src/fs/procfs.js';
import { parseUdpQueues } from '../../src/parsers/proc-net-udp.js';

export default defineCollector({
  name: 'udp_queues',
  description: 'Bytes queued in UDP sockets (IPv4 and IPv6) from /proc/net/udp{,6}',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    const samples: Sample[] = [];
    for (const [ip, file] of [
      ['v4', 'net/udp'],
      ['v6', 'net/udp6'],
    ] as const) {
      const text = readOptionalPseudoFile(ctx.paths.procfs, file);
      if (text === undefined) continue; // no IPv6 (or no IPv4) on this kernel: no data for it
      const parsed = parseUdpQueues(text, `/proc/${file}`);
      if (!parsed.ok) throw new Error(parsed.error);
      samples.push({ labels: { queue: 'tx', ip }, value: parsed.value.tx }, { labels: { queue: 'rx', ip }, value: parsed.value.rx });
    }
    return samples.length ? [gauge('node_udp_queues', 'Number of allocated memory in the kernel for UDP datagrams in bytes.', samples)] : [];
  },
});
