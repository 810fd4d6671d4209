import { defineCollector, gauge, type MetricFamily } from '../../src/collector.js';
import { readOptionalPseudoFile } from '../../src/fs/procfs.js';
import { readSingleNumber } from './single-values.js';
import { parseConntrackStat } from '../../src/parsers/proc-net-conntrack.js';

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

export default defineCollector({
  name: 'conntrack',
  description: 'Connection tracking table usage and statistics (nf_conntrack); no data without the module',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    const families: MetricFamily[] = [];
    const entries = readSingleNumber(ctx.paths.procfs, 'sys/net/netfilter/nf_conntrack_count');
    if (entries !== undefined)
      families.push(gauge('node_nf_conntrack_entries', 'Number of currently allocated flow entries for connection tracking.', [{ value: entries }]));
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
