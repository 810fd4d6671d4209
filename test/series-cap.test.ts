import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

describe('series cap (max_series)', () => {
  it('the engine applies the cap and counts it in spyglass_collector_series_dropped_total', async () => {
    const { startSpyglass } = await import('./helpers/spyglass.js');
    const s = await startSpyglass(['--collector.disable-defaults', '--collector.container', '--collector.container.max-series=70']);
    try {
      const body = await (await fetch(`${s.base}/metrics`)).text();
      const series = Number(/spyglass_collector_series\{collector="container"\} (\d+)/.exec(body)?.[1]);
      const dropped = Number(/spyglass_collector_series_dropped_total\{collector="container"\} (\d+)/.exec(body)?.[1]);
      assert.ok(series > 0 && series <= 70, `series ${series}`);
      assert.ok(dropped > 0, `dropped ${dropped}`);
      const ids = new Set([...body.matchAll(/^container_last_seen\{[^}]*id="([^"]*)"/gm)].map((m) => m[1]));
      assert.ok(ids.has('/'), 'the root cgroup comes first and stays');
    } finally {
      await s.stop();
    }
  });
});
