import { counter, defineCollector, type MetricFamily } from '../../src/collector.js';
import { readOptionalPseudoFile } from '../../src/fs/procfs.js';
import { parsePressure, type PressureTotals } from '../../src/parsers/pressure.js';

const FAMILIES: Array<{ resource: string; kind: keyof PressureTotals; name: string; help: string }> = [
  { resource: 'cpu', kind: 'some', name: 'node_pressure_cpu_waiting_seconds_total', help: 'Total time in seconds that processes have waited for CPU time' },
  {
    resource: 'io',
    kind: 'some',
    name: 'node_pressure_io_waiting_seconds_total',
    help: 'Total time in seconds that processes have waited due to IO congestion',
  },
  {
    resource: 'io',
    kind: 'full',
    name: 'node_pressure_io_stalled_seconds_total',
    help: 'Total time in seconds no process could make progress due to IO congestion',
  },
  { resource: 'memory', kind: 'some', name: 'node_pressure_memory_waiting_seconds_total', help: 'Total time in seconds that processes have waited for memory' },
  {
    resource: 'memory',
    kind: 'full',
    name: 'node_pressure_memory_stalled_seconds_total',
    help: 'Total time in seconds no process could make progress due to memory congestion',
  },
  {
    resource: 'irq',
    kind: 'full',
    name: 'node_pressure_irq_stalled_seconds_total',
    help: 'Total time in seconds no process could make progress due to IRQ congestion',
  },
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
