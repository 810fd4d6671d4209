import { parseFailure, parseNumber, type ParseResult } from './parse-result.js';

export interface DiskStats {
  major: number;
  minor: number;
  device: string;
  /** The counters after the device name, as many as this kernel prints (11, 15 or 17). */
  fields: number[];
}

/** /proc/diskstats: `major minor name` then 11 (before 4.18), 15 (4.18+) or 17 (5.5+) counters. */
export function parseDiskstats(text: string): ParseResult<DiskStats[]> {
  const disks: DiskStats[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const parts = (lines[i] as string).trim().split(/\s+/);
    if (parts.length === 1 && parts[0] === '') continue;
    if (parts.length < 14) return parseFailure('/proc/diskstats', i + 1, `expected at least 14 fields, got ${parts.length}`);
    const numbers = [parts[0], parts[1], ...parts.slice(3)].map(parseNumber);
    if (numbers.some((n) => n === undefined))
      return parseFailure('/proc/diskstats', i + 1, `non-numeric field in ${JSON.stringify((lines[i] as string).trim().slice(0, 80))}`);
    const [major, minor, ...fields] = numbers as number[];
    disks.push({ major: major as number, minor: minor as number, device: parts[2] as string, fields });
  }
  return { ok: true, value: disks };
}

/** udev database entries (`/run/udev/data/b<major>:<minor>`): the `E:KEY=value` properties. */
export function parseUdevProperties(text: string): Map<string, string> {
  const props = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('E:')) continue;
    const eq = line.indexOf('=');
    if (eq > 2) props.set(line.slice(2, eq), line.slice(eq + 1));
  }
  return props;
}
