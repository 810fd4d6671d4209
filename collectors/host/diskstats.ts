import { join } from 'node:path';
import { counter, defineCollector, gauge, type MetricFamily, type Sample } from '../../src/collector.js';
import { readOptionalPseudoFile, readPseudoFile } from '../../src/fs/procfs.js';
import { DEVICE_FILTER_OPTIONS, deviceFilter, type DeviceFilterOptions } from './device-filter.js';
import { parseDiskstats, parseUdevProperties } from '../../src/parsers/proc-diskstats.js';

export const DISKSTATS_DEFAULT_EXCLUDE = '^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$';
const SECTOR_BYTES = 512;
const MS = 0.001;

/** The /proc/diskstats counters in kernel order: name, help, type, scale (discarded sectors stay sectors, like node_exporter). */
const FIELDS: Array<[string, string, 'counter' | 'gauge', number]> = [
  ['node_disk_reads_completed_total', 'The total number of reads completed successfully.', 'counter', 1],
  ['node_disk_reads_merged_total', 'The total number of reads merged.', 'counter', 1],
  ['node_disk_read_bytes_total', 'The total number of bytes read successfully.', 'counter', SECTOR_BYTES],
  ['node_disk_read_time_seconds_total', 'The total number of seconds spent by all reads.', 'counter', MS],
  ['node_disk_writes_completed_total', 'The total number of writes completed successfully.', 'counter', 1],
  ['node_disk_writes_merged_total', 'The number of writes merged.', 'counter', 1],
  ['node_disk_written_bytes_total', 'The total number of bytes written successfully.', 'counter', SECTOR_BYTES],
  ['node_disk_write_time_seconds_total', 'This is the total number of seconds spent by all writes.', 'counter', MS],
  ['node_disk_io_now', 'The number of I/Os currently in progress.', 'gauge', 1],
  ['node_disk_io_time_seconds_total', 'Total seconds spent doing I/Os.', 'counter', MS],
  ['node_disk_io_time_weighted_seconds_total', 'The weighted # of seconds spent doing I/Os.', 'counter', MS],
  ['node_disk_discards_completed_total', 'The total number of discards completed successfully.', 'counter', 1],
  ['node_disk_discards_merged_total', 'The total number of discards merged.', 'counter', 1],
  ['node_disk_discarded_sectors_total', 'The total number of sectors discarded successfully.', 'counter', 1],
  ['node_disk_discard_time_seconds_total', 'This is the total number of seconds spent by all discards.', 'counter', MS],
  ['node_disk_flush_requests_total', 'The total number of flush requests completed successfully', 'counter', 1],
  ['node_disk_flush_requests_time_seconds_total', 'This is the total number of seconds spent by all flush requests.', 'counter', MS],
];

const ATA: Array<[string, string, string]> = [
  ['ID_ATA_WRITE_CACHE', 'node_disk_ata_write_cache', 'ATA disk has a write cache.'],
  ['ID_ATA_WRITE_CACHE_ENABLED', 'node_disk_ata_write_cache_enabled', 'ATA disk has its write cache enabled.'],
  ['ID_ATA_ROTATION_RATE_RPM', 'node_disk_ata_rotation_rate_rpm', 'ATA disk rotation rate in RPMs (0 for SSDs).'],
];

export default defineCollector<DeviceFilterOptions & { ignored_devices?: string }>({
  name: 'diskstats',
  description: 'Block device I/O statistics from /proc/diskstats, with udev and sysfs device info',
  enabledByDefault: true,
  group: 'host',
  options: {
    type: 'object',
    properties: { ...DEVICE_FILTER_OPTIONS, ignored_devices: { type: 'string', format: 'regex', description: 'Deprecated name of device_exclude' } },
  },
  collect(ctx) {
    const accept = deviceFilter({ ...ctx.config, device_exclude: ctx.config.device_exclude ?? ctx.config.ignored_devices }, DISKSTATS_DEFAULT_EXCLUDE);
    const parsed = parseDiskstats(readPseudoFile(ctx.paths.procfs, 'diskstats'));
    if (!parsed.ok) throw new Error(parsed.error);
    const values: Sample[][] = FIELDS.map(() => []);
    const info: Sample[] = [];
    const fsInfo: Sample[] = [];
    const dmInfo: Sample[] = [];
    const ata = new Map<string, Sample[]>(ATA.map(([key]) => [key, []]));
    for (const disk of parsed.value) {
      if (!accept(disk.device)) continue;
      const device = disk.device;
      disk.fields
        .slice(0, FIELDS.length)
        .forEach((v, i) => values[i]!.push({ labels: { device }, value: v * (FIELDS[i] as [string, string, string, number])[3] }));
      const udevText = readOptionalPseudoFile(ctx.paths.udevData, `b${disk.major}:${disk.minor}`);
      const udev = udevText === undefined ? new Map<string, string>() : parseUdevProperties(udevText);
      const rotational = readOptionalPseudoFile(ctx.paths.sysfs, join('block', device, 'queue/rotational'))?.trim() === '1' ? '1' : '0';
      info.push({
        labels: {
          device,
          major: String(disk.major),
          minor: String(disk.minor),
          path: udev.get('ID_PATH') ?? '',
          wwn: udev.get('ID_WWN') ?? '',
          model: udev.get('ID_MODEL') ?? '',
          serial: udev.get('SCSI_IDENT_SERIAL') || udev.get('ID_SERIAL_SHORT') || udev.get('ID_SERIAL') || '',
          revision: udev.get('ID_REVISION') ?? '',
          rotational,
        },
        value: 1,
      });
      const fsType = udev.get('ID_FS_TYPE');
      if (fsType)
        fsInfo.push({
          labels: { device, type: fsType, usage: udev.get('ID_FS_USAGE') ?? '', uuid: udev.get('ID_FS_UUID') ?? '', version: udev.get('ID_FS_VERSION') ?? '' },
          value: 1,
        });
      const dmName = udev.get('DM_NAME');
      if (dmName)
        dmInfo.push({
          labels: {
            device,
            name: dmName,
            uuid: udev.get('DM_UUID') ?? '',
            vg_name: udev.get('DM_VG_NAME') ?? '',
            lv_name: udev.get('DM_LV_NAME') ?? '',
            lv_layer: udev.get('DM_LV_LAYER') ?? '',
          },
          value: 1,
        });
      if (udev.get('ID_ATA')) {
        for (const [key] of ATA) {
          const v = Number(udev.get(key));
          if (udev.has(key) && Number.isFinite(v)) ata.get(key)!.push({ labels: { device }, value: v });
        }
      }
    }
    const families: MetricFamily[] = FIELDS.map(([name, help, type], i) =>
      type === 'counter'
        ? counter(name, help, values[i]!, name.includes('seconds') ? 'seconds' : name.includes('bytes') ? 'bytes' : undefined)
        : gauge(name, help, values[i]!),
    );
    families.push(gauge('node_disk_info', 'Info of /sys/block/<block_device>.', info));
    families.push(gauge('node_disk_filesystem_info', 'Info about disk filesystem.', fsInfo));
    families.push(gauge('node_disk_device_mapper_info', 'Info about disk device mapper.', dmInfo));
    for (const [key, name, help] of ATA) families.push(gauge(name, help, ata.get(key)!));
    return families;
  },
});
