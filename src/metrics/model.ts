/** The metric model collectors return. The encoder, not the collector, escapes label values. */

/**
 * A series' labels. Never changed once handed to the engine: the renderer keeps each object's
 * rendered form, so a collector may (and for speed should) return the same object run after run.
 */
export type Labels = Readonly<Record<string, string>>;

export type ScalarType = 'counter' | 'gauge' | 'untyped';
/** Summaries only pass through (textfiles); spyglass's own metrics never use them. */
export type MetricType = ScalarType | 'histogram' | 'summary';

export interface Sample {
  labels?: Labels;
  value: number;
  /** Milliseconds since the epoch when the value was read; defaults to the run's time. */
  timestampMs?: number;
}

export interface HistogramSample {
  labels?: Labels;
  /** Cumulative counts per upper bound, ascending; a +Inf bucket is added if missing. */
  buckets: ReadonlyArray<readonly [le: number, count: number]>;
  sum: number;
  count: number;
  timestampMs?: number;
}

export interface SummarySample {
  labels?: Labels;
  quantiles: ReadonlyArray<readonly [quantile: number, value: number]>;
  sum: number;
  count: number;
  timestampMs?: number;
}

interface FamilyBase {
  name: string;
  help: string;
  /** Base unit (seconds, bytes, …); shown as `# UNIT` in OpenMetrics when the name ends with it. */
  unit?: string;
}

export interface ScalarFamily extends FamilyBase {
  type: ScalarType;
  samples: Sample[];
}

export interface HistogramFamily extends FamilyBase {
  type: 'histogram';
  samples: HistogramSample[];
}

export interface SummaryFamily extends FamilyBase {
  type: 'summary';
  samples: SummarySample[];
}

export type MetricFamily = ScalarFamily | HistogramFamily | SummaryFamily;

export function gauge(name: string, help: string, samples: Sample[] = [], unit?: string): ScalarFamily {
  return { name, help, type: 'gauge', samples, ...(unit ? { unit } : {}) };
}

export function counter(name: string, help: string, samples: Sample[] = [], unit?: string): ScalarFamily {
  return { name, help, type: 'counter', samples, ...(unit ? { unit } : {}) };
}

export function untyped(name: string, help: string, samples: Sample[] = []): ScalarFamily {
  return { name, help, type: 'untyped', samples };
}

export function seriesCount(families: readonly MetricFamily[]): number {
  let n = 0;
  for (const f of families) {
    if (f.type === 'histogram' || f.type === 'summary') for (const s of f.samples) n += sampleSeriesCount(f, s);
    else n += f.samples.length;
  }
  return n;
}

/** Series one sample of the family becomes in the exposition (a histogram's buckets, sum and count). */
export function sampleSeriesCount(f: MetricFamily, s: MetricFamily['samples'][number]): number {
  if (f.type === 'histogram') return (s as HistogramSample).buckets.length + (hasInfBucket(s as HistogramSample) ? 2 : 3);
  if (f.type === 'summary') return (s as SummarySample).quantiles.length + 2;
  return 1;
}

export function hasInfBucket(s: HistogramSample): boolean {
  const last = s.buckets[s.buckets.length - 1];
  return last !== undefined && last[0] === Infinity;
}
