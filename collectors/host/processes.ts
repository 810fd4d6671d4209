import { defineCollector, gauge, type MetricFamily } from '../../src/collector.js';
import { cooperativeYielder } from '../../src/cooperative.js';
import { readOptionalDir, readPseudoFileOnce } from '../../src/fs/procfs.js';
import { readSingleNumber } from './single-values.js';
import { parsePidStat } from '../../src/parsers/proc-pid-stat.js';

/** A process or thread that exited between listing and reading: skipped, like node_exporter. */
function isGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ESRCH';
}

function readStat(procfs: string, relative: string): { state: string; threads: number } | undefined {
  let text: string;
  try {
    text = readPseudoFileOnce(procfs, relative);
  } catch (err) {
    if (isGone(err)) return undefined;
    throw err;
  }
  const parsed = parsePidStat(text, `/proc/${relative}`);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

const isPid = (name: string) => /^\d+$/.test(name);

const increment = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);

export default defineCollector({
  name: 'processes',
  description: 'Process and thread counts by state, and the PID and thread limits (walks every /proc/PID; off by default)',
  enabledByDefault: false,
  group: 'host',
  async collect(ctx) {
    const maybeYield = cooperativeYielder(ctx.signal);
    let pids = 0;
    let threads = 0;
    const procStates = new Map<string, number>();
    const threadStates = new Map<string, number>();
    for (const pid of readOptionalDir(ctx.paths.procfs, '.').filter(isPid)) {
      await maybeYield();
      const stat = readStat(ctx.paths.procfs, `${pid}/stat`);
      if (!stat) continue;
      pids++;
      threads += stat.threads;
      increment(procStates, stat.state);
      for (const tid of readOptionalDir(ctx.paths.procfs, `${pid}/task`).filter(isPid)) {
        if (tid === pid) {
          increment(threadStates, stat.state);
          continue;
        }
        const task = readStat(ctx.paths.procfs, `${pid}/task/${tid}/stat`);
        if (task) increment(threadStates, task.state);
      }
    }
    const threadsMax = readSingleNumber(ctx.paths.procfs, 'sys/kernel/threads-max');
    const pidMax = readSingleNumber(ctx.paths.procfs, 'sys/kernel/pid_max');
    const families: MetricFamily[] = [
      gauge('node_processes_threads', 'Allocated threads in system', [{ value: threads }]),
      gauge(
        'node_processes_state',
        'Number of processes in each state.',
        [...procStates].map(([state, value]) => ({ labels: { state }, value })),
      ),
      gauge(
        'node_processes_threads_state',
        'Number of threads in each state.',
        [...threadStates].map(([thread_state, value]) => ({ labels: { thread_state }, value })),
      ),
      gauge('node_processes_pids', 'Number of PIDs', [{ value: pids }]),
    ];
    if (threadsMax !== undefined) families.push(gauge('node_processes_max_threads', 'Limit of threads in the system', [{ value: threadsMax }]));
    if (pidMax !== undefined) families.push(gauge('node_processes_max_processes', 'Number of max PIDs limit', [{ value: pidMax }]));
    return families;
  },
});
