/** The probe scheduler in real time: spread starts, the concurrency cap, no pile-up behind a hung target. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firstSlot, ProbeScheduler, type ScheduledTarget } from '../../collectors/probe/probe-scheduler.js';

test('first slots are spread over the interval and stable', () => {
  const now = 1_700_000_000_123;
  const slots = Array.from({ length: 200 }, (_, i) => firstSlot({ key: `t${i}`, intervalMs: 15_000 }, now) - now);
  assert.ok(slots.every((d) => d > 0 && d <= 15_000));
  const buckets = new Array(5).fill(0);
  for (const d of slots) buckets[Math.min(4, Math.floor(d / 3000))]++;
  assert.ok(
    buckets.every((n) => n >= 20),
    `starts per 3 s of the interval: ${buckets.join(', ')}`,
  );
  assert.equal(firstSlot({ key: 't7', intervalMs: 15_000 }, now), firstSlot({ key: 't7', intervalMs: 15_000 }, now + 1));
});

test('at most max_concurrent probes run; a hung target skips its slots instead of piling up', async () => {
  let inFlight = 0;
  let maxSeen = 0;
  const probes = new Map<string, number>();
  const skipped: string[] = [];
  const delays: number[] = [];
  const targets: ScheduledTarget[] = Array.from({ length: 12 }, (_, i) => ({ key: `t${i}`, intervalMs: 200 }));
  targets.push({ key: 'hung', intervalMs: 200 });
  const scheduler = new ProbeScheduler<ScheduledTarget>(3, {
    async probe(t, delayMs) {
      delays.push(delayMs);
      probes.set(t.key, (probes.get(t.key) ?? 0) + 1);
      inFlight++;
      maxSeen = Math.max(maxSeen, inFlight);
      await new Promise((r) => setTimeout(r, t.key === 'hung' ? 5000 : 20));
      inFlight--;
    },
    skipped: (t, why) => skipped.push(`${t.key}:${why}`),
  });
  scheduler.setTargets(targets);
  await new Promise((r) => setTimeout(r, 1100));
  scheduler.stop();
  assert.ok(maxSeen <= 3, `at most 3 at once, saw ${maxSeen}`);
  assert.equal(probes.get('hung'), 1, 'the hung target was started once');
  assert.ok(skipped.filter((s) => s === 'hung:busy').length >= 3, skipped.join(' '));
  for (let i = 0; i < 12; i++) assert.ok((probes.get(`t${i}`) ?? 0) >= 4, `t${i} probed ${probes.get(`t${i}`)} times in 5 intervals`);
});

test('changing the target set keeps unchanged targets and drops removed ones', async () => {
  const seen: string[] = [];
  const scheduler = new ProbeScheduler<ScheduledTarget>(10, { probe: async (t) => void seen.push(t.key), skipped: () => undefined });
  scheduler.setTargets([
    { key: 'a', intervalMs: 100 },
    { key: 'b', intervalMs: 100 },
  ]);
  await new Promise((r) => setTimeout(r, 250));
  scheduler.setTargets([{ key: 'a', intervalMs: 100 }]);
  const before = seen.filter((k) => k === 'b').length;
  await new Promise((r) => setTimeout(r, 250));
  scheduler.stop();
  assert.ok(before >= 2);
  assert.equal(seen.filter((k) => k === 'b').length, before, 'b is not probed once removed');
  assert.ok(seen.filter((k) => k === 'a').length >= 4);
});
