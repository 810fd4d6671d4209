import type { HistogramSample, Labels, MetricFamily, SummarySample } from './model.js';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'untyped', 'histogram', 'summary']);

/** Checks what a collector returned; a third-party collector is untrusted input. Returns problems, empty when valid. */
export function validateFamilies(families: unknown): string[] {
  if (!Array.isArray(families)) return [`collect() must return an array of metric families, got ${typeof families}`];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [i, f] of (families as MetricFamily[]).entries()) {
    if (problems.length >= 10) break;
    const where = `family ${i} (${typeof f?.name === 'string' ? f.name : '?'})`;
    if (typeof f !== 'object' || f === null) {
      problems.push(`${where}: not an object`);
      continue;
    }
    if (typeof f.name !== 'string' || !METRIC_NAME.test(f.name)) {
      problems.push(`${where}: invalid metric name`);
      continue;
    }
    if (seen.has(f.name)) {
      problems.push(`${where}: family name repeated`);
      continue;
    }
    seen.add(f.name);
    if (typeof f.help !== 'string') problems.push(`${where}: help must be a string`);
    if (!TYPES.has(f.type)) problems.push(`${where}: unknown type ${String(f.type)}`);
    if (!Array.isArray(f.samples)) {
      problems.push(`${where}: samples must be an array`);
      continue;
    }
    const labelSets = new Set<string>();
    for (const s of f.samples as Array<{ labels?: Labels; value?: unknown }>) {
      const labelProblem = checkLabels(s?.labels, f.type === 'histogram' ? 'le' : f.type === 'summary' ? 'quantile' : undefined);
      if (labelProblem) {
        problems.push(`${where}: ${labelProblem}`);
        break;
      }
      const key = labelKey(s.labels);
      if (labelSets.has(key)) {
        problems.push(`${where}: duplicate label set {${key}}`);
        break;
      }
      labelSets.add(key);
      const valueProblem =
        f.type === 'histogram'
          ? checkHistogram(s as unknown as HistogramSample)
          : f.type === 'summary'
            ? checkSummary(s as unknown as SummarySample)
            : checkValue(s.value);
      if (valueProblem) {
        problems.push(`${where}: ${valueProblem}`);
        break;
      }
    }
  }
  return problems;
}

function checkLabels(labels: unknown, reserved: string | undefined): string | undefined {
  if (labels === undefined) return undefined;
  if (typeof labels !== 'object' || labels === null) return 'labels must be an object';
  for (const [k, v] of Object.entries(labels)) {
    if (!LABEL_NAME.test(k) || k.startsWith('__')) return `invalid label name ${JSON.stringify(k)}`;
    if (k === reserved) return `samples of this type cannot carry a "${reserved}" label`;
    if (typeof v !== 'string') return `label ${k} must be a string`;
  }
  return undefined;
}

function checkValue(v: unknown): string | undefined {
  return typeof v === 'number' ? undefined : `value must be a number, got ${typeof v}`;
}

function checkSummary(s: SummarySample): string | undefined {
  if (!Array.isArray(s.quantiles)) return 'summary quantiles must be an array';
  for (const q of s.quantiles) if (!Array.isArray(q) || typeof q[0] !== 'number' || typeof q[1] !== 'number') return 'quantile must be [q, value]';
  if (typeof s.sum !== 'number' || typeof s.count !== 'number') return 'summary sum and count must be numbers';
  return undefined;
}

function checkHistogram(s: HistogramSample): string | undefined {
  if (!Array.isArray(s.buckets)) return 'histogram buckets must be an array';
  let prevLe = -Infinity;
  let prevCount = 0;
  for (const b of s.buckets) {
    if (!Array.isArray(b) || typeof b[0] !== 'number' || typeof b[1] !== 'number') return 'bucket must be [le, count]';
    if (!(b[0] > prevLe)) return 'bucket bounds must be strictly ascending';
    if (b[1] < prevCount) return 'bucket counts must be cumulative';
    prevLe = b[0];
    prevCount = b[1];
  }
  if (typeof s.sum !== 'number' || typeof s.count !== 'number') return 'histogram sum and count must be numbers';
  if (s.count < prevCount) return 'histogram count is below its last bucket';
  return undefined;
}

export function labelKey(labels: Labels | undefined): string {
  if (!labels) return '';
  const keys = Object.keys(labels).sort();
  return keys.map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',');
}
