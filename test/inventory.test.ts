import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import { sampleValue, startSpyglass, waitFor } from './helpers/spyglass.js';

describe('inventory collector (systeminformation)', () => {
  it('spawns lscpu during the first run only, and serves the same inventory on every later run', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'spyglass-bin-'));
    const log = join(bin, 'calls.log');
    const realLscpu = execFileSync('sh', ['-c', 'command -v lscpu']).toString().trim();
    // A wrapper that records each call and runs the real lscpu, found first on PATH.
    writeFileSync(join(bin, 'lscpu'), `#!/bin/sh\necho call >> ${log}\nexec ${realLscpu} "$@"\n`);
    chmodSync(join(bin, 'lscpu'), 0o755);
    const spy = await startSpyglass(['--collector.disable-defaults', '--collector.inventory', '--collector.inventory.interval=1s'], {
      env: { PATH: `${bin}:${process.env.PATH}` },
    });
    try {
      const runs = async () =>
        sampleValue(await (await fetch(`${spy.base}/metrics`)).text(), 'spyglass_collector_runs_total{collector="inventory",result="success"}') ?? 0;
      await waitFor(async () => (await runs()) >= 1, 10000, 'first inventory run');
      assert.ok(existsSync(log), 'systeminformation ran lscpu on the first run');
      const afterFirst = readFileSync(log, 'utf8');
      await waitFor(async () => (await runs()) >= 4, 10000, 'three more runs');
      assert.equal(readFileSync(log, 'utf8'), afterFirst, 'no child process after the first run');
      const body = await (await fetch(`${spy.base}/metrics`)).text();
      const logical = sampleValue(body, 'node_inventory_cpu_cores{kind="logical"}');
      assert.equal(logical, Number(execFileSync('nproc', ['--all']).toString().trim()));
      assert.match(body, /^node_inventory_cpu_info\{brand="[^"]+",.*\} 1$/m);
      assert.match(body, /^node_inventory_system_info\{.*virtual="(true|false)".*\} 1$/m);
    } finally {
      await spy.stop();
    }
  });
});
