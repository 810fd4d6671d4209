import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fixture, runCli, startSpyglass } from './helpers/spyglass.js';

/**
 * Names kept for compatibility that promtool's linter flags: node_exporter's camelCase meminfo and
 * netstat families and its entropy `_bits`, cAdvisor's `container_memory_failcnt` counter, and
 * prom-client's `_total`-suffixed gauges. A
 * spyglass_ name is never allowed here.
 */
const ALLOWED = [
  /^node_(memory|netstat)_[A-Za-z0-9_]+ metric names should be written in 'snake_case' not 'camelCase'$/,
  /^node_entropy_(available|pool_size)_bits use base unit "bytes" instead of "bits"$/,
  /^container_memory_failcnt counter metrics should have "_total" suffix$/,
  /^nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/,
];

describe('promtool check metrics', () => {
  it('finds no problem in what `spyglass serve` exposes, outside the documented allow-list', async () => {
    const s = await startSpyglass();
    try {
      const body = await (await fetch(`${s.base}/metrics`)).text();
      const r = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
      assert.equal(r.error, undefined, 'promtool must be installed (see .ci/run)');
      const problems = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim());
      const unexpected = problems.filter((p) => !ALLOWED.some((re) => re.test(p)));
      assert.deepEqual(unexpected, []);
      assert.ok(!problems.some((p) => p.startsWith('spyglass_')));
      assert.ok(problems.length > 0 && r.status !== 0, 'the allow-listed names are present, so promtool does report them');
    } finally {
      await s.stop();
    }
  });

  it('finds nothing in the hardware collectors this VM lacks, run on the synthetic trees', async () => {
    const hardware = await runCli(['dump', `--path.sysfs=${fixture('sys-hardware')}`, 'hwmon', 'thermal_zone', 'dmi']);
    const cpu = await runCli([
      'dump',
      `--path.procfs=${fixture('proc-2cpu')}`,
      `--path.sysfs=${fixture('sys-cpu')}`,
      '--collector.processes',
      'cpu',
      'processes',
    ]);
    assert.equal(hardware.code, 0, hardware.stderr);
    assert.equal(cpu.code, 0, cpu.stderr);
    assert.match(hardware.stdout, /node_hwmon_fan_rpm/);
    const r = spawnSync('promtool', ['check', 'metrics'], { input: hardware.stdout + cpu.stdout, encoding: 'utf8' });
    assert.equal(`${r.stdout}${r.stderr}`.trim(), '');
    assert.equal(r.status, 0);
  });
});
