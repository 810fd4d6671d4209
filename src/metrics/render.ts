import { escapeHelpOpenMetrics, escapeHelpText, escapeLabelValue, formatValue } from './escape.js';
import type { HistogramSample, Labels, MetricFamily, MetricType, Sample, SummarySample } from './model.js';

export type Format = 'prometheus' | 'openmetrics';

export interface RenderOptions {
  format: Format;
  /** Attach sample timestamps to counters and histograms (see docs/aliasing.md). */
  timestamps: boolean;
  /** Timestamp for samples that carry none, in ms since the epoch. */
  defaultTimestampMs: number;
}

/** Renders families (sorted by name, samples sorted by labels) without the OpenMetrics `# EOF` trailer. */
export function renderFamilies(families: readonly MetricFamily[], opts: RenderOptions): string {
  const out: string[] = [];
  for (const _ of renderSteps(families, opts, out));
  return out.join('');
}

/**
 * renderFamilies for large sections, as UTF-8 bytes: gives the event loop a turn whenever `yieldNow`
 * asks for one (checked between families and every SAMPLES_PER_STEP samples), and encodes slice by
 * slice, so 50,000 series (10 MB) never hold up scrapes for long.
 */
export async function renderFamiliesInSlices(families: readonly MetricFamily[], opts: RenderOptions, yieldNow: () => Promise<void> | undefined): Promise<Buffer> {
  const out: string[] = [];
  const chunks: Buffer[] = [];
  for (const _ of renderSteps(families, opts, out)) {
    const turn = yieldNow();
    if (!turn) continue;
    chunks.push(Buffer.from(out.join('')));
    out.length = 0;
    await turn;
  }
  chunks.push(Buffer.from(out.join('')));
  return Buffer.concat(chunks);
}

const SAMPLES_PER_STEP = 250;

function* renderSteps(families: readonly MetricFamily[], opts: RenderOptions, out: string[]): Generator<void> {
  const sorted = [...families].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const f of sorted) {
    if (f.samples.length === 0) continue;
    renderHeader(out, f, opts.format);
    const stamp = opts.timestamps && (f.type === 'counter' || f.type === 'histogram');
    const samples = sortByLabels(f.samples as Array<Sample | HistogramSample | SummarySample>);
    for (let i = 0; i < samples.length; i++) {
      if (f.type === 'histogram') renderHistogram(out, f.name, samples[i] as HistogramSample, stampOf(stamp, samples[i] as HistogramSample, opts));
      else if (f.type === 'summary') renderSummary(out, f.name, samples[i] as SummarySample);
      else out.push(f.name, labelBlock(samples[i]?.labels), ' ', formatValue((samples[i] as Sample).value), stampOf(stamp, samples[i] as Sample, opts), '\n');
      if ((i + 1) % SAMPLES_PER_STEP === 0) yield;
    }
    yield;
  }
}

export const OPENMETRICS_EOF = '# EOF\n';

function renderHeader(out: string[], f: MetricFamily, format: Format): void {
  if (format === 'prometheus') {
    out.push('# HELP ', f.name, ' ', escapeHelpText(f.help), '\n# TYPE ', f.name, ' ', f.type, '\n');
    return;
  }
  const { familyName, type } = openMetricsFamily(f.name, f.type);
  out.push('# TYPE ', familyName, ' ', type, '\n');
  if (f.unit && familyName.endsWith(`_${f.unit}`)) out.push('# UNIT ', familyName, ' ', f.unit, '\n');
  out.push('# HELP ', familyName, ' ', escapeHelpOpenMetrics(f.help), '\n');
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

function renderHistogram(out: string[], name: string, s: HistogramSample, stamp: string): void {
  const base = labelPairs(s.labels);
  const prefix = base ? `{${base},le="` : '{le="';
  let sawInf = false;
  for (const [le, count] of s.buckets) {
    if (le === Infinity) sawInf = true;
    out.push(name, '_bucket', prefix, formatValue(le), '"} ', formatValue(count), stamp, '\n');
  }
  if (!sawInf) out.push(name, '_bucket', prefix, '+Inf"} ', formatValue(s.count), stamp, '\n');
  const block = base ? `{${base}}` : '';
  out.push(name, '_sum', block, ' ', formatValue(s.sum), stamp, '\n');
  out.push(name, '_count', block, ' ', formatValue(s.count), stamp, '\n');
}

function renderSummary(out: string[], name: string, s: SummarySample): void {
  const base = labelPairs(s.labels);
  const prefix = base ? `{${base},quantile="` : '{quantile="';
  for (const [q, v] of s.quantiles) out.push(name, prefix, formatValue(q), '"} ', formatValue(v), '\n');
  const block = base ? `{${base}}` : '';
  out.push(name, '_sum', block, ' ', formatValue(s.sum), '\n');
  out.push(name, '_count', block, ' ', formatValue(s.count), '\n');
}

function stampOf(enabled: boolean, s: { timestampMs?: number }, opts: RenderOptions): string {
  if (!enabled) return '';
  const ms = Math.round(s.timestampMs ?? opts.defaultTimestampMs);
  return opts.format === 'prometheus' ? ` ${ms}` : ` ${ms / 1000}`;
}

/**
 * Rendered label pairs and sort keys per labels object. Collectors that hand out the same labels
 * object for every family of an item, run after run (the container collector does, for ~30
 * families of each of thousands of cgroups), pay for escaping and key building once.
 */
const pairsCache = new WeakMap<Labels, string>();
const sortKeyCache = new WeakMap<Labels, string>();

function labelPairs(labels: Labels | undefined): string {
  if (!labels) return '';
  let s = pairsCache.get(labels);
  if (s !== undefined) return s;
  s = '';
  for (const n of Object.keys(labels).sort()) s += `${s ? ',' : ''}${n}="${escapeLabelValue(labels[n] as string)}"`;
  pairsCache.set(labels, s);
  return s;
}

function labelBlock(labels: Labels | undefined): string {
  const pairs = labelPairs(labels);
  return pairs ? `{${pairs}}` : '';
}

function sortByLabels<T extends { labels?: Labels }>(samples: T[]): T[] {
  if (samples.length < 2) return samples;
  const keyed = samples.map((s) => ({ s, k: sortKey(s.labels) }));
  keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  return keyed.map((x) => x.s);
}

function sortKey(labels: Labels | undefined): string {
  if (!labels) return '';
  let key = sortKeyCache.get(labels);
  if (key === undefined) {
    key = '';
    for (const n of Object.keys(labels).sort()) key += `${n}\u0000${labels[n]}\u0001`;
    sortKeyCache.set(labels, key);
  }
  return key;
}
