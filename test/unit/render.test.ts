import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { escapeLabelValue, formatValue } from '../../src/metrics/escape.js';
import { counter, gauge, untyped, type MetricFamily } from '../../src/metrics/model.js';
import { ByteWriter } from '../../src/metrics/byte-writer.js';
import { renderFamilies, renderFamiliesInSlices } from '../../src/metrics/render.js';

const text = (f: MetricFamily[], timestamps = false) => renderFamilies(f, { format: 'prometheus', timestamps, defaultTimestampMs: 1700000000123 });
const om = (f: MetricFamily[], timestamps = false) => renderFamilies(f, { format: 'openmetrics', timestamps, defaultTimestampMs: 1700000000123 });

/** Inverse of the encoder's label escaping, as Prometheus' parser reads it. */
function unescapeLabel(s: string): string {
  return s.replace(/\\(\\|"|n)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

describe('text exposition', () => {
  it('escapes label values and HELP exactly', () => {
    const out = text([gauge('x', 'a \\ back\nslash "q"', [{ labels: { path: 'C:\\dir\n"x"' }, value: 1 }])]);
    assert.equal(out, '# HELP x a \\\\ back\\nslash "q"\n# TYPE x gauge\nx{path="C:\\\\dir\\n\\"x\\""} 1\n');
  });

  it('spells NaN and infinities the way Prometheus parses them', () => {
    assert.deepEqual([NaN, Infinity, -Infinity, 0, -0, 1e21, 1.5e-7].map(formatValue), ['NaN', '+Inf', '-Inf', '0', '0', '1e+21', '1.5e-7']);
  });

  it('orders families by name and samples by labels, whatever the input order', () => {
    const a = [
      gauge('b', 'h', [
        { labels: { x: '2' }, value: 2 },
        { labels: { x: '1' }, value: 1 },
      ]),
      gauge('a', 'h', [{ value: 0 }]),
    ];
    assert.equal(text(a), '# HELP a h\n# TYPE a gauge\na 0\n# HELP b h\n# TYPE b gauge\nb{x="1"} 1\nb{x="2"} 2\n');
    assert.equal(text([...a].reverse()), text(a));
  });

  it('sorts label names inside a sample', () => {
    assert.match(text([gauge('g', 'h', [{ labels: { z: '1', a: '2' }, value: 1 }])]), /g\{a="2",z="1"\} 1/);
  });

  it('keeps untyped untyped and skips families without samples', () => {
    assert.equal(text([untyped('u', 'h', [{ value: 3 }]), gauge('empty', 'h', [])]), '# HELP u h\n# TYPE u untyped\nu 3\n');
  });

  it('stamps counters and histograms, not gauges, in milliseconds', () => {
    const out = text([counter('c_total', 'h', [{ value: 1 }]), gauge('g', 'h', [{ value: 1 }])], true);
    assert.match(out, /^c_total 1 1700000000123$/m);
    assert.match(out, /^g 1$/m);
  });

  it('renders histograms with cumulative buckets, +Inf, _sum and _count', () => {
    const h: MetricFamily = {
      name: 'lat_seconds',
      help: 'h',
      type: 'histogram',
      samples: [
        {
          labels: { t: 'a' },
          buckets: [
            [0.1, 1],
            [1, 3],
          ],
          sum: 2.5,
          count: 4,
        },
      ],
    };
    assert.equal(
      text([h]),
      '# HELP lat_seconds h\n# TYPE lat_seconds histogram\n' +
        'lat_seconds_bucket{t="a",le="0.1"} 1\nlat_seconds_bucket{t="a",le="1"} 3\nlat_seconds_bucket{t="a",le="+Inf"} 4\n' +
        'lat_seconds_sum{t="a"} 2.5\nlat_seconds_count{t="a"} 4\n',
    );
  });

  it('renders the same bytes with and without the labels cache, run after run', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ a: fc.string({ unit: 'binary' }), b: fc.constantFrom('x', 'y\n', 'z"') }), { minLength: 1, maxLength: 30 }),
        fc.float({ noNaN: true }),
        (labelSets, v) => {
          const families: MetricFamily[] = [
            gauge(
              'test_g',
              'g',
              labelSets.map((labels, i) => ({ labels, value: i + v })),
            ),
            {
              name: 'test_h',
              help: 'h',
              type: 'histogram',
              samples: labelSets.slice(0, 3).map((labels) => ({
                labels,
                buckets: [
                  [1, 1],
                  [Infinity, 2],
                ],
                sum: 3,
                count: 2,
              })),
            },
          ];
          for (const format of ['prometheus', 'openmetrics'] as const) {
            const plain = renderFamilies(families, { format, timestamps: false, defaultTimestampMs: 0 });
            const cached = () => renderFamilies(families, { format, timestamps: false, defaultTimestampMs: 0, cacheLabels: true });
            assert.equal(cached(), plain);
            assert.equal(cached(), plain, 'again, from the cache');
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it('round-trips any label value through escaping', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (v) => {
        const esc = escapeLabelValue(v);
        assert.ok(!/(^|[^\\])(\\\\)*"/.test(esc), 'no bare double quote');
        assert.ok(!esc.includes('\n'));
        assert.equal(unescapeLabel(esc), v);
      }),
    );
  });
});

describe('OpenMetrics exposition', () => {
  it('names counter families without _total, adds UNIT when the name ends with it, escapes quotes in HELP', () => {
    const out = om([counter('req_seconds_total', 'say "hi"', [{ value: 2 }], 'seconds')], true);
    assert.equal(out, '# TYPE req_seconds counter\n# UNIT req_seconds seconds\n# HELP req_seconds say \\"hi\\"\nreq_seconds_total 2 1700000000.123\n');
  });

  it('exposes counters without _total and untyped as unknown, keeping sample names', () => {
    const out = om([counter('odd_counter', 'h', [{ value: 1 }]), untyped('u', 'h', [{ value: 1 }])]);
    assert.match(out, /# TYPE odd_counter unknown\n# HELP odd_counter h\nodd_counter 1\n/);
    assert.match(out, /# TYPE u unknown\n/);
  });
});

describe('rendering in slices', () => {
  it('gives the same bytes as one synchronous render, in many turns of the event loop', async () => {
    const shared = { id: '/kubepods/pod1', pod: 'web-1' };
    const families: MetricFamily[] = [
      counter(
        'big_total',
        'many series',
        Array.from({ length: 3000 }, (_, i) => ({ labels: i % 2 ? shared : { id: `/c${i}`, pod: `p"${i}` }, value: i })),
      ),
      gauge('small', 'one', [{ labels: { a: 'x\ny' }, value: 0.5 }]),
      {
        name: 'lat_seconds',
        help: 'h',
        type: 'histogram',
        samples: [
          {
            labels: { t: 'a' },
            buckets: [
              [0.1, 1],
              [1, 3],
            ],
            sum: 2.5,
            count: 4,
          },
        ],
      },
      { name: 'q', help: 'h', type: 'summary', samples: [{ quantiles: [[0.5, 1]], sum: 3, count: 2 }] },
    ];
    for (const format of ['prometheus', 'openmetrics'] as const) {
      const opts = { format, timestamps: true, defaultTimestampMs: 1700000000123 };
      let turns = 0;
      const sliced = await renderFamiliesInSlices(families, opts, () => {
        turns++;
        return Promise.resolve();
      });
      assert.equal(sliced.toString('utf8'), renderFamilies(families, opts));
      assert.ok(turns > 3000 / 250, `${turns} turns`);
    }
  });

  it('writes whole numbers digit by digit exactly as formatValue spells every value', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.integer(), fc.maxSafeNat(), fc.constantFrom(0, -0, 2 ** 53, 2 ** 53 + 2, 1e21, 9007199254740991)), (v) => {
        const out = new ByteWriter();
        out.number(v, formatValue);
        assert.equal(out.finish().toString(), formatValue(v));
      }),
      { numRuns: 2000 },
    );
  });

  it('grows its buffer past the size hint and keeps every byte', () => {
    const out = new ByteWriter(10);
    const line = Buffer.from('x{a="ü"} ');
    for (let i = 0; i < 5000; i++) {
      out.bytes(line);
      out.number(i, formatValue);
      out.text(' ☃');
      out.byte(10);
    }
    const lines = out.finish().toString().split('\n');
    assert.equal(lines[4999], 'x{a="ü"} 4999 ☃');
  });

  it('sorts again when the same labels objects come in another order; reuses the order only for the same sequence', () => {
    const labels = Array.from({ length: 600 }, (_, i) => ({ id: `/c${String(i).padStart(4, '0')}` }));
    const family = (order: typeof labels) => [
      gauge(
        'reorder_test',
        'h',
        order.map((l) => ({ labels: l, value: Number(l.id.slice(2)) })),
      ),
    ];
    const sorted = text(family(labels));
    const shuffled = [...labels].reverse();
    assert.equal(text(family(shuffled)), sorted);
    assert.equal(text(family(shuffled)), sorted, 'the remembered order of the reversed sequence');
    const swapped = [...shuffled];
    [swapped[0], swapped[599]] = [swapped[599] as (typeof labels)[number], swapped[0] as (typeof labels)[number]];
    assert.equal(text(family(swapped)), sorted, 'one swap is another sequence');
    assert.equal(text(family(labels.slice(1))), sorted.replace('reorder_test{id="/c0000"} 0\n', ''), 'a sample fewer');
  });

  it('renders a labels object once and reuses it; a new object with other values renders anew', () => {
    const labels = { id: '/a' };
    const first = text([gauge('g', 'h', [{ labels, value: 1 }])]);
    assert.equal(text([gauge('g', 'h', [{ labels, value: 2 }])]), first.replace('} 1', '} 2'));
    assert.match(text([gauge('g', 'h', [{ labels: { id: '/b' }, value: 1 }])]), /g\{id="\/b"\} 1/);
  });
});
