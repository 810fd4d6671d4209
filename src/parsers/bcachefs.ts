/**
 * bcachefs's sysfs files under /sys/fs/bcachefs/<uuid>/ (fs/bcachefs/sysfs.c and the printbuf
 * helpers of the kernel). Sizes are printed human-readable by prt_human_readable_u64() (`2.05G`,
 * `28.2k`, `720`): a decimal number and an optional binary unit; node_exporter (procfs'
 * bcachefs package) multiplies by the unit's power of 1024 and truncates to an integer, and so do
 * these parsers. A line whose value cannot be read is reported in `bad` and left out; the rest of
 * the file is kept.
 */
import { excerpt, type SkippedLine } from './skipped-line.js';

const UNITS: Record<string, number> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50, e: 2 ** 60 };

/** `2.05G` → 2201170739 (value × 1024ⁿ, truncated); undefined when garbled or negative. */
export function parseBcachefsHuman(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kKmMgGtTpPeE])?$/.exec(text.trim());
  if (!m) return undefined;
  const unit = m[2] === undefined ? 1 : (UNITS[m[2].toLowerCase()] as number);
  return Math.trunc(Number(m[1]) * unit);
}

/** An unsigned decimal as the kernel prints a u64; undefined otherwise (more than 20 digits is not a u64). */
export function parseBcachefsUint(text: string): number | undefined {
  const t = text.trim();
  return /^\d{1,20}$/.test(t) ? Number(t) : undefined;
}

export interface Parsed<T> {
  value: T;
  bad: SkippedLine[];
}

function bad(file: string, line: number, what: string, text: string): SkippedLine {
  return { reason: 'malformed', detail: `${file}:${line}: ${what}: ${excerpt(text)}` };
}

function lines(text: string): string[] {
  const all = text.split('\n');
  if (all.at(-1) === '') all.pop();
  return all;
}

export interface CompressionStats {
  compressedBytes: number;
  uncompressedBytes: number;
}

/**
 * `compression_stats`: a header line, then `<type> <compressed> <uncompressed> <average extent
 * size>` per algorithm, sizes human-readable. Lines with fewer than three fields are ignored.
 */
export function parseCompressionStats(text: string, file = 'compression_stats'): Parsed<Map<string, CompressionStats>> {
  const out = new Map<string, CompressionStats>();
  const skipped: SkippedLine[] = [];
  lines(text).forEach((line, i) => {
    if (i === 0) return;
    const f = line.trim().split(/\s+/);
    if (f.length < 3) return;
    const compressed = parseBcachefsHuman(f[1] as string);
    const uncompressed = parseBcachefsHuman(f[2] as string);
    if (compressed === undefined || uncompressed === undefined) skipped.push(bad(file, i + 1, 'not a size', line));
    else out.set((f[0] as string).replace(/:$/, ''), { compressedBytes: compressed, uncompressedBytes: uncompressed });
  });
  return { value: out, bad: skipped };
}

/** `errors`: `<error type> <count> [<time of last error>]` per line (the superblock's error counters). */
export function parseErrors(text: string, file = 'errors'): Parsed<Map<string, number>> {
  const out = new Map<string, number>();
  const skipped: SkippedLine[] = [];
  lines(text).forEach((line, i) => {
    const f = line.trim().split(/\s+/);
    if (f.length < 2) return;
    const count = parseBcachefsUint(f[1] as string);
    if (count === undefined || (f.length >= 3 && parseBcachefsUint(f[2] as string) === undefined)) skipped.push(bad(file, i + 1, 'not a count and time', line));
    else out.set(f[0] as string, count);
  });
  return { value: out, bad: skipped };
}

export interface CounterValues {
  sinceMount?: number;
  sinceCreation?: number;
}

/**
 * `counters/<name>`: `since mount: <v>` and `since filesystem creation: <v>` (sector counters are
 * printed as human-readable bytes). An error when neither line is there or a value is garbled.
 */
export function parseCounter(text: string): { ok: true; value: CounterValues } | { ok: false; error: string } {
  const out: CounterValues = {};
  const all = lines(text);
  for (let i = 0; i < all.length; i++) {
    const line = all[i] as string;
    const m = /^since (mount|filesystem creation):(.*)$/.exec(line);
    if (!m) continue;
    const v = parseBcachefsHuman(m[2] as string);
    if (v === undefined) return { ok: false, error: `line ${i + 1}: not a count: ${excerpt(line)}` };
    if (m[1] === 'mount') out.sinceMount = v;
    else out.sinceCreation = v;
  }
  if (out.sinceMount === undefined && out.sinceCreation === undefined) return { ok: false, error: 'no "since mount:" or "since filesystem creation:" line' };
  return { ok: true, value: out };
}

export interface BtreeWriteStats {
  count: number;
  averageSizeBytes: number;
}

/** `btree_write_stats`: a header line (`nr size`), then `<type>: <nr> <average size>` per write type. */
export function parseBtreeWriteStats(text: string, file = 'btree_write_stats'): Parsed<Map<string, BtreeWriteStats>> {
  const out = new Map<string, BtreeWriteStats>();
  const skipped: SkippedLine[] = [];
  lines(text).forEach((line, i) => {
    if (i === 0) return;
    const f = line.trim().split(/\s+/);
    if (f.length < 3) return;
    const count = parseBcachefsUint(f[1] as string);
    const size = parseBcachefsHuman(f[2] as string);
    if (count === undefined || size === undefined) skipped.push(bad(file, i + 1, 'not a count and size', line));
    else out.set((f[0] as string).replace(/:$/, ''), { count, averageSizeBytes: size });
  });
  return { value: out, bad: skipped };
}

/**
 * `dev-N/io_done`: a `read:` and a `write:` section, each `<data type> : <bytes>` per line.
 * Lines before the first section or without a colon are ignored.
 */
export function parseIoDone(text: string, file = 'io_done'): Parsed<Map<string, Map<string, number>>> {
  const out = new Map<string, Map<string, number>>();
  const skipped: SkippedLine[] = [];
  let op: Map<string, number> | undefined;
  lines(text).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    if (line === 'read:' || line === 'write:') {
      const name = line.slice(0, -1);
      op = out.get(name) ?? new Map<string, number>();
      out.set(name, op);
      return;
    }
    if (op === undefined) return;
    const colon = line.indexOf(':');
    if (colon < 0) return;
    const value = parseBcachefsUint(line.slice(colon + 1));
    if (value === undefined) skipped.push(bad(file, i + 1, 'not a byte count', raw));
    else op.set(line.slice(0, colon).trim(), value);
  });
  return { value: out, bad: skipped };
}

/**
 * `dev-N/io_errors`: the `IO errors since filesystem creation` section (`<type>: <count>` lines) up
 * to the next `IO errors since …` header (errors since the counters were last reset).
 */
export function parseIoErrors(text: string, file = 'io_errors'): Parsed<Map<string, number>> {
  const out = new Map<string, number>();
  const skipped: SkippedLine[] = [];
  let inCreation = false;
  const all = lines(text);
  for (let i = 0; i < all.length; i++) {
    const raw = all[i] as string;
    if (raw.startsWith('IO errors since filesystem creation')) {
      inCreation = true;
      continue;
    }
    if (raw.startsWith('IO errors since ')) break;
    if (!inCreation) continue;
    const line = raw.trim();
    const colon = line.indexOf(':');
    if (line === '' || colon < 0) continue;
    const value = parseBcachefsUint(line.slice(colon + 1));
    if (value === undefined) skipped.push(bad(file, i + 1, 'not a count', raw));
    else out.set(line.slice(0, colon).trim(), value);
  }
  return { value: out, bad: skipped };
}

/** node_exporter's SanitizeMetricName: each run of other characters (with the `_` around it) becomes one `_`. */
export function sanitizeCounterName(name: string): string {
  return name.replace(/_*[^0-9A-Za-z_]+_*/g, '_');
}
