import { parseFailure, type ParseResult } from './parse-result.js';
import { excerpt, type SkippedLine } from './skipped-line.js';

export interface SchedstatCpu {
  cpu: string;
  runningNanoseconds: number;
  waitingNanoseconds: number;
  timeslices: number;
}

/**
 * /proc/schedstat (Documentation/scheduler/sched-stats.rst): `cpuN` lines with nine fields, of
 * which the 7th to 9th are the time tasks ran on this CPU (ns), the time they waited to run on it
 * (ns) and the number of timeslices run. `version`, `timestamp` and `domainN` lines are skipped.
 */
export function parseSchedstat(text: string): ParseResult<{ cpus: SchedstatCpu[]; skipped: SkippedLine[] }> {
  const cpus: SchedstatCpu[] = [];
  const skipped: SkippedLine[] = [];
  const lines = text.split('\n');
  if (!/^version \d+/.test(lines[0] ?? '')) return parseFailure('/proc/schedstat', 1, `expected "version N", got ${excerpt(lines[0] ?? '')}`);
  lines.forEach((line, i) => {
    const fields = line.trim().split(/\s+/);
    const name = fields[0] ?? '';
    if (!/^cpu\d+$/.test(name)) return;
    const values = fields.slice(1, 10);
    if (fields.length < 10 || !values.every((v) => /^\d+$/.test(v))) {
      skipped.push({ reason: 'garbled line', detail: `/proc/schedstat:${i + 1}: expected 9 counters after ${name}: ${excerpt(line)}` });
      return;
    }
    const [running, waiting, slices] = values.slice(6, 9).map(Number) as [number, number, number];
    cpus.push({ cpu: name.slice(3), runningNanoseconds: running, waitingNanoseconds: waiting, timeslices: slices });
  });
  return { ok: true, value: { cpus, skipped } };
}
