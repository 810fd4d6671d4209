import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { counter, gauge, seriesCount } from '../../src/metrics/model.js';
import { capSeries } from '../../src/metrics/series-cap.js';

const families = () => [
  counter('c_total', 'c', [
    { labels: { id: '/' }, value: 1 },
    { labels: { id: '/a' }, value: 2 },
    { labels: { id: '/b' }, value: 3 },
  ]),
  gauge('g', 'g', [{ labels: { id: '/' }, value: 1 }, { labels: { id: '/a' }, value: 2 }, { labels: { id: '/b' }, value: 3 }, { value: 9 }]),
];

describe('series cap (max_series)', () => {
  it('keeps whole items in order of appearance and counts what it drops', async () => {
    const { families: kept, dropped } = await capSeries(families(), 5, 'id');
    assert.equal(dropped, 2);
    assert.equal(seriesCount(kept), 5);
    const ids = kept.flatMap((f) => f.samples.map((s) => s.labels?.id ?? '-'));
    assert.deepEqual(ids, ['/', '/a', '/', '/a', '-'], 'item /b goes whole; the sample without the label stays');
  });

  it('without a group label drops the last samples; under the cap changes nothing', async () => {
    assert.equal((await capSeries(families(), 3)).dropped, 4);
    assert.deepEqual(
      (await capSeries(families(), 3)).families.map((f) => f.samples.length),
      [3],
    );
    const all = families();
    assert.equal((await capSeries(all, 7, 'id')).families, all);
    assert.equal((await capSeries(all, undefined, 'id')).dropped, 0);
  });

  it('gives the event loop turns over large sets and keeps the same series as without them', async () => {
    const many = () => [
      gauge(
        'g',
        'g',
        Array.from({ length: 20_000 }, (_, i) => ({ labels: { id: `/${i % 7000}` }, value: i })),
      ),
    ];
    let turns = 0;
    const sliced = await capSeries(many(), 9000, 'id', () => {
      turns++;
      return undefined;
    });
    const whole = await capSeries(many(), 9000, 'id');
    assert.ok(turns >= 8, `${turns} turns offered`);
    assert.deepEqual(sliced, whole);
    assert.equal(sliced.dropped, 20_000 - seriesCount(sliced.families));
  });
});
