import { parseFailure, parseNumber, type ParseResult } from './parse-result.js';

/** A one-number cgroup file (`memory.usage_in_bytes`, `pids.max`); `max` (no limit) is Infinity. */
export function parseCgroupValue(text: string, file: string): ParseResult<number> {
  const value = text.trim();
  if (value === 'max') return { ok: true, value: Infinity };
  const n = parseNumber(value);
  return n === undefined ? parseFailure(file, 1, `expected a number or "max", got ${JSON.stringify(value.slice(0, 40))}`) : { ok: true, value: n };
}

/** v2 `cpu.max`: `$QUOTA $PERIOD` in µs, where the quota `max` means none. */
export function parseCpuMax(text: string, file: string): ParseResult<{ quota?: number; period: number }> {
  const [quota, period, extra] = text.trim().split(/\s+/);
  const p = parseNumber(period);
  const q = quota === 'max' ? undefined : parseNumber(quota);
  if (p === undefined || extra !== undefined || (quota !== 'max' && q === undefined))
    return parseFailure(file, 1, `expected "quota period", got ${JSON.stringify(text.trim().slice(0, 40))}`);
  return { ok: true, value: q === undefined ? { period: p } : { quota: q, period: p } };
}

/** Counts the pids in `cgroup.procs` / `cgroup.threads` and remembers the first (the netns to read). */
export function parsePidList(text: string, file: string): ParseResult<{ count: number; first?: number }> {
  let count = 0;
  let first: number | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === '') continue;
    const pid = parseNumber(line);
    if (pid === undefined) return parseFailure(file, i + 1, `not a pid: ${JSON.stringify(line.slice(0, 40))}`);
    first ??= pid;
    count++;
  }
  return { ok: true, value: first === undefined ? { count } : { count, first } };
}

export interface DeviceIo {
  major: number;
  minor: number;
  /** Bytes by operation as the kernel names it (v1 `Read`, `Write`, `Sync`, …; v2 `Read`, `Write`). */
  bytes: Map<string, number>;
  /** Completed requests by operation. */
  ops: Map<string, number>;
}

type DeviceTable = Map<string, DeviceIo>;

function device(table: DeviceTable, major: number, minor: number): DeviceIo {
  const key = `${major}:${minor}`;
  let d = table.get(key);
  if (!d) table.set(key, (d = { major, minor, bytes: new Map(), ops: new Map() }));
  return d;
}

/**
 * v1 blkio `*io_service_bytes*` / `*io_serviced*`: `MAJ:MIN Op value` lines and a last `Total value`.
 * The per-device `Total` is left out, as cAdvisor does.
 */
export function parseBlkio(text: string, file: string, into: DeviceTable, kind: 'bytes' | 'ops'): ParseResult<DeviceTable> {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const m = BLKIO_LINE.exec(line);
    const value = m?.[3] === undefined ? undefined : parseNumber(m[4]);
    if (!m || (m[3] !== undefined && value === undefined))
      return parseFailure(file, i + 1, `expected "major:minor op value", got ${JSON.stringify(line.slice(0, 60))}`);
    if (value === undefined || m[3] === 'Total') continue; // blank, the file's Total, or a device's
    device(into, Number(m[1]), Number(m[2]))[kind].set(m[3] as string, value);
  }
  return { ok: true, value: into };
}

/** `MAJ:MIN Op value`, the last line's `Total value`, or blank. */
const BLKIO_LINE = /^\s*(?:(\d+):(\d+)\s+(\S+)\s+(\S+)|Total\s+\S+)?\s*$/;

/** v2 `io.stat`: `MAJ:MIN rbytes=… wbytes=… rios=… wios=… dbytes=… dios=…`. */
export function parseIoStat(text: string, file: string): ParseResult<DeviceTable> {
  const table: DeviceTable = new Map();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fields = (lines[i] as string).trim().split(/\s+/);
    if (fields[0] === '') continue;
    const m = /^(\d+):(\d+)$/.exec(fields[0] as string);
    if (!m) return parseFailure(file, i + 1, `expected "major:minor key=value…", got ${JSON.stringify((lines[i] as string).slice(0, 60))}`);
    const d = device(table, Number(m[1]), Number(m[2]));
    for (const kv of fields.slice(1)) {
      const eq = kv.indexOf('=');
      const value = parseNumber(kv.slice(eq + 1));
      if (eq < 1 || value === undefined) return parseFailure(file, i + 1, `malformed field ${JSON.stringify(kv.slice(0, 40))}`);
      const key = kv.slice(0, eq);
      if (key === 'rbytes') d.bytes.set('Read', value);
      else if (key === 'wbytes') d.bytes.set('Write', value);
      else if (key === 'rios') d.ops.set('Read', value);
      else if (key === 'wios') d.ops.set('Write', value);
    }
  }
  return { ok: true, value: table };
}

/** v2 `cpu.weight` (1–10000) as the v1 shares cAdvisor reports: 2 + ((w − 1) × 262142) / 9999, integer. */
export function weightToShares(weight: number): number {
  return 2 + Math.floor(((weight - 1) * 262142) / 9999);
}

/** cAdvisor reports memory limits above 2^62 (the kernel's "unlimited") as 0. */
export function specMemoryValue(bytes: number): number {
  return bytes > 2 ** 62 ? 0 : bytes;
}
