import { parseFailure, type ParseResult } from './parse-result.js';

/**
 * OpenZFS's kstats under /proc/spl/kstat/zfs (module/os/linux/spl/spl-procfs-list.c and
 * spl-kstat.c). A "named" kstat prints a header line (kid, type, flags, ndata, data_size, crtime,
 * snaptime), a column line `name type data`, then one `NAME TYPE VALUE` row per statistic; TYPE
 * is KSTAT_DATA_* (include/sys/kstat.h): 0 char, 1 int32, 2 uint32, 3 int64, 4 uint64, 5 long,
 * 6 ulong, 7 string. A pool's `io` kstat is of the "io" kind instead: the header line, a line of
 * twelve column names (nread … rcnt) and one line of twelve values.
 */

/** KSTAT_DATA_INT64 and KSTAT_DATA_UINT64: the only types node_exporter exports. */
export const KSTAT_INT64 = '3';
export const KSTAT_UINT64 = '4';
const KSTAT_STRING = '7';

export interface KstatNumber {
  name: string;
  type: typeof KSTAT_INT64 | typeof KSTAT_UINT64;
  value: number;
}

export interface NamedKstat {
  /** Rows of type int64 or uint64, in file order; other numeric types are left out, as node_exporter does. */
  numbers: KstatNumber[];
  /** Rows of type string, the value as printed (it may hold spaces: a dataset name). */
  strings: Map<string, string>;
  /** Rows left out as truncated or garbled, each `FILE:LINE: reason`. */
  bad: string[];
}

const NAME = /^[A-Za-z0-9_-]+$/;

/**
 * A named kstat. Fails only when the column line is missing (an empty or truncated file, or not
 * a named kstat); a bad row is reported in `bad` and the rest is kept.
 */
export function parseNamedKstat(text: string, file: string): ParseResult<NamedKstat> {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => {
    const f = l.trim().split(/\s+/);
    return f.length === 3 && f[0] === 'name' && f[1] === 'type' && f[2] === 'data';
  });
  if (start === -1) return parseFailure(file, 1, 'no "name type data" column line');
  const numbers: KstatNumber[] = [];
  const strings = new Map<string, string>();
  const bad: string[] = [];
  const seen = new Set<string>();
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (!line.trim()) continue;
    const where = `${file}:${i + 1}`;
    // The value of a string row runs to the end of the line (kstat prints it with %s).
    const m = /^\s*(\S+)\s+(\S+)\s+(\S.*)$/.exec(line);
    if (!m) {
      bad.push(`${where}: expected NAME TYPE VALUE`);
      continue;
    }
    const [, name, type, data] = m as unknown as [string, string, string, string];
    if (!NAME.test(name)) {
      bad.push(`${where}: bad name ${JSON.stringify(name)}`);
      continue;
    }
    if (!/^\d+$/.test(type)) {
      bad.push(`${where}: bad type ${JSON.stringify(type)}`);
      continue;
    }
    if (seen.has(name)) {
      bad.push(`${where}: ${name} repeated`);
      continue;
    }
    seen.add(name);
    if (type === KSTAT_STRING) {
      strings.set(name, data);
      continue;
    }
    if (type !== KSTAT_INT64 && type !== KSTAT_UINT64) continue;
    const value = data.trim();
    if (!(type === KSTAT_UINT64 ? /^\d+$/ : /^-?\d+$/).test(value)) {
      bad.push(`${where}: ${name}: not an ${type === KSTAT_UINT64 ? 'unsigned' : 'signed'} integer: ${JSON.stringify(value)}`);
      continue;
    }
    numbers.push({ name, type, value: Number(value) });
  }
  return { ok: true, value: { numbers, strings, bad } };
}

/** The columns of a pool's `io` kstat (kstat_io_t, include/sys/kstat.h). */
export const ZPOOL_IO_COLUMNS = 12;

export interface ZpoolIo {
  values: Array<{ name: string; value: number }>;
  /** Columns left out as garbled, each `FILE:LINE: reason`. */
  bad: string[];
}

/**
 * A pool's `io` kstat: the line of column names starting with `nread`, then a line with as many
 * values. Fails when the column line or the values are missing or the counts differ (which value
 * belongs to which column is then unknown); a garbled value leaves out its column only.
 */
export function parseZpoolIo(text: string, file: string): ParseResult<ZpoolIo> {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => {
    const f = l.trim().split(/\s+/);
    return f[0] === 'nread' && f.length >= ZPOOL_IO_COLUMNS;
  });
  if (start === -1) return parseFailure(file, 1, `no column line starting with nread (${ZPOOL_IO_COLUMNS} columns)`);
  const columns = (lines[start] as string).trim().split(/\s+/);
  let at = start + 1;
  while (at < lines.length && !(lines[at] as string).trim()) at++;
  if (at >= lines.length) return parseFailure(file, start + 2, 'no values after the column line');
  const cells = (lines[at] as string).trim().split(/\s+/);
  if (cells.length !== columns.length) return parseFailure(file, at + 1, `${cells.length} values for ${columns.length} columns`);
  const values: ZpoolIo['values'] = [];
  const bad: string[] = [];
  columns.forEach((name, i) => {
    const cell = cells[i] as string;
    if (!NAME.test(name)) bad.push(`${file}:${start + 1}: bad column name ${JSON.stringify(name)}`);
    else if (!/^\d+$/.test(cell)) bad.push(`${file}:${at + 1}: ${name}: not an unsigned integer: ${JSON.stringify(cell)}`);
    else values.push({ name, value: Number(cell) });
  });
  return { ok: true, value: { values, bad } };
}

/** The states `zpool status` can print, in node_exporter's order (its state label values). */
export const ZPOOL_STATES = ['online', 'degraded', 'faulted', 'offline', 'removed', 'unavail', 'suspended'] as const;

/** A pool's `state` file (spa_state_to_name: ONLINE, DEGRADED, …), lower-cased; fails when empty. */
export function parseZpoolState(text: string, file: string): ParseResult<string> {
  const state = (text.split('\n')[0] ?? '').trim().toLowerCase();
  if (!state) return parseFailure(file, 1, 'empty');
  return { ok: true, value: state };
}

/** A kstat name as a metric name part, as node_exporter makes it: `-` becomes `_`. */
export function kstatMetricName(name: string): string {
  return name.replace(/-/g, '_');
}
