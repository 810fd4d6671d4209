import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startPrometheus } from './helpers/prometheus.js';
import { fixture, startSpyglass, waitFor } from './helpers/spyglass.js';

/**
 * Counter aliasing, end to end with a real Prometheus (docs/aliasing.md).
 *
 * A synthetic counter grows at exactly RATE per second; spyglass samples it every 10 s. What
 * users see is what rules and alerts see: Prometheus evaluates `rate(x[1m])` and `irate(x[1m])`
 * live every 2 s as recording rules; the test also range-queries the stored data afterwards.
 *
 * - locked:  spyglass as shipped (phase lock on, no sample timestamps), scraped every 10 s.
 * - stamped: sample timestamps instead of the phase lock, scraped every 10 s (reported only).
 * - naive:   neither, scraped every 10 s (reported only).
 * - control: neither, scraped every 8 s, so the value's age drifts: it must alias, which shows
 *            the checks can fail.
 */
const RATE = 100;
const MEASURE_SECONDS = Number(process.env.SPYGLASS_ALIASING_SECONDS ?? 60);

describe('counter aliasing against a real Prometheus', () => {
  it('keeps live rate(x[1m]) and irate(x[1m]) within ±10% of the true rate', { timeout: (MEASURE_SECONDS + 240) * 1000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spyglass-alias-'));
    const start = async (name: string, scheduler: string) => {
      const p = join(dir, `${name}.yml`);
      writeFileSync(p, `collector_modules: [${fixture('collectors/constant-rate.mjs')}]\nscheduler: {${scheduler}}\ncollectors:\n  constant_rate: {interval: 10s, rate: ${RATE}}\n`);
      return startSpyglass([`--config.file=${p}`, '--collector.disable-defaults', '--collector.constant_rate']);
    };
    const locked = await start('locked', '');
    const stamped = await start('stamped', 'phase_lock: false, sample_timestamps: true');
    const naive = await start('naive', 'phase_lock: false');
    const control = await start('control', 'phase_lock: false');
    const instance = (s: { port: number }) => `127.0.0.1:${s.port}`;
    const prom = await startPrometheus(
      `  - job_name: equal
    scrape_interval: 10s
    static_configs: [{targets: ['${instance(locked)}', '${instance(stamped)}', '${instance(naive)}']}]
  - job_name: drift
    scrape_interval: 8s
    static_configs: [{targets: ['${instance(control)}']}]
`,
      {
        evaluationInterval: '2s',
        ruleGroups: `  - name: aliasing
    rules:
      - {record: 'live:rate1m', expr: 'rate(test_constant_rate_total[1m])'}
      - {record: 'live:irate1m', expr: 'irate(test_constant_rate_total[1m])'}
`,
      },
    );
    const startS = Date.now() / 1000;
    try {
      await waitFor(async () => (await prom.query('spyglass_collector_phase_locked{collector="constant_rate"}')).get(instance(locked)) === 1, 90000, 'the phase lock');
      const lockedAtS = Date.now() / 1000;
      // The lock moves the run's phase once; measure after that step has left every 1m window.
      await new Promise((r) => setTimeout(r, 75_000));
      const fromS = Date.now() / 1000;
      await new Promise((r) => setTimeout(r, MEASURE_SECONDS * 1000));
      const endS = Date.now() / 1000;

      const deviation = (points: Array<[number, number]> | undefined) => {
        assert.ok(points && points.length > 0, 'no data');
        return Math.max(...points.map(([, v]) => Math.abs(v / RATE - 1)));
      };
      const range = async (q: string, from: number) => prom.queryRange(q, from, endS, 2);
      const liveRate = await range('live:rate1m', fromS);
      const liveIrate = await range('live:irate1m', fromS);
      const pastRate = await range('rate(test_constant_rate_total[1m])', fromS);
      const controlIrate = await range('live:irate1m', startS + 70);
      const report: Record<string, Record<string, string>> = {};
      for (const [name, s] of Object.entries({ locked, stamped, naive })) {
        report[name] = {
          live_rate: (deviation(liveRate.get(instance(s))) * 100).toFixed(2),
          live_irate: (deviation(liveIrate.get(instance(s))) * 100).toFixed(2),
          past_rate: (deviation(pastRate.get(instance(s))) * 100).toFixed(2),
        };
      }
      report.control = { live_irate: (deviation(controlIrate.get(instance(control))) * 100).toFixed(2) };
      console.log(`# locked after ${(lockedAtS - startS).toFixed(0)} s; max deviation from the true rate in % over ${MEASURE_SECONDS} s: ${JSON.stringify(report)}`);

      const evaluations = liveRate.get(instance(locked))?.length ?? 0;
      assert.ok(evaluations >= MEASURE_SECONDS / 2 - 2, `live rule evaluations: ${evaluations}`);
      for (const [what, value] of Object.entries(report.locked as Record<string, string>)) {
        assert.ok(Number(value) <= 10, `locked ${what} deviates ${value}%`);
      }
      assert.ok(Number(report.control.live_irate) > 20, `the drifting control should alias, but irate deviated only ${report.control.live_irate}%`);
    } finally {
      await prom.stop();
      for (const s of [locked, stamped, naive, control]) await s.stop();
    }
  });
});
