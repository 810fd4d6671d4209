import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli, startSpyglass } from './helpers/spyglass.js';

const dir = mkdtempSync(join(tmpdir(), 'spyglass-hardening-'));

describe('hostile collector modules', () => {
  it('refuses a module that loops at import, at start and on reload, and keeps serving', { timeout: 60_000 }, async () => {
    const looping = join(dir, 'looping.mjs');
    writeFileSync(looping, 'for (;;) {}\nexport default {};\n');
    const bad = join(dir, 'bad.yml');
    writeFileSync(bad, `collector_modules: [${JSON.stringify(looping)}]\n`);
    const started = performance.now();
    const check = await runCli(['check-config', bad]);
    assert.equal(check.code, 1);
    assert.match(check.stderr + check.stdout, /cannot load collector module .*looping\.mjs: its top-level code did not finish within 5000 ms/);
    assert.ok(performance.now() - started < 15_000);

    const config = join(dir, 'spyglass.yml');
    writeFileSync(config, 'collectors: {}\n');
    const s = await startSpyglass([`--config.file=${config}`, '--collector.disable-defaults', '--collector.loadavg']);
    try {
      writeFileSync(config, `collector_modules: [${JSON.stringify(looping)}]\n`);
      const reload = fetch(`${s.base}/-/reload`, { method: 'POST' });
      await new Promise((r) => setTimeout(r, 1000));
      const health = await fetch(`${s.base}/healthz`, { signal: AbortSignal.timeout(1000) });
      assert.equal(health.status, 200, 'the process answers while the module is being tried');
      const res = await reload;
      assert.equal(res.status, 500);
      assert.match(await res.text(), /did not finish within 5000 ms/);
      assert.match(await (await fetch(`${s.base}/metrics`)).text(), /^node_load1 /m, 'the old config still serves');
      assert.equal(await s.stop(), 0, 'SIGTERM still works');
    } finally {
      await s.stop();
    }
  });
});
