import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CollectorDefinition } from '../../src/collector.js';
import type { CollectorSettings } from '../../src/config/load.js';
import { nextSlotMs, parseSchedule, phaseOffsetMs } from '../../src/scheduler/schedule.js';
import { runCollector } from '../../src/scheduler/run.js';
import { Scheduler, type Plan, type ScheduledJob } from '../../src/scheduler/scheduler.js';

const paths = { procfs: '/proc', sysfs: '/sys', rootfs: '/', udevData: '/run/udev/data' };
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const settings = (collect: CollectorDefinition['collect'], timeoutMs = 200): CollectorSettings => ({
  definition: { name: 't', description: 't', enabledByDefault: true, collect },
  enabled: true,
  schedule: { kind: 'interval', ms: 1000, text: '1s' },
  timeoutMs,
  phaseLock: false,
  followScrapes: false,
  sampleTimestamps: false,
  maxSeries: undefined,
  options: {},
  builtin: false,
});

describe('one run', () => {
  it('abandons a run past its deadline, aborts its signal, and reports a timeout', async () => {
    let signal: AbortSignal | undefined;
    const o = await runCollector({ settings: settings((ctx) => ((signal = ctx.signal), new Promise(() => {})), 100), paths, logger: quiet, state: undefined });
    assert.equal(o.result, 'timeout');
    assert.ok(o.durationMs >= 95 && o.durationMs < 1000, `took ${o.durationMs} ms`);
    assert.equal(signal?.aborted, true);
  });

  it('turns a throw (sync or async) into an error outcome', async () => {
    const sync = await runCollector({
      settings: settings(() => {
        throw new Error('sync boom');
      }),
      paths,
      logger: quiet,
      state: undefined,
    });
    assert.deepEqual([sync.result, sync.error], ['error', 'sync boom']);
    const asyncErr = await runCollector({
      settings: settings(async () => {
        throw new Error('async boom');
      }),
      paths,
      logger: quiet,
      state: undefined,
    });
    assert.deepEqual([asyncErr.result, asyncErr.error], ['error', 'async boom']);
  });

  it('rejects invalid metric families from a collector', async () => {
    const o = await runCollector({
      settings: settings(() => [{ name: '1bad', help: '', type: 'gauge', samples: [] }]),
      paths,
      logger: quiet,
      state: undefined,
    });
    assert.equal(o.result, 'error');
    assert.match(o.error ?? '', /invalid metric name/);
  });
});

describe('schedules', () => {
  it('parses intervals and cron expressions and rejects the rest', () => {
    assert.deepEqual(parseSchedule('1m30s'), { kind: 'interval', ms: 90000, text: '1m30s' });
    assert.equal((parseSchedule('*/5 * * * * *') as { kind: string }).kind, 'cron');
    assert.ok('error' in parseSchedule('500ms'));
    assert.ok('error' in parseSchedule('* * *'));
  });

  it('spreads phases over the interval, stably', () => {
    const names = Array.from({ length: 40 }, (_, i) => `collector${i}`);
    const phases = new Set(names.map((n) => phaseOffsetMs(n, 15000)));
    assert.ok(phases.size >= 10, `only ${phases.size} distinct phases`);
    assert.equal(phaseOffsetMs('cpu', 15000), phaseOffsetMs('cpu', 15000));
    assert.equal(nextSlotMs(10_000, 15_000, 3_000), 18_000);
    assert.equal(nextSlotMs(18_000, 15_000, 3_000), 33_000);
  });
});

describe('scheduler', () => {
  it('runs every job at start, then on its interval, counting ticks that find it busy as skipped', async () => {
    const runs: number[] = [];
    let skipped = 0;
    let busy = false;
    const job: ScheduledJob = {
      name: 'slow',
      schedule: { kind: 'interval', ms: 1000, text: '1s' },
      busy: () => busy,
      skipped: () => void skipped++,
      async run() {
        runs.push(Date.now());
        busy = true;
        setTimeout(() => (busy = false), 2500); // each run stays busy across two more ticks
      },
    };
    const s = new Scheduler([job]);
    await s.start();
    assert.equal(runs.length, 1, 'first run at start-up');
    await new Promise((r) => setTimeout(r, 5200));
    s.stop();
    assert.ok(runs.length >= 2 && runs.length <= 3, `runs: ${runs.length}`);
    assert.ok(skipped >= 2, `skipped: ${skipped}`);
    for (let i = 1; i < runs.length; i++) assert.ok((runs[i] as number) - (runs[i - 1] as number) >= 2400, 'no overlapping runs');
  });

  it('follows a changed plan at once when told to replan, and sleeps while nothing is due', async () => {
    const runs: number[] = [];
    const job: ScheduledJob = {
      name: 'follower',
      schedule: { kind: 'interval', ms: 60_000, text: '60s' },
      busy: () => false,
      skipped: () => undefined,
      async run() {
        runs.push(Date.now());
      },
    };
    let plan: Plan = { intervalMs: 60_000, offsetMs: 0 };
    const s = new Scheduler([job], () => plan);
    await s.start();
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal(runs.length, 1, 'only the start-up run within a 60 s plan');
    plan = { intervalMs: 1000, offsetMs: 500 };
    s.replan();
    await new Promise((r) => setTimeout(r, 3100));
    s.stop();
    assert.ok(runs.length >= 4 && runs.length <= 5, `runs: ${runs.length}`);
    for (const at of runs.slice(1)) assert.ok(Math.abs((at % 1000) - 500) < 100, `run at ${at % 1000} ms into the second, planned at 500`);
  });

  it('drives cron-expression schedules through node-cron', async () => {
    let runs = 0;
    const job: ScheduledJob = {
      name: 'cron',
      schedule: { kind: 'cron', expression: '* * * * * *', text: '* * * * * *' },
      busy: () => false,
      skipped: () => undefined,
      async run() {
        runs++;
      },
    };
    const s = new Scheduler([job]);
    await s.start();
    await new Promise((r) => setTimeout(r, 2600));
    s.stop();
    assert.ok(runs >= 3 && runs <= 4, `runs: ${runs} (1 at start + one per second)`);
  });
});
