import { defineCollector, gauge, type MetricFamily } from '../../src/collector.js';
import { parseFailure, type ParseResult } from '../../src/parsers/parse-result.js';
import { readOptionalPseudoFile } from '../../src/fs/procfs.js';
import { readSingleNumber } from './single-values.js';

const STAT_FIELDS: Record<string, string> = {
  found: 'Number of searched entries which were successful.',
  invalid: 'Number of packets seen which can not be tracked.',
  ignore: 'Number of packets seen which are already connected to a conntrack entry.',
  insert: 'Number of entries inserted into the list.',
  insert_failed: 'Number of entries for which list insertion was attempted but failed.',
  drop: 'Number of packets dropped due to conntrack failure.',
  early_drop: 'Number of dropped conntrack entries to make room for new ones, if maximum table size was reached.',
  search_restart: 'Number of conntrack table lookups which had to be restarted due to hashtable resizes.',
};

/** /proc/net/stat/nf_conntrack: a header of column names, then one row of hex counters per CPU; summed. */
export function parseConntrackStat(text: string): ParseResult<Map<string, number>> {
  const lines = text.split('\n').filter((l) => l.trim());
  const header = lines[0]?.trim().split(/\s+/) ?? [];
  if (header.length === 0) return parseFailure('/proc/net/stat/nf_conntrack', 1, 'empty file');
  const sums = new Map<string, number>();
  for (let i = 1; i < lines.length; i++) {
    const cells = (lines[i] as string).trim().split(/\s+/);
    if (cells.length !== header.length) return parseFailure('/proc/net/stat/nf_conntrack', i + 1, `expected ${header.length} columns, got ${cells.length}`);
    for (let c = 0; c < header.length; c++) {
      const cell = cells[c] as string;
      if (!/^[0-9a-fA-F]+$/.test(cell)) return parseFailure('/proc/net/stat/nf_conntrack', i + 1, `column ${header[c]} is not hex: ${JSON.stringify(cell)}`);
      const name = header[c] as string;
      sums.set(name, (sums.get(name) ?? 0) + parseInt(cell, 16));
    }
  }
  return { ok: true, value: sums };
}

export default defineCollector({
  name: 'conntrack',
  description: 'Connection tracking table usage and statistics (nf_conntrack); no data without the module',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    const families: MetricFamily[] = [];
    const entries = readSingleNumber(ctx.paths.procfs, 'sys/net/netfilter/nf_conntrack_count');
    if (entries !== undefined) families.push(gauge('node_nf_conntrack_entries', 'Number of currently allocated flow entries for connection tracking.', [{ value: entries }]));
    const limit = readSingleNumber(ctx.paths.procfs, 'sys/net/netfilter/nf_conntrack_max');
    if (limit !== undefined) families.push(gauge('node_nf_conntrack_entries_limit', 'Maximum size of connection tracking table.', [{ value: limit }]));
    const statText = readOptionalPseudoFile(ctx.paths.procfs, 'net/stat/nf_conntrack');
    if (statText !== undefined) {
      const stat = parseConntrackStat(statText);
      if (!stat.ok) throw new Error(stat.error);
      for (const [field, help] of Object.entries(STAT_FIELDS)) {
        const value = stat.value.get(field);
        // Typed gauge although cumulative: node_exporter's type, kept for compatibility.
        if (value !== undefined) families.push(gauge(`node_nf_conntrack_stat_${field}`, help, [{ value }]));
      }
    }
    return families;
  },
});
