import { lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { counter, defineCollector, gauge, type MetricFamily, type Sample } from '../../src/collector.js';
import { readPseudoFile } from '../../src/fs/procfs.js';
import { deviceFilter } from './device-filter.js';
import { cleanName, explodeSensorFile, SENSOR_TYPES, sensorValues } from './hwmon-sensors.js';

/** A sensor attribute; undefined when the driver refuses it now (EIO, ENODATA, EAGAIN…) or it is a directory. */
function readAttribute(dir: string, file: string): string | undefined {
  try {
    return readPseudoFile(dir, file).replace(/\n+$/, '');
  } catch {
    return undefined;
  }
}

/** sensor → property → raw text, from a chip directory and, for older drivers, its device/. */
function readSensors(dir: string, into = new Map<string, Map<string, string>>()): Map<string, Map<string, string>> {
  for (const file of readdirSync(dir)) {
    const parts = explodeSensorFile(file);
    if (!parts || !SENSOR_TYPES.has(parts.type)) continue;
    const raw = readAttribute(dir, file);
    if (raw === undefined) continue;
    let props = into.get(parts.sensor);
    if (!props) into.set(parts.sensor, (props = new Map()));
    props.set(parts.property, raw);
  }
  return into;
}

/**
 * The chip label: `<bus>_<device>` from where the device link points (e.g. platform_coretemp_0,
 * pci0000_00_0000_00_18_3), else the cleaned name file, else the directory name.
 */
function chipBaseName(dir: string, nameFile: string | undefined): string | undefined {
  try {
    const device = realpathSync(join(dir, 'device'));
    const devName = cleanName(basename(device));
    const devType = cleanName(basename(dirname(device)));
    if (devName && devType) return `${devType}_${devName}`;
    if (devName) return devName;
  } catch {
    // no device link: a virtual chip
  }
  const fromName = nameFile === undefined ? '' : cleanName(nameFile);
  if (fromName) return fromName;
  try {
    return cleanName(basename(realpathSync(dir))) || undefined;
  } catch {
    return undefined;
  }
}

interface Chip {
  dir: string;
  chip: string;
  nameFile?: string;
}

/** Chips under class/hwmon; chips whose base names collide get the name file or the hwmonN directory as suffix (node_exporter 1.12+). */
function discoverChips(sysfs: string): Chip[] {
  const root = join(sysfs, 'class/hwmon');
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const found: Array<Chip & { base: string }> = [];
  for (const entry of entries.sort()) {
    const dir = join(root, entry);
    try {
      if (!(lstatSync(dir).isSymbolicLink() ? statSync(dir) : lstatSync(dir)).isDirectory()) continue;
    } catch {
      continue;
    }
    const nameFile = readAttribute(dir, 'name')?.trim();
    const base = chipBaseName(dir, nameFile);
    if (base !== undefined) found.push({ dir, base, chip: base, nameFile });
  }
  const count = (key: (c: (typeof found)[number]) => string) => {
    const m = new Map<string, number>();
    for (const c of found) m.set(key(c), (m.get(key(c)) ?? 0) + 1);
    return m;
  };
  const perBase = count((c) => c.base);
  const perBaseAndName = count((c) => `${c.base}\0${c.nameFile ?? ''}`);
  for (const c of found) {
    if ((perBase.get(c.base) as number) < 2) continue;
    let suffix = cleanName(c.nameFile ?? '');
    if (!suffix || (perBaseAndName.get(`${c.base}\0${c.nameFile ?? ''}`) as number) > 1) suffix = cleanName(basename(c.dir));
    c.chip = `${c.base}_${suffix}`;
  }
  return found;
}

interface HwmonOptions {
  chip_include?: string;
  chip_exclude?: string;
  sensor_include?: string;
  sensor_exclude?: string;
}

export default defineCollector<HwmonOptions>({
  name: 'hwmon',
  description: 'Hardware sensors (temperatures, voltages, fans, power) from /sys/class/hwmon',
  enabledByDefault: true,
  group: 'host',
  options: {
    type: 'object',
    properties: {
      chip_include: { type: 'string', format: 'regex', description: 'Regexp of chips to include' },
      chip_exclude: { type: 'string', format: 'regex', description: 'Regexp of chips to exclude' },
      sensor_include: { type: 'string', format: 'regex', description: 'Regexp of `chip;sensor` to include' },
      sensor_exclude: { type: 'string', format: 'regex', description: 'Regexp of `chip;sensor` to exclude' },
    },
  },
  collect(ctx) {
    const acceptChip = deviceFilter({ device_include: ctx.config.chip_include, device_exclude: ctx.config.chip_exclude }, '');
    const acceptSensor = deviceFilter({ device_include: ctx.config.sensor_include, device_exclude: ctx.config.sensor_exclude }, '');
    const families = new Map<string, MetricFamily>();
    const add = (name: string, help: string, type: 'gauge' | 'counter', sample: Sample) => {
      let family = families.get(name);
      if (!family) families.set(name, (family = (type === 'counter' ? counter : gauge)(name, help, [])));
      (family.samples as Sample[]).push(sample);
    };
    for (const { dir, chip, nameFile } of discoverChips(ctx.paths.sysfs)) {
      if (!acceptChip(chip)) continue;
      let sensors: Map<string, Map<string, string>>;
      try {
        sensors = readSensors(dir);
        if (existsAsDir(join(dir, 'device'))) readSensors(join(dir, 'device'), sensors);
      } catch (err) {
        // A chip that went away or refuses listing: the other chips are still served.
        ctx.logger.warn({ chip, err: (err as Error).message }, 'hwmon chip unreadable; skipped');
        continue;
      }
      const chipName = nameFile === undefined ? '' : cleanName(nameFile);
      if (chipName)
        add('node_hwmon_chip_names', 'Annotation metric for human-readable chip names', 'gauge', { labels: { chip, chip_name: chipName }, value: 1 });
      for (const [sensor, props] of sensors) {
        if (!acceptSensor(`${chip};${sensor}`)) continue;
        const label = props.get('label');
        if (label !== undefined) add('node_hwmon_sensor_label', 'Label for given chip and sensor', 'gauge', { labels: { chip, sensor, label }, value: 1 });
        const type = explodeSensorFile(sensor)?.type as string;
        for (const v of sensorValues(type, props)) add(v.name, v.help, v.type, { labels: { chip, sensor: v.sensorLabel ?? sensor }, value: v.value });
      }
    }
    return [...families.values()];
  },
});

function existsAsDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
