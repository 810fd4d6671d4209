import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { defineCollector, gauge, untyped, type CollectContext, type MetricFamily, type Sample } from '../../src/collector.js';
import { readCappedFile } from '../../src/fs/read-capped.js';
import { KSTAT_UINT64, kstatMetricName, parseNamedKstat, parseZpoolIo, parseZpoolState, ZPOOL_STATES } from '../../src/parsers/zfs-kstat.js';

const KSTAT_DIR = 'spl/kstat/zfs';
/** arcstats and dbufstats, the largest, are a few KiB; far more is not a kstat. */
const MAX_BYTES = 1024 * 1024;

/** node_exporter's subsystems: kstat file under /proc/spl/kstat/zfs → metric prefix after `node_`. */
const KSTAT_FILES: ReadonlyArray<readonly [file: string, subsystem: string]> = [
  ['abdstats', 'zfs_abd'],
  ['arcstats', 'zfs_arc'],
  ['dbufstats', 'zfs_dbuf'],
  ['dmu_tx', 'zfs_dmu_tx'],
  ['dnodestats', 'zfs_dnode'],
  ['fm', 'zfs_fm'],
  ['vdev_cache_stats', 'zfs_vdev_cache'],
  ['vdev_mirror_stats', 'zfs_vdev_mirror'],
  ['xuio_stats', 'zfs_xuio'],
  ['zfetchstats', 'zfs_zfetch'],
  ['zil', 'zfs_zil'],
];

/** Families by name, in the order first seen. */
class Families {
  readonly byName = new Map<string, MetricFamily>();
  add(name: string, make: () => MetricFamily, sample: Sample): void {
    let family = this.byName.get(name);
    if (!family) this.byName.set(name, (family = make()));
    (family.samples as Sample[]).push(sample);
  }
}

/** A kstat file's text; undefined when it is absent (ZFS not loaded, a kstat this version lacks, a pool being exported) or skipped. */
function readKstat(ctx: CollectContext, relative: string): string | undefined {
  try {
    const read = readCappedFile(ctx.paths.procfs, relative, MAX_BYTES);
    if ('text' in read) return read.text;
    ctx.skip('oversized', `${relative}: more than ${MAX_BYTES} bytes`);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') ctx.skip('unreadable', `${relative}: ${(err as Error).message}`);
  }
  return undefined;
}

/** Pools: the directories of /proc/spl/kstat/zfs (the other entries are kstat files); none without ZFS. */
function pools(procfs: string): string[] | undefined {
  try {
    return readdirSync(join(procfs, KSTAT_DIR), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export default defineCollector({
  name: 'zfs',
  description: 'ZFS kstats from /proc/spl/kstat/zfs: ARC and other module statistics, and per pool I/O, datasets and state (node_zfs_*)',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    const poolNames = pools(ctx.paths.procfs);
    if (!poolNames) return []; // the zfs module is not loaded
    const families = new Families();

    for (const [file, subsystem] of KSTAT_FILES) {
      const relative = join(KSTAT_DIR, file);
      const text = readKstat(ctx, relative);
      if (text === undefined) continue;
      const parsed = parseNamedKstat(text, relative);
      if (!parsed.ok) {
        ctx.skip('malformed', parsed.error);
        continue;
      }
      for (const bad of parsed.value.bad) ctx.skip('malformed', bad);
      for (const { name, value } of parsed.value.numbers) {
        const metric = `node_${subsystem}_${kstatMetricName(name)}`;
        families.add(metric, () => untyped(metric, `kstat.zfs.misc.${file}.${name}`), { value });
      }
    }

    const datasetsSeen = new Set<string>();
    for (const zpool of poolNames) {
      const dir = join(KSTAT_DIR, zpool);
      const labels = { zpool };

      const io = readKstat(ctx, join(dir, 'io'));
      if (io !== undefined) {
        const parsed = parseZpoolIo(io, join(dir, 'io'));
        if (!parsed.ok) ctx.skip('malformed', parsed.error);
        else {
          for (const bad of parsed.value.bad) ctx.skip('malformed', bad);
          for (const { name, value } of parsed.value.values) {
            const metric = `node_zfs_zpool_${kstatMetricName(name)}`;
            families.add(metric, () => untyped(metric, `kstat.zfs.misc.io.${name}`), { labels, value });
          }
        }
      }

      let objsets: string[] = [];
      try {
        objsets = readdirSync(join(ctx.paths.procfs, dir))
          .filter((f) => f.startsWith('objset-'))
          .sort();
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT') ctx.skip('unreadable', `${dir}: ${(err as Error).message}`);
      }
      for (const objset of objsets) {
        const relative = join(dir, objset);
        const text = readKstat(ctx, relative);
        if (text === undefined) continue;
        const parsed = parseNamedKstat(text, relative);
        if (!parsed.ok) {
          ctx.skip('malformed', parsed.error);
          continue;
        }
        const dataset = parsed.value.strings.get('dataset_name');
        if (dataset === undefined) {
          ctx.skip('malformed', `${relative}: no dataset_name`);
          continue;
        }
        const key = JSON.stringify([zpool, dataset]);
        if (datasetsSeen.has(key)) {
          ctx.skip('malformed', `${relative}: dataset ${JSON.stringify(dataset)} repeated`);
          continue;
        }
        datasetsSeen.add(key);
        for (const bad of parsed.value.bad) ctx.skip('malformed', bad);
        const datasetLabels = { zpool, dataset };
        for (const { name, type, value } of parsed.value.numbers) {
          if (type !== KSTAT_UINT64) continue; // node_exporter reads only the uint64 rows of an objset
          const metric = `node_zfs_zpool_dataset_${kstatMetricName(name)}`;
          families.add(metric, () => untyped(metric, `kstat.zfs.misc.objset.${name}`), { labels: datasetLabels, value });
        }
      }

      const state = readKstat(ctx, join(dir, 'state'));
      if (state !== undefined) {
        const parsed = parseZpoolState(state, join(dir, 'state'));
        if (!parsed.ok) ctx.skip('malformed', parsed.error);
        else {
          // A state of no known name gives 0 for every state, as node_exporter does, and is counted.
          if (!(ZPOOL_STATES as readonly string[]).includes(parsed.value))
            ctx.skip('malformed', `${join(dir, 'state')}: unknown state ${JSON.stringify(parsed.value)}`);
          for (const s of ZPOOL_STATES) {
            families.add(
              'node_zfs_zpool_state',
              () => gauge('node_zfs_zpool_state', 'kstat.zfs.misc.state: 1 for the state the pool is in, 0 for the others.'),
              {
                labels: { zpool, state: s },
                value: parsed.value === s ? 1 : 0,
              },
            );
          }
        }
      }
    }
    return [...families.byName.values()];
  },
});
