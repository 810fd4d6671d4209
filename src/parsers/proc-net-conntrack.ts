import { parseFailure, type ParseResult } from './parse-result.js';

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
