import { join } from 'node:path';
import { defineCollector, gauge, type Sample } from '../../src/collector.js';
import { readOptionalDir, readPseudoFile } from '../../src/fs/procfs.js';
import { zoneAbbreviation } from './timezone.js';

const CLOCKSOURCE_DIR = 'devices/system/clocksource';

export default defineCollector({
  name: 'time',
  description: 'System time, time zone offset and clocksources (sysfs)',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    const now = new Date();
    const offset = -now.getTimezoneOffset() * 60;
    const available: Sample[] = [];
    const current: Sample[] = [];
    for (const dir of readOptionalDir(ctx.paths.sysfs, CLOCKSOURCE_DIR).filter((d) => /^clocksource\d+$/.test(d))) {
      const device = dir.slice('clocksource'.length);
      const base = join(CLOCKSOURCE_DIR, dir);
      for (const clocksource of readPseudoFile(ctx.paths.sysfs, join(base, 'available_clocksource')).trim().split(/\s+/).filter(Boolean)) {
        available.push({ labels: { device, clocksource }, value: 1 });
      }
      const cur = readPseudoFile(ctx.paths.sysfs, join(base, 'current_clocksource')).trim();
      if (cur) current.push({ labels: { device, clocksource: cur }, value: 1 });
    }
    return [
      gauge('node_time_seconds', 'System time in seconds since epoch (1970).', [{ value: now.getTime() / 1000 }], 'seconds'),
      gauge(
        'node_time_zone_offset_seconds',
        'System time zone offset in seconds.',
        [{ labels: { time_zone: zoneAbbreviation(offset) }, value: offset }],
        'seconds',
      ),
      gauge('node_time_clocksource_available_info', "Available clocksources read from '/sys/devices/system/clocksource'.", available),
      gauge('node_time_clocksource_current_info', "Current clocksource read from '/sys/devices/system/clocksource'.", current),
    ];
  },
});
