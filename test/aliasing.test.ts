import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startPrometheus } from './helpers/prometheus.js';
import { fixture, startSpyglass } from './helpers/spyglass.js';

/**
 * Counter aliasing, end to end with a real Prometheus. The synthetic counter grows at exactly
 * RATE per second; spyglass samples it every 10 s and Prometheus scrapes every 8 s (similar
 * intervals, drifting phase: the situation that makes rate()/irate() spiky).
 *
 * - `stamped` is spyglass as shipped: counter samples carry the time they were read.
 * - `control` has sample timestamps turned off. It is expected to alias; the test checks that it
 *   does, which shows this setup can detect the problem the design solves.
 */
const RATE = 100;
const RUN_SECONDS = Number(process.env.SPYGLASS_ALIASING_SECONDS ?? 150);

describe('counter aliasing against a real Prometheus', () => {
  it(`keeps rate(x[1m]) of a constant-rate counter within ±10% over a ${RUN_SECONDS}s run`, { timeout: (RUN_SECONDS + 90) * 1000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spyglass-alias-'));
    const config = (timestamps: boolean) => {
      const p = join(dir, `${timestamps}.yml`);
      writeFileSync(p, `collector_modules: [${fixture('collectors/constant-rate.mjs')}]\nscheduler: {sample_timestamps: ${timestamps}}\ncollectors:\n  constant_rate: {interval: 10s, rate: ${RATE}}\n`);
      return p;
    };
    const stamped = await startSpyglass([`--config.file=${config(true)}`, '--collector.disable-defaults', '--collector.constant_rate']);
    const control = await startSpyglass([`--config.file=${config(false)}`, '--collector.disable-defaults', '--collector.constant_rate']);
    const prom = await startPrometheus(
      `  - job_name: spyglass
    scrape_interval: 8s
    static_configs:
      - targets: ['127.0.0.1:${stamped.port}']
        labels: {variant: stamped}
      - targets: ['127.0.0.1:${control.port}']
        labels: {variant: control}
`,
    );
    const startS = Date.now() / 1000;
    try {
      await new Promise((r) => setTimeout(r, RUN_SECONDS * 1000));
      const endS = Date.now() / 1000;
      const from = startS + 70; // the first full minute of data
      const series = async (q: string) => {
        const byInstance = await prom.queryRange(q, from, endS, 2);
        const get = (port: number) => byInstance.get(`127.0.0.1:${port}`) ?? [];
        return { stamped: get(stamped.port), control: get(control.port) };
      };
      const deviation = (points: Array<[number, number]>) => Math.max(...points.map(([, v]) => Math.abs(v / RATE - 1)));

      const rate = await series('rate(test_constant_rate_total[1m])');
      const irate = await series('irate(test_constant_rate_total[1m])');
      const expectedPoints = Math.floor((endS - from) / 2) - 1;
      assert.ok(rate.stamped.length >= expectedPoints, `rate() has a value at every step: ${rate.stamped.length} of ${expectedPoints}`);
      const report = {
        stamped_rate: deviation(rate.stamped),
        stamped_irate: deviation(irate.stamped),
        control_rate: deviation(rate.control),
        control_irate: deviation(irate.control),
      };
      console.log(`# max deviation from the true rate over ${rate.stamped.length} steps: ${JSON.stringify(report)}`);
      assert.ok(report.stamped_rate <= 0.1, `rate() with sample timestamps deviates ${(report.stamped_rate * 100).toFixed(1)}%`);
      assert.ok(report.stamped_irate <= 0.1, `irate() with sample timestamps deviates ${(report.stamped_irate * 100).toFixed(1)}%`);
      assert.ok(report.control_irate > 0.2, `the control (no timestamps) should alias, but irate() deviated only ${(report.control_irate * 100).toFixed(1)}%`);
    } finally {
      await prom.stop();
      await stamped.stop();
      await control.stop();
    }
  });
});
