/**
 * bcache's sysfs values (drivers/md/bcache/sysfs.c, Documentation/admin-guide/bcache.rst). Sizes
 * and rates are printed by bch_hprint() as an integer with an optional one-digit-ish fraction and
 * a binary unit suffix (`20.4G`, `1.1M`, `427.5k`); the fraction is the remainder in 1024ths
 * scaled to 0..9 by the kernel, which node_exporter (procfs' dehumanize) reads back as
 * fraction ÷ 10.24. These parsers do the same so that the values are node_exporter's.
 */
import type { ParseResult } from './parse-result.js';

const UNITS: Record<string, number> = { k: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40, P: 2 ** 50, E: 2 ** 60, Z: 2 ** 70, Y: 2 ** 80 };

/** `20.4G` → bytes (truncated to an integer, as node_exporter's uint64 conversion); undefined when garbled. */
export function parseBcacheHuman(text: string): number | undefined {
  const m = /^(\d+)(?:\.(\d+))?([kMGTPEZY])?$/.exec(text.trim());
  if (!m) return undefined;
  const [, whole, fraction, unit] = m as unknown as [string, string, string | undefined, string | undefined];
  if (unit === undefined) return Math.trunc(Number(fraction === undefined ? whole : `${whole}.${fraction}`));
  const mantissa = Number(whole) + (fraction === undefined ? 0 : Number(fraction) / 10.24);
  return Math.trunc(mantissa * (UNITS[unit] as number));
}

/** Signed form (`-12.3k`), for the controller terms of writeback_rate_debug. */
export function parseBcacheHumanSigned(text: string): number | undefined {
  const t = text.trim();
  const negative = t.startsWith('-');
  const v = parseBcacheHuman(negative ? t.slice(1) : t);
  return v === undefined ? undefined : negative ? -v : v;
}

export interface WritebackRateDebug {
  rate: number;
  dirty: number;
  target: number;
  proportional: number;
  integral: number;
  change: number;
}

/**
 * `<bdev>/writeback_rate_debug`: `rate: 1.1M/sec`, `dirty: 20.4G`, `target: 20.4G`,
 * `proportional: 427.5k`, `integral: 790.0k`, `change: 321.5k/sec`, `next io: 17ms`. Lines
 * this parser does not know are ignored; a known line with a garbled value fails the file.
 * A field the kernel does not print is 0, as in node_exporter.
 */
export function parseWritebackRateDebug(text: string): ParseResult<WritebackRateDebug> {
  const out: WritebackRateDebug = { rate: 0, dirty: 0, target: 0, proportional: 0, integral: 0, change: 0 };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([a-z ]+):\s*(\S*)\s*$/.exec(lines[i] as string);
    if (!m) continue;
    const key = m[1] as string;
    const raw = (m[2] as string).replace(/\/sec$/, '');
    let value: number | undefined;
    switch (key) {
      case 'rate':
      case 'dirty':
      case 'target':
        value = parseBcacheHuman(raw);
        break;
      case 'proportional':
      case 'integral':
      case 'change':
        value = parseBcacheHumanSigned(raw);
        break;
      default:
        continue;
    }
    if (value === undefined) return { ok: false, error: `writeback_rate_debug:${i + 1}: ${key}: not a bcache size: ${JSON.stringify(raw)}` };
    out[key] = value;
  }
  return { ok: true, value: out };
}

export interface PriorityStats {
  unusedPercent: number;
  metadataPercent: number;
}

/** `<cache>/priority_stats`: `Unused: 99%` and `Metadata: 0%` (other lines ignored); both required. */
export function parsePriorityStats(text: string): ParseResult<PriorityStats> {
  let unused: number | undefined;
  let metadata: number | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^(Unused|Metadata):\s*(\S+)\s*$/.exec(lines[i] as string);
    if (!m) continue;
    const v = /^(\d+)%$/.exec(m[2] as string);
    if (!v) return { ok: false, error: `priority_stats:${i + 1}: ${m[1]}: not a percentage: ${JSON.stringify(m[2])}` };
    if (m[1] === 'Unused') unused = Number(v[1]);
    else metadata = Number(v[1]);
  }
  if (unused === undefined || metadata === undefined) return { ok: false, error: 'priority_stats: no Unused or Metadata line' };
  return { ok: true, value: { unusedPercent: unused, metadataPercent: metadata } };
}
