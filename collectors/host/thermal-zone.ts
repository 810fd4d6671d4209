import { join } from 'node:path';
import { defineCollector, gauge, type Sample } from '../../src/collector.js';
import { readOptionalDir, readPseudoFile } from '../../src/fs/procfs.js';

function readInteger(sysfs: string, relative: string): number {
  const text = readPseudoFile(sysfs, relative).trim();
  if (!/^-?\d+$/.test(text)) throw new Error(`/sys/${relative}: expected an integer, got ${JSON.stringify(text.slice(0, 40))}`);
  return Number(text);
}

/**
 * Thermal zones and cooling devices from /sys/class/thermal. A zone whose sensor cannot be read
 * now (drivers answer EINVAL, ENODATA or EAGAIN while a device sleeps) is left out and logged;
 * the other zones are still served.
 */
export default defineCollector({
  name: 'thermal_zone',
  description: 'Thermal zone temperatures and cooling device states from /sys/class/thermal',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    const temps: Sample[] = [];
    const cur: Sample[] = [];
    const max: Sample[] = [];
    for (const entry of readOptionalDir(ctx.paths.sysfs, 'class/thermal').sort()) {
      const dir = join('class/thermal', entry);
      try {
        if (entry.startsWith('thermal_zone')) {
          const type = readPseudoFile(ctx.paths.sysfs, join(dir, 'type')).trim();
          temps.push({ labels: { zone: entry.slice('thermal_zone'.length), type }, value: readInteger(ctx.paths.sysfs, join(dir, 'temp')) / 1000 });
        } else if (entry.startsWith('cooling_device')) {
          const labels = { name: entry.slice('cooling_device'.length), type: readPseudoFile(ctx.paths.sysfs, join(dir, 'type')).trim() };
          const curState = readInteger(ctx.paths.sysfs, join(dir, 'cur_state'));
          const maxState = readInteger(ctx.paths.sysfs, join(dir, 'max_state'));
          cur.push({ labels, value: curState });
          max.push({ labels, value: maxState });
        }
      } catch (err) {
        ctx.logger.warn({ entry, err: (err as Error).message }, 'thermal entry unreadable; skipped');
      }
    }
    return [
      gauge('node_thermal_zone_temp', 'Zone temperature in Celsius', temps),
      gauge('node_cooling_device_cur_state', 'Current throttle state of the cooling device', cur),
      gauge('node_cooling_device_max_state', 'Maximum throttle state of the cooling device', max),
    ].filter((f) => f.samples.length > 0);
  },
});
