import { FORMATS, OPENMETRICS_EOF, type Format } from '../metrics/render.js';

/** A collector's latest successful run, rendered in the formats asked for so far (see render-run.ts). */
export interface RenderedSection {
  /** The families that have samples: a name belongs to one section at a time. */
  familyNames: string[];
  bodies: Partial<Record<Format, Buffer>>;
  /** The memory each body was written into, handed to a later render once this section is replaced (see takeSpares). */
  storage: Partial<Record<Format, Buffer>>;
  /** Renders the same run in a format it was not rendered in: in slices here, or in the collector's worker thread. */
  renderLater: (format: Format) => Promise<Buffer>;
}

interface Section extends RenderedSection {
  /** Renders under way, shared by the scrapes waiting for them. */
  rendering: Partial<Record<Format, Promise<void>>>;
}

/** A failed publish names the family and the section that already serves it. */
export type PublishResult = { ok: true } | { ok: false; error: string; family: string; owner: string };

/**
 * The sections served on /metrics, one per collector: their rendered bytes, which family names
 * each owns, their output order, and the memory of replaced bodies kept for the next render.
 * Response bodies made of them are the BodyCache's (body-cache.ts).
 */
export class SectionTable {
  private readonly sections = new Map<string, Section>();
  private readonly owners = new Map<string, string>();
  /** Section names in output order; `alwaysIncluded` sections (self-metrics) go at the end. */
  private order: string[] = [];
  /**
   * Per section and format, the storage of the body before the one served, rendered into again:
   * allocating a fresh 10 MB each run (1,000 containers) made V8 start a full GC every run or two
   * for external memory pressure. Only renders read section bytes, and they copy them; none is
   * handed out while a reader holds them over several turns (see `read`), so storage two
   * generations old is free.
   */
  private readonly spares = new Map<string, Buffer>();
  /** Readers that hold the sections' bytes over several turns of the event loop (see `read`). */
  private readers = 0;
  private changed: () => void = () => {};

  /** @param alwaysIncluded sections that are part of every selection, served last (self-metrics). */
  constructor(private readonly alwaysIncluded: ReadonlySet<string> = new Set()) {}

  /** Tells `listener` (the BodyCache) of every change to what the sections hold. */
  onChange(listener: () => void): void {
    this.changed = listener;
  }

  /** Swaps in a section. Fails if a family name belongs to another section. */
  publish(name: string, section: RenderedSection): PublishResult {
    const conflict = this.ownershipConflict(name, section.familyNames);
    if (conflict) return conflict;
    this.dropOwnership(name);
    this.keepSpares(name);
    for (const family of section.familyNames) this.owners.set(family, name);
    const isNew = !this.sections.has(name);
    this.sections.set(name, { ...section, bodies: { ...section.bodies }, rendering: {} });
    if (isNew) this.reorder();
    this.changed();
    return { ok: true };
  }

  /** Removes a section's series (failed or timed-out run, collector disabled). */
  withdraw(name: string): void {
    if (!this.sections.has(name)) return;
    this.dropOwnership(name);
    for (const format of FORMATS) this.spares.delete(spareKey(name, format));
    this.sections.delete(name);
    this.reorder();
    this.changed();
  }

  /** The section that serves a family of this name, if any. */
  ownerOf(familyName: string): string | undefined {
    return this.owners.get(familyName);
  }

  /** Size of a section's body in a format: the next render of it rarely has to grow its buffer. */
  sizeOf(name: string, format: Format): number | undefined {
    return this.sections.get(name)?.bodies[format]?.length;
  }

  /**
   * Memory of a section's body before the one served, for its next render to write into (see
   * `spares`); the caller owns it from now on.
   */
  takeSpares(name: string): Partial<Record<Format, Buffer>> {
    const out: Partial<Record<Format, Buffer>> = {};
    if (this.readers > 0) return out; // a reader may hold any section's bytes
    for (const format of FORMATS) {
      const key = spareKey(name, format);
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
      if (s.bodies[format]) continue;
      pending.push(
        (s.rendering[format] ??= s.renderLater(format).then(
          (body) => void (s.bodies[format] ??= body),
          () => {
            // The thread ended, or a newer run finished there: then its section has replaced this one
            // (the next prepare renders that), else the section stays empty in this format.
            if (this.sections.get(name) === s) s.bodies[format] ??= Buffer.alloc(0);
          },
        )),
      );
    }
    if (!pending.length) return undefined;
    return Promise.all(pending).then(() => this.prepare(format, selection));
  }

  /**
   * Hands `read` the prepared sections' bytes in output order (with OpenMetrics' `# EOF`), which
   * it may read over several turns of the event loop: meanwhile no render is handed the memory of
   * a replaced section (takeSpares), so the bytes stay intact whatever changes.
   */
  async read<T>(format: Format, selection: ReadonlySet<string> | undefined, read: (parts: Buffer[]) => Promise<T>): Promise<T> {
    const parts: Buffer[] = [];
    for (const [name, s] of this.selected(selection)) {
      const body = s.bodies[format];
      if (!body) throw new Error(`section ${name} has no ${format} body yet (prepare it first)`);
      parts.push(body);
    }
    if (format === 'openmetrics') parts.push(Buffer.from(OPENMETRICS_EOF));
    this.readers++;
    try {
      return await read(parts);
    } finally {
      this.readers--;
    }
  }

  /** The sections of a selection (sections in `alwaysIncluded` are part of every one), in output order. */
  private *selected(selection: ReadonlySet<string> | undefined): Generator<[string, Section]> {
    for (const name of this.order) {
      if (selection && !selection.has(name) && !this.alwaysIncluded.has(name)) continue;
      yield [name, this.sections.get(name) as Section];
    }
  }

  private ownershipConflict(name: string, familyNames: readonly string[]): PublishResult | undefined {
    for (const family of familyNames) {
      const owner = this.owners.get(family);
      if (owner !== undefined && owner !== name)
        return { ok: false, error: `metric family ${family} is already exported by collector ${owner}`, family, owner };
    }
    return undefined;
  }

  private dropOwnership(name: string): void {
    const s = this.sections.get(name);
    if (!s) return;
    for (const family of s.familyNames) if (this.owners.get(family) === name) this.owners.delete(family);
  }

  private keepSpares(name: string): void {
    const replaced = this.sections.get(name);
    for (const format of FORMATS) {
      const storage = replaced?.storage[format];
      if (storage) this.spares.set(spareKey(name, format), storage);
    }
  }

  private reorder(): void {
    const names = [...this.sections.keys()].sort();
    this.order = [...names.filter((n) => !this.alwaysIncluded.has(n)), ...names.filter((n) => this.alwaysIncluded.has(n))];
  }
}

function spareKey(section: string, format: Format): string {
  return `${section}\u0000${format}`;
}
