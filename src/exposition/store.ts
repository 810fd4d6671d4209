import { setImmediate as nextTurn } from 'node:timers/promises';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { createGzip, gzip, gzipSync } from 'node:zlib';
import { cooperativeYielder } from '../cooperative.js';
import { reusingAllocator } from '../metrics/byte-writer.js';
import type { MetricFamily } from '../metrics/model.js';
import { OPENMETRICS_EOF, renderFamiliesInSlices, renderFamiliesToBuffer, type Format } from '../metrics/render.js';

const gzipAsync = promisify(gzip);

interface Section {
  /** Rendered on first use per format: most deployments are scraped in one format only. */
  rendered: Partial<Record<Format, Buffer>>;
  /**
   * Renders a format here (at once, or in slices for a scrape: see `prepare`), or, for a collector
   * in a worker thread, there.
   */
  render: { here: (format: Format) => Buffer; inSlices: (format: Format) => Promise<Buffer> } | { elsewhere: (format: Format) => Promise<Buffer> };
  /** Renders elsewhere under way, shared by the scrapes waiting for them. */
  rendering: Partial<Record<Format, Promise<void>>>;
  familyNames: string[];
  /** The memory the prerendered bodies were written into, handed to a later render once this section is replaced. */
  storage: Partial<Record<Format, Buffer>>;
}

/** A section rendered by a collector's worker thread (see CollectorThread). */
export interface RenderedSection {
  /** The families that have samples. */
  familyNames: string[];
  bodies: Partial<Record<Format, Buffer>>;
  storage: Partial<Record<Format, Buffer>>;
  /** Renders the same run in a format it was not rendered in. */
  renderElsewhere: (format: Format) => Promise<Buffer>;
}

/** Bodies rendered ahead of `publish`, and the buffers they were written into. */
export interface Prerendered {
  bodies: Partial<Record<Format, Buffer>>;
  storage: Partial<Record<Format, Buffer>>;
}

/** A failed publish names the family and the section that already serves it. */
export type PublishResult = { ok: true } | { ok: false; error: string; family: string; owner: string };

export interface PublishOptions {
  timestamps: boolean;
  runTimeMs: number;
  /** See CollectorDefinition.stableLabels. */
  cacheLabels?: boolean;
}

const FORMATS = ['prometheus', 'openmetrics'] as const;
const FILTERED_CACHE_ENTRIES = 16;
/**
 * Wanted bodies are rebuilt this long after the last change. Collectors due together start one
 * macrotask apart and finish within a few ms of each other; rebuilding (and gzipping) after each
 * of them cost 28 rebuilds per cycle. A scrape that arrives sooner builds the body itself.
 */
const WARM_DELAY_MS = 20;
/** Level 1: half the CPU of level 6 on a 49 KB host body (0.24 vs 0.52 ms), 13% larger (9.2 vs 8.1 KB). */
const GZIP_LEVEL = 1;
/** Compressed output per 'data' event: a 10 MB body compresses to about 1 MB. */
const GZIP_CHUNK_BYTES = 256 * 1024;
/** At most this much is copied per turn of the event loop when a body is assembled ahead of scrapes (~0.5 ms). */
const ASSEMBLY_SLICE_BYTES = 1 << 20;

/**
 * Holds each collector's latest successful run, rendered once per exposition format a client asks for, and
 * assembles response bodies from those buffers. Nothing here collects; a scrape only
 * concatenates (and, once per change, compresses) cached bytes.
 */
export class ExpositionStore {
  private readonly sections = new Map<string, Section>();
  private readonly owners = new Map<string, string>();
  /** Section names in output order; `alwaysLast` sections (self-metrics) go at the end. */
  private order: string[] = [];
  /** Unfiltered bodies (the path almost every scrape takes) in slots by format and encoding. */
  private full: Array<Buffer | undefined> = [];
  /** Slots clients have asked for: only these are rebuilt ahead of the next scrape. */
  private readonly wanted: boolean[] = [];
  /** Bodies for `collect[]`/`exclude[]` selections. */
  private readonly bodies = new Map<string, Buffer>();
  private warmTimer: NodeJS.Timeout | undefined;
  /** Bumped on every change, so a body built from the sections as they were before a newer change is not kept. */
  private generation = 0;
  /**
   * Per section and format, the storage of the body before the one served, rendered into again:
   * allocating a fresh 10 MB each run (1,000 containers) made V8 start a full GC every run or two
   * for external memory pressure. Only renders read section bytes, and they copy them; none is
   * handed out while a build reads them over several turns (see readingParts), so storage two
   * generations old is free.
   */
  private readonly spares = new Map<string, Buffer>();
  /** Builds under way that read the sections' bytes over several turns of the event loop (see readingParts). */
  private reading = 0;
  /** Bodies being built off the critical path, by bodyKey, with the generation they show. */
  private readonly building = new Map<string, { generation: number; body: Promise<Buffer> }>();

  constructor(private readonly alwaysIncluded: ReadonlySet<string> = new Set()) {}

  /**
   * Renders the formats clients have asked for in slices, giving the event loop turns (see
   * renderFamiliesInSlices), for `publish` to swap in; formats asked for later render on first use.
   */
  async prerender(section: string, families: readonly MetricFamily[], opts: PublishOptions, yieldNow: () => Promise<void> | undefined): Promise<Prerendered> {
    const out: Prerendered = { bodies: {}, storage: {} };
    const spares = this.takeSpares(section);
    for (const format of this.wantedFormats()) {
      const sizeHint = this.sections.get(section)?.rendered[format]?.length;
      const memory = reusingAllocator(spares[format]);
      out.bodies[format] = await renderFamiliesInSlices(families, { ...renderOptions(format, opts), ...(sizeHint ? { sizeHint } : {}), allocate: memory.allocate }, yieldNow);
      out.storage[format] = memory.storage();
    }
    return out;
  }

  /** Swaps in a section, rendering now the wanted formats not prerendered. Fails if a family name belongs to another section. */
  publish(section: string, families: readonly MetricFamily[], opts: PublishOptions, prerendered: Prerendered = { bodies: {}, storage: {} }): PublishResult {
    const conflict = this.ownershipConflict(section, families.map((f) => f.name));
    if (conflict) return conflict;
    const here = (format: Format) => renderFamiliesToBuffer(families, renderOptions(format, opts));
    const inSlices = (format: Format) => renderFamiliesInSlices(families, renderOptions(format, opts), cooperativeYielder());
    const rendered: Section['rendered'] = { ...prerendered.bodies };
    // Formats a client has asked for are rendered now, while the run's data is hot.
    for (const format of this.wantedFormats()) rendered[format] ??= here(format);
    const familyNames = families.filter((f) => f.samples.length > 0).map((f) => f.name);
    this.swapIn(section, { rendered, render: { here, inSlices }, rendering: {}, familyNames, storage: prerendered.storage });
    return { ok: true };
  }

  /** `publish` for a section rendered in a collector's worker thread. */
  publishRendered(section: string, r: RenderedSection): PublishResult {
    const conflict = this.ownershipConflict(section, r.familyNames);
    if (conflict) return conflict;
    this.swapIn(section, { rendered: { ...r.bodies }, render: { elsewhere: r.renderElsewhere }, rendering: {}, familyNames: r.familyNames, storage: r.storage });
    return { ok: true };
  }

  /** The section that serves a family of this name, if any. */
  ownerOf(familyName: string): string | undefined {
    return this.owners.get(familyName);
  }

  /** The formats clients have asked for, which a run renders ahead of the scrapes. */
  wantedFormats(): Format[] {
    return FORMATS.filter((f) => this.formatWanted(f));
  }

  /**
   * Memory of a section's body before the one served, for its next render to write into (see
   * `spares`); the caller owns it from now on.
   */
  takeSpares(section: string): Partial<Record<Format, Buffer>> {
    const out: Partial<Record<Format, Buffer>> = {};
    if (this.reading > 0) return out; // a build may be reading any section's bytes
    for (const format of FORMATS) {
      const key = spareKey(section, format);
      const spare = this.spares.get(key);
      this.spares.delete(key);
      if (spare) out[format] = spare;
    }
    return out;
  }

  /**
   * Settles once every section (of the selection) has its bytes in `format`: a format first asked
   * for after a run is rendered then, in slices (90,000 textfile series took 850 ms in one turn)
   * or in the collector's worker thread. Undefined when nothing is missing, the usual case. A
   * section that cannot render it is served empty in that format until its next run.
   */
  prepare(format: Format, selection?: ReadonlySet<string>): Promise<void> | undefined {
    const pending: Array<Promise<void>> = [];
    for (const [name, s] of this.selected(selection)) {
      if (s.rendered[format]) continue;
      const renderLater = 'here' in s.render ? s.render.inSlices : s.render.elsewhere;
      pending.push(
        (s.rendering[format] ??= renderLater(format).then(
          (body) => void (s.rendered[format] ??= body),
          () => {
            // The thread ended, or a newer run finished there: then its section has replaced this one
            // (the next prepare renders that), else the section stays empty in this format.
            if (this.sections.get(name) === s) s.rendered[format] ??= Buffer.alloc(0);
          },
        )),
      );
    }
    if (!pending.length) return undefined;
    return Promise.all(pending).then(() => this.prepare(format, selection));
  }

  /** Removes a section's series (failed or timed-out run, collector disabled). */
  withdraw(section: string): void {
    if (!this.sections.has(section)) return;
    this.dropOwnership(section);
    for (const format of FORMATS) this.spares.delete(spareKey(section, format));
    this.sections.delete(section);
    this.reorder();
    this.changed();
  }

  /**
   * The response body for a format, gzipped or not, for all sections or a selection of them
   * (sections in `alwaysIncluded` are part of every selection).
   */
  body(format: Format, gzip: boolean, selection?: ReadonlySet<string>): Buffer {
    const cached = this.cached(format, gzip, selection);
    if (cached) return cached;
    const body = this.build(format, gzip, selection);
    this.keep(format, gzip, selection, body);
    return body;
  }

  /**
   * `body` for a scrape: once the sections are prepared (see `prepare`), a body not built yet is
   * built off the critical path, copied in slices or compressed on the threadpool, so that no
   * scrape holds up the event loop with a 10 MB body (1,000 containers; gzip alone takes 15–40 ms).
   * Scrapes that arrive meanwhile, and the warm-up, share that build. The body shows the series
   * as they were when its build started.
   */
  bodyWhenReady(format: Format, gzip: boolean, selection?: ReadonlySet<string>): Buffer | Promise<Buffer> {
    const preparing = this.prepare(format, selection);
    if (preparing) return preparing.then(() => this.bodyWhenReady(format, gzip, selection));
    return this.cached(format, gzip, selection) ?? this.buildInTurns(format, gzip, selection);
  }

  /** The body built since the last change, if any, for a client: unfiltered ones are marked wanted, so later changes rebuild them ahead. */
  private cached(format: Format, gzip: boolean, selection: ReadonlySet<string> | undefined): Buffer | undefined {
    if (!selection) this.wanted[slotOf(format, gzip)] = true;
    return this.stored(format, gzip, selection);
  }

  private stored(format: Format, gzip: boolean, selection: ReadonlySet<string> | undefined): Buffer | undefined {
    return selection ? this.bodies.get(bodyKey(format, gzip, selection)) : this.full[slotOf(format, gzip)];
  }

  private keep(format: Format, gzip: boolean, selection: ReadonlySet<string> | undefined, body: Buffer): void {
    if (!selection) {
      this.full[slotOf(format, gzip)] = body;
      return;
    }
    if (this.bodies.size >= FILTERED_CACHE_ENTRIES) this.bodies.delete(this.bodies.keys().next().value as string);
    this.bodies.set(bodyKey(format, gzip, selection), body);
  }

  /** Builds a body over several turns of the event loop, once per generation however many ask; kept if nothing changed meanwhile. */
  private buildInTurns(format: Format, gzip: boolean, selection: ReadonlySet<string> | undefined): Promise<Buffer> {
    const key = bodyKey(format, gzip, selection);
    const generation = this.generation;
    const under = this.building.get(key);
    if (under?.generation === generation) return under.body;
    const plain = gzip ? this.stored(format, false, selection) : undefined;
    const body = gzip ? (plain ? gzipAsync(plain, { level: GZIP_LEVEL }) : this.compressParts(format, selection)) : this.assembleInSlices(format, selection);
    this.building.set(key, { generation, body });
    const done = () => {
      if (this.building.get(key)?.body === body) this.building.delete(key);
    };
    body.then((built) => {
      done();
      if (generation === this.generation) this.keep(format, gzip, selection, built);
    }, done);
    return body;
  }

  private build(format: Format, gzip: boolean, selection: ReadonlySet<string> | undefined): Buffer {
    if (!gzip) return Buffer.concat(this.parts(format, selection));
    // The plain body is not made wanted: a scraper that only ever asks for gzip (Prometheus) would
    // then have a 10 MB plain body assembled after every change.
    return gzipSync(this.stored(format, false, selection) ?? Buffer.concat(this.parts(format, selection)), { level: GZIP_LEVEL });
  }

  /** The sections' bytes in output order (rendering a format on first use). */
  private parts(format: Format, selection?: ReadonlySet<string>): Buffer[] {
    const parts: Buffer[] = [];
    for (const [name, s] of this.selected(selection)) {
      let body = s.rendered[format];
      if (!body) {
        if (!('here' in s.render)) throw new Error(`section ${name} has no ${format} body yet (prepare it first)`);
        body = s.rendered[format] = s.render.here(format);
      }
      parts.push(body);
    }
    if (format === 'openmetrics') parts.push(Buffer.from(OPENMETRICS_EOF));
    return parts;
  }

  /**
   * A body assembled a slice at a time: copying a 10 MB body (1,000 containers) into freshly
   * mapped memory takes 5–10 ms, too long for one turn of the event loop.
   */
  private async assembleInSlices(format: Format, selection: ReadonlySet<string> | undefined): Promise<Buffer> {
    return this.readingParts(format, selection, async (parts) => {
      const body = Buffer.allocUnsafe(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const part of parts) {
        for (let from = 0; from < part.length; from += ASSEMBLY_SLICE_BYTES) {
          if (at > 0) await nextTurn();
          at += part.copy(body, at, from, Math.min(part.length, from + ASSEMBLY_SLICE_BYTES));
        }
      }
      return body;
    });
  }

  /**
   * Runs a build that reads the sections' bytes over several turns of the event loop. Meanwhile no
   * render is handed the memory of a replaced section (takeSpares), so the bytes stay intact
   * whatever changes.
   */
  private async readingParts<T>(format: Format, selection: ReadonlySet<string> | undefined, build: (parts: Buffer[]) => Promise<T>): Promise<T> {
    this.reading++;
    try {
      return await build(this.parts(format, selection));
    } finally {
      this.reading--;
    }
  }

  /**
   * Builds the wanted bodies ahead of the next scrape, off the critical path: plain ones copied in
   * slices, compressed ones on the threadpool, straight from the sections' bytes unless the plain
   * body is wanted too (Prometheus asks for gzip only: no 10 MB copy per change at 1,000 containers).
   */
  private async warm(generation: number): Promise<void> {
    for (const [slot, wanted] of this.wanted.entries()) {
      if (!wanted) continue;
      const format = slot >= 2 ? 'openmetrics' : 'prometheus';
      await this.prepare(format);
      if (generation !== this.generation) return;
      if (!this.full[slot]) await this.buildInTurns(format, slot % 2 === 1, undefined);
    }
  }

  /** The sections' bytes compressed as one body without copying them together first. */
  private compressParts(format: Format, selection: ReadonlySet<string> | undefined): Promise<Buffer> {
    return this.readingParts(format, selection, async (parts) => {
      const chunks: Buffer[] = [];
      const stream = createGzip({ level: GZIP_LEVEL, chunkSize: GZIP_CHUNK_BYTES });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      const ended = once(stream, 'end');
      for (const part of parts) stream.write(part);
      stream.end();
      await ended;
      return Buffer.concat(chunks);
    });
  }

  /** The sections of a selection (sections in `alwaysIncluded` are part of every one), in output order. */
  private *selected(selection: ReadonlySet<string> | undefined): Generator<[string, Section]> {
    for (const name of this.order) {
      if (selection && !selection.has(name) && !this.alwaysIncluded.has(name)) continue;
      yield [name, this.sections.get(name) as Section];
    }
  }

  private ownershipConflict(section: string, familyNames: readonly string[]): PublishResult | undefined {
    for (const name of familyNames) {
      const owner = this.owners.get(name);
      if (owner !== undefined && owner !== section) return { ok: false, error: `metric family ${name} is already exported by collector ${owner}`, family: name, owner };
    }
    return undefined;
  }

  private swapIn(name: string, section: Section): void {
    this.dropOwnership(name);
    this.keepSpares(name);
    for (const n of section.familyNames) this.owners.set(n, name);
    const isNew = !this.sections.has(name);
    this.sections.set(name, section);
    if (isNew) this.reorder();
    this.changed();
  }

  private formatWanted(format: Format): boolean {
    const base = format === 'openmetrics' ? 2 : 0;
    return this.wanted[base] === true || this.wanted[base + 1] === true;
  }

  private changed(): void {
    this.full = [];
    this.bodies.clear();
    const generation = ++this.generation;
    clearTimeout(this.warmTimer);
    // A body that could not be built ahead is built by the scrape that asks for it.
    this.warmTimer = setTimeout(() => void this.warm(generation).catch(() => undefined), WARM_DELAY_MS);
    this.warmTimer.unref();
  }

  private dropOwnership(section: string): void {
    const s = this.sections.get(section);
    if (!s) return;
    for (const n of s.familyNames) if (this.owners.get(n) === section) this.owners.delete(n);
  }

  private keepSpares(section: string): void {
    const replaced = this.sections.get(section);
    for (const format of FORMATS) {
      const storage = replaced?.storage[format];
      if (storage) this.spares.set(spareKey(section, format), storage);
    }
  }

  private reorder(): void {
    const names = [...this.sections.keys()].sort();
    this.order = [...names.filter((n) => !this.alwaysIncluded.has(n)), ...names.filter((n) => this.alwaysIncluded.has(n))];
  }
}

/** The slot of `full` (and `wanted`) that holds a format's body, plain or gzipped. */
function slotOf(format: Format, gzip: boolean): number {
  return (format === 'openmetrics' ? 2 : 0) + (gzip ? 1 : 0);
}

function bodyKey(format: Format, gzip: boolean, selection: ReadonlySet<string> | undefined): string {
  return `${format}|${gzip ? 'gz' : 'id'}|${selection ? [...selection].sort().join(',') : '*'}`;
}

function spareKey(section: string, format: Format): string {
  return `${section}\u0000${format}`;
}

function renderOptions(format: Format, opts: PublishOptions) {
  return { format, timestamps: opts.timestamps, defaultTimestampMs: opts.runTimeMs, cacheLabels: opts.cacheLabels === true };
}
