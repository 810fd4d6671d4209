import { defineCollector, gauge } from '../../src/collector.js';
import { readPseudoFile } from '../../src/fs/procfs.js';
import { parseLoadavg } from '../../src/parsers/proc-loadavg.js';

export default defineCollector({
  name: 'loadavg',
  description: 'Load averages from /proc/loadavg (node_load1, node_load5, node_load15)',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    const parsed = parseLoadavg(readPseudoFile(ctx.paths.procfs, 'loadavg'));
    if (!parsed.ok) throw new Error(parsed.error);
    const { load1, load5, load15 } = parsed.value;
    return [
      gauge('node_load1', '1m load average.', [{ value: load1 }]),
      gauge('node_load5', '5m load average.', [{ value: load5 }]),
      gauge('node_load15', '15m load average.', [{ value: load15 }]),
    ];
  },
});
