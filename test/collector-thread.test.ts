import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { renderFamiliesToBuffer } from '../src/metrics/render.js';
import { CollectorThread } from '../src/scheduler/collector-thread.js';
import type { ThreadSetup } from '../src/scheduler/thread-messages.js';
import { parseExposition } from './helpers/exposition.js';
import { fixture, startSpyglass } from './helpers/spyglass.js';

const dir = mkdtempSync(join(tmpdir(), 'spyglass-thread-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const control = join(dir, 'control');
const setMode = (mode: string) => writeFileSync(control, mode);
const MODULE = pathToFileURL(fixture('collectors/threaded.mjs')).href;

function startThread(overrides: Partial<ThreadSetup> = {}) {
  const logs: Array<{ level: string; obj: unknown; msg?: string }> = [];
  const skipped = new Map<string, number>();
  const at = (level: string) => (obj: unknown, msg?: string) => logs.push({ level, obj, ...(msg === undefined ? {} : { msg }) });
  const setup: ThreadSetup = {
    module: MODULE,
    name: 'threaded',
    options: { control, items: 3 },
    timeoutMs: 1000,
    maxSeries: undefined,
    builtin: false,
    sampleTimestamps: false,
    paths: { procfs: '/proc', sysfs: '/sys', rootfs: '/', udevData: '/run/udev/data' },
    debug: false,
    heapLimitMb: 256,
    ...overrides,
  };
  const thread = new CollectorThread(setup, { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, (reason, n) =>
    skipped.set(reason, (skipped.get(reason) ?? 0) + n),
  );
  return { thread, logs, skipped };
}

/** Runs `test` against a fresh thread, which is closed afterwards whatever happens. */
async function inThread(overrides: Partial<ThreadSetup>, test: (t: ReturnType<typeof startThread>) => Promise<void>): Promise<void> {
  const t = startThread(overrides);
  try {
    await test(t);
  } finally {
    t.thread.close();
  }
}

const valueIn = (body: Buffer | undefined, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(body?.toString() ?? '')?.[1]);

describe('collector in a worker thread', () => {
  it('runs in a thread of its own that keeps the state, and hands back the formats asked for, rendered', async () => {
    setMode('ok');
    await inThread({}, async ({ thread }) => {
      const first = await thread.run(['prometheus'], {});
      assert.equal(first.result, 'success');
      const r = first.rendered;
      assert.ok(r);
      assert.deepEqual(Object.keys(r.bodies), ['prometheus']);
      assert.ok(valueIn(r.bodies.prometheus, 'threaded_thread_id') > 0, 'not the main thread (thread id 0)');
      assert.deepEqual(r.familyNames.sort(), ['threaded_item', 'threaded_runs_total', 'threaded_thread_id']);
      assert.equal(r.series, 5);
      const expected = renderFamiliesToBuffer(
        [{ name: 'threaded_item', help: 'One series per item.', type: 'gauge', samples: [0, 1, 2].map((i) => ({ labels: { item: String(i) }, value: i })) }],
        { format: 'prometheus', timestamps: false, defaultTimestampMs: 0 },
      ).toString();
      assert.ok(r.bodies.prometheus?.toString().startsWith(expected), 'same bytes the main thread renders');
      const second = await thread.run(['prometheus', 'openmetrics'], {});
      assert.equal(valueIn(second.rendered?.bodies.prometheus, 'threaded_runs_total'), 2, 'state kept between runs');
      assert.match(second.rendered?.bodies.openmetrics?.toString() ?? '', /^threaded_runs_total 2$/m);
    });
  });

  it('renders into the memory handed to it, which moves to the thread', async () => {
    setMode('ok');
    await inThread({}, async ({ thread }) => {
      const first = await thread.run(['prometheus'], {});
      const spare = first.rendered?.storage.prometheus;
      assert.ok(spare && spare.length >= (first.rendered?.bodies.prometheus?.length ?? Infinity));
      const second = await thread.run(['prometheus'], { prometheus: spare });
      assert.equal(spare.buffer.byteLength, 0, 'moved, not copied: detached here');
      assert.equal(valueIn(second.rendered?.bodies.prometheus, 'threaded_runs_total'), 2);
    });
  });

  it('renders the last run in another format on demand; an earlier run is refused once a newer one finished', async () => {
    setMode('ok');
    await inThread({}, async ({ thread }) => {
      const first = await thread.run([], {});
      assert.deepEqual(first.rendered?.bodies, {});
      const runId = first.rendered?.runId as number;
      const om = await thread.render(runId, 'openmetrics');
      assert.match(om.toString(), /^# TYPE threaded_runs counter$/m);
      await thread.run([], {});
      await assert.rejects(thread.render(runId, 'prometheus'), /is no longer the last one/);
    });
  });

  it('forwards skipped items and log lines; a failing run, a reserved name and the series cap are reported as on the main thread', async () => {
    await inThread({ maxSeries: 4 }, async ({ thread, logs, skipped }) => {
      setMode('skip');
      const skippedRun = await thread.run(['prometheus'], {});
      assert.equal(skippedRun.result, 'success');
      assert.deepEqual([...skipped], [['malformed', 1]]);
      assert.deepEqual(logs, [{ level: 'warn', obj: { item: 0 }, msg: 'left an item out' }]);
      assert.equal(skippedRun.rendered?.dropped, 1, 'one whole item over the cap of 4');
      assert.equal(skippedRun.rendered?.series, 4);
      setMode('throw');
      assert.deepEqual(pick(await thread.run(['prometheus'], {})), { result: 'error', error: 'collector failed on purpose', rendered: undefined });
      setMode('reserved');
      assert.deepEqual(pick(await thread.run(['prometheus'], {})), {
        result: 'error',
        error: "metric family spyglass_threaded uses a prefix reserved for spyglass's own metrics",
        rendered: undefined,
      });
    });
  });

  it('gives up on a thread stuck in synchronous code and starts a fresh one for the next run', async () => {
    await inThread({ timeoutMs: 300 }, async ({ thread, logs }) => {
      setMode('ok');
      await thread.run(['prometheus'], {});
      setMode('hang');
      const started = performance.now();
      const stuck = await thread.run(['prometheus'], {});
      const waited = performance.now() - started;
      assert.equal(stuck.result, 'timeout');
      assert.match(stuck.error ?? '', /did not answer within 2300 ms; restarted it/);
      assert.ok(waited >= 2300 && waited < 4000, `answered after ${waited} ms`);
      await stuck.settled;
      assert.ok(logs.some((l) => l.level === 'error' && l.msg === 'collector thread stuck; restarting it'));
      setMode('ok');
      const fresh = await thread.run(['prometheus'], {});
      assert.equal(fresh.result, 'success');
      assert.equal(valueIn(fresh.rendered?.bodies.prometheus, 'threaded_runs_total'), 1, 'fresh state');
    });
  });

  it('reports a thread that ends, runs out of its heap, or lacks the collector, as a failed run', async () => {
    await inThread({}, async ({ thread }) => {
      setMode('exit');
      const ended = await thread.run(['prometheus'], {});
      assert.deepEqual(pick(ended), { result: 'error', error: 'collector thread ended: exit code 3', rendered: undefined });
      await ended.settled;
      setMode('ok');
      assert.equal((await thread.run(['prometheus'], {})).result, 'success', 'started again');
    });
    await inThread({ heapLimitMb: 32 }, async ({ thread }) => {
      setMode('hog');
      const outOfMemory = await thread.run(['prometheus'], {});
      assert.equal(outOfMemory.result, 'error');
      assert.match(outOfMemory.error ?? '', /collector thread ended: .*memory limit/);
      await outOfMemory.settled;
      setMode('ok');
      const fresh = await thread.run(['prometheus'], {});
      assert.equal(fresh.result, 'success', 'a fresh thread, within its limit, for the next run');
      assert.equal(valueIn(fresh.rendered?.bodies.prometheus, 'threaded_runs_total'), 1, 'the fresh thread starts with fresh state');
    });
    await inThread({ name: 'other' }, async ({ thread }) => {
      const failed = await thread.run(['prometheus'], {});
      assert.equal(failed.result, 'error');
      assert.match(failed.error ?? '', /collector thread ended: .*threaded\.mjs does not export the collector other/);
    });
  });
});

describe('spyglass serve with a collector in a worker thread', () => {
  it('serves it in both formats, and keeps answering scrapes while the collector is stuck in synchronous code', async () => {
    setMode('ok');
    const config = join(dir, 'threaded.yml');
    writeFileSync(
      config,
      `collector_modules: [${JSON.stringify(fixture('collectors/threaded.mjs'))}]\ncollectors:\n  threaded: {interval: 1s, timeout: 500ms, control: ${JSON.stringify(control)}}\n`,
    );
    const spyglass = await startSpyglass([`--config.file=${config}`, '--collector.disable-defaults', '--collector.threaded']);
    try {
      const openMetrics = await (await fetch(`${spyglass.base}/metrics`, { headers: { accept: 'application/openmetrics-text;version=1.0.0' } })).text();
      assert.match(openMetrics, /^# TYPE threaded_runs counter\n# HELP [^\n]*\nthreaded_runs_total \d+$/m, 'rendered in the thread on first request');
      assert.ok(openMetrics.endsWith('# EOF\n'));
      const text = await (await fetch(`${spyglass.base}/metrics`)).text();
      assert.ok(Number(parseExposition(text).get('threaded_thread_id')?.samples[0]?.value) > 0);

      setMode('hang');
      await new Promise((r) => setTimeout(r, 1500));
      const slowest = await slowestOf(10, async () => (await fetch(`${spyglass.base}/metrics`)).status);
      assert.ok(slowest.ms < 500, `a scrape took ${slowest.ms} ms while the collector hung`);
      setMode('ok');
      const deadline = Date.now() + 10_000;
      let metrics = '';
      while (Date.now() < deadline) {
        metrics = await (await fetch(`${spyglass.base}/metrics`)).text();
        if (/^spyglass_collector_runs_total\{collector="threaded",result="timeout"\} [1-9]/m.test(metrics) && /^threaded_runs_total/m.test(metrics)) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.match(metrics, /^spyglass_collector_runs_total\{collector="threaded",result="timeout"\} [1-9]/m);
      assert.match(metrics, /^threaded_runs_total \d+$/m, 'back after the thread was started again');
      assert.match(spyglass.logs(), /collector thread stuck; restarting it/);
    } finally {
      setMode('ok');
      assert.equal(await spyglass.stop(), 0);
    }
  });
});

function pick(o: { result: string; error?: string; rendered?: unknown }) {
  return { result: o.result, error: o.error, rendered: o.rendered };
}

async function slowestOf(n: number, request: () => Promise<number>): Promise<{ ms: number }> {
  let ms = 0;
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    assert.equal(await request(), 200);
    ms = Math.max(ms, performance.now() - started);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { ms };
}
