import { readFileSync } from 'node:fs';
import { defineCollector, gauge, type MetricFamily } from '../../src/collector.js';
import { readOptionalPseudoFile } from '../../src/fs/procfs.js';
import { parseSockstat } from '../../src/parsers/proc-net-sockstat.js';

/** The kernel's page size, which `mem` in sockstat counts in; read once from our own smaps. */
const PAGE_SIZE = (() => {
  try {
    const kb = /KernelPageSize:\s+(\d+) kB/.exec(readFileSync('/proc/self/smaps', 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : 4096;
  } catch {
    return 4096;
  }
})();

export default defineCollector({
  name: 'sockstat',
  description: 'Socket statistics from /proc/net/sockstat and /proc/net/sockstat6',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    const families: MetricFamily[] = [];
    for (const file of ['net/sockstat', 'net/sockstat6']) {
      const text = readOptionalPseudoFile(ctx.paths.procfs, file);
      if (text === undefined) continue; // no IPv6 (or no procfs net): nothing to report
      const parsed = parseSockstat(text, `/proc/${file}`);
      if (!parsed.ok) throw new Error(parsed.error);
      for (const [protocol, fields] of parsed.value) {
        if (protocol === 'sockets') {
          const used = fields.get('used');
          if (used !== undefined) families.push(gauge('node_sockstat_sockets_used', 'Number of IPv4 sockets in use.', [{ value: used }]));
          continue;
        }
        for (const [field, value] of fields) {
          families.push(gauge(`node_sockstat_${protocol}_${field}`, `Number of ${protocol} sockets in state ${field}.`, [{ value }]));
          if (field === 'mem')
            families.push(
              gauge(`node_sockstat_${protocol}_mem_bytes`, `Number of ${protocol} sockets in state mem_bytes.`, [{ value: value * PAGE_SIZE }], 'bytes'),
            );
        }
      }
    }
    return families;
  },
});
