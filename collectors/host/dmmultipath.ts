import { join } from 'node:path';
import { defineCollector, gauge, type Sample } from '../../src/collector.js';
import { readOptionalDir } from '../../src/fs/procfs.js';
import { readSysfsAttribute, readSysfsUint, type SkipFn } from '../../src/fs/sysfs-attribute.js';

const SECTOR = 512;

/** Device states of a usable path: SCSI `running`, NVMe `live` (as node_exporter). */
const ACTIVE_STATES = new Set(['running', 'live']);

export default defineCollector({
  name: 'dmmultipath',
  description: 'DM-multipath maps and the state of their paths, from /sys/block/dm-*',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    const skip: SkipFn = (r, d) => ctx.skip(r, d);
    const sysfs = ctx.paths.sysfs;
    const info: Sample[] = [];
    const active: Sample[] = [];
    const size: Sample[] = [];
    const paths: Sample[] = [];
    const pathsActive: Sample[] = [];
    const pathsFailed: Sample[] = [];
    const pathState: Sample[] = [];

    const dms = readOptionalDir(sysfs, 'block')
      .filter((n) => n.startsWith('dm-'))
      .sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)) || (a < b ? -1 : 1));
    for (const sysfsName of dms) {
      const dm = (file: string) => join('block', sysfsName, 'dm', file);
      const uuid = readSysfsAttribute(sysfs, dm('uuid'), skip)?.trim();
      if (uuid === undefined || !uuid.startsWith('mpath-')) continue; // not device-mapper, or not a multipath map
      const name = readSysfsAttribute(sysfs, dm('name'), skip)?.trim();
      const suspended = readSysfsUint(sysfs, dm('suspended'), skip);
      const sectors = readSysfsUint(sysfs, join('block', sysfsName, 'size'), skip);
      if (name === undefined || suspended === undefined || sectors === undefined) {
        // node_exporter fails the whole collector here; one map is left out and counted instead.
        ctx.skip('incomplete', `${join(sysfs, 'block', sysfsName)}: dm/name, dm/suspended or size missing or unreadable`);
        continue;
      }
      const labels = { device: name, sysfs_name: sysfsName };
      info.push({ labels: { ...labels, uuid }, value: 1 });
      active.push({ labels, value: suspended === 1 ? 0 : 1 });
      size.push({ labels, value: sectors * SECTOR });

      let up = 0;
      let down = 0;
      const slaves = readOptionalDir(sysfs, join('block', sysfsName, 'slaves')).sort();
      for (const path of slaves) {
        let state = readSysfsAttribute(sysfs, join('block', path, 'device/state'), skip)?.trim();
        if (state === undefined) {
          // node_exporter fails the whole collector; the path is reported as not active instead.
          ctx.skip('incomplete', `${join(sysfs, 'block', path, 'device/state')}: missing or unreadable, reported as state "unknown"`);
          state = 'unknown';
        }
        if (ACTIVE_STATES.has(state)) up++;
        else down++;
        pathState.push({ labels: { device: name, path, state }, value: 1 });
      }
      paths.push({ labels, value: slaves.length });
      pathsActive.push({ labels, value: up });
      pathsFailed.push({ labels, value: down });
    }
    return [
      gauge('node_dmmultipath_device_info', 'Non-numeric information about a DM-multipath device.', info),
      gauge('node_dmmultipath_device_active', 'Whether the multipath device-mapper device is active (1) or suspended (0).', active),
      gauge('node_dmmultipath_device_size_bytes', 'Size of the multipath device in bytes, read from /sys/block/<dm>/size.', size),
      gauge('node_dmmultipath_device_paths', 'Number of paths for a multipath device.', paths),
      gauge('node_dmmultipath_device_paths_active', 'Number of paths in active state (SCSI running or NVMe live) for a multipath device.', pathsActive),
      gauge('node_dmmultipath_device_paths_failed', 'Number of paths not in active state for a multipath device.', pathsFailed),
      gauge('node_dmmultipath_path_state', 'Reports the underlying device state for a multipath path, as read from /sys/block/<dev>/device/state.', pathState),
    ].filter((f) => f.samples.length > 0);
  },
});
