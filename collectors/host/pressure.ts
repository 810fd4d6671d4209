import { counter, defineCollector, type MetricFamily } from '../../src/collector.js';
import { parseFailure, parseNumber, type ParseResult } from '../../src/parsers/parse-result.js';
import { readOptionalPseudoFile } from '../../src/fs/procfs.js';
import { plainInteger } from '../../src/parsers/key-value-lines.js';

export interface PressureTotals {
  /** `some total=` in seconds: time at least one task stalled. */
  some?: number;
  /** `full total=` in seconds: time all non-idle tasks stalled. */
  full?: number;
}

/**
 * /proc/pressure/<resource> and cgroup v2 `<resource>.pressure`:
 * `some avg10=… avg60=… avg300=… total=<µs>` and the same for `full`. The usual line is read by
 * position (1,500 cgroups have 4,500 of these files); anything else goes through the full pattern.
 */
export function parsePressure(text: string, file: string): ParseResult<PressureTotals> {
  const totals: PressureTotals = {};
  let line = 0;
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    line++;
    const kind = text.startsWith('some ', start) ? 'some' : text.startsWith('full ', start) ? 'full' : undefined;
    const total = kind ? text.indexOf(' total=', start) : -1;
    const micros = total > start && total < end ? plainInteger(text, total + 7, end) : undefined;
    if (kind && micros !== undefined) totals[kind] = micros / 1e6;
    else {
      const raw = text.slice(start, end).trim();
      const m = raw ? /^(some|full)\s.*\btotal=(\S+)/.exec(raw) : undefined;
      const value = parseNumber(m?.[2]);
      if (raw && (!m || value === undefined)) return parseFailure(file, line, `malformed line ${JSON.stringify(raw.slice(0, 80))}`);
      if (m && value !== undefined) totals[m[1] as 'some' | 'full'] = value / 1e6;
    }
    start = end + 1;
  }
  return { ok: true, value: totals };
}

const FAMILIES: Array<{ resource: string; kind: keyof PressureTotals; name: string; help: string }> = [
  { resource: 'cpu', kind: 'some', name: 'node_pressure_cpu_waiting_seconds_total', help: 'Total time in seconds that processes have waited for CPU time' },
  { resource: 'io', kind: 'some', name: 'node_pressure_io_waiting_seconds_total', help: 'Total time in seconds that processes have waited due to IO congestion' },
  { resource: 'io', kind: 'full', name: 'node_pressure_io_stalled_seconds_total', help: 'Total time in seconds no process could make progress due to IO congestion' },
  { resource: 'memory', kind: 'some', name: 'node_pressure_memory_waiting_seconds_total', help: 'Total time in seconds that processes have waited for memory' },
  { resource: 'memory', kind: 'full', name: 'node_pressure_memory_stalled_seconds_total', help: 'Total time in seconds no process could make progress due to memory congestion' },
  { resource: 'irq', kind: 'full', name: 'node_pressure_irq_stalled_seconds_total', help: 'Total time in seconds no process could make progress due to IRQ congestion' },
];

export default defineCollector({
  name: 'pressure',
  description: 'Pressure stall information from /proc/pressure (kernel >= 4.20; irq >= 6.1); no data without PSI',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    const families: MetricFamily[] = [];
    const byResource = new Map<string, PressureTotals>();
    for (const resource of ['cpu', 'io', 'memory', 'irq']) {
      const text = readOptionalPseudoFile(ctx.paths.procfs, `pressure/${resource}`);
      if (text === undefined) continue;
      const parsed = parsePressure(text, `/proc/pressure/${resource}`);
      if (!parsed.ok) throw new Error(parsed.error);
      byResource.set(resource, parsed.value);
    }
    for (const f of FAMILIES) {
      const value = byResource.get(f.resource)?.[f.kind];
      if (value !== undefined) families.push(counter(f.name, f.help, [{ value }], 'seconds'));
    }
    return families;
  },
});
