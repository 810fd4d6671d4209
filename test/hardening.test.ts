import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import textfile from '../collectors/textfile/textfile.js';
import type { MetricFamily } from '../src/metrics/model.js';
import { renderFamilies } from '../src/metrics/render.js';
import { runCollector } from '../src/scheduler/run.js';
import { runCli, sampleValue, startSpyglass } from './helpers/spyglass.js';

const dir = mkdtempSync(join(tmpdir(), 'spyglass-hardening-'));

describe('hostile collector modules', () => {
  it('refuses a module that loops at import, at start and on reload, and keeps serving', { timeout: 60_000 }, async () => {
    const looping = join(dir, 'looping.mjs');
    writeFileSync(looping, 'for (;;) {}\nexport default {};\n');
    const bad = join(dir, 'bad.yml');
    writeFileSync(bad, `collector_modules: [${JSON.stringify(looping)}]\n`);
    const started = performance.now();
    const check = await runCli(['check-config', bad]);
    assert.equal(check.code, 1);
    assert.match(check.stderr + check.stdout, /cannot load collector module .*looping\.mjs: its top-level code did not finish within 5000 ms/);
    assert.ok(performance.now() - started < 15_000);

    const config = join(dir, 'spyglass.yml');
    writeFileSync(config, 'collectors: {}\n');
    const s = await startSpyglass([`--config.file=${config}`, '--collector.disable-defaults', '--collector.loadavg']);
    try {
      writeFileSync(config, `collector_modules: [${JSON.stringify(looping)}]\n`);
      const reload = fetch(`${s.base}/-/reload`, { method: 'POST' });
      await new Promise((r) => setTimeout(r, 1000));
      const health = await fetch(`${s.base}/healthz`, { signal: AbortSignal.timeout(1000) });
      assert.equal(health.status, 200, 'the process answers while the module is being tried');
      const res = await reload;
      assert.equal(res.status, 500);
      assert.match(await res.text(), /did not finish within 5000 ms/);
      assert.match(await (await fetch(`${s.base}/metrics`)).text(), /^node_load1 /m, 'the old config still serves');
      assert.equal(await s.stop(), 0, 'SIGTERM still works');
    } finally {
      await s.stop();
    }
  });
});

/** promtool's verdict on a body: 0 clean, 3 lint remarks only, 1 a parse error. */
function promtoolCheck(body: string | Buffer): { code: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
  return { code: r.status, output: r.stdout + r.stderr };
}

/** The exposition grammar, with the ways files go wrong mixed in (raw quotes and newlines, bad escapes, odd numbers, timestamps, bad types). */
function expositionDocuments(): fc.Arbitrary<Buffer> {
  const name = fc.oneof({ weight: 4, arbitrary: fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,6}$/) }, fc.constantFrom('x', 'y_total', 'h', 'node_load1', 'process_x', '1bad', 'a-b', 'ns:sub'));
  const labelName = fc.oneof({ weight: 4, arbitrary: fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,4}$/) }, fc.constantFrom('a', 'le', 'quantile', '__x', 'b-c', 'job'));
  const raw = fc.string({ unit: 'binary', maxLength: 6 });
  const escaped = raw.map((v) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n'));
  const labels = fc.array(fc.tuple(labelName, fc.oneof({ weight: 8, arbitrary: escaped }, raw)), { maxLength: 3 }).map((ls) => (ls.length ? `{${ls.map(([n, v]) => `${n}="${v}"`).join(',')}}` : ''));
  const number = fc.oneof({ weight: 6, arbitrary: fc.oneof(fc.double().map(String), fc.integer().map(String)) }, fc.constantFrom('NaN', '+Inf', '-Inf', '1e3', '0x10', '', '1_000', '.5', '-0', 'inf'));
  const sample = fc.tuple(name, labels, number, fc.oneof({ weight: 20, arbitrary: fc.constant(undefined) }, fc.constantFrom('1700000000000', 'abc'))).map(([n, l, v, t]) => `${n}${l} ${v}${t ? ` ${t}` : ''}`);
  const help = fc.tuple(name, raw).map(([n, t]) => `# HELP ${n} ${t.replace(/\n/g, ' ')}`);
  const type = fc.tuple(name, fc.constantFrom('counter', 'gauge', 'histogram', 'summary', 'untyped', 'wibble')).map(([n, t]) => `# TYPE ${n} ${t}`);
  const histogram = fc.tuple(name, fc.array(fc.nat(20), { minLength: 1, maxLength: 4 }), fc.boolean()).map(([n, counts, cumulative]) => {
    let total = 0;
    const bounds = ['0.1', '1', '10', '+Inf'];
    const buckets = counts.map((c, i) => `${n}_bucket{le="${i === counts.length - 1 ? '+Inf' : bounds[i]}"} ${cumulative ? (total += c) : c}`);
    return [`# TYPE ${n} histogram`, ...buckets, `${n}_sum 3.5`, `${n}_count ${cumulative ? total : counts.at(-1)}`].join('\n');
  });
  const line = fc.oneof({ weight: 6, arbitrary: sample }, help, type, histogram, fc.constantFrom('', '# a comment', '#', '  '));
  const doc = fc.array(line, { maxLength: 6 }).map((ls) => `${ls.join('\n')}\n`);
  return fc.tuple(doc, fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, fc.tuple(fc.nat(), fc.constantFrom(0x00, 0xff, 0xc3, 0x0d, 0x22)))).map(([text, corrupt]) => {
    const bytes = Buffer.from(text);
    if (!corrupt) return bytes;
    const at = corrupt[0] % (bytes.length + 1);
    return Buffer.concat([bytes.subarray(0, at), Buffer.from([corrupt[1]]), bytes.subarray(at)]);
  });
}

describe('textfile fuzzing', () => {
  it('every file is either served as a body promtool accepts, or flagged; what is served is always valid', { timeout: 300_000 }, async () => {
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    const paths = { procfs: '/proc', sysfs: '/sys', rootfs: '/', udevData: '/run/udev/data' };
    // Families another collector serves are left out, as in `serve`.
    const servedElsewhere = (family: string) => (family === 'node_load1' ? 'loadavg' : undefined);
    let flagged = 0;
    let served = 0;
    await fc.assert(
      fc.asyncProperty(expositionDocuments(), async (bytes) => {
        const d = mkdtempSync(join(dir, 'fuzz-'));
        writeFileSync(join(d, 'f.prom'), bytes);
        const settings = { definition: textfile, options: { directory: [d], max_file_bytes: 1 << 20 }, timeoutMs: 5000, builtin: true, maxSeries: 100_000 };
        const outcome = await runCollector({ settings, paths, logger: quiet, state: textfile.initialState?.(), servedElsewhere });
        assert.equal(outcome.result, 'success', outcome.error);
        const body = renderFamilies(outcome.families as MetricFamily[], { format: 'prometheus', timestamps: false, defaultTimestampMs: 0 });
        const ours = promtoolCheck(body);
        assert.notEqual(ours.code, 1, `spyglass served a body promtool cannot parse:\n${body}\n${ours.output}`);
        if (sampleValue(body, 'node_textfile_scrape_error') === 1) {
          flagged++;
          return;
        }
        served++;
        const input = promtoolCheck(bytes);
        assert.notEqual(input.code, 1, `accepted without a flag a file promtool rejects:\n${JSON.stringify(bytes.toString('latin1'))}\n${input.output}`);
      }),
      { numRuns: Number(process.env.SPYGLASS_FUZZ_RUNS ?? 200) },
    );
    assert.ok(flagged > 20 && served > 20, `both outcomes exercised: ${flagged} flagged, ${served} served`);
  });
});
