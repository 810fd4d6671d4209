import { defineCollector, gauge, type MetricFamily } from '../../src/collector.js';
import { readSingleNumber } from './single-values.js';

export default defineCollector({
  name: 'entropy',
  description: 'Available entropy and pool size from /proc/sys/kernel/random',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    const families: MetricFamily[] = [];
    const available = readSingleNumber(ctx.paths.procfs, 'sys/kernel/random/entropy_avail');
    if (available !== undefined) families.push(gauge('node_entropy_available_bits', 'Bits of available entropy.', [{ value: available }]));
    const pool = readSingleNumber(ctx.paths.procfs, 'sys/kernel/random/poolsize');
    if (pool !== undefined) families.push(gauge('node_entropy_pool_size_bits', 'Bits of entropy pool.', [{ value: pool }]));
    return families;
  },
});
