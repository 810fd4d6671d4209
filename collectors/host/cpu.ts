import { counter, defineCollector, type Sample } from '../../src/collector.js';
import { readPseudoFile } from '../../src/procfs.js';
import { clampCpuTimes } from './cpu-clamp.js';
import { parseProcStat, type CpuTimes } from './proc-stat.js';

const MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;

export default defineCollector<{ guest: boolean }, { last: Map<string, CpuTimes> }>({
  name: 'cpu',
  description: 'CPU time per CPU and mode from /proc/stat (node_cpu_seconds_total, node_cpu_guest_seconds_total)',
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
    const families = [counter('node_cpu_seconds_total', 'Seconds the CPUs spent in each mode.', seconds, 'seconds')];
    if (ctx.config.guest) families.push(counter('node_cpu_guest_seconds_total', 'Seconds the CPUs spent in guests (VMs) for each mode.', guest, 'seconds'));
    return families;
  },
});
