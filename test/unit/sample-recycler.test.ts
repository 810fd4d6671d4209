import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SampleRecycler } from '../../src/metrics/sample-recycler.js';

const A = { id: 'a' };
const B = { id: 'b' };

/** One run as a collector makes it: a family's samples from the recycler. */
function run(recycler: SampleRecycler, values: Array<[typeof A, number]>) {
  recycler.nextRun();
  const list = recycler.list('f');
  for (const [labels, value] of values) list.add(labels, value);
  return list.samples();
}

describe('sample recycler', () => {
  it('hands a run the objects of the run before last, leaving the previous run as returned', () => {
    const recycler = new SampleRecycler();
    const first = run(recycler, [
      [A, 1],
      [B, 2],
    ]);
    const second = run(recycler, [
      [A, 3],
      [B, 4],
    ]);
    assert.notEqual(second, first);
    assert.deepEqual(
      first,
      [
        { labels: A, value: 1 },
        { labels: B, value: 2 },
      ],
      'the second run did not touch the first',
    );
    const firstObjects = [...first];
    const third = run(recycler, [[B, 5]]);
    assert.equal(third, first, 'the array of the run before last');
    assert.equal(third[0], firstObjects[0], 'and its sample objects');
    assert.deepEqual(third, [{ labels: B, value: 5 }], 'emptied first: one sample fewer is one sample fewer');
    assert.deepEqual(
      second,
      [
        { labels: A, value: 3 },
        { labels: B, value: 4 },
      ],
      'the run being served stays intact',
    );
    const fourth = run(recycler, [
      [A, 6],
      [B, 7],
      [A, 8],
    ]);
    assert.deepEqual(
      fourth,
      [
        { labels: A, value: 6 },
        { labels: B, value: 7 },
        { labels: A, value: 8 },
      ],
      'grows past what it held',
    );
  });

  it('keeps families apart', () => {
    const recycler = new SampleRecycler();
    recycler.nextRun();
    const f = recycler.list('f');
    const g = recycler.list('g');
    f.add(A, 1);
    g.add(B, 2);
    assert.deepEqual([f.samples(), g.samples()], [[{ labels: A, value: 1 }], [{ labels: B, value: 2 }]]);
  });
});
