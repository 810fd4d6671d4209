import { join } from 'node:path';
import { counter, defineCollector, type MetricFamily, type Sample } from '../../src/collector.js';
import { readOptionalDir } from '../../src/fs/procfs.js';
import { readSysfsAttribute, readSysfsUint, type SkipFn } from '../../src/fs/sysfs-attribute.js';

export interface RaplZone {
  /** `name` without its `-N` suffix (`package-0` → `package`). */
  name: string;
  /** The `-N` suffix, or the how-many-th zone of that name for names without one. */
  index: number;
  /** The zone's directory as the --path.sysfs flag spells it, node_exporter's `path` label. */
  path: string;
  /** Its entry under class/powercap (`intel-rapl:0`). */
  entry: string;
}

/**
 * Zones of /sys/class/powercap, in directory order: every entry with a `name` file (the control
 * types `intel-rapl` and `intel-rapl-mmio` have none). Index and name as node_exporter (procfs'
 * getIndexAndName): `package-0` is index 0 of `package`; a name without a numeric suffix (`core`,
 * `dram`) takes the count of zones of that name seen so far.
 */
export function raplZones(sysfs: string, skip: SkipFn): RaplZone[] {
  const zones: RaplZone[] = [];
  const seen = new Map<string, number>();
  for (const entry of readOptionalDir(sysfs, 'class/powercap').sort()) {
    const text = readSysfsAttribute(sysfs, join('class/powercap', entry, 'name'), skip);
    if (text === undefined) continue;
    let name = text.trim();
    let index: number;
    const parts = name.split('-');
    if (parts.length === 2 && /^[+-]?\d+$/.test(parts[1] as string)) {
      index = Number(parts[1]);
      name = parts[0] as string;
    } else index = seen.get(name) ?? 0;
    seen.set(name, index + 1);
    zones.push({ name, index, path: join(sysfs, 'class/powercap', entry), entry });
  }
  return zones;
}

/** node_exporter's SanitizeMetricName: each run of characters outside [0-9A-Za-z_], with the underscores around it, becomes one `_`. */
export function sanitizeMetricName(name: string): string {
  return name.replace(/_*[^0-9A-Za-z_]+_*/g, '_');
}

export default defineCollector<{ enable_zone_label: boolean }>({
  name: 'rapl',
  description: 'Energy counters of the RAPL power zones (package, core, uncore, dram, psys) from /sys/class/powercap',
  enabledByDefault: true,
  group: 'host',
  options: {
    type: 'object',
    properties: {
      enable_zone_label: {
        type: 'boolean',
        default: false,
        description: 'One family node_rapl_joules_total with a rapl_zone label instead of one family per zone name (--collector.rapl.enable-zone-label)',
      },
    },
  },
  collect(ctx) {
    const skip: SkipFn = (r, d) => ctx.skip(r, d);
    /** Per metric name (zone names that sanitize alike share one family). */
    const byName = new Map<string, { help: string; samples: Sample[] }>();
    const zoneLabelled: Sample[] = [];
    for (const zone of raplZones(ctx.paths.sysfs, skip)) {
      // energy_uj is root-only since the PLATYPUS fix (CVE-2020-8694): counted as permission_denied.
      const uj = readSysfsUint(ctx.paths.sysfs, join('class/powercap', zone.entry, 'energy_uj'), skip);
      if (uj === undefined) continue;
      const labels = { index: String(zone.index), path: zone.path };
      if (ctx.config.enable_zone_label) zoneLabelled.push({ labels: { ...labels, rapl_zone: zone.name }, value: uj / 1e6 });
      else {
        const metric = `node_rapl_${sanitizeMetricName(zone.name)}_joules_total`;
        let family = byName.get(metric);
        if (!family) byName.set(metric, (family = { help: `Current RAPL ${zone.name} value in joules`, samples: [] }));
        family.samples.push({ labels, value: uj / 1e6 });
      }
    }
    if (ctx.config.enable_zone_label) return zoneLabelled.length ? [counter('node_rapl_joules_total', 'Current RAPL value in joules', zoneLabelled)] : [];
    const families: MetricFamily[] = [];
    for (const [metric, { help, samples }] of byName) families.push(counter(metric, help, samples));
    return families;
  },
});
