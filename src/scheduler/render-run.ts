/**
 * What every collector run goes through before it is served, on the main thread or in the
 * collector's worker thread alike: the series cap, the check for names reserved for spyglass's
 * own metrics, then rendering the formats clients have asked for into spare memory.
 */
import { cooperativeYielder } from '../cooperative.js';
import { reusingAllocator } from '../metrics/byte-writer.js';
import { seriesCount, type MetricFamily } from '../metrics/model.js';
import { renderFamiliesInSlices, type Format, type RenderOptions } from '../metrics/render.js';
import { BUILTIN_SPYGLASS_PREFIXES, SELF_METRIC_PREFIXES } from '../metrics/reserved-prefixes.js';
import { capSeries } from '../metrics/series-cap.js';

/** How a collector's samples are written (the render options that do not depend on the format). */
export interface RenderSettings {
  /** See CollectorSettings.sampleTimestamps. */
  timestamps: boolean;
  runTimeMs: number;
  /** See CollectorDefinition.stableLabels. */
  cacheLabels: boolean;
}

export interface RenderFormatsOptions extends RenderSettings {
  formats: readonly Format[];
  /** Memory of an earlier body per format, written into when it fits (see reusingAllocator). */
  spares: Partial<Record<Format, Buffer>>;
  /** Expected size per format (the previous body), so the output buffer rarely grows. */
  sizeHint: (format: Format) => number | undefined;
  /** Memory for a body that does not fit its spare (Buffer.allocUnsafe unless given). */
  fresh?: (size: number) => Buffer;
  /** Gives the event loop a turn when it asks for one (see cooperativeYielder); `() => undefined` renders at once. */
  yieldNow: () => Promise<void> | undefined;
}

export interface RenderCollectorRunOptions extends RenderFormatsOptions {
  collector: string;
  maxSeries: number | undefined;
  /** See CollectorDefinition.seriesGroupLabel. */
  groupLabel: string | undefined;
}

export interface RenderedFormats {
  bodies: Partial<Record<Format, Buffer>>;
  /** The memory each body sits in, to be handed back as a spare once the body is no longer served. */
  storage: Partial<Record<Format, Buffer>>;
}

export interface RenderedRun extends RenderedFormats {
  ok: true;
  /** The families as served (within the cap), for a format asked for later. */
  families: MetricFamily[];
  /** The families that have samples. */
  familyNames: string[];
  series: number;
  /** Series the cap left out. */
  dropped: number;
}

export type RenderRunResult = RenderedRun | { ok: false; error: string };

/** A successful collector run made ready to serve: capped, checked and rendered. */
export async function renderCollectorRun(families: MetricFamily[], o: RenderCollectorRunOptions): Promise<RenderRunResult> {
  const capped = await capSeries(families, o.maxSeries, o.groupLabel, o.yieldNow);
  const reserved = reservedFamily(o.collector, capped.families);
  if (reserved) return { ok: false, error: `metric family ${reserved} uses a prefix reserved for spyglass's own metrics` };
  const rendered = await renderFormats(capped.families, o);
  const familyNames = capped.families.filter((f) => f.samples.length > 0).map((f) => f.name);
  return { ok: true, ...rendered, families: capped.families, familyNames, series: seriesCount(capped.families), dropped: capped.dropped };
}

/** Renders `formats`, each into its spare where it fits. */
export async function renderFormats(families: readonly MetricFamily[], o: RenderFormatsOptions): Promise<RenderedFormats> {
  const out: RenderedFormats = { bodies: {}, storage: {} };
  for (const format of o.formats) {
    const memory = reusingAllocator(o.spares[format], o.fresh);
    const sizeHint = o.sizeHint(format);
    out.bodies[format] = await renderFamiliesInSlices(
      families,
      { ...renderOptions(format, o), ...(sizeHint ? { sizeHint } : {}), allocate: memory.allocate },
      o.yieldNow,
    );
    out.storage[format] = memory.storage();
  }
  return out;
}

/** For a run rendered on the main thread: a format first asked for later is rendered in slices, giving scrapes turns. */
export function renderLaterInSlices(families: readonly MetricFamily[], settings: RenderSettings): (format: Format) => Promise<Buffer> {
  return (format) => renderFamiliesInSlices(families, renderOptions(format, settings), cooperativeYielder());
}

export function renderOptions(format: Format, s: RenderSettings): RenderOptions {
  return { format, timestamps: s.timestamps, defaultTimestampMs: s.runTimeMs, cacheLabels: s.cacheLabels };
}

/** A family whose name starts with a prefix of spyglass's own metrics, other than the collector's own. */
function reservedFamily(collector: string, families: readonly MetricFamily[]): string | undefined {
  const own = BUILTIN_SPYGLASS_PREFIXES[collector] ?? '\0';
  return families.find((f) => SELF_METRIC_PREFIXES.some((p) => f.name.startsWith(p)) && !f.name.startsWith(own))?.name;
}
