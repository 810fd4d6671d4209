import { defineCollector, gauge, type MetricFamily } from '../../src/collector.js';
import { readOptionalPseudoFile } from '../../src/fs/procfs.js';

/** Label → file under /sys/class/dmi/id. */
const FIELDS: Record<string, string> = {
  bios_date: 'bios_date',
  bios_release: 'bios_release',
  bios_vendor: 'bios_vendor',
  bios_version: 'bios_version',
  board_asset_tag: 'board_asset_tag',
  board_name: 'board_name',
  board_serial: 'board_serial',
  board_vendor: 'board_vendor',
  board_version: 'board_version',
  chassis_asset_tag: 'chassis_asset_tag',
  chassis_serial: 'chassis_serial',
  chassis_vendor: 'chassis_vendor',
  chassis_version: 'chassis_version',
  product_family: 'product_family',
  product_name: 'product_name',
  product_serial: 'product_serial',
  product_sku: 'product_sku',
  product_uuid: 'product_uuid',
  product_version: 'product_version',
  system_vendor: 'sys_vendor',
};

/** Files missing on this platform, or readable only by root (serials, uuid), are left out. */
function readDmiLabels(sysfs: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [label, file] of Object.entries(FIELDS)) {
    try {
      const value = readOptionalPseudoFile(sysfs, `class/dmi/id/${file}`);
      if (value !== undefined) labels[label] = value.trim();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EACCES') throw err;
    }
  }
  return labels;
}

/** DMI does not change while the machine runs: read on the first run only. */
export default defineCollector<Record<string, never>, { info?: MetricFamily[] }>({
  name: 'dmi',
  description: 'Firmware, board, chassis and product identity from /sys/class/dmi/id (read once)',
  enabledByDefault: true,
  group: 'host',
  initialState: () => ({}),
  collect(ctx) {
    if (!ctx.state.info) {
      const labels = readDmiLabels(ctx.paths.sysfs);
      ctx.state.info = Object.keys(labels).length
        ? [
            gauge(
              'node_dmi_info',
              "A metric with a constant '1' value labeled by bios_date, bios_release, bios_vendor, bios_version, board_asset_tag, board_name, board_serial, board_vendor, board_version, chassis_asset_tag, chassis_serial, chassis_vendor, chassis_version, product_family, product_name, product_serial, product_sku, product_uuid, product_version, system_vendor if provided by DMI.",
              [{ labels, value: 1 }],
            ),
          ]
        : [];
    }
    return ctx.state.info;
  },
});
