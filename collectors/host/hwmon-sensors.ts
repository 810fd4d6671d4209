/**
 * Pure part of the hwmon collector: sysfs hwmon file names (Documentation/hwmon/sysfs-interface.rst)
 * to node_exporter's metric names, units and types.
 */

export const SENSOR_TYPES = new Set([
  'vrm',
  'beep_enable',
  'update_interval',
  'in',
  'cpu',
  'fan',
  'pwm',
  'temp',
  'curr',
  'power',
  'energy',
  'humidity',
  'intrusion',
  'freq',
]);

/** Lower case, anything but [a-z0-9:_] to `_`, `_` trimmed at both ends. */
export function cleanName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9:_]/g, '_')
    .replace(/^_+|_+$/g, '');
}

/**
 * `temp1_crit_alarm` → type temp, sensor temp1, property crit_alarm. The type is the longest run
 * of non-digits, so `beep_enable` and `update_interval` are types with no number (sensor
 * `beep_enable0`). Undefined for names that are not sensor files.
 */
export function explodeSensorFile(file: string): { type: string; sensor: string; property: string } | undefined {
  const m = /^([^0-9]+)([0-9]*)(?:_(.+))?$/.exec(file);
  if (!m) return undefined;
  const type = m[1] as string;
  const number = m[2] ? Number(m[2]) : 0;
  if (!Number.isSafeInteger(number)) return undefined;
  return { type, sensor: `${type}${number}`, property: m[3] ?? '' };
}

export interface HwmonValue {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  value: number;
  /** Replaces the sensor label (GPU frequencies are labelled by their cleaned label). */
  sensorLabel?: string;
}

/** The metrics of one sensor from its property → raw text map (property '' is the bare file). */
export function sensorValues(sensorType: string, props: ReadonlyMap<string, string>): HwmonValue[] {
  const out: HwmonValue[] = [];
  const num = (text: string | undefined) => {
    if (text === undefined) return undefined;
    const t = text.trim();
    return t !== '' && Number.isFinite(Number(t)) ? Number(t) : undefined;
  };
  const gauge = (name: string, help: string, value: number, sensorLabel?: string) => out.push({ name, help, type: 'gauge', value, sensorLabel });

  if (sensorType === 'beep_enable') {
    gauge('node_hwmon_beep_enabled', 'Hardware beep enabled', props.get('')?.trim() === '1' ? 1 : 0);
    return out;
  }
  if (sensorType === 'vrm' || sensorType === 'update_interval') {
    const v = num(props.get(''));
    if (v === undefined) return out;
    if (sensorType === 'vrm') gauge('node_hwmon_voltage_regulator_version', 'Hardware voltage regulator', v);
    else gauge('node_hwmon_update_interval_seconds', 'Hardware monitor update interval', v * 0.001);
    return out;
  }

  const prefix = `node_hwmon_${sensorType}`;
  for (const [element, raw] of props) {
    if (element === 'label') continue;
    let name = prefix;
    if (element === 'input') {
      if (props.has('')) name += '_input';
    } else if (element !== '') {
      name += `_${cleanName(element)}`;
    }
    const v = num(raw);
    if (v === undefined) continue;

    if (element === 'fault' || element === 'alarm') gauge(name, `Hardware sensor ${element} status (${sensorType})`, v);
    else if (element === 'beep') gauge(`${name}_enabled`, 'Hardware monitor sensor has beeping enabled', v);
    else if (sensorType === 'in' || sensorType === 'cpu') gauge(`${name}_volts`, `Hardware monitor for voltage (${element})`, v * 0.001);
    else if (sensorType === 'temp' && element !== 'type') gauge(`${name}_celsius`, `Hardware monitor for temperature (${element || 'input'})`, v * 0.001);
    else if (sensorType === 'curr') gauge(`${name}_amps`, `Hardware monitor for current (${element})`, v * 0.001);
    else if (sensorType === 'energy')
      out.push({ name: `${name}_joule_total`, help: `Hardware monitor for joules used so far (${element})`, type: 'counter', value: v / 1e6 });
    else if (sensorType === 'power' && element === 'accuracy') gauge(name, 'Hardware monitor power meter accuracy, as a ratio', v / 1e6);
    else if (sensorType === 'power' && /^average_interval(_min|_max)?$/.test(element))
      gauge(`${name}_seconds`, `Hardware monitor power usage update interval (${element})`, v * 0.001);
    else if (sensorType === 'power') gauge(`${name}_watt`, `Hardware monitor for power usage in watts (${element})`, v / 1e6);
    else if (sensorType === 'humidity')
      gauge(name, `Hardware monitor for humidity, as a ratio (multiply with 100.0 to get the humidity as a percentage) (${element})`, v / 1e6);
    else if (sensorType === 'fan' && ['input', 'min', 'max', 'target'].includes(element))
      gauge(`${name}_rpm`, `Hardware monitor for fan revolutions per minute (${element})`, v);
    else if (sensorType === 'freq') {
      const label = props.get('label');
      if (element === 'input' && label !== undefined) gauge(`${name}_freq_mhz`, 'Hardware monitor for GPU frequency in MHz', v / 1e6, cleanName(label.trim()));
    } else gauge(name, `Hardware monitor ${sensorType} element ${element}`, v);
  }
  return out;
}
