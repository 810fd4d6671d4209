import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fixture, runCli, sampleValue } from './helpers/spyglass.js';

describe('netclass', () => {
  it('exports node_exporter families from a sysfs tree, skipping attributes a device lacks', async () => {
    const r = await runCli(['dump', 'netclass', `--path.sysfs=${fixture('sys-net')}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sampleValue(r.stdout, 'node_network_up{device="eth0"}'), 1);
    assert.equal(sampleValue(r.stdout, 'node_network_up{device="bond0"}'), 0);
    assert.equal(sampleValue(r.stdout, 'node_network_speed_bytes{device="eth0"}'), 1_250_000_000);
    assert.equal(sampleValue(r.stdout, 'node_network_speed_bytes{device="bond0"}'), undefined);
    assert.equal(sampleValue(r.stdout, 'node_network_mtu_bytes{device="eth0"}'), 9000);
    assert.equal(sampleValue(r.stdout, 'node_network_flags{device="eth0"}'), 4099);
    assert.match(r.stdout, /^# TYPE node_network_carrier_changes_total counter$/m);
    assert.equal(
      sampleValue(
        r.stdout,
        'node_network_info{address="aa:bb:cc:dd:ee:ff",adminstate="up",broadcast="ff:ff:ff:ff:ff:ff",device="eth0",duplex="full",ifalias="",operstate="up"}',
      ),
      1,
    );
    assert.equal(
      sampleValue(
        r.stdout,
        'node_network_info{address="",adminstate="down",broadcast="",device="bond0",duplex="",ifalias="uplink to rack 7",operstate="down"}',
      ),
      1,
    );
    const ignored = await runCli(['dump', 'netclass', `--path.sysfs=${fixture('sys-net')}`, '--collector.netclass.ignored-devices=^bond']);
    assert.doesNotMatch(ignored.stdout, /bond0/);
  });

  it("serves a host with the bonding driver (bonding_masters is a file) and takes node_exporter's speed switch", async () => {
    const r = await runCli(['dump', 'netclass', `--path.sysfs=${fixture('sys-bonding')}`, '--collector.netclass.ignore-invalid-speed']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /ignored|failed/);
    assert.equal(sampleValue(r.stdout, 'node_network_up{device="bond1"}'), 1);
    assert.equal(sampleValue(r.stdout, 'node_network_speed_bytes{device="ens1f0"}'), 1_250_000_000);
    assert.doesNotMatch(r.stdout, /bonding_masters/);
  });
});
