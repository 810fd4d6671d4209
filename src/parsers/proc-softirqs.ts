import { parseFailure, type ParseResult } from './parse-result.js';
import { excerpt, type SkippedLine } from './skipped-line.js';

/** CPU numbers from the `CPU0 CPU1 …` header of /proc/softirqs and /proc/interrupts; undefined if it is not one. */
export function parseCpuHeader(line: string): string[] | undefined {
  const names = line.trim().split(/\s+/).filter(Boolean);
  if (!names.length || !names.every((n) => /^CPU\d+$/.test(n))) return undefined;
  return names.map((n) => n.slice(3));
}

export interface SoftirqCounts {
  /** HI, TIMER, NET_TX, … as the kernel names them. */
  type: string;
  /** Per CPU of the header, in its order. */
  counts: number[];
}

/**
 * /proc/softirqs: a `CPU0 CPU1 …` header (every possible CPU), then `NAME: count count …`. A line
 * whose count of numbers is not the header's is skipped.
 */
export function parseSoftirqs(text: string): ParseResult<{ cpus: string[]; softirqs: SoftirqCounts[]; skipped: SkippedLine[] }> {
  const lines = text.split('\n');
  const cpus = parseCpuHeader(lines[0] ?? '');
  if (!cpus) return parseFailure('/proc/softirqs', 1, `expected a "CPU0 CPU1 …" header, got ${excerpt(lines[0] ?? '')}`);
  const softirqs: SoftirqCounts[] = [];
  const skipped: SkippedLine[] = [];
  lines.slice(1).forEach((line, i) => {
    if (!line.trim()) return;
    const m = /^\s*([A-Z0-9_]+):((?:\s+\d+)*)\s*$/.exec(line);
    const counts = m ? (m[2] as string).trim().split(/\s+/).filter(Boolean).map(Number) : [];
    if (!m || counts.length !== cpus.length) {
      skipped.push({ reason: 'garbled line', detail: `/proc/softirqs:${i + 2}: expected a name and ${cpus.length} counts: ${excerpt(line)}` });
      return;
    }
    softirqs.push({ type: m[1] as string, counts });
  });
  return { ok: true, value: { cpus, softirqs, skipped } };
}
