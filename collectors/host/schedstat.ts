import { counter, defineCollector } from '../../src/collector.js';
import { readOptionalPseudoFile } from '../../src/fs/procfs.js';
import { parseSchedstat } from '../../src/parsers/proc-schedstat.js';

const NS = 1e9;

export default defineCollector({
  name: 'schedstat',
  description: 'Per-CPU scheduler running and waiting time and timeslices from /proc/schedstat',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    const text = readOptionalPseudoFile(ctx.paths.procfs, 'schedstat'); // absent without CONFIG_SCHEDSTATS
    if (text === undefined) return [];
    const parsed = parseSchedstat(text);
    if (!parsed.ok) throw new Error(parsed.error);
    for (const s of parsed.value.skipped) ctx.skip(s.reason, s.detail);
    const cpus = parsed.value.cpus;
    return [
      counter(
        'node_schedstat_running_seconds_total',
        'Number of seconds CPU spent running a process.',
        cpus.map((c) => ({ labels: { cpu: c.cpu }, value: c.runningNanoseconds / NS })),
        'seconds',
      ),
      counter(
        'node_schedstat_waiting_seconds_total',
        'Number of seconds spent by processing waiting for this CPU.',
        cpus.map((c) => ({ labels: { cpu: c.cpu }, value: c.waitingNanoseconds / NS })),
        'seconds',
      ),
      counter(
        'node_schedstat_timeslices_total',
        'Number of timeslices executed by CPU.',
        cpus.map((c) => ({ labels: { cpu: c.cpu }, value: c.timeslices })),
      ),
    ];
  },
});
