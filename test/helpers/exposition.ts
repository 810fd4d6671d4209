import { formatValue } from '../../src/metrics/escape.js';
import { parseTextFormat } from '../../src/metrics/parse-text.js';

/**
 * An exposition read by the engine's own strict parser (src/metrics/parse-text.ts), which throws
 * on anything Prometheus would refuse, then laid out for comparing two exporters: each family
 * with its type, label names (le and quantile aside) and series as they appear on the wire.
 */
export interface ParsedFamily {
  type: string;
  labelNames: Set<string>;
  samples: Array<{ name: string; labels: Record<string, string>; value: number }>;
}

export function parseExposition(text: string, source = 'exposition'): Map<string, ParsedFamily> {
  const parsed = parseTextFormat(text, source);
  if (!parsed.ok) throw new Error(`invalid text format: ${parsed.error}`);
  const families = new Map<string, ParsedFamily>();
  for (const f of parsed.value.families) {
    const samples: ParsedFamily['samples'] = [];
    const labelNames = new Set<string>();
    for (const s of f.samples) {
      const labels = { ...s.labels };
      for (const k of Object.keys(labels)) labelNames.add(k);
      if ('buckets' in s) {
        for (const [le, count] of s.buckets) samples.push({ name: `${f.name}_bucket`, labels: { ...labels, le: formatValue(le) }, value: count });
      } else if ('quantiles' in s) {
        for (const [q, v] of s.quantiles) samples.push({ name: f.name, labels: { ...labels, quantile: formatValue(q) }, value: v });
      } else {
        samples.push({ name: f.name, labels, value: s.value });
        continue;
      }
      samples.push({ name: `${f.name}_sum`, labels, value: s.sum }, { name: `${f.name}_count`, labels, value: s.count });
    }
    families.set(f.name, { type: f.type, labelNames, samples });
  }
  return families;
}
