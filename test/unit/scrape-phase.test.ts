import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { followedIntervalMs, lockedOffsetMs, ScrapeTracker } from '../../src/scheduler/scrape-phase.js';

const T0 = 1_699_999_980_000; // a multiple of 60 s

describe('scrape tracker', () => {
  it('trusts a period after three steady intervals, per client', () => {
    const t = new ScrapeTracker();
    for (let i = 0; i < 2; i++) assert.equal(t.record('10.0.0.1', '', T0 + 3400 + i * 15000 + (i % 2) * 3), false);
    assert.deepEqual(t.scrapers(T0 + 25000), [], 'one interval is not enough');
    assert.equal(t.record('10.0.0.1', '', T0 + 3400 + 30000), true, 'the second steady interval makes the period known');
    assert.equal(t.record('10.0.0.1', '', T0 + 3400 + 45000), false, 'the same period again changes nothing');
    const [s] = t.scrapers(T0 + 50000);
    assert.ok(s && Math.abs(s.periodMs - 15000) <= 3);
    assert.equal(s.lastScrapeMs, T0 + 48400);
  });

  it('ignores irregular clients and forgets scrapers that stopped', () => {
    const t = new ScrapeTracker();
    for (const at of [0, 4000, 15000, 17000, 40000]) t.record('10.0.0.2', '', T0 + at);
    assert.deepEqual(t.scrapers(T0 + 41000), []);
    for (let i = 0; i < 5; i++) t.record('10.0.0.3', 'collect[]=cpu', T0 + i * 10000);
    assert.equal(t.scrapers(T0 + 45000).length, 1);
    assert.equal(t.scrapers(T0 + 40000 + 31000).length, 0, 'gone after three periods of silence');
  });

  it('ignores bursts (benchmarks, retries) under half a second apart', () => {
    const t = new ScrapeTracker();
    for (let i = 0; i < 100; i++) t.record('10.0.0.4', '', T0 + i);
    assert.deepEqual(t.scrapers(T0 + 200), []);
  });
});

describe('locked offset', () => {
  it('runs `lead` before the scrape phase', () => {
    // Scrapes at …3.4 s within every 10 s; lead 1 s: run at 2.4 s.
    assert.equal(lockedOffsetMs(10000, [{ periodMs: 10000, lastScrapeMs: T0 + 3400 }], 1000), 2400);
    assert.equal(lockedOffsetMs(10000, [{ periodMs: 10000, lastScrapeMs: T0 + 400 }], 1000), 9400, 'wraps around');
  });

  it('locks collectors whose interval divides the scrape period, and only those', () => {
    const scraper = { periodMs: 30002, lastScrapeMs: T0 + 12500 };
    assert.equal(lockedOffsetMs(15000, [scraper], 1000), 11500);
    assert.equal(lockedOffsetMs(10000, [scraper], 1000), 1500);
    assert.equal(lockedOffsetMs(20000, [scraper], 1000), undefined);
    assert.equal(lockedOffsetMs(60000, [scraper], 1000), undefined, 'a collector slower than the scrapes cannot serve each');
  });

  it('with two scrapers, runs before the one that follows the longest gap', () => {
    // Phases 2 s and 4 s within 10 s: the longest gap (8 s) ends at 2 s.
    const scrapers = [
      { periodMs: 10000, lastScrapeMs: T0 + 4000 },
      { periodMs: 10000, lastScrapeMs: T0 + 2000 },
    ];
    assert.equal(lockedOffsetMs(10000, scrapers, 1000), 1000);
  });
});

describe('followed interval', () => {
  const at = (periodMs: number) => ({ periodMs, lastScrapeMs: T0 });
  it('is the period of one scraper, or what serves all of several', () => {
    assert.equal(followedIntervalMs([], 1000), undefined, 'none known: the collector keeps its own interval');
    assert.equal(followedIntervalMs([at(5003)], 1000), 5000, 'measured with jitter, taken in whole seconds');
    assert.equal(followedIntervalMs([at(15000), at(60000)], 1000), 15000);
    assert.equal(followedIntervalMs([at(10000), at(15000)], 1000), 5000);
  });

  it('never runs more often than the floor', () => {
    assert.equal(followedIntervalMs([at(5000)], 10000), 10000);
    assert.equal(followedIntervalMs([at(10000), at(15000)], 7000), 10000, 'the first multiple of the common period at or above the floor');
  });
});
