import { defineCollector, gauge, type MetricFamily, type Sample } from '../../src/collector.js';
import { goValidUtf8, parseGoInt64 } from '../../src/parsers/sysfs-class.js';
import { listClass, listDir, malformed, readAttribute } from '../../src/fs/sysfs-attribute.js';

/** Numeric attributes: file → metric suffix, divisor (µ-units to base units, tenths of °C). */
const NUMERIC: Array<[file: string, metric: string, divisor: number]> = [
  ['authentic', 'authentic', 1],
  ['calibrate', 'calibrate', 1],
  ['capacity', 'capacity', 1],
  ['capacity_alert_max', 'capacity_alert_max', 1],
  ['capacity_alert_min', 'capacity_alert_min', 1],
  ['cycle_count', 'cyclecount', 1],
  ['online', 'online', 1],
  ['present', 'present', 1],
  ['time_to_empty_now', 'time_to_empty_seconds', 1],
  ['time_to_full_now', 'time_to_full_seconds', 1],
  ['current_boot', 'current_boot', 1e6],
  ['current_max', 'current_max', 1e6],
  ['current_now', 'current_ampere', 1e6],
  ['energy_empty', 'energy_empty', 1e6],
  ['energy_empty_design', 'energy_empty_design', 1e6],
  ['energy_full', 'energy_full', 1e6],
  ['energy_full_design', 'energy_full_design', 1e6],
  ['energy_now', 'energy_watthour', 1e6],
  ['voltage_boot', 'voltage_boot', 1e6],
  ['voltage_max', 'voltage_max', 1e6],
  ['voltage_max_design', 'voltage_max_design', 1e6],
  ['voltage_min', 'voltage_min', 1e6],
  ['voltage_min_design', 'voltage_min_design', 1e6],
  ['voltage_now', 'voltage_volt', 1e6],
  ['voltage_ocv', 'voltage_ocv', 1e6],
  ['charge_control_limit', 'charge_control_limit', 1e6],
  ['charge_control_limit_max', 'charge_control_limit_max', 1e6],
  ['charge_counter', 'charge_counter', 1e6],
  ['charge_empty', 'charge_empty', 1e6],
  ['charge_empty_design', 'charge_empty_design', 1e6],
  ['charge_full', 'charge_full', 1e6],
  ['charge_full_design', 'charge_full_design', 1e6],
  ['charge_now', 'charge_ampere', 1e6],
  ['charge_term_current', 'charge_term_current', 1e6],
  ['constant_charge_current', 'constant_charge_current', 1e6],
  ['constant_charge_current_max', 'constant_charge_current_max', 1e6],
  ['constant_charge_voltage', 'constant_charge_voltage', 1e6],
  ['constant_charge_voltage_max', 'constant_charge_voltage_max', 1e6],
  ['precharge_current', 'precharge_current', 1e6],
  ['input_current_limit', 'input_current_limit', 1e6],
  ['power_now', 'power_watt', 1e6],
  ['temp', 'temp_celsius', 10],
  ['temp_alert_max', 'temp_alert_max_celsius', 10],
  ['temp_alert_min', 'temp_alert_min_celsius', 10],
  ['temp_ambient', 'temp_ambient_celsius', 10],
  ['temp_ambient_max', 'temp_ambient_max_celsius', 10],
  ['temp_ambient_min', 'temp_ambient_min_celsius', 10],
  ['temp_max', 'temp_max_celsius', 10],
  ['temp_min', 'temp_min_celsius', 10],
];

/**
 * Numeric attributes node_exporter reads (a garbled one fails its whole run there) but exports
 * nothing for: they are still checked, so the skip counts agree on what is bad.
 */
const READ_NOT_EXPORTED = ['charge_avg', 'current_avg', 'energy_avg', 'power_avg', 'time_to_empty_avg', 'time_to_full_avg', 'voltage_avg'];

/** Text attributes that become labels of node_power_supply_info (when not empty). */
const INFO = ['capacity_level', 'charge_type', 'health', 'manufacturer', 'model_name', 'serial_number', 'status', 'technology', 'type', 'usb_type', 'scope'];

const NUMERIC_BY_FILE = new Map(NUMERIC.map((row, i) => [row[0], i]));

export default defineCollector<{ ignored_supplies: string }>({
  name: 'powersupplyclass',
  description: 'Power supplies and batteries from /sys/class/power_supply',
  enabledByDefault: true,
  group: 'host',
  options: {
    type: 'object',
    properties: {
      ignored_supplies: {
        type: 'string',
        format: 'regex',
        default: '^$',
        description: "Regexp of power supplies to ignore (node_exporter's --collector.powersupply.ignored-supplies)",
      },
    },
  },
  collect(ctx) {
    const ignored = new RegExp(ctx.config.ignored_supplies);
    const sysfs = ctx.paths.sysfs;
    const numeric: Sample[][] = NUMERIC.map(() => []);
    const info: Sample[] = [];
    for (const supply of listClass(ctx, sysfs, 'power_supply')) {
      if (ignored.test(supply)) continue;
      const base = `class/power_supply/${supply}`;
      const files = listDir(ctx, sysfs, base, true);
      if (!files) continue;
      const labels: Record<string, string> = { power_supply: supply };
      for (const file of files) {
        const index = NUMERIC_BY_FILE.get(file);
        const isInfo = INFO.includes(file);
        if (index === undefined && !isInfo && !READ_NOT_EXPORTED.includes(file)) continue;
        const a = readAttribute(sysfs, `${base}/${file}`, isInfo ? goValidUtf8 : undefined);
        if (a.kind === 'absent') continue;
        if (a.kind === 'failed') {
          ctx.skip(a.reason, a.detail);
          continue;
        }
        if (isInfo) {
          if (a.text !== '') labels[file] = a.text;
          continue;
        }
        const value = parseGoInt64(a.text);
        if (value === undefined) {
          malformed(ctx, sysfs, `${base}/${file}`, a.text);
          continue;
        }
        if (index === undefined) continue;
        numeric[index]!.push({ labels: { power_supply: supply }, value: Number(value) / NUMERIC[index]![2] });
      }
      info.push({ labels, value: 1 });
    }
    const families: MetricFamily[] = NUMERIC.map(([, metric], i) =>
      gauge(`node_power_supply_${metric}`, `${metric} value of /sys/class/power_supply/<power_supply>.`, numeric[i]),
    );
    families.push(gauge('node_power_supply_info', 'info of /sys/class/power_supply/<power_supply>.', info));
    return families.filter((f) => f.samples.length > 0);
  },
});
