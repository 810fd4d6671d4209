import { statSync } from 'node:fs';
import { join } from 'node:path';
import { counter, defineCollector, gauge, type MetricFamily, type Sample } from '../../src/collector.js';
import { readOptionalDir } from '../../src/fs/procfs.js';
import { readSubdirectories, readSysfsAttribute, readSysfsUint, type SkipFn } from '../../src/fs/sysfs-attribute.js';
import { BTRFS_ERROR_TYPES, btrfsAllocationRatio, parseBtrfsKeyValues, parseCommitStats } from '../../src/parsers/btrfs.js';

const BLOCK_GROUP_TYPES = ['data', 'metadata', 'system'] as const;
const SECTOR = 512;

function exists(sysfs: string, relative: string): boolean {
  try {
    statSync(join(sysfs, relative));
    return true;
  } catch {
    return false;
  }
}

export default defineCollector({
  name: 'btrfs',
  description: 'btrfs filesystems from /sys/fs/btrfs: allocation, commits, device sizes and error counters',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    const skip: SkipFn = (r, d) => ctx.skip(r, d);
    const sysfs = ctx.paths.sysfs;
    const info: Sample[] = [];
    const globalRsv: Sample[] = [];
    const commits: Sample[] = [];
    const lastCommit: Sample[] = [];
    const maxCommit: Sample[] = [];
    const commitSeconds: Sample[] = [];
    const reserved: Sample[] = [];
    const used: Sample[] = [];
    const size: Sample[] = [];
    const ratio: Sample[] = [];
    const deviceSize: Sample[] = [];
    const deviceErrors: Sample[] = [];

    const filesystems = readOptionalDir(sysfs, 'fs/btrfs')
      .filter((n) => n.includes('-'))
      .sort();
    for (const dir of filesystems) {
      const base = join('fs/btrfs', dir);
      const uuid = readSysfsAttribute(sysfs, join(base, 'metadata_uuid'), skip)?.trim() || dir;
      info.push({ labels: { uuid, label: readSysfsAttribute(sysfs, join(base, 'label'), skip)?.trim() ?? '' }, value: 1 });

      const rsv = readSysfsUint(sysfs, join(base, 'allocation/global_rsv_size'), skip);
      if (rsv !== undefined) globalRsv.push({ labels: { uuid }, value: rsv });

      // commit_stats is new in kernel 6.0; without it node_exporter reports zeros, and so does this.
      const commitText = readSysfsAttribute(sysfs, join(base, 'commit_stats'), skip) ?? (exists(sysfs, join(base, 'commit_stats')) ? undefined : '');
      if (commitText !== undefined) {
        const c = parseCommitStats(commitText);
        if (!c.ok) ctx.skip('malformed', `${join(sysfs, base)}/${c.error}`);
        else {
          commits.push({ labels: { uuid }, value: c.value.commits });
          lastCommit.push({ labels: { uuid }, value: c.value.lastCommitMs / 1000 });
          maxCommit.push({ labels: { uuid }, value: c.value.maxCommitMs / 1000 });
          commitSeconds.push({ labels: { uuid }, value: c.value.totalCommitMs / 1000 });
        }
      }

      const devices = readOptionalDir(sysfs, join(base, 'devices')).sort();
      for (const type of BLOCK_GROUP_TYPES) {
        const alloc = join(base, 'allocation', type);
        const r = readSysfsUint(sysfs, join(alloc, 'bytes_reserved'), skip);
        if (r !== undefined) reserved.push({ labels: { uuid, block_group_type: type }, value: r });
        for (const mode of readSubdirectories(sysfs, alloc, skip)) {
          const labels = { uuid, block_group_type: type, mode };
          const u = readSysfsUint(sysfs, join(alloc, mode, 'used_bytes'), skip);
          const t = readSysfsUint(sysfs, join(alloc, mode, 'total_bytes'), skip);
          if (u !== undefined) used.push({ labels, value: u });
          if (t !== undefined) size.push({ labels, value: t });
          ratio.push({ labels, value: btrfsAllocationRatio(mode, devices.length) });
        }
      }

      for (const device of devices) {
        const sectors = readSysfsUint(sysfs, join(base, 'devices', device, 'size'), skip);
        if (sectors !== undefined) deviceSize.push({ labels: { uuid, device }, value: sectors * SECTOR });
      }

      // What node_exporter gets from BTRFS_IOC_GET_DEV_STATS, from sysfs (kernel 5.14+), per device id.
      for (const devid of readOptionalDir(sysfs, join(base, 'devinfo')).sort((a, b) => Number(a) - Number(b))) {
        const file = join(base, 'devinfo', devid, 'error_stats');
        const text = readSysfsAttribute(sysfs, file, skip);
        if (text === undefined || text.trim() === 'invalid') continue; // stats not loaded yet
        const kv = parseBtrfsKeyValues(text, 'error_stats');
        if (!kv.ok) {
          ctx.skip('malformed', `${join(sysfs, base, 'devinfo', devid)}/${kv.error}`);
          continue;
        }
        for (const [type, key] of BTRFS_ERROR_TYPES) {
          const v = kv.value.get(key);
          if (v !== undefined) deviceErrors.push({ labels: { uuid, devid, type }, value: v });
        }
      }
    }

    const families: MetricFamily[] = [
      gauge('node_btrfs_info', 'Filesystem information', info),
      gauge('node_btrfs_global_rsv_size_bytes', 'Size of global reserve.', globalRsv),
      counter('node_btrfs_commits_total', 'The total number of commits that have occurred.', commits),
      gauge('node_btrfs_last_commit_seconds', 'Duration of the most recent commit, in seconds.', lastCommit),
      gauge('node_btrfs_max_commit_seconds', 'Duration of the slowest commit, in seconds.', maxCommit),
      counter('node_btrfs_commit_seconds_total', 'Sum of the duration of all commits, in seconds.', commitSeconds),
      gauge('node_btrfs_reserved_bytes', 'Amount of space reserved for a data type', reserved),
      gauge('node_btrfs_used_bytes', 'Amount of used space by a layout/data type', used),
      gauge('node_btrfs_size_bytes', 'Amount of space allocated for a layout/data type', size),
      gauge('node_btrfs_allocation_ratio', 'Data allocation ratio for a layout/data type', ratio),
      gauge('node_btrfs_device_size_bytes', 'Size of a device that is part of the filesystem.', deviceSize),
      counter('node_btrfs_device_errors_total', 'Errors reported for the device', deviceErrors),
    ];
    return families.filter((f) => f.samples.length > 0);
  },
});
