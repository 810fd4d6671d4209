import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { counter, defineCollector, gauge, type Labels, type MetricFamily, type Sample } from '../../src/collector.js';
import { readSubdirectories, readSysfsAttribute, type SkipFn } from '../../src/fs/sysfs-attribute.js';
import {
  parseBcachefsHuman,
  parseBcachefsUint,
  parseBtreeWriteStats,
  parseCompressionStats,
  parseCounter,
  parseErrors,
  parseIoDone,
  parseIoErrors,
  sanitizeCounterName,
  type Parsed,
} from '../../src/parsers/bcachefs.js';

type Kind = 'gauge' | 'counter';

/** The families with fixed names; a counter file whose name would give one of these is left out. */
const FIXED: Record<string, [kind: Kind, help: string]> = {
  info: ['gauge', 'Filesystem information.'],
  btree_cache_size_bytes: ['gauge', 'Btree cache memory usage in bytes.'],
  compression_compressed_bytes: ['gauge', 'Compressed size by algorithm.'],
  compression_uncompressed_bytes: ['gauge', 'Uncompressed size by algorithm.'],
  errors_total: ['counter', 'Error count by error type.'],
  btree_writes_total: ['counter', 'Number of btree writes by type.'],
  btree_write_average_size_bytes: ['gauge', 'Average btree write size by type.'],
  device_info: ['gauge', 'Device information.'],
  device_bucket_size_bytes: ['gauge', 'Bucket size in bytes.'],
  device_buckets: ['gauge', 'Total number of buckets.'],
  device_durability: ['gauge', 'Device durability setting.'],
  device_io_done_bytes_total: ['counter', 'IO bytes by operation type and data type.'],
  device_io_errors_total: ['counter', 'IO errors by error type.'],
};

/** Regular files of a directory, sorted; none when it is missing. */
function files(sysfs: string, relative: string, skip: SkipFn): string[] {
  try {
    return readdirSync(join(sysfs, relative), { withFileTypes: true })
      .filter((d) => !d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') skip('unreadable', `${join(sysfs, relative)}: ${(err as Error).message}`);
    return [];
  }
}

export default defineCollector({
  name: 'bcachefs',
  description: 'bcachefs filesystems from /sys/fs/bcachefs: btree, compression, error and event counters, devices',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    const sysfs = ctx.paths.sysfs;
    const skip: SkipFn = (r, d) => ctx.skip(r, d);
    const families = new Map<string, { kind: Kind; help: string; samples: Sample[] }>();
    const emit = (metric: string, kind: Kind, help: string, labels: Labels, value: number) => {
      let f = families.get(metric);
      if (!f) families.set(metric, (f = { kind, help, samples: [] }));
      f.samples.push({ labels, value });
    };
    const fixed = (metric: string, labels: Labels, value: number) => {
      const [kind, help] = FIXED[metric] as [Kind, string];
      emit(metric, kind, help, labels, value);
    };
    const read = (relative: string) => readSysfsAttribute(sysfs, relative, skip);
    /** A file parsed line by line: its garbled lines are counted, the rest kept. */
    const parsed = <T>(relative: string, parse: (text: string, file: string) => Parsed<T>): T | undefined => {
      const text = read(relative);
      if (text === undefined) return undefined;
      const r = parse(text, join(sysfs, relative));
      for (const b of r.bad) ctx.skip(b.reason, b.detail);
      return r.value;
    };
    /** A one-value file; garbled text is counted and gives no series. */
    const single = (relative: string, parse: (t: string) => number | undefined, what: string): number | undefined => {
      const text = read(relative);
      if (text === undefined) return undefined;
      const v = parse(text);
      if (v === undefined) ctx.skip('malformed', `${join(sysfs, relative)}: not ${what}: ${JSON.stringify(text.trim().slice(0, 40))}`);
      return v;
    };

    for (const uuid of readSubdirectories(sysfs, 'fs/bcachefs', skip)) {
      const dir = join('fs/bcachefs', uuid);
      const labels = { uuid };
      fixed('info', labels, 1);

      const cache = single(join(dir, 'btree_cache_size'), parseBcachefsHuman, 'a size');
      if (cache !== undefined) fixed('btree_cache_size_bytes', labels, cache);

      const compression = parsed(join(dir, 'compression_stats'), parseCompressionStats);
      for (const [algorithm, c] of [...(compression ?? [])].sort(([a], [b]) => (a < b ? -1 : 1))) {
        fixed('compression_compressed_bytes', { uuid, algorithm }, c.compressedBytes);
        fixed('compression_uncompressed_bytes', { uuid, algorithm }, c.uncompressedBytes);
      }

      const errors = parsed(join(dir, 'errors'), parseErrors);
      for (const [error_type, n] of [...(errors ?? [])].sort(([a], [b]) => (a < b ? -1 : 1))) fixed('errors_total', { uuid, error_type }, n);

      for (const name of files(sysfs, join(dir, 'counters'), skip)) {
        const relative = join(dir, 'counters', name);
        const text = read(relative);
        if (text === undefined) continue;
        const c = parseCounter(text);
        if (!c.ok) {
          ctx.skip('malformed', `${join(sysfs, relative)}: ${c.error}`);
          continue;
        }
        // Only the count since mount (no persistent counter in this kernel): no series.
        if (c.value.sinceCreation === undefined) continue;
        const metric = `${sanitizeCounterName(name)}_total`;
        if (metric in FIXED) {
          ctx.skip('name_collision', `${join(sysfs, relative)}: counter would be node_bcachefs_${metric}`);
          continue;
        }
        emit(metric, 'counter', `Bcachefs counter ${name} since filesystem creation.`, labels, c.value.sinceCreation);
      }

      const writes = parsed(join(dir, 'btree_write_stats'), parseBtreeWriteStats);
      for (const [type, w] of [...(writes ?? [])].sort(([a], [b]) => (a < b ? -1 : 1))) {
        fixed('btree_writes_total', { uuid, type }, w.count);
        fixed('btree_write_average_size_bytes', { uuid, type }, w.averageSizeBytes);
      }

      for (const entry of readSubdirectories(sysfs, dir, skip).filter((n) => n.startsWith('dev-'))) {
        const devDir = join(dir, entry);
        const device = entry.slice('dev-'.length);
        const dev = { uuid, device };
        const label = read(join(devDir, 'label'))?.trim() ?? '';
        const state = read(join(devDir, 'state'))?.trim() ?? '';
        fixed('device_info', { uuid, device, label, state }, 1);
        const bucket = single(join(devDir, 'bucket_size'), parseBcachefsHuman, 'a size');
        if (bucket !== undefined) fixed('device_bucket_size_bytes', dev, bucket);
        const buckets = single(join(devDir, 'nbuckets'), parseBcachefsUint, 'an unsigned integer');
        if (buckets !== undefined) fixed('device_buckets', dev, buckets);
        const durability = single(join(devDir, 'durability'), parseBcachefsUint, 'an unsigned integer');
        if (durability !== undefined) fixed('device_durability', dev, durability);
        const done = parsed(join(devDir, 'io_done'), parseIoDone);
        for (const [operation, types] of done ?? [])
          for (const [data_type, bytes] of types) fixed('device_io_done_bytes_total', { uuid, device, operation, data_type }, bytes);
        const ioErrors = parsed(join(devDir, 'io_errors'), parseIoErrors);
        for (const [type, n] of ioErrors ?? []) fixed('device_io_errors_total', { uuid, device, type }, n);
      }
    }

    const out: MetricFamily[] = [];
    for (const [metric, f] of [...families].sort(([a], [b]) => (a < b ? -1 : 1)))
      out.push((f.kind === 'counter' ? counter : gauge)(`node_bcachefs_${metric}`, f.help, f.samples));
    return out;
  },
});
