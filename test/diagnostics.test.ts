import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli, startSpyglass } from './helpers/spyglass.js';

describe('opt-in diagnostics', () => {
  it('are off by default and say how to turn them on', async () => {
    const s = await startSpyglass(['--collector.disable-defaults', '--collector.loadavg']);
    try {
      const res = await fetch(`${s.base}/debug/cpu-profile?seconds=1`);
      assert.equal(res.status, 404);
      assert.match(await res.text(), /--web\.enable-diagnostics/);
    } finally {
      await s.stop();
    }
  });

  it('take a CPU profile and a heap snapshot over HTTP and from the CLI, one at a time, with bounds', async () => {
    const s = await startSpyglass(['--collector.disable-defaults', '--collector.loadavg', '--web.enable-diagnostics']);
    const dir = mkdtempSync(join(tmpdir(), 'spyglass-diag-'));
    try {
      assert.equal((await fetch(`${s.base}/debug/cpu-profile?seconds=61`)).status, 400, 'longer than the bound');
      assert.equal((await fetch(`${s.base}/debug/cpu-profile?seconds=abc`)).status, 400);
      const profiling = fetch(`${s.base}/debug/cpu-profile?seconds=1`);
      await new Promise((r) => setTimeout(r, 200));
      const second = await fetch(`${s.base}/debug/heap-snapshot`);
      assert.equal(second.status, 429, 'one diagnostic at a time');
      assert.ok(Number(second.headers.get('retry-after')) >= 1);
      const profile = (await (await profiling).json()) as { nodes: Array<{ callFrame: { functionName: string } }>; samples: number[] };
      assert.ok(profile.nodes.length > 1 && profile.samples.length > 0, 'a profile with samples');

      // The rate limit (one start per 10 s) also holds for the CLI: wait it out.
      await new Promise((r) => setTimeout(r, 10_000));
      const out = join(dir, 'heap.heapsnapshot');
      const r = await runCli(['debug', 'heap-snapshot', `--url=${s.base}`, `--output=${out}`]);
      assert.equal(r.code, 0, r.stderr);
      const snapshot = JSON.parse(readFileSync(out, 'utf8')) as { snapshot: { node_count: number }; strings: string[] };
      assert.ok(snapshot.snapshot.node_count > 1000, `${snapshot.snapshot.node_count} nodes`);
      assert.ok(snapshot.strings.includes('SectionTable'), 'the snapshot shows spyglass objects');
      assert.match(s.logs(), /heap snapshot taken/);
    } finally {
      await s.stop();
    }
  });
});
