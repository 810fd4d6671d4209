import { gzipSync } from 'node:zlib';
import type { MetricFamily } from '../metrics/model.js';
import { OPENMETRICS_EOF, renderFamilies, type Format } from '../metrics/render.js';

interface Section {
  text: Buffer;
  openmetrics: Buffer;
  familyNames: string[];
}

export interface PublishOptions {
  timestamps: boolean;
  runTimeMs: number;
}

const FILTERED_CACHE_ENTRIES = 16;
const GZIP_LEVEL = 6;

/**
 * Holds each collector's latest successful run, rendered once into both exposition formats, and
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
  private warmScheduled = false;

  constructor(private readonly alwaysIncluded: ReadonlySet<string> = new Set()) {}

  /** Renders and swaps in a section. Fails if a family name belongs to another section. */
  publish(section: string, families: readonly MetricFamily[], opts: PublishOptions): { ok: true } | { ok: false; error: string } {
    for (const f of families) {
      const owner = this.owners.get(f.name);
      if (owner !== undefined && owner !== section) {
        return { ok: false, error: `metric family ${f.name} is already exported by collector ${owner}` };
      }
    }
    const render = (format: Format) => Buffer.from(renderFamilies(families, { format, timestamps: opts.timestamps, defaultTimestampMs: opts.runTimeMs }));
    this.dropOwnership(section);
    const familyNames = families.filter((f) => f.samples.length > 0).map((f) => f.name);
    for (const n of familyNames) this.owners.set(n, section);
    const isNew = !this.sections.has(section);
    this.sections.set(section, { text: render('prometheus'), openmetrics: render('openmetrics'), familyNames });
    if (isNew) this.reorder();
    this.changed();
    return { ok: true };
  }

  /** Removes a section's series (failed or timed-out run, collector disabled). */
  withdraw(section: string): void {
    if (!this.sections.has(section)) return;
    this.dropOwnership(section);
    this.sections.delete(section);
    this.reorder();
    this.changed();
  }

  /**
   * The response body for a format, gzipped or not, for all sections or a selection of them
   * (sections in `alwaysIncluded` are part of every selection).
   */
  body(format: Format, gzip: boolean, selection?: ReadonlySet<string>): Buffer {
    if (!selection) {
      const slot = (format === 'openmetrics' ? 2 : 0) + (gzip ? 1 : 0);
      this.wanted[slot] = true;
      return (this.full[slot] ??= this.build(format, gzip, undefined));
    }
    const key = `${format}|${gzip ? 'gz' : 'id'}|${[...selection].sort().join(',')}`;
    const cached = this.bodies.get(key);
    if (cached) return cached;
    if (this.bodies.size >= FILTERED_CACHE_ENTRIES) this.bodies.delete(this.bodies.keys().next().value as string);
    const body = this.build(format, gzip, selection);
    this.bodies.set(key, body);
    return body;
  }

  private build(format: Format, gzip: boolean, selection: ReadonlySet<string> | undefined): Buffer {
    let body: Buffer;
    if (gzip) {
      body = gzipSync(this.body(format, false, selection), { level: GZIP_LEVEL });
    } else {
      const parts: Buffer[] = [];
      for (const name of this.order) {
        if (selection && !selection.has(name) && !this.alwaysIncluded.has(name)) continue;
        const s = this.sections.get(name) as Section;
        parts.push(format === 'prometheus' ? s.text : s.openmetrics);
      }
      if (format === 'openmetrics') parts.push(Buffer.from(OPENMETRICS_EOF));
      body = Buffer.concat(parts);
    }
    return body;
  }

  private changed(): void {
    this.full = [];
    this.bodies.clear();
    if (this.warmScheduled) return;
    // Several collectors often finish together; build the full bodies once after they have.
    this.warmScheduled = true;
    setImmediate(() => {
      this.warmScheduled = false;
      for (const [slot, wanted] of this.wanted.entries()) {
        if (wanted) this.body(slot >= 2 ? 'openmetrics' : 'prometheus', slot % 2 === 1);
      }
    });
  }

  private dropOwnership(section: string): void {
    const s = this.sections.get(section);
    if (!s) return;
    for (const n of s.familyNames) if (this.owners.get(n) === section) this.owners.delete(n);
  }

  private reorder(): void {
    const names = [...this.sections.keys()].sort();
    this.order = [...names.filter((n) => !this.alwaysIncluded.has(n)), ...names.filter((n) => this.alwaysIncluded.has(n))];
  }
}
