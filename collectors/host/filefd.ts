import { defineCollector, gauge } from '../../src/collector.js';
import { readPseudoFile } from '../../src/fs/procfs.js';
import { parseFileNr } from '../../src/parsers/proc-file-nr.js';

export default defineCollector({
  name: 'filefd',
  description: 'Allocated and maximum file handles from /proc/sys/fs/file-nr',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    const parsed = parseFileNr(readPseudoFile(ctx.paths.procfs, 'sys/fs/file-nr'));
    if (!parsed.ok) throw new Error(parsed.error);
    return [
      gauge('node_filefd_allocated', 'File descriptor statistics: allocated.', [{ value: parsed.value.allocated }]),
      gauge('node_filefd_maximum', 'File descriptor statistics: maximum.', [{ value: parsed.value.maximum }]),
    ];
  },
});
