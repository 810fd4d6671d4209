import { defineCollector, gauge } from '../../src/collector.js';
import { parseFailure, parseNumber, type ParseResult } from '../../src/parsers/parse-result.js';
import { readPseudoFile } from '../../src/fs/procfs.js';

/** /proc/sys/fs/file-nr: "allocated  unused  maximum". */
export function parseFileNr(text: string): ParseResult<{ allocated: number; maximum: number }> {
  const [allocated, , maximum] = text.trim().split(/\s+/).map(parseNumber);
  if (allocated === undefined || maximum === undefined) return parseFailure('/proc/sys/fs/file-nr', 1, `expected three numbers, got ${JSON.stringify(text.trim().slice(0, 60))}`);
  return { ok: true, value: { allocated, maximum } };
}

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
