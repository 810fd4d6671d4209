import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { cleanName, explodeSensorFile, sensorValues } from '../collectors/host/hwmon-sensors.js';
import { parseExposition } from './helpers/exposition.js';
import { scrapeNodeExporter } from './helpers/reference-exporters.js';
import { fixture, runCli, sampleValue } from './helpers/spyglass.js';

const HARDWARE = fixture('sys-hardware');

/** Samples as sortable strings, for comparing two exporters' families. */
const norm = (text: string, keep: (name: string) => boolean) =>
  [...parseExposition(text)]
    .filter(([name]) => keep(name))
    .flatMap(([, f]) => f.samples.map((s) => `${f.type} ${s.name}${JSON.stringify(Object.entries(s.labels).sort())} ${s.value}`))
    .sort();

const copyOfHardware = () => {
  const dir = mkdtempSync(join(tmpdir(), 'spyglass-sys-'));
  cpSync(HARDWARE, dir, { recursive: true, verbatimSymlinks: true });
  return dir;
};

describe('hwmon, thermal_zone and dmi', () => {
  it('match node_exporter on the same synthetic sysfs tree, sample for sample', async () => {
    const theirs = await scrapeNodeExporter([
      '--collector.disable-defaults',
      '--collector.hwmon',
      '--collector.thermal_zone',
      '--collector.dmi',
      `--path.sysfs=${HARDWARE}`,
    ]);
    const ours = await runCli(['dump', `--path.sysfs=${HARDWARE}`, 'hwmon', 'thermal_zone', 'dmi']);
    assert.equal(ours.code, 0, ours.stderr);
    const hardware = (name: string) => /^node_(hwmon|thermal_zone|cooling_device|dmi)_/.test(name);
    // GPU frequency sensors (freq*) came in node_exporter 1.9.0; Debian's is 1.5.0.
    const since19 = (line: string) => /node_hwmon_freq_freq_mhz|"sensor","freq1"/.test(line);
    const a = norm(theirs, hardware);
    const b = norm(ours.stdout, hardware);
    assert.ok(a.length > 50, `node_exporter gave ${a.length} samples`);
    assert.deepEqual(
      b.filter((l) => !since19(l)),
      a,
    );
    assert.equal(sampleValue(ours.stdout, 'node_hwmon_freq_freq_mhz{chip="0000:00:01_0_0000:01:00_0",sensor="sclk"}'), 1800);
  });

  it('name chips by bus and device, and every sensor kind in its unit', async () => {
    const r = await runCli(['dump', `--path.sysfs=${HARDWARE}`, 'hwmon']);
    assert.equal(r.code, 0, r.stderr);
    const v = (s: string) => sampleValue(r.stdout, s);
    assert.equal(v('node_hwmon_temp_celsius{chip="platform_coretemp_0",sensor="temp1"}'), 45);
    assert.equal(v('node_hwmon_sensor_label{chip="platform_coretemp_0",label="Package id 0",sensor="temp1"}'), 1);
    assert.equal(v('node_hwmon_temp_min_celsius{chip="nvme_nvme0",sensor="temp1"}'), -273150 * 0.001);
    assert.equal(v('node_hwmon_chip_names{chip="acpitz",chip_name="acpitz"}'), 1, 'no device link: the name file');
    const sio = (metric: string, sensor: string) => v(`${metric}{chip="platform_nct6775_656",sensor="${sensor}"}`);
    assert.equal(sio('node_hwmon_in_volts', 'in0'), 1.032);
    assert.equal(sio('node_hwmon_fan_rpm', 'fan1'), 1250);
    assert.equal(sio('node_hwmon_fan_pulses', 'fan1'), 2);
    assert.equal(sio('node_hwmon_curr_amps', 'curr1'), 1.5);
    assert.equal(sio('node_hwmon_power_average_watt', 'power1'), 12.5);
    assert.equal(sio('node_hwmon_power_average_interval_seconds', 'power1'), 1);
    assert.equal(sio('node_hwmon_energy_joule_total', 'energy1'), 123456.789);
    assert.equal(sio('node_hwmon_humidity', 'humidity1'), 0.0455);
    assert.equal(sio('node_hwmon_cpu_vid_volts', 'cpu0'), 1.1);
    assert.equal(sio('node_hwmon_intrusion_alarm', 'intrusion0'), 1);
    assert.equal(sio('node_hwmon_beep_enabled', 'beep_enable0'), 1);
    assert.match(r.stdout, /^# TYPE node_hwmon_energy_joule_total counter$/m);
    assert.equal(v('node_hwmon_update_interval_seconds{chip="platform_nct6775_656",sensor="update_interval0"}'), 1);
    assert.doesNotMatch(r.stdout, /sensor="temp8"/, 'N/A is not a number: no sample');
    assert.doesNotMatch(r.stdout, /sensor="temp9"/, 'an unreadable attribute is skipped');
  });

  it('give colliding chips distinct names (node_exporter 1.12), and filter chips and sensors', async () => {
    const sys = copyOfHardware();
    const dev = join(sys, 'devices/platform/dell_smm_hwmon');
    for (const [n, name] of [
      ['hwmon7', 'dell_smm'],
      ['hwmon8', 'dell_ddv'],
      ['hwmon9', 'dell_ddv'],
    ] as const) {
      mkdirSync(join(dev, 'hwmon', n), { recursive: true });
      writeFileSync(join(dev, 'hwmon', n, 'name'), `${name}\n`);
      writeFileSync(join(dev, 'hwmon', n, 'temp1_input'), '30000\n');
      symlinkSync('../../../dell_smm_hwmon', join(dev, 'hwmon', n, 'device'));
      symlinkSync(`../../devices/platform/dell_smm_hwmon/hwmon/${n}`, join(sys, 'class/hwmon', n));
    }
    const r = await runCli([
      'dump',
      `--path.sysfs=${sys}`,
      '--collector.hwmon.sensor-exclude=^platform_coretemp_0;temp2$',
      '--collector.hwmon.chip-exclude=^nvme',
      'hwmon',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const chips = [...new Set([...r.stdout.matchAll(/chip="([^"]+)"/g)].map((m) => m[1]))].sort();
    assert.deepEqual(chips, [
      '0000:00:01_0_0000:01:00_0',
      'acpitz',
      'platform_coretemp_0',
      'platform_dell_smm_hwmon_dell_smm',
      'platform_dell_smm_hwmon_hwmon8',
      'platform_dell_smm_hwmon_hwmon9',
      'platform_nct6775_656',
    ]);
    assert.doesNotMatch(r.stdout, /chip="platform_coretemp_0",sensor="temp2"/);
    assert.match(r.stdout, /chip="platform_coretemp_0",sensor="temp1"/);
  });

  it('serve the other thermal zones when one sensor is unreadable; no data without the class', async () => {
    const sys = copyOfHardware();
    mkdirSync(join(sys, 'class/thermal/thermal_zone9/temp'), { recursive: true });
    writeFileSync(join(sys, 'class/thermal/thermal_zone9/type'), 'iwlwifi_1\n');
    const r = await runCli(['dump', `--path.sysfs=${sys}`, 'thermal_zone']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sampleValue(r.stdout, 'node_thermal_zone_temp{type="x86_pkg_temp",zone="1"}'), 45);
    assert.equal(sampleValue(r.stdout, 'node_cooling_device_cur_state{name="1",type="intel_powerclamp"}'), -1);
    assert.doesNotMatch(r.stdout, /zone="9"/);
    const none = await runCli(['dump', `--path.sysfs=${fixture('sys-cpu')}`, 'thermal_zone', 'hwmon', 'dmi']);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout, '');
  });

  it('hwmon file names and values: properties', () => {
    assert.deepEqual(explodeSensorFile('temp1_crit_alarm'), { type: 'temp', sensor: 'temp1', property: 'crit_alarm' });
    assert.deepEqual(explodeSensorFile('beep_enable'), { type: 'beep_enable', sensor: 'beep_enable0', property: '' });
    assert.equal(cleanName('Package id 0'), 'package_id_0');
    fc.assert(fc.property(fc.string(), (s) => /^[a-z0-9:_]*$/.test(cleanName(s)) && !/^_|_$/.test(cleanName(s))));
    fc.assert(
      fc.property(
        fc.constantFrom('in', 'fan', 'temp', 'curr', 'power', 'energy', 'humidity', 'pwm', 'freq'),
        fc.dictionary(fc.constantFrom('', 'input', 'min', 'label', 'alarm', 'beep', 'type'), fc.string()),
        (type, props) => {
          for (const v of sensorValues(type, new Map(Object.entries(props)))) assert.ok(Number.isFinite(v.value) && /^node_hwmon_[a-z0-9_]+$/.test(v.name));
        },
      ),
    );
  });
});
