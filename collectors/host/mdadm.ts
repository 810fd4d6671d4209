import { join } from 'node:path';
import { defineCollector, gauge, type MetricFamily, type Sample } from '../../src/collector.js';
import { readOptionalDir, readOptionalPseudoFile, readPseudoFile } from '../../src/fs/procfs.js';
import { parseMdstat, parseRaidDisks } from '../../src/parsers/proc-mdstat.js';

/** node_md_state's `state` label for each activity /proc/mdstat shows; other activities (reshaping) set none of them. */
const STATES: Array<[label: string, activity: string]> = [
  ['active', 'active'],
  ['inactive', 'inactive'],
  ['recovering', 'recovering'],
  ['resync', 'resyncing'],
  ['check', 'checking'],
];
/** Levels whose `md/degraded` the kernel keeps (node_md_degraded is 0 for the others, as node_exporter). */
const REDUNDANT = new Set(['raid1', 'raid4', 'raid5', 'raid6', 'raid10']);
/** Levels with no member disks of their own (external metadata containers): no node_md_raid_disks. */
const CONTAINERS = new Set(['container', 'imsm', 'ddf', '']);

export default defineCollector({
  name: 'mdadm',
  description: 'Linux software RAID (md) arrays from /proc/mdstat and /sys/block/md*/md (node_md_*)',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    const mdstat = readOptionalPseudoFile(ctx.paths.procfs, 'mdstat');
    if (mdstat === undefined) return []; // md driver not loaded
    const parsed = parseMdstat(mdstat);
    for (const s of parsed.skipped) ctx.skip('unparsable array', `mdstat:${s.line}: ${s.device}: ${s.reason}`);

    const state: Sample[] = [];
    const disks: Sample[] = [];
    const required: Sample[] = [];
    const blocks: Sample[] = [];
    const synced: Sample[] = [];
    for (const md of parsed.arrays) {
      const device = md.device;
      for (const [label, activity] of STATES) state.push({ labels: { device, state: label }, value: md.activity === activity ? 1 : 0 });
      disks.push(
        { labels: { device, state: 'active' }, value: md.disksActive },
        { labels: { device, state: 'failed' }, value: md.disksFailed },
        { labels: { device, state: 'spare' }, value: md.disksSpare },
      );
      required.push({ labels: { device }, value: md.disksRequired });
      blocks.push({ labels: { device }, value: md.blocks });
      synced.push({ labels: { device }, value: md.blocksSynced });
    }

    const raidDisks: Sample[] = [];
    const degraded: Sample[] = [];
    const arrays = readOptionalDir(ctx.paths.sysfs, 'block')
      .filter((d) => d.startsWith('md'))
      .sort();
    for (const device of arrays) {
      const dir = join('block', device, 'md');
      try {
        if (readOptionalDir(ctx.paths.sysfs, dir).length === 0) continue; // no md/ directory: not an md array (or it went away)
        const lvl = readPseudoFile(ctx.paths.sysfs, join(dir, 'level')).trim();
        let members: number | undefined;
        if (!CONTAINERS.has(lvl)) members = parseRaidDisks(readPseudoFile(ctx.paths.sysfs, join(dir, 'raid_disks')));
        let missing = 0;
        if (REDUNDANT.has(lvl)) {
          const text = readPseudoFile(ctx.paths.sysfs, join(dir, 'degraded')).trim();
          if (!/^\d{1,15}$/.test(text)) throw new Error(`${join(dir, 'degraded')}: not a count: ${JSON.stringify(text.slice(0, 40))}`);
          missing = Number(text);
        }
        if (members !== undefined) raidDisks.push({ labels: { device }, value: members });
        degraded.push({ labels: { device }, value: missing });
      } catch (err) {
        ctx.skip('unreadable array', `${dir}: ${(err as Error).message}`);
      }
    }

    const families: MetricFamily[] = [
      gauge('node_md_blocks', 'Size of the md device in 1 KiB blocks.', blocks),
      gauge('node_md_blocks_synced', 'Blocks of the md device that are in sync: all of them unless a resync, recovery or check runs or waits.', synced),
      gauge('node_md_degraded', 'Member disks the md device is missing (md/degraded; 0 for levels without redundancy).', degraded),
      gauge('node_md_disks', 'Member disks of the md device by state: active, failed, spare.', disks),
      gauge('node_md_disks_required', 'Disks the md device needs to be complete.', required),
      gauge('node_md_raid_disks', 'Member disks of the complete md device (md/raid_disks).', raidDisks),
      gauge('node_md_state', '1 for the state the md device is in (active, inactive, recovering, resync, check), 0 for the others.', state),
    ];
    return families;
  },
});
