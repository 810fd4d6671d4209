import { defineCollector, gauge } from '../../src/collector.js';
import { readPseudoFile } from '../../src/fs/procfs.js';
import { parseMeminfo } from '../../src/parsers/proc-meminfo.js';

export default defineCollector({
  name: 'meminfo',
  description: 'Memory statistics from /proc/meminfo (node_memory_*)',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    const parsed = parseMeminfo(readPseudoFile(ctx.paths.procfs, 'meminfo'));
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.value.map((f) => {
      const name = f.isBytes ? `node_memory_${f.name}_bytes` : `node_memory_${f.name}`;
      return gauge(name, `Memory information field ${name.slice('node_memory_'.length)}.`, [{ value: f.value }], f.isBytes ? 'bytes' : undefined);
    });
  },
});
