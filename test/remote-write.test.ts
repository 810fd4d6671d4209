/**
 * Remote write end to end with the real receivers: Prometheus (--web.enable-remote-write-receiver)
 * and VictoriaMetrics. Both go away for 40 s while spyglass keeps running; meanwhile spyglass is
 * SIGKILLed mid-run and restarted on the same queue. When the receivers are back, each must hold
 * every sample of the window: the run counter of a test collector 1, 2, 3, … with no gap in
 * either process lifetime, no timestamp with two values, its histogram as _bucket/_sum/_count,
 * and a staleness marker for the series that went away.
 *
 * 40 s rather than the two minutes: with 1 s runs, batch_send_deadline 1s and
 * max_backoff 2s, 40 s already spans ~40 batches and a dozen retries at the backoff ceiling,
 * the same situation as two minutes at the defaults, in a third of the time.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { prometheusReceiver, victoriaMetricsReceiver, type Point, type Receiver } from './helpers/remote-write-receivers.js';
import { fixture, startSpyglass, waitFor, type Running } from './helpers/spyglass.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const OUTAGE_MS = 40_000;

function configFor(dir: string, receivers: Receiver[]): string {
  const file = join(dir, 'spyglass.yml');
  const endpoints = receivers.map(
    (r) => `  - url: ${r.writeUrl}
    name: ${r.name}
    remote_timeout: 2s
    queue_config: {batch_send_deadline: 1s, min_backoff: 30ms, max_backoff: 2s, max_samples_per_send: 500}
`,
  );
  writeFileSync(
    file,
    `collector_modules: [${JSON.stringify(fixture('remote-write/sequence.mjs'))}]
scheduler: {interval: 1s, follow_scrapes: false, phase_lock: false}
self_metrics: {interval: 1s, runtime: false}
global:
  external_labels: {instance: rwtest}
collectors:
  rwtest: {enabled: true, state_file: ${JSON.stringify(join(dir, 'runs'))}}
  loadavg: {enabled: true}
remote_write:
${endpoints.join('')}remote_write_queue: {path: ${JSON.stringify(join(dir, 'queue'))}, max_bytes: 67108864}
`,
  );
  return file;
}

/** The remote-write self-metrics of one receiver, from /metrics. */
async function selfMetric(s: Running, name: string, remote: string): Promise<number> {
  const text = await (await fetch(`${s.base}/metrics`)).text();
  const m = new RegExp(`^${name}\\{remote_name="${remote}",[^}]*\\} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

/** Splits a counter's points into process lifetimes (it restarts at 1) after checking each timestamp has one value. */
function lifetimes(points: readonly Point[]): number[][] {
  const byTs = new Map<number, number>();
  for (const [t, v] of points) {
    const seen = byTs.get(t);
    assert.ok(seen === undefined || seen === v, `timestamp ${t} holds two values: ${seen} and ${v}`);
    byTs.set(t, v);
  }
  const out: number[][] = [];
  for (const [, v] of [...byTs].sort((a, b) => a[0] - b[0])) {
    const last = out[out.length - 1];
    if (!last || v < (last[last.length - 1] as number)) out.push([v]);
    else last.push(v);
  }
  return out;
}

function assertContiguous(values: readonly number[], what: string): void {
  values.forEach((v, i) => assert.equal(v, i + 1, `${what}: expected run ${i + 1}, found ${v} (a gap or a repeat) in ${values.join(',')}`));
}

describe('remote write to real receivers through outages and a crash', { timeout: 240_000 }, () => {
  let dir: string;
  let receivers: Receiver[];
  let spyglass: Running | undefined;
  let startMs: number;
  let endMs: number;
  let firstLifetimeRuns: number;
  let lastRun: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spyglass-rw-'));
    receivers = [await prometheusReceiver(), await victoriaMetricsReceiver()];
    await Promise.all(receivers.map((r) => r.start()));
    const config = configFor(dir, receivers);
    const args = [`--config.file=${config}`, '--collector.disable-defaults'];
    startMs = Date.now();
    spyglass = await startSpyglass(args);
    await sleep(6000);
    await Promise.all(receivers.map((r) => r.stop()));
    const outageStart = Date.now();
    await sleep(OUTAGE_MS / 2);
    // A crash mid-run, with a backlog on disk: restart on the same queue.
    firstLifetimeRuns = Number(readFileSync(join(dir, 'runs'), 'utf8'));
    spyglass.proc.kill('SIGKILL');
    await spyglass.exited;
    spyglass = await startSpyglass(args);
    await sleep(Math.max(0, outageStart + OUTAGE_MS - Date.now()));
    await Promise.all(receivers.map((r) => r.start()));
    const s = spyglass;
    for (const r of receivers) {
      await waitFor(async () => (await selfMetric(s, 'prometheus_remote_storage_samples_pending', r.name)) < 50, 60_000, `${r.name}'s backlog sent`);
    }
    // Everything up to a run read now must arrive.
    lastRun = Number(readFileSync(join(dir, 'runs'), 'utf8'));
    for (const r of receivers) {
      await waitFor(
        async () => {
          const got = [...(await r.raw('rwtest_runs_total', startMs - 1000, Date.now() + 1000)).values()][0] ?? [];
          const second = lifetimes(got)[1] ?? [];
          return second.some((v) => v >= lastRun);
        },
        20_000,
        `run ${lastRun} at ${r.name}`,
      );
    }
    endMs = Date.now() + 1000;
  });

  after(async () => {
    await spyglass?.stop();
    await Promise.all((receivers ?? []).map((r) => r.close()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const name of ['prometheus', 'victoria-metrics']) {
    it(`${name} holds every run of both lifetimes, each once`, async () => {
      const r = receivers.find((x) => x.name === name) as Receiver;
      const series = await r.raw('rwtest_runs_total', startMs - 1000, endMs);
      assert.equal(series.size, 1, `one series: ${[...series.keys()].join(' ')}`);
      const [labels, points] = [...series][0] as [string, Point[]];
      assert.deepEqual(JSON.parse(labels), { __name__: 'rwtest_runs_total', instance: 'rwtest' });
      const [first, second, ...more] = lifetimes(points);
      assert.equal(more.length, 0, 'two process lifetimes');
      assertContiguous(first ?? [], 'before the crash');
      assert.ok((first?.length ?? 0) >= firstLifetimeRuns, `runs before the crash: ${first?.length}, the collector had done ${firstLifetimeRuns}`);
      assertContiguous(second?.slice(0, lastRun) ?? [], 'after the restart');
      assert.ok((second?.length ?? 0) >= lastRun, `${second?.length} runs after the restart, ${lastRun} made`);
      assert.ok(lastRun >= 5, `the second lifetime ran through the rest of the outage (${lastRun} runs)`);
    });

    it(`${name} holds the histogram as _bucket, _sum and _count`, async () => {
      const r = receivers.find((x) => x.name === name) as Receiver;
      const buckets = await r.raw('rwtest_latency_seconds_bucket', startMs - 1000, endMs);
      const les = [...buckets.keys()].map((k) => (JSON.parse(k) as Record<string, string>).le).sort();
      assert.deepEqual(les, ['+Inf', '0.1', '1']);
      const runs = [...(await r.raw('rwtest_runs_total', startMs - 1000, endMs)).values()][0] as Point[];
      const count = [...(await r.raw('rwtest_latency_seconds_count', startMs - 1000, endMs)).values()][0] as Point[];
      assert.deepEqual(count, runs, '_count equals the run counter, sample for sample');
      assert.equal([...(await r.raw('rwtest_latency_seconds_sum', startMs - 1000, endMs)).values()][0]?.length, runs.length);
    });
  }

  it('Prometheus got staleness markers: the series that went away is not returned within the lookback', async () => {
    const prom = receivers[0] as Receiver;
    const gone = await prom.raw('rwtest_gone', startMs - 1000, endMs);
    assert.ok([...gone.values()][0]?.length, 'rwtest_gone was sent while it existed');
    const base = prom.writeUrl.replace('/api/v1/write', '');
    const res = (await (await fetch(`${base}/api/v1/query?${new URLSearchParams({ query: 'rwtest_gone', time: String(endMs / 1000) })}`)).json()) as {
      data: { result: unknown[] };
    };
    assert.deepEqual(res.data.result, [], 'stale, not its last value from under five minutes ago');
  });

  it('counted the retries', async () => {
    for (const r of receivers) assert.ok((await selfMetric(spyglass as Running, 'prometheus_remote_storage_samples_retried_total', r.name)) > 0, r.name);
  });
});
