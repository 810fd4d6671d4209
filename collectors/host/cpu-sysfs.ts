import { readOptionalDir, readOptionalPseudoFile } from '../../src/fs/procfs.js';
import { parseCpuList } from '../../src/parsers/sysfs-cpulist.js';

function readCpuList(sysfs: string, relative: string): number[] | undefined {
  const text = readOptionalPseudoFile(sysfs, relative);
  if (text === undefined) return undefined;
  const cpus = parseCpuList(text);
  if (cpus === undefined) throw new Error(`/sys/${relative}: not a CPU list: ${JSON.stringify(text.trim().slice(0, 60))}`);
  return cpus;
}

function readUint(sysfs: string, relative: string): number | undefined {
  const text = readOptionalPseudoFile(sysfs, relative)?.trim();
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}

/** Where each CPU sits, read once: topology does not change while a CPU number exists. */
export interface CpuTopology {
  cpu: string;
  package: string;
  core: string;
  hasThrottleCounters: boolean;
}

export function readCpuTopology(sysfs: string): CpuTopology[] {
  const topology: CpuTopology[] = [];
  for (const entry of readOptionalDir(sysfs, 'devices/system/cpu')) {
    if (!/^cpu\d+$/.test(entry)) continue;
    const pkg = readUint(sysfs, `devices/system/cpu/${entry}/topology/physical_package_id`);
    const core = readUint(sysfs, `devices/system/cpu/${entry}/topology/core_id`);
    if (pkg === undefined || core === undefined) continue;
    const hasThrottleCounters = readOptionalDir(sysfs, `devices/system/cpu/${entry}/thermal_throttle`).length > 0;
    topology.push({ cpu: entry.slice(3), package: String(pkg), core: String(core), hasThrottleCounters });
  }
  return topology;
}

export interface ThrottleCounts {
  /** `package/core` → count, read once per physical core (hyperthreads share the counter). */
  core: Map<string, { package: string; core: string; count: number }>;
  package: Map<string, number>;
}

export function readThrottleCounts(sysfs: string, topology: readonly CpuTopology[]): ThrottleCounts {
  const counts: ThrottleCounts = { core: new Map(), package: new Map() };
  for (const t of topology) {
    if (!t.hasThrottleCounters) continue;
    const dir = `devices/system/cpu/cpu${t.cpu}/thermal_throttle`;
    const key = `${t.package}/${t.core}`;
    if (!counts.core.has(key)) {
      const count = readUint(sysfs, `${dir}/core_throttle_count`);
      if (count !== undefined) counts.core.set(key, { package: t.package, core: t.core, count });
    }
    if (!counts.package.has(t.package)) {
      const count = readUint(sysfs, `${dir}/package_throttle_count`);
      if (count !== undefined) counts.package.set(t.package, count);
    }
  }
  return counts;
}

/** Online state of every present CPU from two cpulist files; undefined without hotplug support. */
export function readCpuOnline(sysfs: string): Map<string, boolean> | undefined {
  const present = readCpuList(sysfs, 'devices/system/cpu/present');
  const online = readCpuList(sysfs, 'devices/system/cpu/online');
  if (present === undefined || online === undefined) return undefined;
  const onlineSet = new Set(online);
  return new Map(present.map((c) => [String(c), onlineSet.has(c)]));
}

/** CPUs isolated from the scheduler (isolcpus=); empty when none or the file is missing. */
export function readIsolatedCpus(sysfs: string): number[] {
  return readCpuList(sysfs, 'devices/system/cpu/isolated') ?? [];
}
