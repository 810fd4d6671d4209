import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import bcache from '../../collectors/host/bcache.js';
import btrfs from '../../collectors/host/btrfs.js';
import dmmultipath from '../../collectors/host/dmmultipath.js';
import edac from '../../collectors/host/edac.js';
import rapl, { raplZones } from '../../collectors/host/rapl.js';
import type { CollectContext, CollectorDefinition, MetricFamily } from '../../src/collector.js';
import { fixture } from '../helpers/spyglass.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** Runs a collector in-process over a sysfs tree; returns its families and the items it skipped. */
async function run(collector: CollectorDefinition, sysfs: string, config: Record<string, unknown> = {}) {
  const skipped: Array<{ reason: string; detail: string }> = [];
  const ctx = {
    config,
    paths: { procfs: '/nonexistent', sysfs, rootfs: '/nonexistent', udevData: '/nonexistent' },
    signal: new AbortController().signal,
    logger: quiet,
    runTimeMs: Date.now(),
    state: undefined,
    skip: (reason: string, detail: string) => skipped.push({ reason, detail }),
  } as unknown as CollectContext;
  const families: MetricFamily[] = await collector.collect(ctx);
  /** `name{a="x",…}` → value, labels sorted, as in the exposition. */
  const series = new Map<string, number>();
  for (const f of families)
    for (const s of f.samples) {
      const labels = Object.entries(s.labels ?? {})
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => `${k}="${v}"`)
        .join(',');
      series.set(`${f.name}{${labels}}`, (s as { value: number }).value);
    }
  const types = Object.fromEntries(families.map((f) => [f.name, f.type]));
  return { families, series, types, skipped };
}

const reasons = (skipped: Array<{ reason: string }>) => skipped.map((s) => s.reason).sort();

describe('bcache collector', () => {
  const B = 'uuid="5f0c4b3e-2a1d-4c6e-9f7a-0b1c2d3e4f50"';
  const D = 'uuid="a1b2c3d4-0000-4000-8000-00000000dead"';

  it('reads cache sets, backing and cache devices, human-readable sizes included', async () => {
    const r = await run(bcache, fixture('sys-storage'), { priority_stats: false });
    assert.equal(r.series.get(`node_bcache_btree_cache_size_bytes{${B}}`), 7544832); // 7.2M
    assert.equal(r.series.get(`node_bcache_btree_read_average_duration_seconds{${B}}`), 2048e-9);
    assert.equal(r.series.get(`node_bcache_dirty_data_bytes{backing_device="bdev0",${B}}`), 3640655872); // 3.4G
    assert.equal(r.series.get(`node_bcache_writeback_rate_proportional_term{backing_device="bdev0",${B}}`), -12588);
    assert.equal(r.series.get(`node_bcache_writeback_change{backing_device="bdev0",${B}}`), -4096);
    assert.equal(r.series.get(`node_bcache_written_bytes_total{cache_device="cache0",${B}}`), 226429501440);
    assert.equal(r.types.node_bcache_cache_hits_total, 'counter');
    assert.equal(r.types.node_bcache_dirty_target_bytes, 'gauge');
    // cache_readaheads 0 gives no series, 7 does.
    assert.equal(r.series.has(`node_bcache_cache_readaheads_total{backing_device="bdev0",${B}}`), false);
    assert.equal(r.series.get(`node_bcache_cache_readaheads_total{backing_device="bdev1",${B}}`), 7);
    assert.equal(
      r.families.some((f) => f.name.startsWith('node_bcache_priority_stats_')),
      false,
    );
  });

  it('skips and counts a garbled value, and serves the rest of that cache set', async () => {
    const r = await run(bcache, fixture('sys-storage'), { priority_stats: false });
    assert.deepEqual(reasons(r.skipped), ['malformed']);
    assert.match(r.skipped[0]!.detail, /btree_cache_size: not a bcache value: "12.x"/);
    assert.equal(r.series.has(`node_bcache_btree_cache_size_bytes{${D}}`), false);
    assert.equal(r.series.has(`node_bcache_root_usage_percent{${D}}`), false); // missing file: no series
    assert.equal(r.series.get(`node_bcache_congested{${D}}`), 1);
    assert.equal(r.series.get(`node_bcache_io_errors{cache_device="cache0",${D}}`), 5);
    assert.equal(r.series.has(`node_bcache_writeback_rate{backing_device="bdev0",${D}}`), false);
  });

  it('reads priority_stats only when asked, counting a garbled one', async () => {
    const r = await run(bcache, fixture('sys-storage'), { priority_stats: true });
    assert.equal(r.series.get(`node_bcache_priority_stats_unused_percent{cache_device="cache0",${B}}`), 42);
    assert.equal(r.series.get(`node_bcache_priority_stats_metadata_percent{cache_device="cache0",${B}}`), 1);
    assert.equal(r.series.has(`node_bcache_priority_stats_unused_percent{cache_device="cache0",${D}}`), false);
    assert.deepEqual(reasons(r.skipped), ['malformed', 'malformed']);
  });

  it('emits nothing, successfully, without bcache', async () => {
    const r = await run(bcache, fixture('sys-cpu'), { priority_stats: true });
    assert.deepEqual([r.families.length, r.skipped.length], [0, 0]);
  });
});

describe('btrfs collector', () => {
  const A = 'uuid="3c5e9a10-7b2d-4f8e-a1c3-5d6e7f809a1b"';
  const R = 'uuid="9d8c7b6a-5f4e-4d3c-b2a1-0f9e8d7c6b5a"';

  it('reads allocation, commits, devices and error counters', async () => {
    const r = await run(btrfs, fixture('sys-storage'));
    assert.equal(r.series.get(`node_btrfs_info{label="root",${A}}`), 1);
    assert.equal(r.series.get(`node_btrfs_info{label="",${R}}`), 1); // no metadata_uuid: the directory's name
    assert.equal(r.series.get(`node_btrfs_commits_total{${A}}`), 81234);
    assert.equal(r.series.get(`node_btrfs_max_commit_seconds{${A}}`), 1.79);
    assert.equal(r.series.get(`node_btrfs_commit_seconds_total{${A}}`), 4125.032);
    assert.equal(r.series.get(`node_btrfs_used_bytes{block_group_type="metadata",mode="dup",${A}}`), 5261066240);
    assert.equal(r.series.get(`node_btrfs_allocation_ratio{block_group_type="data",mode="raid1",${R}}`), 2);
    assert.equal(r.series.get(`node_btrfs_reserved_bytes{block_group_type="metadata",${A}}`), 1048576);
    assert.equal(r.series.get(`node_btrfs_device_size_bytes{device="sdx1",${R}}`), 7814035087 * 512);
    assert.equal(r.series.get(`node_btrfs_device_errors_total{devid="1",type="corruption",${A}}`), 12);
    assert.equal(r.series.get(`node_btrfs_device_errors_total{devid="1",type="read",${A}}`), 3);
    assert.equal(r.types.node_btrfs_device_errors_total, 'counter');
  });

  it('reports zero commits without commit_stats (kernel < 6.0), as node_exporter', async () => {
    const r = await run(btrfs, fixture('sys-storage'));
    for (const m of ['commits_total', 'last_commit_seconds', 'max_commit_seconds', 'commit_seconds_total'])
      assert.equal(r.series.get(`node_btrfs_${m}{${R}}`), 0, m);
  });

  it('skips and counts garbled values; an invalid error_stats gives no series', async () => {
    const r = await run(btrfs, fixture('sys-storage'));
    assert.deepEqual(reasons(r.skipped), ['malformed', 'malformed']);
    assert.ok(r.skipped.some((s) => /global_rsv_size/.test(s.detail)));
    assert.ok(r.skipped.some((s) => /devinfo\/1\/error_stats:2/.test(s.detail)));
    assert.equal(r.series.has(`node_btrfs_global_rsv_size_bytes{${R}}`), false);
    assert.equal([...r.series.keys()].filter((k) => k.startsWith('node_btrfs_device_errors_total') && k.includes(R)).length, 0);
  });
});

describe('dmmultipath collector', () => {
  it('reports multipath maps and their paths, leaving other device-mapper devices alone', async () => {
    const r = await run(dmmultipath, fixture('sys-storage'));
    const a = 'device="mpatha",sysfs_name="dm-7"';
    const b = 'device="mpathb",sysfs_name="dm-9"';
    assert.equal(r.series.get(`node_dmmultipath_device_info{${a},uuid="mpath-36005076810810123400000000000004a"}`), 1);
    assert.equal(r.series.get(`node_dmmultipath_device_size_bytes{${a}}`), 2147483648 * 512);
    assert.deepEqual(
      ['device_active', 'device_paths', 'device_paths_active', 'device_paths_failed'].map((m) => r.series.get(`node_dmmultipath_${m}{${a}}`)),
      [1, 3, 3, 0],
    );
    assert.deepEqual(
      ['device_active', 'device_paths', 'device_paths_active', 'device_paths_failed'].map((m) => r.series.get(`node_dmmultipath_${m}{${b}}`)),
      [0, 2, 0, 2],
    );
    assert.equal(r.series.get('node_dmmultipath_path_state{device="mpatha",path="nvme9n1",state="live"}'), 1);
    assert.equal(r.series.get('node_dmmultipath_path_state{device="mpathb",path="sdy",state="offline"}'), 1);
    assert.equal(r.series.get('node_dmmultipath_path_state{device="mpathb",path="sdz",state="unknown"}'), 1);
    assert.equal(
      [...r.series.keys()].some((k) => k.includes('vg0-root') || k.includes('mpathc')),
      false,
    );
    assert.deepEqual(reasons(r.skipped), ['incomplete', 'incomplete']);
  });
});

describe('edac collector', () => {
  it('reads controller, csrow and channel counters with node_exporter’s DIMM labels', async () => {
    const r = await run(edac, fixture('sys-edac-rapl'));
    assert.equal(r.series.get('node_edac_correctable_errors_total{controller="0"}'), 7);
    assert.equal(r.series.get('node_edac_csrow_correctable_errors_total{controller="0",csrow="unknown"}'), 1);
    assert.equal(r.series.get('node_edac_csrow_uncorrectable_errors_total{controller="0",csrow="0"}'), 2);
    assert.equal(r.series.get('node_edac_channel_correctable_errors_total{channel="0",controller="0",csrow="0",dimm_label="CPU_SrcID0_MC0_Chan0_DIMM0"}'), 4);
    assert.equal(r.series.get('node_edac_channel_correctable_errors_total{channel="1",controller="0",csrow="0",dimm_label="mc0_csrow0_channel1"}'), 2);
    assert.equal(r.series.get('node_edac_channel_correctable_errors_total{channel="0",controller="0",csrow="1",dimm_label="unknown"}'), 0);
    assert.equal(r.series.has('node_edac_channel_uncorrectable_errors_total{channel="0",controller="0",csrow="1",dimm_label="unknown"}'), false);
  });

  it('skips and counts a garbled counter and serves the rest of that controller', async () => {
    const r = await run(edac, fixture('sys-edac-rapl'));
    assert.deepEqual(reasons(r.skipped), ['malformed']);
    assert.equal(r.series.has('node_edac_correctable_errors_total{controller="1"}'), false);
    assert.equal(r.series.get('node_edac_uncorrectable_errors_total{controller="1"}'), 0);
  });
});

describe('rapl collector', () => {
  it('names and indexes zones as node_exporter', () => {
    const zones = raplZones(fixture('sys-edac-rapl'), () => {}).map((z) => `${z.entry} ${z.name} ${z.index}`);
    assert.deepEqual(zones, [
      'intel-rapl-mmio:0 package 0',
      'intel-rapl:0 package 0',
      'intel-rapl:0:0 core 0',
      'intel-rapl:0:1 uncore 0',
      'intel-rapl:0:2 dram 0',
      'intel-rapl:1 package 1',
      'intel-rapl:1:0 dram 1',
      'intel-rapl:2 psys 0',
    ]);
  });

  it('emits one counter family per zone name, skipping and counting a garbled energy_uj', async () => {
    const sysfs = fixture('sys-edac-rapl');
    const r = await run(rapl, sysfs, { enable_zone_label: false });
    const path = (zone: string) => join(sysfs, 'class/powercap', zone);
    assert.equal(r.series.get(`node_rapl_package_joules_total{index="1",path="${path('intel-rapl:1')}"}`), 70011.234567);
    assert.equal(r.series.get(`node_rapl_dram_joules_total{index="1",path="${path('intel-rapl:1:0')}"}`), 8800);
    assert.equal(r.types.node_rapl_core_joules_total, 'counter');
    assert.equal(
      r.families.some((f) => f.name === 'node_rapl_psys_joules_total'),
      false,
    );
    assert.deepEqual(reasons(r.skipped), ['malformed']);
  });

  it('puts the zone in a label with enable_zone_label', async () => {
    const sysfs = fixture('sys-edac-rapl');
    const r = await run(rapl, sysfs, { enable_zone_label: true });
    assert.deepEqual(
      r.families.map((f) => f.name),
      ['node_rapl_joules_total'],
    );
    assert.equal(r.series.get(`node_rapl_joules_total{index="0",path="${join(sysfs, 'class/powercap/intel-rapl:0:0')}",rapl_zone="core"}`), 31800.021012);
  });

  it('counts an unreadable energy_uj and serves the other zones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spyglass-rapl-'));
    try {
      cpSync(fixture('sys-edac-rapl/class'), join(dir, 'class'), { recursive: true });
      // A directory where the file should be: unreadable on every machine, root or not.
      rmSync(join(dir, 'class/powercap/intel-rapl:0:1/energy_uj'));
      cpSync(fixture('sys-edac-rapl/class/powercap/intel-rapl'), join(dir, 'class/powercap/intel-rapl:0:1/energy_uj'), { recursive: true });
      writeFileSync(join(dir, 'class/powercap/intel-rapl:2/energy_uj'), '5\n');
      const r = await run(rapl, dir, { enable_zone_label: false });
      assert.deepEqual(reasons(r.skipped), ['unreadable']);
      assert.equal(
        r.families.some((f) => f.name === 'node_rapl_uncore_joules_total'),
        false,
      );
      assert.equal(r.series.get(`node_rapl_psys_joules_total{index="0",path="${join(dir, 'class/powercap/intel-rapl:2')}"}`), 0.000005);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
