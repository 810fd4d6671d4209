import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { globSegmentToRegExp } from '../../collectors/textfile/glob.js';
import { parseTextFormat } from '../../src/metrics/parse-text.js';
import { renderFamilies } from '../../src/metrics/render.js';
import { GOOD_B } from '../helpers/text-samples.js';

describe('text format parser', () => {
  it('reads every type and round-trips through the encoder', () => {
    const r = parseTextFormat(GOOD_B, 'b.prom');
    assert.ok(r.ok);
    const again = parseTextFormat(renderFamilies(r.value.families, { format: 'prometheus', timestamps: false, defaultTimestampMs: 0 }), 'again');
    assert.ok(again.ok);
    assert.deepEqual(again.value.families.map((f) => [f.name, f.type]).sort(), r.value.families.map((f) => [f.name, f.type]).sort());
    assert.equal(r.value.families.find((f) => f.name === 'not_typed')?.samples[0]?.labels?.path, 'a "q" \\ b');
  });

  it('rejects what Prometheus rejects, naming file and line', () => {
    const bad: Array<[string, RegExp]> = [
      ['# TYPE x gauge\n# TYPE x counter\nx 1\n', /^f:2: second TYPE line/],
      ['x 1\n# TYPE x gauge\n', /^f:2: second TYPE line for metric name x, or TYPE reported after samples/],
      ['# HELP x a\n# HELP x b\n', /^f:2: second HELP line/],
      ['x{a="1",a="2"} 1\n', /duplicate label name a/],
      ['x{a="1"} 1\nx{a="1"} 2\n', /^f:2: duplicate sample/],
      ['x 1 2 3\n', /expected a value/],
      ['x abc\n', /invalid value/],
      ['x{a="\\q"} 1\n', /invalid escape/],
      ['x{a="1} 1\n', /unterminated label value|expected , or }/],
      ['# TYPE x wibble\n', /unknown metric type/],
      ['# TYPE h histogram\nh_bucket 1\n', /needs a numeric le label/],
      ['1x 2\n', /invalid metric name/],
    ];
    for (const [text, re] of bad) {
      const r = parseTextFormat(text, 'f');
      assert.ok(!r.ok, `accepted: ${text}`);
      assert.match(r.error, re);
    }
    const stamped = parseTextFormat('x 1 1700000000000\n', 'f');
    assert.ok(stamped.ok && stamped.value.hasTimestamps);
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => void parseTextFormat(s, 'f')),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('# TYPE x histogram\n', 'x_bucket{le="1"} 1\n', 'x_sum 1\n', 'x_count 2\n', 'x{a="b"} 1\n', '# HELP x h\n', '\n', 'x 1 2\n'), {
          maxLength: 12,
        }),
        (parts) => void parseTextFormat(parts.join(''), 'f'),
      ),
    );
  });
});

describe('textfile directory globs', () => {
  it('translates Go glob segments', () => {
    assert.ok(globSegmentToRegExp('*.d')?.test('.hidden.d'), 'Go * matches a leading dot');
    assert.ok(globSegmentToRegExp('a?c')?.test('abc'));
    assert.equal(globSegmentToRegExp('[^x]y')?.test('xy'), false);
    assert.ok(globSegmentToRegExp('\\*')?.test('*'));
    assert.equal(globSegmentToRegExp('[abc'), undefined);
    fc.assert(fc.property(fc.string(), (s) => void globSegmentToRegExp(s)));
  });
});
