// Remote write's codec cost per 2,000-sample batch: encoding (src/remote-write/series.ts + wire.ts)
// and snappy (the napi-rs `snappy` package, and `snappyjs` for comparison when SNAPPYJS_FROM is set).
//   npm run build && SNAPPYJS_FROM=/tmp/snapjs/node_modules node bench/remote-write-codec.mjs
import { SeriesEncoder } from '../dist/src/remote-write/series.js';
import snappy from 'snappy';
import { createRequire } from 'node:module';
// snappyjs is not a dependency: install it anywhere and point SNAPPYJS_FROM at that directory.
const snappyjs = process.env.SNAPPYJS_FROM ? createRequire(`${process.env.SNAPPYJS_FROM}/`)('snappyjs') : undefined;
const labels = Array.from({ length: 2000 }, (_, i) => ({ id: String(i), group: String(i % 50), instance: 'node-' + (i % 7) }));
const enc = new SeriesEncoder({ externalLabels: [['job', 'node']], rules: [], shards: 1, maxSamplesPerRecord: 2000 });
const fam = () => [{ name: 'bench_value_bytes', help: '', type: 'gauge', samples: labels.map((l) => ({ labels: l, value: Math.random() * 1e9 })) }];
let rec;
for (let i = 0; i < 50; i++) rec = enc.encodeRun('c', fam(), Date.now());
const f = fam();
let t = performance.now();
for (let i = 0; i < 500; i++) enc.encodeRun('c', f, 1796656000000 + i * 1000);
const encMs = (performance.now() - t) / 500;
const payload = rec[0].payload;
t = performance.now();
for (let i = 0; i < 500; i++) snappy.compressSync(payload);
const nat = (performance.now() - t) / 500;
let js = NaN;
if (snappyjs) {
  t = performance.now();
  for (let i = 0; i < 500; i++) snappyjs.compress(payload);
  js = (performance.now() - t) / 500;
}
console.log(
  JSON.stringify({
    batchSamples: 2000,
    payloadBytes: payload.length,
    compressedBytes: snappy.compressSync(payload).length,
    encodeMsPerBatch: encMs.toFixed(3),
    snappyNapiMs: nat.toFixed(3),
    snappyjsMs: js.toFixed(3),
  }),
);
