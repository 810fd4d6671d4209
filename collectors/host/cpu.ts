import { counter, defineCollector, gauge, type CollectContext, type MetricFamily, type Sample } from '../../src/collector.js';
import { readOptionalPseudoFile, readPseudoFile } from '../../src/fs/procfs.js';
import { cpufreqServesFrequency } from './cpufreq.js';
import { clampCpuTimes } from './cpu-clamp.js';
import { readCpuOnline, readCpuTopology, readIsolatedCpus, readThrottleCounts, type CpuTopology } from './cpu-sysfs.js';
import { parseCpuinfo } from '../../src/parsers/proc-cpuinfo.js';
import { parseProcStat, type CpuTimes } from '../../src/parsers/proc-stat.js';

const MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;

interface CpuState {
  last: Map<string, CpuTimes>;
  /** Static sysfs facts, re-read only when the set of CPUs in /proc/stat changes (hotplug). */
  sysfs?: { cpus: string; topology: CpuTopology[]; isolated: number[] };
}

interface CpuOptions {
  guest: boolean;
  info: boolean;
  info_flags_include?: string;
  info_bugs_include?: string;
}

export default defineCollector<CpuOptions, CpuState>({
  name: 'cpu',
  description: 'CPU time per CPU and mode from /proc/stat; thermal throttles, online and isolated CPUs from sysfs; optionally /proc/cpuinfo',
  enabledByDefault: true,
  group: 'host',
  options: {
    type: 'object',
    properties: {
      guest: { type: 'boolean', default: true, description: 'Emit node_cpu_guest_seconds_total' },
      info: { type: 'boolean', default: false, description: 'Emit node_cpu_info (and node_cpu_frequency_hertz) from /proc/cpuinfo' },
      info_flags_include: {
        type: 'string',
        format: 'regex',
        description: "Regexp of the first CPU's flags to emit as node_cpu_flag_info (turns info on); flag --collector.cpu.info.flags-include",
      },
      info_bugs_include: {
        type: 'string',
        format: 'regex',
        description: "Regexp of the first CPU's bugs to emit as node_cpu_bug_info (turns info on); flag --collector.cpu.info.bugs-include",
      },
    },
  },
  initialState: () => ({ last: new Map() }),
  collect(ctx) {
    const families: MetricFamily[] = [];
    const { info, info_flags_include: flags, info_bugs_include: bugs } = ctx.config;
    // As in node_exporter, either include option turns the info families on.
    if (info || flags || bugs) families.push(...infoFamilies(ctx));
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
    families.push(counter('node_cpu_seconds_total', 'Seconds the CPUs spent in each mode.', seconds, 'seconds'));
    if (ctx.config.guest) families.push(counter('node_cpu_guest_seconds_total', 'Seconds the CPUs spent in guests (VMs) for each mode.', guest, 'seconds'));

    const cpuSet = [...parsed.value.cpus.keys()].join(',');
    if (ctx.state.sysfs?.cpus !== cpuSet) {
      ctx.state.sysfs = { cpus: cpuSet, topology: readCpuTopology(ctx.paths.sysfs), isolated: readIsolatedCpus(ctx.paths.sysfs) };
    }
    families.push(...sysfsFamilies(ctx.paths.sysfs, ctx.state.sysfs));
    return families;
  },
});

/** --collector.cpu.info: node_cpu_info per CPU, its frequency, the first CPU's chosen flags and bugs. */
function infoFamilies(ctx: CollectContext<CpuOptions, CpuState>): MetricFamily[] {
  const text = readOptionalPseudoFile(ctx.paths.procfs, 'cpuinfo');
  if (text === undefined) {
    ctx.skip('missing file', '/proc/cpuinfo does not exist');
    return [];
  }
  const { cpus, skipped } = parseCpuinfo(text);
  for (const s of skipped) ctx.skip(s.reason, s.detail);
  const info = cpus.map((c) => ({
    labels: {
      package: c.physicalId,
      core: c.coreId,
      cpu: c.processor,
      vendor: c.vendor,
      family: c.family,
      model: c.model,
      model_name: c.modelName,
      microcode: c.microcode,
      stepping: c.stepping,
      cachesize: c.cacheSize,
    },
    value: 1,
  }));
  const families = [gauge('node_cpu_info', 'CPU information from /proc/cpuinfo.', info)];
  // The same name with other labels is cpufreq's when sysfs has the current frequency (cpufreq.README.md).
  if (!cpufreqServesFrequency(ctx.paths.sysfs)) {
    const mhz = cpus.flatMap((c) => (c.mhz === undefined ? [] : [{ labels: { package: c.physicalId, core: c.coreId, cpu: c.processor }, value: c.mhz * 1e6 }]));
    families.push(gauge('node_cpu_frequency_hertz', 'CPU frequency in hertz from /proc/cpuinfo.', mhz));
  }
  const first = cpus[0];
  const listed = (values: string[], pattern: string | undefined, label: string) => {
    if (!pattern || !first) return [];
    const re = new RegExp(pattern);
    return values.filter((v) => re.test(v)).map((v) => ({ labels: { [label]: v }, value: 1 }));
  };
  families.push(
    gauge(
      'node_cpu_flag_info',
      'The `flags` field of CPU information from /proc/cpuinfo taken from the first core.',
      listed(first?.flags ?? [], ctx.config.info_flags_include, 'flag'),
    ),
    gauge(
      'node_cpu_bug_info',
      'The `bugs` field of CPU information from /proc/cpuinfo taken from the first core.',
      listed(first?.bugs ?? [], ctx.config.info_bugs_include, 'bug'),
    ),
  );
  return families;
}

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
