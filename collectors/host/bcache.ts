import { join } from 'node:path';
import { counter, defineCollector, gauge, type Labels, type MetricFamily, type Sample } from '../../src/collector.js';
import { readOptionalDir } from '../../src/fs/procfs.js';
import { readSysfsAttribute } from '../../src/fs/sysfs-attribute.js';
import { parseBcacheHuman, parsePriorityStats, parseWritebackRateDebug } from '../../src/parsers/bcache.js';

type Kind = 'gauge' | 'counter';
/** [file under the set's directory, metric suffix, type, help, factor] */
type Row = [file: string, metric: string, kind: Kind, help: string, factor?: number];

/** /sys/fs/bcache/<uuid>/ and its internal/ directory, label uuid. */
const SET: Row[] = [
  ['average_key_size', 'average_key_size_sectors', 'gauge', 'Average data per key in the btree (sectors).'],
  ['btree_cache_size', 'btree_cache_size_bytes', 'gauge', 'Amount of memory currently used by the btree cache.'],
  [
    'cache_available_percent',
    'cache_available_percent',
    'gauge',
    'Percentage of cache device without dirty data, usable for writeback (may contain clean cached data).',
  ],
  ['congested', 'congested', 'gauge', 'Congestion.'],
  ['root_usage_percent', 'root_usage_percent', 'gauge', 'Percentage of the root btree node in use (tree depth increases if too high).'],
  ['tree_depth', 'tree_depth', 'gauge', 'Depth of the btree.'],
  ['internal/active_journal_entries', 'active_journal_entries', 'gauge', 'Number of journal entries that are newer than the index.'],
  ['internal/btree_nodes', 'btree_nodes', 'gauge', 'Total nodes in the btree.'],
  // The kernel prints microseconds; node_exporter scales by 1e-9 (procfs reads the file as
  // nanoseconds). Kept for drop-in parity; see bcache.README.md.
  ['internal/btree_read_average_duration_us', 'btree_read_average_duration_seconds', 'gauge', 'Average btree read duration.', 1e-9],
  [
    'internal/cache_read_races',
    'cache_read_races_total',
    'counter',
    'Counts instances where while data was being read from the cache, the bucket was reused and invalidated - i.e. where the pointer was stale after the read completed.',
  ],
];

/** /sys/fs/bcache/<uuid>/bdevN/, labels uuid, backing_device. */
const BDEV: Row[] = [['dirty_data', 'dirty_data_bytes', 'gauge', 'Amount of dirty data for this backing device in the cache.']];

/** /sys/fs/bcache/<uuid>/bdevN/stats_total/, labels uuid, backing_device. */
const BDEV_TOTAL: Row[] = [
  ['bypassed', 'bypassed_bytes_total', 'counter', 'Amount of IO (both reads and writes) that has bypassed the cache.'],
  ['cache_hits', 'cache_hits_total', 'counter', 'Hits counted per individual IO as bcache sees them.'],
  ['cache_misses', 'cache_misses_total', 'counter', 'Misses counted per individual IO as bcache sees them.'],
  ['cache_bypass_hits', 'cache_bypass_hits_total', 'counter', 'Hits for IO intended to skip the cache.'],
  ['cache_bypass_misses', 'cache_bypass_misses_total', 'counter', 'Misses for IO intended to skip the cache.'],
  [
    'cache_miss_collisions',
    'cache_miss_collisions_total',
    'counter',
    'Instances where data insertion from cache miss raced with write (data already present).',
  ],
  // node_exporter leaves this one out while it is 0.
  ['cache_readaheads', 'cache_readaheads_total', 'counter', 'Count of times readahead occurred.'],
];

/** Fields of bdevN/writeback_rate_debug, labels uuid, backing_device. */
const WRITEBACK: Array<[field: 'target' | 'rate' | 'proportional' | 'integral' | 'change', metric: string, help: string]> = [
  ['target', 'dirty_target_bytes', 'Current dirty data target threshold for this backing device in bytes.'],
  ['rate', 'writeback_rate', 'Current writeback rate for this backing device in bytes.'],
  ['proportional', 'writeback_rate_proportional_term', 'Current result of proportional controller, part of writeback rate'],
  ['integral', 'writeback_rate_integral_term', 'Current result of integral controller, part of writeback rate'],
  ['change', 'writeback_change', 'Last writeback rate change step for this backing device.'],
];

/** /sys/fs/bcache/<uuid>/cacheN/, labels uuid, cache_device. */
const CACHE: Row[] = [
  ['io_errors', 'io_errors', 'gauge', 'Number of errors that have occurred, decayed by io_error_halflife.'],
  ['metadata_written', 'metadata_written_bytes_total', 'counter', 'Sum of all non data writes (btree writes and all other metadata).'],
  ['written', 'written_bytes_total', 'counter', 'Sum of all data that has been written to the cache.'],
];

const PRIORITY: Array<[field: 'unusedPercent' | 'metadataPercent', metric: string, help: string]> = [
  ['unusedPercent', 'priority_stats_unused_percent', "The percentage of the cache that doesn't contain any data."],
  ['metadataPercent', 'priority_stats_metadata_percent', "Bcache's metadata overhead."],
];

export default defineCollector<{ priority_stats: boolean }>({
  name: 'bcache',
  description: 'bcache cache sets, backing and cache devices from /sys/fs/bcache',
  enabledByDefault: true,
  group: 'host',
  options: {
    type: 'object',
    properties: {
      priority_stats: {
        type: 'boolean',
        default: false,
        description: 'Read cacheN/priority_stats, which the kernel computes by walking every bucket (--collector.bcache.priorityStats)',
      },
    },
  },
  collect(ctx) {
    const families = new Map<string, { kind: Kind; help: string; samples: Sample[] }>();
    const emit = (metric: string, kind: Kind, help: string, labels: Labels, value: number) => {
      let f = families.get(metric);
      if (!f) families.set(metric, (f = { kind, help, samples: [] }));
      f.samples.push({ labels, value });
    };
    const read = (relative: string) => readSysfsAttribute(ctx.paths.sysfs, relative, (r, d) => ctx.skip(r, d));
    /** A bch_hprint value; garbled text is counted and gives no series. */
    const value = (relative: string): number | undefined => {
      const text = read(relative);
      if (text === undefined) return undefined;
      const v = parseBcacheHuman(text);
      if (v === undefined) ctx.skip('malformed', `${join(ctx.paths.sysfs, relative)}: not a bcache value: ${JSON.stringify(text.trim().slice(0, 40))}`);
      return v;
    };
    const rows = (dir: string, table: Row[], labels: Labels, skipZero?: string) => {
      for (const [file, metric, kind, help, factor] of table) {
        const v = value(join(dir, file));
        if (v === undefined || (file === skipZero && v === 0)) continue;
        emit(metric, kind, help, labels, factor === undefined ? v : v * factor);
      }
    };

    const sets = readOptionalDir(ctx.paths.sysfs, 'fs/bcache')
      .filter((n) => n.includes('-'))
      .sort();
    for (const uuid of sets) {
      const dir = join('fs/bcache', uuid);
      rows(dir, SET, { uuid });
      const entries = readOptionalDir(ctx.paths.sysfs, dir).sort();
      for (const bdev of entries.filter((n) => /^bdev\d/.test(n))) {
        const labels = { uuid, backing_device: bdev };
        rows(join(dir, bdev), BDEV, labels);
        const debug = read(join(dir, bdev, 'writeback_rate_debug'));
        if (debug !== undefined) {
          const parsed = parseWritebackRateDebug(debug);
          if (!parsed.ok) ctx.skip('malformed', `${join(ctx.paths.sysfs, dir, bdev)}/${parsed.error}`);
          else for (const [field, metric, help] of WRITEBACK) emit(metric, 'gauge', help, labels, parsed.value[field]);
        }
        rows(join(dir, bdev, 'stats_total'), BDEV_TOTAL, labels, 'cache_readaheads');
      }
      for (const cache of entries.filter((n) => /^cache\d/.test(n))) {
        const labels = { uuid, cache_device: cache };
        rows(join(dir, cache), CACHE, labels);
        if (!ctx.config.priority_stats) continue;
        const text = read(join(dir, cache, 'priority_stats'));
        if (text === undefined) continue;
        const parsed = parsePriorityStats(text);
        if (!parsed.ok) ctx.skip('malformed', `${join(ctx.paths.sysfs, dir, cache)}/${parsed.error}`);
        else for (const [field, metric, help] of PRIORITY) emit(metric, 'gauge', help, labels, parsed.value[field]);
      }
    }
    const out: MetricFamily[] = [];
    for (const [metric, f] of families) out.push((f.kind === 'counter' ? counter : gauge)(`node_bcache_${metric}`, f.help, f.samples));
    return out;
  },
});
