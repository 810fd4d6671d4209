import { counter, defineCollector, gauge, type MetricFamily, type Sample } from '../../src/collector.js';
import { readPseudoFile } from '../../src/fs/procfs.js';
import { clampCpuTimes } from './cpu-clamp.js';
import { readCpuOnline, readCpuTopology, readIsolatedCpus, readThrottleCounts, type CpuTopology } from './cpu-sysfs.js';
import { parseProcStat, type CpuTimes } from '../../src/parsers/proc-stat.js';

const MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;

interface CpuState {
  last: Map<string, CpuTimes>;
  /** Static sysfs facts, re-read only when the set of CPUs in /proc/stat changes (hotplug). */
  sysfs?: { cpus: string; topology: CpuTopology[]; isolated: number[] };
}

export default defineCollector<{ guest: boolean }, CpuState>({
  name: 'cpu',
  description: 'CPU time per CPU and mode from /proc/stat; thermal throttles, online and isolated CPUs from sysfs',
  enabledByDefault: true,
  group: 'host',
  options: {
    type: 'object',
    properties: { guest: { type: 'boolean', default: true, description: 'Emit node_cpu_guest_seconds_total' } },
  },
  initialState: () => ({ last: new Map() }),
  collect(ctx) {
    const parsed = parseProcStat(readPseudoFile(ctx.paths.procfs, 'stat'));
    if (!parsed.ok) throw new Error(parsed.error);
    const clamped = clampCpuTimes(ctx.state.last, parsed.value.cpus);
    ctx.state.last = clamped.times;
    if (clamped.reset.length) ctx.logger.debug({ cpus: clamped.reset }, 'CPU idle jumped back; assuming hotplug and resetting');
    if (clamped.heldBack.length) ctx.logger.debug({ fields: clamped.heldBack }, 'CPU counters went backwards; kept previous values');

    const seconds: Sample[] = [];
    const guest: Sample[] = [];
    for (const [cpu, t] of clamped.times) {
      for (const mode of MODES) {
        const v = t[mode];
        if (v !== undefined) seconds.push({ labels: { cpu, mode }, value: v });
      }
      if (t.guest !== undefined) guest.push({ labels: { cpu, mode: 'user' }, value: t.guest });
      if (t.guest_nice !== undefined) guest.push({ labels: { cpu, mode: 'nice' }, value: t.guest_nice });
    }
    const families: MetricFamily[] = [counter('node_cpu_seconds_total', 'Seconds the CPUs spent in each mode.', seconds, 'seconds')];
    if (ctx.config.guest) families.push(counter('node_cpu_guest_seconds_total', 'Seconds the CPUs spent in guests (VMs) for each mode.', guest, 'seconds'));

    const cpuSet = [...parsed.value.cpus.keys()].join(',');
    if (ctx.state.sysfs?.cpus !== cpuSet) {
      ctx.state.sysfs = { cpus: cpuSet, topology: readCpuTopology(ctx.paths.sysfs), isolated: readIsolatedCpus(ctx.paths.sysfs) };
    }
    families.push(...sysfsFamilies(ctx.paths.sysfs, ctx.state.sysfs));
    return families;
  },
});

function sysfsFamilies(sysfs: string, known: NonNullable<CpuState['sysfs']>): MetricFamily[] {
  const families: MetricFamily[] = [];
  const throttles = readThrottleCounts(sysfs, known.topology);
  if (throttles.core.size) {
    const samples = [...throttles.core.values()].map((t) => ({ labels: { package: t.package, core: t.core }, value: t.count }));
    families.push(counter('node_cpu_core_throttles_total', 'Number of times this CPU core has been throttled.', samples));
  }
  if (throttles.package.size) {
    const samples = [...throttles.package].map(([pkg, count]) => ({ labels: { package: pkg }, value: count }));
    families.push(counter('node_cpu_package_throttles_total', 'Number of times this CPU package has been throttled.', samples));
  }
  if (known.isolated.length) {
    const samples = known.isolated.map((c) => ({ labels: { cpu: String(c) }, value: 1 }));
    families.push(gauge('node_cpu_isolated', 'Whether each core is isolated, information from /sys/devices/system/cpu/isolated.', samples));
  }
  const online = readCpuOnline(sysfs);
  if (online) {
    const samples = [...online].map(([cpu, up]) => ({ labels: { cpu }, value: up ? 1 : 0 }));
    families.push(gauge('node_cpu_online', 'CPUs that are online and being scheduled.', samples));
  }
  return families;
}
