import { readFileSync } from 'node:fs';
import { defineCollector, gauge, type MetricFamily } from '../../src/collector.js';
import { parseFailure, parseNumber, type ParseResult } from '../../src/parsers/parse-result.js';
import { readOptionalPseudoFile } from '../../src/fs/procfs.js';

/** One `PROTO: key value key value…` line per protocol; `sockets: used N` is kept as protocol "sockets". */
export function parseSockstat(text: string, file: string): ParseResult<Map<string, Map<string, number>>> {
  const protocols = new Map<string, Map<string, number>>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (!line) continue;
    const m = /^([A-Za-z0-9]+):((?:\s+\S+\s+\S+)+)$/.exec(line);
    if (!m) return parseFailure(file, i + 1, `malformed line ${JSON.stringify(line.slice(0, 80))}`);
    const fields = new Map<string, number>();
    const parts = (m[2] as string).trim().split(/\s+/);
    for (let p = 0; p < parts.length; p += 2) {
      const value = parseNumber(parts[p + 1]);
      if (value === undefined) return parseFailure(file, i + 1, `value of ${parts[p]} is not a number: ${JSON.stringify(parts[p + 1])}`);
      fields.set(parts[p] as string, value);
    }
    protocols.set(m[1] as string, fields);
  }
  return { ok: true, value: protocols };
}

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
          if (field === 'mem') families.push(gauge(`node_sockstat_${protocol}_mem_bytes`, `Number of ${protocol} sockets in state mem_bytes.`, [{ value: value * PAGE_SIZE }], 'bytes'));
        }
      }
    }
    return families;
  },
});
