import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fixture, repoRoot, runCli } from './helpers/spyglass.js';

describe('bcache, btrfs, dmmultipath, edac and rapl from the command line', () => {
  it("takes node_exporter's flags: --collector.bcache.priorityStats, --collector.rapl.enable-zone-label", async () => {
    const plain = await runCli(['dump', 'bcache', 'rapl', `--path.sysfs=${fixture('sys-storage')}`]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.doesNotMatch(plain.stdout, /node_bcache_priority_stats_/);
    const flagged = await runCli([
      'dump',
      'bcache',
      'rapl',
      `--path.sysfs=${fixture('sys-edac-rapl')}`,
      '--collector.bcache.priorityStats',
      '--collector.rapl.enable-zone-label',
    ]);
    assert.equal(flagged.code, 0, flagged.stderr);
    assert.match(flagged.stdout, /^node_rapl_joules_total\{index="0",path="[^"]+\/class\/powercap\/intel-rapl:0:0",rapl_zone="core"\} 31800\.021012$/m);
    assert.doesNotMatch(flagged.stdout, /node_rapl_core_joules_total/);
    const bcache = await runCli(['dump', 'bcache', `--path.sysfs=${fixture('sys-storage')}`, '--collector.bcache.priorityStats']);
    assert.match(bcache.stdout, /^node_bcache_priority_stats_unused_percent\{cache_device="cache0",uuid="5f0c4b3e-2a1d-4c6e-9f7a-0b1c2d3e4f50"\} 42$/m);
  });

  it('leaves out, and counts, the zones whose energy_uj only root may read (kernels since CVE-2020-8694)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spyglass-rapl-perm-'));
    try {
      cpSync(fixture('sys-edac-rapl/class'), join(dir, 'class'), { recursive: true });
      chmodSync(dir, 0o755);
      chmodSync(join(dir, 'class/powercap/intel-rapl:0/energy_uj'), 0o400);
      chmodSync(join(dir, 'class/powercap/intel-rapl:0:0/energy_uj'), 0o000);
      // The collector in a process of an unprivileged user: as root, under uid/gid 65534 (nobody).
      const script = `
        const { default: rapl } = await import(${JSON.stringify(`${repoRoot}dist/collectors/host/rapl.js`)});
        const skipped = [];
        const families = await rapl.collect({ config: { enable_zone_label: false }, paths: { sysfs: ${JSON.stringify(dir)} }, skip: (reason, detail) => skipped.push(reason) });
        process.stdout.write(JSON.stringify({ names: families.map((f) => f.name).sort(), skipped }));`;
      const asRoot = process.getuid?.() === 0;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', ...(asRoot ? { uid: 65534, gid: 65534 } : {}) });
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { names: string[]; skipped: string[] };
      if (!asRoot && out.skipped.length === 0) return; // a user that may read anything (CAP_DAC_OVERRIDE): nothing to check
      assert.deepEqual(out.skipped.sort(), ['malformed', 'permission_denied', 'permission_denied']);
      // package index 0 and core are gone; package-1 (the same family), uncore and dram are served.
      assert.deepEqual(out.names, ['node_rapl_dram_joules_total', 'node_rapl_package_joules_total', 'node_rapl_uncore_joules_total']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
