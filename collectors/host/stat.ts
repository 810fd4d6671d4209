import { counter, defineCollector, gauge, type MetricFamily } from '../../src/collector.js';
import { readPseudoFile } from '../../src/fs/procfs.js';
import { parseProcStat } from '../../src/parsers/proc-stat.js';

/** The vectors of /proc/stat's `softirq` line, in kernel order, as node_exporter names them. */
const SOFTIRQ_VECTORS = ['hi', 'timer', 'net_tx', 'net_rx', 'block', 'block_iopoll', 'tasklet', 'sched', 'hrtimer', 'rcu'];

export default defineCollector<{ softirq: boolean }>({
  name: 'stat',
  description: 'Boot time, context switches, forks, interrupts, running and blocked processes from /proc/stat',
  enabledByDefault: true,
  group: 'host',
  options: {
    type: 'object',
    properties: { softirq: { type: 'boolean', default: false, description: 'Emit node_softirqs_total per vector from the softirq line' } },
  },
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
    if (ctx.config.softirq) {
      if (s.garbledSoftirqLine !== undefined) ctx.skip('garbled line', `/proc/stat:${s.garbledSoftirqLine}: softirq counts are not numbers`);
      const samples = (s.softirqs ?? []).slice(0, SOFTIRQ_VECTORS.length).map((value, i) => ({ labels: { vector: SOFTIRQ_VECTORS[i] as string }, value }));
      families.push(counter('node_softirqs_total', 'Number of softirq calls.', samples));
    }
    return families;
  },
});
