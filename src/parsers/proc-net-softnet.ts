import { parseFailure, type ParseResult } from './parse-result.js';

/** Columns of /proc/net/softnet_stat (net/core/net-procfs.c, softnet_seq_show), all hex. */
const COLUMNS = {
  processed: 0,
  dropped: 1,
  times_squeezed: 2,
  cpu_collision: 8,
  received_rps: 9,
  flow_limit_count: 10,
  backlog_len: 11,
  cpu_index: 12,
} as const;
/** Kernels before 2.6.36 print 9 columns; received_rps came with RPS, the rest later. */
const MIN_COLUMNS = 9;

export type SoftnetRow = { cpu: string } & Partial<Record<Exclude<keyof typeof COLUMNS, 'cpu_index'>, number>>;

/** One line per online CPU; the CPU number is column 13 on kernels that print it (5.10+), the line number before. */
export function parseSoftnetStat(text: string): ParseResult<SoftnetRow[]> {
  const rows: SoftnetRow[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (!line) continue;
    const cells = line.split(/\s+/);
    if (cells.length < MIN_COLUMNS) return parseFailure('/proc/net/softnet_stat', i + 1, `expected at least ${MIN_COLUMNS} columns, got ${cells.length}`);
    const bad = cells.findIndex((c) => !/^[0-9a-fA-F]{1,16}$/.test(c));
    if (bad !== -1) return parseFailure('/proc/net/softnet_stat', i + 1, `column ${bad + 1} is not hex: ${JSON.stringify(cells[bad])}`);
    const at = (column: number) => (column < cells.length ? parseInt(cells[column] as string, 16) : undefined);
    const row: SoftnetRow = { cpu: String(at(COLUMNS.cpu_index) ?? rows.length) };
    for (const [name, column] of Object.entries(COLUMNS)) {
      if (name !== 'cpu_index') row[name as keyof Omit<SoftnetRow, 'cpu'>] = at(column);
    }
    rows.push(row);
  }
  return { ok: true, value: rows };
}
