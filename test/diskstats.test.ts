import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fixture, runCli, sampleValue } from './helpers/spyglass.js';

describe('diskstats collector', () => {
  const procfs = mkdtempSync(join(tmpdir(), 'spyglass-disk-'));
  mkdirSync(procfs, { recursive: true });
  writeFileSync(join(procfs, 'diskstats'), readFileSync(fixture('diskstats-synthetic')));
  const base = ['dump', 'diskstats', `--path.procfs=${procfs}`, `--path.sysfs=${fixture('sys-block')}`, `--path.udev.data=${fixture('udev-data')}`];

  it('converts units like node_exporter and applies the default device exclude', async () => {
    const r = await runCli(base);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([...new Set([...r.stdout.matchAll(/device="([^"]+)"/g)].map((m) => m[1]))].sort(), ['dm-0', 'nvme0n1', 'sda']);
    assert.equal(sampleValue(r.stdout, 'node_disk_read_bytes_total{device="sda"}'), 800 * 512);
    assert.equal(sampleValue(r.stdout, 'node_disk_read_time_seconds_total{device="sda"}'), 0.03);
    assert.equal(sampleValue(r.stdout, 'node_disk_io_now{device="nvme0n1"}'), 1);
    assert.equal(sampleValue(r.stdout, 'node_disk_discarded_sectors_total{device="nvme0n1"}'), 9, 'raw sectors, not bytes');
    assert.equal(sampleValue(r.stdout, 'node_disk_flush_requests_total{device="dm-0"}'), 7);
    assert.equal(sampleValue(r.stdout, 'node_disk_flush_requests_total{device="nvme0n1"}'), undefined, 'a 15-field kernel has no flush counters');
    assert.equal(sampleValue(r.stdout, 'node_disk_discards_completed_total{device="sda"}'), undefined, 'an 11-field kernel has no discard counters');
  });

  it('fills node_disk_info, filesystem, device-mapper and ATA metrics from udev and sysfs', async () => {
    const r = await runCli(base);
    assert.equal(
      sampleValue(
        r.stdout,
        'node_disk_info{device="sda",major="8",minor="0",model="WDC_WD40EFRX-68N32N0",path="pci-0000:00:17.0-ata-1",revision="82.00A82",rotational="1",serial="WD-WCC7K0000000",wwn="0x50014ee2b0000000"}',
      ),
      1,
    );
    assert.equal(
      sampleValue(r.stdout, 'node_disk_info{device="nvme0n1",major="259",minor="0",model="",path="",revision="",rotational="0",serial="",wwn=""}'),
      1,
    );
    assert.equal(
      sampleValue(r.stdout, 'node_disk_device_mapper_info{device="dm-0",lv_layer="",lv_name="data",name="vg0-data",uuid="LVM-abcdef",vg_name="vg0"}'),
      1,
    );
    assert.equal(sampleValue(r.stdout, 'node_disk_filesystem_info{device="dm-0",type="xfs",usage="filesystem",uuid="1111-2222",version="1.0"}'), 1);
    assert.equal(sampleValue(r.stdout, 'node_disk_ata_rotation_rate_rpm{device="sda"}'), 5400);
    assert.equal(sampleValue(r.stdout, 'node_disk_ata_write_cache_enabled{device="sda"}'), 1);
  });

  it('takes --collector.diskstats.device-include and the deprecated ignored-devices', async () => {
    const inc = await runCli([...base, '--collector.diskstats.device-include=^(sda1|zram0)$']);
    assert.deepEqual([...new Set([...inc.stdout.matchAll(/device="([^"]+)"/g)].map((m) => m[1]))].sort(), ['sda1', 'zram0']);
    const old = await runCli([...base, '--collector.diskstats.ignored-devices=^dm']);
    assert.doesNotMatch(old.stdout, /device="dm-0"/);
    assert.match(old.stdout, /device="loop0"/, 'the deprecated flag replaces the default exclude');
  });
});
