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
  const sorted = [...families].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const f of sorted) {
    if (f.samples.length === 0) continue;
    renderHeader(out, f, opts.format);
    const stamp = opts.timestamps && (f.type === 'counter' || f.type === 'histogram');
    const samples = sortByLabels(f.samples as Array<Sample | HistogramSample | SummarySample>);
    if (f.type === 'histogram') {
      for (const s of samples as HistogramSample[]) renderHistogram(out, f.name, s, stampOf(stamp, s, opts));
    } else if (f.type === 'summary') {
      for (const s of samples as SummarySample[]) renderSummary(out, f.name, s);
    } else {
      for (const s of samples as Sample[]) {
        out.push(f.name, labelBlock(s.labels), ' ', formatValue(s.value), stampOf(stamp, s, opts), '\n');
      }
    }
  }
  return out.join('');
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

function labelPairs(labels: Labels | undefined): string {
  if (!labels) return '';
  const names = Object.keys(labels);
  if (names.length === 0) return '';
  names.sort();
  let s = '';
  for (const n of names) s += `${s ? ',' : ''}${n}="${escapeLabelValue(labels[n] as string)}"`;
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
  return Object.keys(labels)
    .sort()
    .map((n) => `${n}\u0000${labels[n]}\u0001`)
    .join('');
}
