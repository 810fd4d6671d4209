import { counter, defineCollector, gauge, type Sample } from '../../src/collector.js';
import { readOptionalPseudoFile } from '../../src/fs/procfs.js';
import { parseSoftnetStat, type SoftnetRow } from '../../src/parsers/proc-net-softnet.js';

const COUNTERS: Array<[keyof Omit<SoftnetRow, 'cpu' | 'backlog_len'>, string]> = [
  ['processed', 'Number of processed packets'],
  ['dropped', 'Number of dropped packets'],
  ['times_squeezed', 'Number of times processing packets ran out of quota'],
  ['cpu_collision', 'Number of collision occur while obtaining device lock while transmitting'],
  ['received_rps', 'Number of times cpu woken up received_rps'],
  ['flow_limit_count', 'Number of times flow limit has been reached'],
];

export default defineCollector({
  name: 'softnet',
  description: 'Per-CPU packet processing statistics from /proc/net/softnet_stat',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    const text = readOptionalPseudoFile(ctx.paths.procfs, 'net/softnet_stat');
    if (text === undefined) return [];
    const parsed = parseSoftnetStat(text);
    if (!parsed.ok) throw new Error(parsed.error);
    const samples = (field: keyof Omit<SoftnetRow, 'cpu'>): Sample[] =>
      parsed.value.flatMap((row) => (row[field] === undefined ? [] : [{ labels: { cpu: row.cpu }, value: row[field] }]));
    return [
      ...COUNTERS.map(([field, help]) => counter(`node_softnet_${field}_total`, help, samples(field))),
      gauge('node_softnet_backlog_len', 'Softnet backlog status', samples('backlog_len')),
    ].filter((f) => f.samples.length > 0);
  },
});
