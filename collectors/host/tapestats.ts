import { counter, defineCollector, gauge, type MetricFamily, type Sample } from '../../src/collector.js';
import { parseGoUint64 } from '../../src/parsers/sysfs-class.js';
import { DEVICE_FILTER_OPTIONS, deviceFilter, type DeviceFilterOptions } from './device-filter.js';
import { listClass, listDir, malformed, readAttribute } from '../../src/fs/sysfs-attribute.js';

const NS = 0.000000001;

/** class/scsi_tape/<st>/stats/<file> → metric, type, scale. */
const STATS: Array<[file: string, metric: string, type: 'gauge' | 'counter', scale: number, help: string]> = [
  ['in_flight', 'node_tape_io_now', 'gauge', 1, 'The number of I/Os currently outstanding to this device.'],
  [
    'io_ns',
    'node_tape_io_time_seconds_total',
    'counter',
    NS,
    'The amount of time spent waiting for all I/O to complete (including read and write), tape movement commands included.',
  ],
  ['other_cnt', 'node_tape_io_others_total', 'counter', 1, 'The number of I/Os issued to the tape drive other than read or write commands.'],
  ['read_byte_cnt', 'node_tape_read_bytes_total', 'counter', 1, 'The number of bytes read from the tape drive.'],
  ['read_cnt', 'node_tape_reads_completed_total', 'counter', 1, 'The number of read requests issued to the tape drive.'],
  ['read_ns', 'node_tape_read_time_seconds_total', 'counter', NS, 'The amount of time spent waiting for read requests to complete.'],
  ['resid_cnt', 'node_tape_residual_total', 'counter', 1, 'The number of times during a read or write the residual amount was non-zero.'],
  ['write_byte_cnt', 'node_tape_written_bytes_total', 'counter', 1, 'The number of bytes written to the tape drive.'],
  ['write_cnt', 'node_tape_writes_completed_total', 'counter', 1, 'The number of write requests issued to the tape drive.'],
  ['write_ns', 'node_tape_write_time_seconds_total', 'counter', NS, 'The amount of time spent waiting for write requests to complete.'],
];

/** Tape drives, not their mode and no-rewind aliases (st0a, nst0, …), which share st0's statistics. */
const TAPE = /^st\d+$/;

export default defineCollector<DeviceFilterOptions & { ignored_devices?: string }>({
  name: 'tapestats',
  description: 'SCSI tape drive I/O statistics from /sys/class/scsi_tape/<st>/stats',
  enabledByDefault: true,
  group: 'host',
  options: {
    type: 'object',
    properties: {
      ...DEVICE_FILTER_OPTIONS,
      ignored_devices: {
        type: 'string',
        format: 'regex',
        description: "Regexp of devices to ignore (node_exporter's --collector.tapestats.ignored-devices; same as device_exclude)",
      },
    },
  },
  collect(ctx) {
    const accept = deviceFilter({ ...ctx.config, device_exclude: ctx.config.device_exclude ?? ctx.config.ignored_devices }, '');
    const sysfs = ctx.paths.sysfs;
    const samples: Sample[][] = STATS.map(() => []);
    for (const device of listClass(ctx, sysfs, 'scsi_tape')) {
      if (!TAPE.test(device) || !accept(device)) continue;
      const dir = `class/scsi_tape/${device}/stats`;
      const files = listDir(ctx, sysfs, dir);
      if (!files) continue;
      const present = new Set(files);
      STATS.forEach(([file, , , scale], i) => {
        if (!present.has(file)) return;
        const a = readAttribute(sysfs, `${dir}/${file}`);
        if (a.kind === 'absent') return;
        if (a.kind === 'failed') return void ctx.skip(a.reason, a.detail);
        const value = parseGoUint64(a.text);
        if (value === undefined) return void malformed(ctx, sysfs, `${dir}/${file}`, a.text);
        samples[i]!.push({ labels: { device }, value: Number(value) * scale });
      });
    }
    const families: MetricFamily[] = STATS.map(([, metric, type, , help], i) => (type === 'gauge' ? gauge : counter)(metric, help, samples[i]));
    return families.filter((f) => f.samples.length > 0);
  },
});
