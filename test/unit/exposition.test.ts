import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { BodyCache } from '../../src/exposition/body-cache.js';
import { SectionTable, type RenderedSection } from '../../src/exposition/sections.js';
import { counter, gauge, type MetricFamily } from '../../src/metrics/model.js';
import type { Format } from '../../src/metrics/render.js';
import { renderCollectorRun, renderLaterInSlices, type RenderedRun } from '../../src/scheduler/render-run.js';

const settings = { timestamps: false, runTimeMs: 0, cacheLabels: false };

function exposition(alwaysIncluded?: ReadonlySet<string>) {
  const sections = new SectionTable(alwaysIncluded);
  return { sections, bodies: new BodyCache(sections) };
}
type Exposition = ReturnType<typeof exposition>;

/** A run as the engine renders it on the main thread: the formats clients want, into the section's spares. */
async function render(e: Exposition, name: string, families: MetricFamily[]): Promise<RenderedRun & RenderedSection> {
  const run = await renderCollectorRun(families, {
    ...settings,
    collector: name,
    maxSeries: undefined,
    groupLabel: undefined,
    formats: e.bodies.wantedFormats(),
    spares: e.sections.takeSpares(name),
    sizeHint: (format) => e.sections.sizeOf(name, format),
    yieldNow: () => Promise.resolve(),
  });
  assert.ok(run.ok);
  return { ...run, renderLater: renderLaterInSlices(run.families, settings) };
}

async function publish(e: Exposition, name: string, families: MetricFamily[]) {
  return e.sections.publish(name, await render(e, name, families));
}

/** A /metrics body, as a scrape gets it. */
async function scrape(e: Exposition, format: Format = 'prometheus', gzip = false, selection?: ReadonlySet<string>): Promise<string> {
  const body = await e.bodies.bodyWhenReady(format, gzip, selection);
  return (gzip ? gunzipSync(body) : body).toString();
}

/** The section bytes a body is made of, read where a build reads them. */
function served(e: Exposition): Promise<Buffer> {
  return e.sections.read('prometheus', undefined, async (parts) => Buffer.concat(parts));
}

const manyCounters = (n: number, base: number) => [
  counter(
    'c_total',
    'h',
    Array.from({ length: n }, (_, i) => ({ labels: { i: String(i) }, value: base + i })),
  ),
];
const settle = () => new Promise((resolve) => setTimeout(resolve, 200)); // the warm-up timer and its threadpool gzip

describe('exposition: sections and the bodies made of them', () => {
  it('serves each section once rendered, self section last, OpenMetrics with # EOF', async () => {
    const e = exposition(new Set(['self']));
    await publish(e, 'self', [gauge('self_up', 'h', [{ value: 1 }])]);
    await publish(e, 'b', [gauge('b_g', 'h', [{ value: 2 }])]);
    await publish(e, 'a', [gauge('a_g', 'h', [{ value: 1 }])]);
    const text = await scrape(e);
    assert.deepEqual(
      text.split('\n').filter((l) => !l.startsWith('#') && l),
      ['a_g 1', 'b_g 2', 'self_up 1'],
    );
    assert.ok((await scrape(e, 'openmetrics')).endsWith('self_up 1\n# EOF\n'));
  });

  it('gzips the same bytes and serves bodies from the cache until something changes', async () => {
    const e = exposition();
    await publish(e, 'a', [gauge('a_g', 'h', [{ value: 1 }])]);
    const first = await e.bodies.bodyWhenReady('prometheus', true);
    assert.equal(gunzipSync(first).toString(), await scrape(e));
    assert.equal(e.bodies.bodyWhenReady('prometheus', true), first, 'same Buffer object, at once: served from the cache');
    await publish(e, 'a', [gauge('a_g', 'h', [{ value: 2 }])]);
    assert.match(await scrape(e, 'prometheus', true), /a_g 2/);
  });

  it('renders only the formats clients want; rebuilds wanted bodies ahead of the scrape, never a stale one', async () => {
    const e = exposition();
    await e.bodies.bodyWhenReady('prometheus', true); // a scraper that asks for gzip
    const run = await render(e, 'a', manyCounters(600, 0));
    assert.deepEqual(Object.keys(run.bodies), ['prometheus'], 'only the format a client wants');
    e.sections.publish('a', run);
    assert.equal(await scrape(e), run.bodies.prometheus?.toString());
    await publish(e, 'a', [gauge('a_g', 'h', [{ value: 2 }])]);
    await settle();
    const warmed = e.bodies.bodyWhenReady('prometheus', true);
    assert.ok(Buffer.isBuffer(warmed), 'built by the warm-up, before anyone asked');
    assert.equal(gunzipSync(warmed).toString(), '# HELP a_g h\n# TYPE a_g gauge\na_g 2\n');
  });

  it('never assembles a plain body for a scraper that only asks for gzip', async (t) => {
    const e = exposition();
    await publish(e, 'a', manyCounters(2000, 0));
    assert.match(await scrape(e, 'prometheus', true), /^c_total\{i="1999"\} 1999$/m); // renders the section for this format
    const plainLength = (await served(e)).length;
    await publish(e, 'a', manyCounters(2000, 0)); // the next run: a change, with a body of the same length
    const allocations = t.mock.method(Buffer, 'allocUnsafe');
    await settle();
    allocations.mock.restore();
    assert.deepEqual(
      allocations.mock.calls.map((c) => c.arguments[0]).filter((size) => size === plainLength),
      [],
      'no buffer the size of the plain body',
    );
    assert.ok(Buffer.isBuffer(e.bodies.bodyWhenReady('prometheus', true)), 'the gzip body was rebuilt ahead all the same');
  });

  it('renders into the memory of the body before the one served, never into the one served', async () => {
    const e = exposition();
    await scrape(e); // a client wants the plain format
    const next = async (value: number) => {
      const run = await render(e, 'a', manyCounters(2000, value));
      const bytesServedMeanwhile = Buffer.from(await served(e));
      assert.ok(e.sections.publish('a', run).ok);
      return { run, bytesServedMeanwhile };
    };
    const first = await next(1);
    const second = await next(2);
    assert.notEqual(second.run.storage.prometheus, first.run.storage.prometheus, 'the first body was still served while the second rendered');
    const third = await next(3);
    assert.equal(third.run.storage.prometheus, first.run.storage.prometheus, "the first body's memory, free once the second was published");
    assert.match(third.bytesServedMeanwhile.toString(), /^c_total\{i="0"\} 2$/m, 'the body served while the third rendered was the second, intact');
    assert.match(await scrape(e), /^c_total\{i="1999"\} 2002$/m);
    const tiny = await render(e, 'a', [counter('c_total', 'h', [{ value: 1 }])]);
    assert.notEqual(tiny.storage.prometheus, second.run.storage.prometheus, 'a body far smaller than the spare gets memory of its size');
    e.sections.withdraw('a');
    const after = await render(e, 'a', manyCounters(2000, 4));
    assert.ok(![first, second].some((p) => p.run.storage.prometheus === after.storage.prometheus), 'nothing kept for a withdrawn section');
  });

  it('withdraws a section and filters by selection, keeping always-included sections', async () => {
    const e = exposition(new Set(['self']));
    await publish(e, 'self', [gauge('self_up', 'h', [{ value: 1 }])]);
    await publish(e, 'a', [gauge('a_g', 'h', [{ value: 1 }])]);
    await publish(e, 'b', [gauge('b_g', 'h', [{ value: 1 }])]);
    const onlyB = await scrape(e, 'prometheus', false, new Set(['b']));
    assert.match(onlyB, /b_g 1/);
    assert.doesNotMatch(onlyB, /a_g/);
    assert.match(onlyB, /self_up/);
    e.sections.withdraw('b');
    const all = await scrape(e);
    assert.doesNotMatch(all, /b_g/);
    assert.match(all, /a_g 1/);
  });

  it('refuses a family another section already exports, and frees names on withdraw', async () => {
    const e = exposition();
    await publish(e, 'a', [counter('shared_total', 'h', [{ value: 1 }])]);
    assert.deepEqual(await publish(e, 'b', [counter('shared_total', 'h', [{ value: 2 }])]), {
      ok: false,
      error: 'metric family shared_total is already exported by collector a',
      family: 'shared_total',
      owner: 'a',
    });
    e.sections.withdraw('a');
    assert.deepEqual(await publish(e, 'b', [counter('shared_total', 'h', [{ value: 2 }])]), { ok: true });
  });

  it('serves sections rendered elsewhere; a format they lack is rendered there before a scrape reads it', async () => {
    const e = exposition();
    await publish(e, 'a', [gauge('a_g', 'h', [{ value: 1 }])]); // no format wanted yet: rendered on first use
    const asked: string[] = [];
    const renderLater = async (format: Format) => {
      asked.push(format);
      return Buffer.from(format === 'openmetrics' ? '# TYPE t gauge\nt 1\n' : 'unexpected\n');
    };
    const published = e.sections.publish('t', { familyNames: ['t'], bodies: { prometheus: Buffer.from('# TYPE t gauge\nt 1\n') }, storage: {}, renderLater });
    assert.deepEqual(published, { ok: true });
    await e.sections.prepare('prometheus'); // renders section a, in slices
    assert.deepEqual(asked, [], 'nothing asked of the thread in the format it rendered');
    assert.equal(e.sections.prepare('prometheus'), undefined, 'nothing missing once prepared');
    assert.ok((await scrape(e)).endsWith('a_g 1\n# TYPE t gauge\nt 1\n'));
    await assert.rejects(
      e.sections.read('openmetrics', undefined, async () => undefined),
      /section a has no openmetrics body yet/,
    );
    const twoScrapes = [scrape(e, 'openmetrics'), scrape(e, 'openmetrics', true)];
    const [plain, gzipped] = await Promise.all(twoScrapes);
    assert.deepEqual(asked, ['openmetrics'], 'one render for both waiting scrapes');
    assert.ok(plain?.endsWith('t 1\n# EOF\n'));
    assert.equal(gzipped, plain);
    assert.equal(e.sections.prepare('openmetrics', new Set(['a'])), undefined);
    assert.deepEqual(e.sections.publish('u', { familyNames: ['a_g'], bodies: {}, storage: {}, renderLater }), {
      ok: false,
      error: 'metric family a_g is already exported by collector a',
      family: 'a_g',
      owner: 'a',
    });
  });

  it('serves a section that cannot render a format empty in it until its next run, and the rest in full', async () => {
    const e = exposition();
    await publish(e, 'a', [gauge('a_g', 'h', [{ value: 1 }])]);
    e.sections.publish('t', { familyNames: ['t'], bodies: {}, storage: {}, renderLater: () => Promise.reject(new Error('thread ended')) });
    assert.equal(await scrape(e), '# HELP a_g h\n# TYPE a_g gauge\na_g 1\n');
  });

  it('waits for the section that replaced one whose render came too late', async () => {
    const e = exposition();
    const section = (renderLater: () => Promise<Buffer>) => ({ familyNames: ['t'], bodies: {}, storage: {}, renderLater });
    let failFirst: (err: Error) => void = () => {};
    e.sections.publish(
      't',
      section(() => new Promise((_, reject) => (failFirst = reject))),
    );
    const scraped = scrape(e);
    e.sections.publish(
      't',
      section(async () => Buffer.from('t 2\n')),
    );
    failFirst(new Error('run 1 is no longer the last one'));
    assert.equal(await scraped, 't 2\n');
  });

  it('builds a body a scrape asks for off the critical path, once for all who ask, from bytes kept intact while it runs', async () => {
    const e = exposition();
    const section = (fill: string) => {
      const storage = Buffer.alloc(3 << 20, fill); // three assembly slices
      return { familyNames: ['t'], bodies: { prometheus: storage }, storage: { prometheus: storage }, renderLater: () => Promise.reject(new Error('unused')) };
    };
    e.sections.publish('t', section('a'));
    const plain = e.bodies.bodyWhenReady('prometheus', false);
    const gzipped = e.bodies.bodyWhenReady('prometheus', true);
    assert.ok(plain instanceof Promise && gzipped instanceof Promise, 'neither is built in this turn of the event loop');
    assert.equal(e.bodies.bodyWhenReady('prometheus', true), gzipped, 'a second scrape waits for the same build');
    e.sections.publish('t', section('b'));
    e.sections.publish('t', section('c')); // the first section's memory is now two generations old
    assert.deepEqual(e.sections.takeSpares('t'), {}, 'not handed to a render while the builds read it');
    const [plainBody, gzippedBody] = await Promise.all([plain, gzipped]);
    assert.ok(plainBody.equals(Buffer.alloc(3 << 20, 'a')) && gunzipSync(gzippedBody).equals(plainBody), 'the series as they were when the scrapes came');
    const fresh = e.bodies.bodyWhenReady('prometheus', true);
    assert.ok(fresh instanceof Promise, 'a body from before the change is not kept');
    assert.ok(gunzipSync(await fresh).equals(Buffer.alloc(3 << 20, 'c')));
    assert.ok(Buffer.isBuffer(e.bodies.bodyWhenReady('prometheus', true)), 'then served from the cache');
    const selected = e.bodies.bodyWhenReady('prometheus', true, new Set(['t']));
    assert.ok(selected instanceof Promise);
    assert.ok(gunzipSync(await selected).equals(Buffer.alloc(3 << 20, 'c')));
    // The warm-up builds the plain body asked for earlier, in turns, and may be doing so now (its timer runs 20 ms after the last publish).
    assert.ok((await e.bodies.bodyWhenReady('prometheus', false)).equals(Buffer.alloc(3 << 20, 'c')));
    assert.equal(e.sections.takeSpares('t').prometheus?.[0], 'b'.charCodeAt(0), 'the body before the one served is handed out again once the builds are done');
  });

  it('hands the memory of the body before the one served to whoever renders next, once', async () => {
    const e = exposition();
    await scrape(e);
    const storage = (fill: number) => Buffer.alloc(64, fill);
    const first = storage(1);
    const publishBytes = (b: Buffer) =>
      e.sections.publish('t', {
        familyNames: ['t'],
        bodies: { prometheus: b.subarray(0, 4) },
        storage: { prometheus: b },
        renderLater: () => Promise.reject(new Error('unused')),
      });
    publishBytes(first);
    assert.deepEqual(e.sections.takeSpares('t'), {}, 'the only body is the one served');
    publishBytes(storage(2));
    assert.equal(e.sections.takeSpares('t').prometheus, first);
    assert.deepEqual(e.sections.takeSpares('t'), {}, 'taken once');
    assert.deepEqual(e.bodies.wantedFormats(), ['prometheus']);
  });
});
