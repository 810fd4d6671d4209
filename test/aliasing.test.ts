import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startPrometheus } from './helpers/prometheus.js';
import { fixture, startSpyglass, waitFor } from './helpers/spyglass.js';

/**
 * Sampling follows the scraper, end to end with a real Prometheus (docs/aliasing.md).
 *
 * A synthetic counter grows at exactly RATE per second. Three spyglass processes on the default
 * schedule (no interval configured: they learn the scrape period) are scraped every 5 s, 10 s
 * and 60 s. Once each has learned its scraper, rate() and irate() of the counter must be within
 * 1% of the truth, and the collector must run once per scrape.
 *
 * A control pinned to a 10 s interval without the phase lock, scraped every 8 s, must alias: it
 * shows that the checks can fail.
 */
const RATE = 100;
const SCRAPES = { fast: 5, medium: 10, slow: 60 } as const;
/** rate() over three of the slowest scrape periods: exact for a linear counter (no partial extrapolation). */
const WINDOW = '3m';
const MEASURE_SECONDS = 60;

describe('sampling follows the scraper, against a real Prometheus', () => {
  it('learns 5 s, 10 s and 60 s scrape periods: rate() and irate() within 1%, one run per scrape', { timeout: 720_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spyglass-follow-'));
    const start = async (name: string, collectorKeys: string, scheduler = '') => {
      const p = join(dir, `${name}.yml`);
      writeFileSync(
        p,
        `collector_modules: [${fixture('collectors/constant-rate.mjs')}]\nscheduler: {${scheduler}}\ncollectors:\n  constant_rate: {rate: ${RATE}${collectorKeys}}\n`,
      );
      return startSpyglass([`--config.file=${p}`, '--collector.disable-defaults', '--collector.constant_rate']);
    };
    const followers = {
      fast: await start('fast', ''),
      medium: await start('medium', ''),
      slow: await start('slow', ''),
    };
    const control = await start('control', ', interval: 10s', 'phase_lock: false');
    const instance = (s: { port: number }) => `127.0.0.1:${s.port}`;
    const jobs = Object.entries(followers).map(
      ([name, s]) =>
        `  - job_name: ${name}\n    scrape_interval: ${SCRAPES[name as keyof typeof SCRAPES]}s\n    static_configs: [{targets: ['${instance(s)}']}]\n`,
    );
    const prom = await startPrometheus(
      `${jobs.join('')}  - job_name: control\n    scrape_interval: 8s\n    static_configs: [{targets: ['${instance(control)}']}]\n`,
    );
    try {
      for (const [name, s] of Object.entries(followers)) {
        const period = SCRAPES[name as keyof typeof SCRAPES];
        const learned = async () => {
          const values = await prom.query(
            `spyglass_collector_interval_seconds{collector="constant_rate"} == ${period} and on(instance) spyglass_collector_phase_locked{collector="constant_rate"} == 1`,
          );
          return values.has(instance(s));
        };
        await waitFor(learned, 300_000, `${name}: the ${period} s scrape period learned and locked`);
      }
      // The switch from the start-up interval must have left every window before measuring.
      await new Promise((r) => setTimeout(r, 185_000));
      const fromS = Date.now() / 1000;
      await new Promise((r) => setTimeout(r, MEASURE_SECONDS * 1000));
      const endS = Date.now() / 1000;

      const deviation = (points: Array<[number, number]> | undefined) => {
        assert.ok(points && points.length > 0, 'no data');
        return Math.max(...points.map(([, v]) => Math.abs(v / RATE - 1)));
      };
      const rate = await prom.queryRange(`rate(test_constant_rate_total[${WINDOW}])`, fromS, endS, 5);
      const irate = await prom.queryRange(`irate(test_constant_rate_total[${WINDOW}])`, fromS, endS, 5);
      const report: Record<string, Record<string, string | number>> = {};
      for (const [name, s] of Object.entries({ ...followers, control })) {
        const at = async (query: string, timeS: number) =>
          (await prom.api<{ result: Array<{ value: [number, string] }> }>('query', { query, time: String(timeS) })).result[0]?.value[1];
        const runs = `spyglass_collector_runs_total{collector="constant_rate",result="success",instance="${instance(s)}"}`;
        const ran = Number(await at(runs, endS)) - Number(await at(runs, fromS));
        const scraped = Number(await at(`count_over_time(up{instance="${instance(s)}"}[${Math.round(endS - fromS)}s])`, endS));
        report[name] = {
          rate_pct: (deviation(rate.get(instance(s))) * 100).toFixed(3),
          irate_pct: (deviation(irate.get(instance(s))) * 100).toFixed(3),
          runs: ran,
          scrapes: scraped,
        };
      }
      console.log(`# max deviation from the true rate in % and runs against scrapes over ${MEASURE_SECONDS} s: ${JSON.stringify(report)}`);
      for (const name of Object.keys(followers)) {
        const r = report[name] as Record<string, string | number>;
        assert.ok(Number(r.rate_pct) <= 1, `${name}: rate() deviates ${r.rate_pct}%`);
        assert.ok(Number(r.irate_pct) <= 1, `${name}: irate() deviates ${r.irate_pct}%`);
        assert.ok(Number(r.scrapes) >= 1, `${name}: no scrapes counted`);
        assert.ok(Math.abs(Number(r.runs) - Number(r.scrapes)) <= 1, `${name}: ${r.runs} runs for ${r.scrapes} scrapes`);
      }
      assert.ok(Number(report.control?.irate_pct) > 20, `the drifting control should alias, but irate deviated only ${report.control?.irate_pct}%`);
    } finally {
      await prom.stop();
      for (const s of [...Object.values(followers), control]) await s.stop();
    }
  });
});
