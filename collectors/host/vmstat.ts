import { defineCollector, untyped } from '../../src/collector.js';
import { readPseudoFile } from '../../src/fs/procfs.js';
import { parseKeyValueLines } from '../../src/parsers/key-value-lines.js';

export const VMSTAT_DEFAULT_FIELDS = '^(oom_kill|pgpg|pswp|pg.*fault).*';

export default defineCollector<{ fields: string }>({
  name: 'vmstat',
  description: 'Virtual memory statistics from /proc/vmstat (node_vmstat_*, untyped)',
  enabledByDefault: true,
  group: 'host',
  options: {
    type: 'object',
    properties: { fields: { type: 'string', format: 'regex', default: VMSTAT_DEFAULT_FIELDS, description: 'Regexp of fields to export' } },
  },
  collect(ctx) {
    const parsed = parseKeyValueLines(readPseudoFile(ctx.paths.procfs, 'vmstat'), '/proc/vmstat');
    if (!parsed.ok) throw new Error(parsed.error);
    const wanted = new RegExp(ctx.config.fields);
    return [...parsed.value]
      .filter(([name]) => wanted.test(name))
      .map(([name, value]) => untyped(`node_vmstat_${name}`, `/proc/vmstat information field ${name}.`, [{ value }]));
  },
});
