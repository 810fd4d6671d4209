import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { gauge, type MetricFamily } from '../src/metrics/model.js';
import { renderFamilies } from '../src/metrics/render.js';

const text = (f: MetricFamily[]) => renderFamilies(f, { format: 'prometheus', timestamps: false, defaultTimestampMs: 1700000000123 });

describe('text exposition and promtool', () => {
  it('produces output promtool accepts for random families', () => {
    // Names are fixed (promtool also lints naming style); the property is about HELP, label values and numbers.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.string({ unit: 'binary' }), { minLength: 1, maxLength: 4 }), fc.double(), (n, values, v) => {
        const names = Array.from({ length: n }, (_, i) => `test_family_number_${i}`);
        const families = names.map((n) =>
          gauge(
            n,
            `help for ${values[0]}`,
            values.map((lv, i) => ({ labels: { l: lv, i: String(i) }, value: v })),
          ),
        );
        const r = spawnSync('promtool', ['check', 'metrics'], { input: text(families) });
        assert.equal(r.error, undefined, 'promtool must be installed (see .ci/run)');
        assert.equal(r.status, 0, `promtool rejected:\n${text(families)}\n${r.stdout}${r.stderr}`);
      }),
      { numRuns: 25 },
    );
  });
});
