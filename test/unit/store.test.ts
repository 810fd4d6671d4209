import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { ExpositionStore } from '../../src/exposition/store.js';
import { counter, gauge } from '../../src/metrics/model.js';

const opts = { timestamps: false, runTimeMs: 0 };

describe('exposition store', () => {
  it('serves each section once rendered, self section last, OpenMetrics with # EOF', () => {
    const s = new ExpositionStore(new Set(['self']));
    s.publish('self', [gauge('self_up', 'h', [{ value: 1 }])], opts);
    s.publish('b', [gauge('b_g', 'h', [{ value: 2 }])], opts);
    s.publish('a', [gauge('a_g', 'h', [{ value: 1 }])], opts);
    const text = s.body('prometheus', false).toString();
    assert.deepEqual(text.split('\n').filter((l) => !l.startsWith('#') && l), ['a_g 1', 'b_g 2', 'self_up 1']);
    assert.ok(s.body('openmetrics', false).toString().endsWith('self_up 1\n# EOF\n'));
  });

  it('gzips the same bytes and caches bodies until something changes', () => {
    const s = new ExpositionStore();
    s.publish('a', [gauge('a_g', 'h', [{ value: 1 }])], opts);
    const first = s.body('prometheus', true);
    assert.equal(gunzipSync(first).toString(), s.body('prometheus', false).toString());
    assert.equal(s.body('prometheus', true), first, 'same Buffer object: served from cache');
    s.publish('a', [gauge('a_g', 'h', [{ value: 2 }])], opts);
    assert.match(gunzipSync(s.body('prometheus', true)).toString(), /a_g 2/);
  });

  it('swaps in bytes prerendered in slices; compresses wanted bodies off the main thread, never a stale one', async () => {
    const s = new ExpositionStore();
    s.body('prometheus', true); // a scraper that asks for gzip
    const families = [counter('c_total', 'h', Array.from({ length: 600 }, (_, i) => ({ labels: { i: String(i) }, value: i })))];
    const prerendered = await s.prerender('a', families, opts, () => Promise.resolve());
    assert.deepEqual(Object.keys(prerendered.bodies), ['prometheus'], 'only the format a client wants');
    s.publish('a', families, opts, prerendered);
    assert.equal(s.body('prometheus', false).toString(), prerendered.bodies.prometheus?.toString());
    s.publish('a', [gauge('a_g', 'h', [{ value: 2 }])], opts);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the warm-up timer and its threadpool gzip
    assert.equal(gunzipSync(s.body('prometheus', true)).toString(), '# HELP a_g h\n# TYPE a_g gauge\na_g 2\n');
  });

  it('never assembles a plain body for a scraper that only asks for gzip, even one that asked before the warm-up', async (t) => {
    const s = new ExpositionStore();
    const run = () => [counter('c_total', 'h', Array.from({ length: 2000 }, (_, i) => ({ labels: { i: String(i) }, value: i })))];
    s.publish('a', run(), opts);
    const plainLength = gunzipSync(s.body('prometheus', true)).length; // built by this request itself
    s.publish('a', run(), opts); // the next run: a change, with a body of the same length
    const allocations = t.mock.method(Buffer, 'allocUnsafe');
    await new Promise((resolve) => setTimeout(resolve, 200)); // the warm-up timer and its threadpool gzip
    allocations.mock.restore();
    assert.deepEqual(allocations.mock.calls.map((c) => c.arguments[0]).filter((size) => size === plainLength), [], 'no buffer the size of the plain body');
    assert.match(gunzipSync(s.body('prometheus', true)).toString(), /^c_total\{i="1999"\} 1999$/m);
  });

  it('renders into the memory of the body before the one served, never into the one served', async () => {
    const s = new ExpositionStore();
    s.body('prometheus', false);
    const run = (value: number) => [counter('c_total', 'h', Array.from({ length: 2000 }, (_, i) => ({ labels: { i: String(i) }, value: value + i })))];
    const publish = async (value: number) => {
      const prerendered = await s.prerender('a', run(value), opts, () => Promise.resolve());
      const served = Buffer.from(s.body('prometheus', false));
      assert.ok(s.publish('a', run(value), opts, prerendered).ok);
      return { prerendered, served };
    };
    const first = await publish(1);
    const second = await publish(2);
    assert.notEqual(second.prerendered.storage.prometheus, first.prerendered.storage.prometheus, 'the first body was still served while the second rendered');
    const third = await publish(3);
    assert.equal(third.prerendered.storage.prometheus, first.prerendered.storage.prometheus, 'the first body\'s memory, free once the second was published');
    assert.match(third.served.toString(), /^c_total\{i="0"\} 2$/m, 'the body served while the third rendered was the second, intact');
    assert.match(s.body('prometheus', false).toString(), /^c_total\{i="1999"\} 2002$/m);
    const tiny = await s.prerender('a', [counter('c_total', 'h', [{ value: 1 }])], opts, () => Promise.resolve());
    assert.notEqual(tiny.storage.prometheus, second.prerendered.storage.prometheus, 'a body far smaller than the spare gets memory of its size');
    s.withdraw('a');
    const after = await s.prerender('a', run(4), opts, () => Promise.resolve());
    assert.ok(![first, second].some((p) => p.prerendered.storage.prometheus === after.storage.prometheus), 'nothing kept for a withdrawn section');
  });

  it('withdraws a section and filters by selection, keeping always-included sections', () => {
    const s = new ExpositionStore(new Set(['self']));
    s.publish('self', [gauge('self_up', 'h', [{ value: 1 }])], opts);
    s.publish('a', [gauge('a_g', 'h', [{ value: 1 }])], opts);
    s.publish('b', [gauge('b_g', 'h', [{ value: 1 }])], opts);
    assert.doesNotMatch(s.body('prometheus', false, new Set(['b'])).toString(), /a_g/);
    assert.match(s.body('prometheus', false, new Set(['b'])).toString(), /self_up/);
    s.withdraw('b');
    assert.doesNotMatch(s.body('prometheus', false).toString(), /b_g/);
  });

  it('refuses a family another section already exports, and frees names on withdraw', () => {
    const s = new ExpositionStore();
    s.publish('a', [counter('shared_total', 'h', [{ value: 1 }])], opts);
    assert.deepEqual(s.publish('b', [counter('shared_total', 'h', [{ value: 2 }])], opts), { ok: false, error: 'metric family shared_total is already exported by collector a', family: 'shared_total', owner: 'a' });
    s.withdraw('a');
    assert.deepEqual(s.publish('b', [counter('shared_total', 'h', [{ value: 2 }])], opts), { ok: true });
  });

  it('serves sections rendered elsewhere; a format they lack is rendered there before a scrape reads it', async () => {
    const s = new ExpositionStore();
    s.publish('a', [gauge('a_g', 'h', [{ value: 1 }])], opts);
    const asked: string[] = [];
    const renderElsewhere = async (format: 'prometheus' | 'openmetrics') => {
      asked.push(format);
      return Buffer.from(format === 'openmetrics' ? '# TYPE t gauge\nt 1\n' : 'unexpected\n');
    };
    const published = s.publishRendered('t', { familyNames: ['t'], bodies: { prometheus: Buffer.from('# TYPE t gauge\nt 1\n') }, storage: {}, renderElsewhere });
    assert.deepEqual(published, { ok: true });
    await s.prepare('prometheus'); // renders section a, in slices
    assert.deepEqual(asked, [], 'nothing asked of the thread in the format it rendered');
    assert.equal(s.prepare('prometheus'), undefined, 'nothing missing once prepared');
    assert.ok(s.body('prometheus', false).toString().endsWith('a_g 1\n# TYPE t gauge\nt 1\n'));
    assert.throws(() => s.body('openmetrics', false), /section t has no openmetrics body yet/);
    const twoScrapes = [s.prepare('openmetrics'), s.prepare('openmetrics')];
    await Promise.all(twoScrapes);
    assert.deepEqual(asked, ['openmetrics'], 'one render for both waiting scrapes');
    assert.ok(s.body('openmetrics', false).toString().endsWith('t 1\n# EOF\n'));
    assert.equal(s.prepare('openmetrics', new Set(['a'])), undefined);
    assert.deepEqual(s.publishRendered('u', { familyNames: ['a_g'], bodies: {}, storage: {}, renderElsewhere }), { ok: false, error: 'metric family a_g is already exported by collector a', family: 'a_g', owner: 'a' });
  });

  it('serves a section that cannot render a format empty in it until its next run, and the rest in full', async () => {
    const s = new ExpositionStore();
    s.publish('a', [gauge('a_g', 'h', [{ value: 1 }])], opts);
    s.publishRendered('t', { familyNames: ['t'], bodies: {}, storage: {}, renderElsewhere: () => Promise.reject(new Error('thread ended')) });
    await s.prepare('prometheus');
    assert.equal(s.body('prometheus', false).toString(), '# HELP a_g h\n# TYPE a_g gauge\na_g 1\n');
  });

  it('waits for the section that replaced one whose render came too late', async () => {
    const s = new ExpositionStore();
    const section = (renderElsewhere: () => Promise<Buffer>) => ({ familyNames: ['t'], bodies: {}, storage: {}, renderElsewhere });
    let failFirst: (err: Error) => void = () => {};
    s.publishRendered('t', section(() => new Promise((_, reject) => (failFirst = reject))));
    const preparing = s.prepare('prometheus');
    s.publishRendered('t', section(async () => Buffer.from('t 2\n')));
    failFirst(new Error('run 1 is no longer the last one'));
    await preparing;
    assert.equal(s.body('prometheus', false).toString(), 't 2\n');
  });

  it('builds a body a scrape asks for off the critical path, once for all who ask, from bytes kept intact while it runs', async () => {
    const s = new ExpositionStore();
    const section = (fill: string) => {
      const storage = Buffer.alloc(3 << 20, fill); // three assembly slices
      return { familyNames: ['t'], bodies: { prometheus: storage }, storage: { prometheus: storage }, renderElsewhere: () => Promise.reject(new Error('unused')) };
    };
    s.publishRendered('t', section('a'));
    const plain = s.bodyWhenReady('prometheus', false);
    const gzipped = s.bodyWhenReady('prometheus', true);
    assert.ok(plain instanceof Promise && gzipped instanceof Promise, 'neither is built in this turn of the event loop');
    assert.equal(s.bodyWhenReady('prometheus', true), gzipped, 'a second scrape waits for the same build');
    s.publishRendered('t', section('b'));
    s.publishRendered('t', section('c')); // the first section's memory is now two generations old
    assert.deepEqual(s.takeSpares('t'), {}, 'not handed to a render while the builds read it');
    const [plainBody, gzippedBody] = await Promise.all([plain, gzipped]);
    assert.ok(plainBody.equals(Buffer.alloc(3 << 20, 'a')) && gunzipSync(gzippedBody).equals(plainBody), 'the series as they were when the scrapes came');
    const fresh = s.bodyWhenReady('prometheus', true);
    assert.ok(fresh instanceof Promise, 'a body from before the change is not kept');
    assert.ok(gunzipSync(await fresh).equals(Buffer.alloc(3 << 20, 'c')));
    assert.ok(Buffer.isBuffer(s.bodyWhenReady('prometheus', true)), 'then served from the cache');
    const selected = s.bodyWhenReady('prometheus', true, new Set(['t']));
    assert.ok(selected instanceof Promise);
    assert.ok(gunzipSync(await selected).equals(Buffer.alloc(3 << 20, 'c')));
    // The warm-up builds the plain body asked for earlier, in turns, and may be doing so now (its timer runs 20 ms after the last publish).
    assert.ok((await s.bodyWhenReady('prometheus', false)).equals(Buffer.alloc(3 << 20, 'c')));
    assert.equal(s.takeSpares('t').prometheus?.[0], 'b'.charCodeAt(0), 'the body before the one served is handed out again once the builds are done');
  });

  it('hands the memory of the body before the one served to whoever renders next, once', () => {
    const s = new ExpositionStore();
    s.body('prometheus', false);
    const storage = (fill: number) => Buffer.alloc(64, fill);
    const first = storage(1);
    const publish = (b: Buffer) => s.publishRendered('t', { familyNames: ['t'], bodies: { prometheus: b.subarray(0, 4) }, storage: { prometheus: b }, renderElsewhere: () => Promise.reject(new Error('unused')) });
    publish(first);
    assert.deepEqual(s.takeSpares('t'), {}, 'the only body is the one served');
    publish(storage(2));
    assert.equal(s.takeSpares('t').prometheus, first);
    assert.deepEqual(s.takeSpares('t'), {}, 'taken once');
    assert.deepEqual(s.wantedFormats(), ['prometheus']);
  });
});
