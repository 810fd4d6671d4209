import { ByteWriter } from './byte-writer.js';
import { escapeHelpOpenMetrics, escapeHelpText, escapeLabelValue, formatValue } from './escape.js';
import type { HistogramSample, Labels, MetricFamily, MetricType, Sample, SummarySample } from './model.js';

export const FORMATS = ['prometheus', 'openmetrics'] as const;
export type Format = (typeof FORMATS)[number];

export interface RenderOptions {
  format: Format;
  /** Attach sample timestamps to counters and histograms (see docs/aliasing.md). */
  timestamps: boolean;
  /** Timestamp for samples that carry none, in ms since the epoch. */
  defaultTimestampMs: number;
  /** Cache the rendered labels on each labels object (see CollectorDefinition.stableLabels). */
  cacheLabels?: boolean;
  /** Expected size in bytes (the previous render of the same section), so the output buffer rarely grows. */
  sizeHint?: number;
  /** Where the output buffer comes from (Buffer.allocUnsafe unless given). */
  allocate?: (size: number) => Buffer;
}

/** Renders families (sorted by name, samples sorted by labels) without the OpenMetrics `# EOF` trailer. */
export function renderFamilies(families: readonly MetricFamily[], opts: RenderOptions): string {
  return renderFamiliesToBuffer(families, opts).toString('utf8');
}

/** renderFamilies as UTF-8 bytes. */
export function renderFamiliesToBuffer(families: readonly MetricFamily[], opts: RenderOptions): Buffer {
  const out = new ByteWriter(opts.sizeHint, opts.allocate);
  for (const _ of renderSteps(families, opts, out));
  return out.finish();
}

/**
 * renderFamiliesToBuffer for large sections: gives the event loop a turn whenever `yieldNow` asks
 * for one (checked between families and every SAMPLES_PER_STEP samples), so 50,000 series (10 MB)
 * never hold up scrapes for long.
 */
export async function renderFamiliesInSlices(
  families: readonly MetricFamily[],
  opts: RenderOptions,
  yieldNow: () => Promise<void> | undefined,
): Promise<Buffer> {
  const out = new ByteWriter(opts.sizeHint, opts.allocate);
  for (const _ of renderSteps(families, opts, out)) {
    const turn = yieldNow();
    if (turn) await turn;
  }
  return out.finish();
}

const SAMPLES_PER_STEP = 250;
const SPACE = 0x20;
const NEWLINE = 0x0a;

function* renderSteps(families: readonly MetricFamily[], opts: RenderOptions, out: ByteWriter): Generator<void> {
  const sorted = [...families].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const f of sorted) {
    if (f.samples.length === 0) continue;
    renderHeader(out, f, opts.format);
    const stamp = opts.timestamps && (f.type === 'counter' || f.type === 'histogram');
    const samples = f.samples as Array<Sample | HistogramSample | SummarySample>;
    const cache = opts.cacheLabels === true;
    const order = yield* labelOrder(f.name, samples, cache);
    const name = f.type === 'histogram' || f.type === 'summary' ? undefined : Buffer.from(f.name);
    for (let i = 0; i < samples.length; i++) {
      const s = samples[order ? (order[i] as number) : i] as Sample | HistogramSample | SummarySample;
      if (f.type === 'histogram') renderHistogram(out, f.name, s as HistogramSample, stampOf(stamp, s, opts), cache);
      else if (f.type === 'summary') renderSummary(out, f.name, s as SummarySample, cache);
      else {
        out.bytes(name as Buffer);
        if (cache) out.bytes(labelBlock(s.labels));
        else if (s.labels) {
          const pairs = labelPairs(s.labels, false);
          if (pairs) out.text(`{${pairs}}`);
        }
        out.byte(SPACE);
        out.number((s as Sample).value, formatValue);
        if (stamp) out.text(stampOf(true, s, opts));
        out.byte(NEWLINE);
      }
      if ((i + 1) % SAMPLES_PER_STEP === 0) yield;
    }
    yield;
  }
}

export const OPENMETRICS_EOF = '# EOF\n';

function renderHeader(out: ByteWriter, f: MetricFamily, format: Format): void {
  if (format === 'prometheus') {
    out.text(`# HELP ${f.name} ${escapeHelpText(f.help)}\n# TYPE ${f.name} ${f.type}\n`);
    return;
  }
  const { familyName, type } = openMetricsFamily(f.name, f.type);
  out.text(`# TYPE ${familyName} ${type}\n`);
  if (f.unit && familyName.endsWith(`_${f.unit}`)) out.text(`# UNIT ${familyName} ${f.unit}\n`);
  out.text(`# HELP ${familyName} ${escapeHelpOpenMetrics(f.help)}\n`);
}

/**
 * OpenMetrics names a counter family without `_total`. A counter whose samples lack the suffix is
 * exposed as `unknown` so its series keep the exact name they have in the text format.
 */
export function openMetricsFamily(name: string, type: MetricType): { familyName: string; type: string } {
  if (type === 'counter') {
    return name.endsWith('_total') ? { familyName: name.slice(0, -6), type: 'counter' } : { familyName: name, type: 'unknown' };
  }
  return { familyName: name, type: type === 'untyped' ? 'unknown' : type };
}

function renderHistogram(out: ByteWriter, name: string, s: HistogramSample, stamp: string, cache: boolean): void {
  const base = labelPairs(s.labels, cache);
  const prefix = base ? `{${base},le="` : '{le="';
  let text = '';
  let sawInf = false;
  for (const [le, count] of s.buckets) {
    if (le === Infinity) sawInf = true;
    text += `${name}_bucket${prefix}${formatValue(le)}"} ${formatValue(count)}${stamp}\n`;
  }
  if (!sawInf) text += `${name}_bucket${prefix}+Inf"} ${formatValue(s.count)}${stamp}\n`;
  const block = base ? `{${base}}` : '';
  out.text(`${text}${name}_sum${block} ${formatValue(s.sum)}${stamp}\n${name}_count${block} ${formatValue(s.count)}${stamp}\n`);
}

function renderSummary(out: ByteWriter, name: string, s: SummarySample, cache: boolean): void {
  const base = labelPairs(s.labels, cache);
  const prefix = base ? `{${base},quantile="` : '{quantile="';
  let text = '';
  for (const [q, v] of s.quantiles) text += `${name}${prefix}${formatValue(q)}"} ${formatValue(v)}\n`;
  const block = base ? `{${base}}` : '';
  out.text(`${text}${name}_sum${block} ${formatValue(s.sum)}\n${name}_count${block} ${formatValue(s.count)}\n`);
}

function stampOf(enabled: boolean, s: { timestampMs?: number }, opts: RenderOptions): string {
  if (!enabled) return '';
  const ms = Math.round(s.timestampMs ?? opts.defaultTimestampMs);
  return opts.format === 'prometheus' ? ` ${ms}` : ` ${ms / 1000}`;
}

/**
 * Rendered label pairs, `{…}` blocks as bytes and sort keys per labels object, for collectors that
 * hand out the same labels object for every family of an item, run after run (the container
 * collector does, for ~30 families of each of thousands of cgroups): they pay for escaping,
 * encoding and key building once. For labels made afresh each run (the host collectors) the
 * caches cost more than they save: about 14% of the process's CPU at a 15 s scrape
 * (docs/benchmarks.md).
 */
const pairsCache = new WeakMap<Labels, string>();
const blockCache = new WeakMap<Labels, Buffer>();
const sortKeyCache = new WeakMap<Labels, string>();
const NO_LABELS = Buffer.alloc(0);

function labelPairs(labels: Labels | undefined, cache: boolean): string {
  if (!labels) return '';
  let s = cache ? pairsCache.get(labels) : undefined;
  if (s !== undefined) return s;
  s = '';
  for (const n of Object.keys(labels).sort()) s += `${s ? ',' : ''}${n}="${escapeLabelValue(labels[n] as string)}"`;
  if (cache) pairsCache.set(labels, s);
  return s;
}

function labelBlock(labels: Labels | undefined): Buffer {
  if (!labels) return NO_LABELS;
  let block = blockCache.get(labels);
  if (block === undefined) {
    // Not kept as a string too: the bytes are all later runs need (a string of ~14 pieces per labels object held 9 MiB at 1,000 containers).
    const pairs = labelPairs(labels, false);
    block = pairs ? Buffer.from(`{${pairs}}`) : NO_LABELS;
    blockCache.set(labels, block);
  }
  return block;
}

/**
 * The order of a family's samples sorted by labels, or undefined when they already are. A large
 * family whose samples carry the same labels objects in the same order as last time (a collector
 * reporting the same items again, an unchanged textfile) reuses last time's order instead of
 * sorting again; remembering keeps one run's labels objects alive until the next.
 */
const lastOrders = new Map<string, { labels: Array<Labels | undefined>; order: Uint32Array | undefined }>();
const REMEMBERED_ORDER_MIN_SAMPLES = 256;
/** Families whose order is remembered (textfiles may bring any names; old ones go first). */
const REMEMBERED_ORDER_FAMILIES = 1024;

function* labelOrder(family: string, samples: ReadonlyArray<{ labels?: Labels }>, cache: boolean): Generator<void, Uint32Array | undefined> {
  if (samples.length < 2) return undefined;
  const remember = samples.length >= REMEMBERED_ORDER_MIN_SAMPLES;
  const last = remember ? lastOrders.get(family) : undefined;
  if (last && last.labels.length === samples.length && last.labels.every((l, i) => l === samples[i]?.labels)) return last.order;
  // Keys in steps (90,000 textfile series took 100 ms); the sort itself stays one step.
  const keys: string[] = [];
  for (let i = 0; i < samples.length; i++) {
    if (i % (8 * SAMPLES_PER_STEP) === 8 * SAMPLES_PER_STEP - 1) yield;
    keys.push(sortKey((samples[i] as { labels?: Labels }).labels, cache));
  }
  let order: Uint32Array | undefined;
  if (keys.some((k, i) => i > 0 && k < (keys[i - 1] as string))) {
    order = Uint32Array.from(keys.keys());
    order.sort((a, b) => {
      const ka = keys[a] as string;
      const kb = keys[b] as string;
      return ka < kb ? -1 : ka > kb ? 1 : a - b;
    });
  }
  lastOrders.delete(family);
  if (remember) lastOrders.set(family, { labels: samples.map((s) => s.labels), order });
  if (lastOrders.size > REMEMBERED_ORDER_FAMILIES) lastOrders.delete(lastOrders.keys().next().value as string);
  return order;
}

function sortKey(labels: Labels | undefined, cache: boolean): string {
  if (!labels) return '';
  let key = cache ? sortKeyCache.get(labels) : undefined;
  if (key === undefined) {
    key = '';
    for (const n of Object.keys(labels).sort()) key += `${n}\u0000${labels[n]}\u0001`;
    if (cache) sortKeyCache.set(labels, key);
  }
  return key;
}
