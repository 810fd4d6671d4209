import { counter, defineCollector, gauge, type MetricFamily } from '../../src/collector.js';
import { readPseudoFile } from '../../src/fs/procfs.js';
import { parseProcStat } from '../../src/parsers/proc-stat.js';

export default defineCollector({
  name: 'stat',
  description: 'Boot time, context switches, forks, interrupts, running and blocked processes from /proc/stat',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    const parsed = parseProcStat(readPseudoFile(ctx.paths.procfs, 'stat'));
    if (!parsed.ok) throw new Error(parsed.error);
    const s = parsed.value;
    const families: MetricFamily[] = [];
    const add = (value: number | undefined, make: (v: number) => MetricFamily) => {
      if (value !== undefined) families.push(make(value));
    };
    add(s.bootTime, (v) => gauge('node_boot_time_seconds', 'Node boot time, in unixtime.', [{ value: v }], 'seconds'));
    add(s.contextSwitches, (v) => counter('node_context_switches_total', 'Total number of context switches.', [{ value: v }]));
    add(s.forks, (v) => counter('node_forks_total', 'Total number of forks.', [{ value: v }]));
    add(s.interrupts, (v) => counter('node_intr_total', 'Total number of interrupts serviced.', [{ value: v }]));
    add(s.procsRunning, (v) => gauge('node_procs_running', 'Number of processes in runnable state.', [{ value: v }]));
    add(s.procsBlocked, (v) => gauge('node_procs_blocked', 'Number of processes blocked waiting for I/O to complete.', [{ value: v }]));
    return families;
  },
});
