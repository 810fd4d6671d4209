import { defineCollector, gauge, type CollectContext, type MetricFamily, type Sample } from '../../src/collector.js';
import { readOptionalDir, readOptionalPseudoFile } from '../../src/fs/procfs.js';
import { parseCpuList } from '../../src/parsers/sysfs-cpulist.js';

const CPU_DIR = 'devices/system/cpu';
const KHZ = 1000;

/** cpufreq files in kHz → family, in node_exporter's order. */
const FREQUENCIES: Array<[file: string, family: string, help: string]> = [
  ['cpuinfo_cur_freq', 'node_cpu_frequency_hertz', 'Current CPU thread frequency in hertz.'],
  ['cpuinfo_avg_freq', 'node_cpu_frequency_avg_hertz', 'Average CPU thread frequency in hertz.'],
  ['cpuinfo_min_freq', 'node_cpu_frequency_min_hertz', 'Minimum CPU thread frequency in hertz.'],
  ['cpuinfo_max_freq', 'node_cpu_frequency_max_hertz', 'Maximum CPU thread frequency in hertz.'],
  ['scaling_cur_freq', 'node_cpu_scaling_frequency_hertz', 'Current scaled CPU thread frequency in hertz.'],
  ['scaling_min_freq', 'node_cpu_scaling_frequency_min_hertz', 'Minimum scaled CPU thread frequency in hertz.'],
  ['scaling_max_freq', 'node_cpu_scaling_frequency_max_hertz', 'Maximum scaled CPU thread frequency in hertz.'],
];

type Skip = CollectContext['skip'];

/**
 * A file of a CPU's cpufreq directory: undefined when the driver does not have it or it is
 * root's only (cpuinfo_cur_freq is mode 0400), as node_exporter leaves those out.
 */
function readCpufreqFile(sysfs: string, cpu: string, file: string): string | undefined {
  try {
    return readOptionalPseudoFile(sysfs, `${CPU_DIR}/cpu${cpu}/cpufreq/${file}`)?.trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'ENOTDIR' || code === 'EINVAL' || code === 'ENODEV') return undefined;
    throw err;
  }
}

/** Numbers of the CPUs that sysfs lists and that are not offline, in numeric order. */
export function onlineCpuNumbers(sysfs: string, skip?: Skip): string[] {
  const offlineText = readOptionalPseudoFile(sysfs, `${CPU_DIR}/offline`);
  let offline = new Set<number>();
  if (offlineText !== undefined) {
    const list = parseCpuList(offlineText);
    if (list) offline = new Set(list);
    else skip?.('garbled file', `/sys/${CPU_DIR}/offline: not a CPU list: ${JSON.stringify(offlineText.trim().slice(0, 60))}`);
  }
  return readOptionalDir(sysfs, CPU_DIR)
    .filter((e) => /^cpu\d+$/.test(e))
    .map((e) => Number(e.slice(3)))
    .filter((n) => !offline.has(n))
    .sort((a, b) => a - b)
    .map(String);
}

/**
 * Whether some online CPU has a readable cpuinfo_cur_freq: then cpufreq serves
 * node_cpu_frequency_hertz{cpu}, and the cpu collector's --collector.cpu.info leaves its
 * /proc/cpuinfo one out (the same name with other labels).
 */
export function cpufreqServesFrequency(sysfs: string): boolean {
  return onlineCpuNumbers(sysfs).some((cpu) => /^\d+$/.test(readCpufreqFile(sysfs, cpu, 'cpuinfo_cur_freq') ?? ''));
}

export default defineCollector({
  name: 'cpufreq',
  description: 'CPU frequencies and scaling governor per CPU from /sys/devices/system/cpu/cpuN/cpufreq',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    const sysfs = ctx.paths.sysfs;
    const samples = FREQUENCIES.map((): Sample[] => []);
    const governors: Sample[] = [];
    for (const cpu of onlineCpuNumbers(sysfs, ctx.skip)) {
      if (!readOptionalDir(sysfs, `${CPU_DIR}/cpu${cpu}/cpufreq`).length) continue; // no cpufreq driver for this CPU
      FREQUENCIES.forEach(([file], i) => {
        const text = readCpufreqFile(sysfs, cpu, file);
        if (text === undefined) return;
        if (!/^\d+$/.test(text))
          return ctx.skip('garbled file', `/sys/${CPU_DIR}/cpu${cpu}/cpufreq/${file}: not a number: ${JSON.stringify(text.slice(0, 40))}`);
        samples[i]!.push({ labels: { cpu }, value: Number(text) * KHZ });
      });
      const governor = readCpufreqFile(sysfs, cpu, 'scaling_governor');
      if (!governor) continue;
      for (const g of (readCpufreqFile(sysfs, cpu, 'scaling_available_governors') ?? '').split(' '))
        governors.push({ labels: { cpu, governor: g }, value: g === governor ? 1 : 0 });
    }
    const families: MetricFamily[] = FREQUENCIES.map(([, family, help], i) => gauge(family, help, samples[i]!));
    families.push(gauge('node_cpu_scaling_governor', 'Current enabled CPU frequency governor.', governors));
    return families.filter((f) => f.samples.length > 0);
  },
});
