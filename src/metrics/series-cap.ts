import { sampleSeriesCount, seriesCount, type MetricFamily } from './model.js';

export interface CappedFamilies {
  families: MetricFamily[];
  /** Series left out to stay within the cap. */
  dropped: number;
}

/**
 * Keeps at most `maxSeries` series. With a `groupLabel`, items (all series sharing that label's
 * value) are kept whole, in the order they first appear, and samples without the label always stay;
 * without one, the last samples go. Either way the result never exceeds the cap.
 */
export function capSeries(families: MetricFamily[], maxSeries: number | undefined, groupLabel?: string): CappedFamilies {
  const total = seriesCount(families);
  if (maxSeries === undefined || total <= maxSeries) return { families, dropped: 0 };
  const keep = groupLabel ? keptGroups(families, maxSeries, groupLabel) : undefined;
  let budget = maxSeries;
  const out: MetricFamily[] = [];
  for (const f of families) {
    const samples = (f.samples as Array<(typeof f.samples)[number]>).filter((s) => {
      const group = groupLabel ? s.labels?.[groupLabel] : undefined;
      if (keep && group !== undefined && !keep.has(group)) return false;
      const cost = sampleSeriesCount(f, s);
      if (cost > budget) return false;
      budget -= cost;
      return true;
    });
    if (samples.length) out.push({ ...f, samples } as MetricFamily);
  }
  return { families: out, dropped: total - seriesCount(out) };
}

/** Groups that fit, in order of first appearance, after the ungrouped samples are paid for. */
function keptGroups(families: MetricFamily[], maxSeries: number, groupLabel: string): Set<string> {
  const costs = new Map<string, number>();
  let ungrouped = 0;
  for (const f of families) {
    for (const s of f.samples) {
      const cost = sampleSeriesCount(f, s);
      const group = s.labels?.[groupLabel];
      if (group === undefined) ungrouped += cost;
      else costs.set(group, (costs.get(group) ?? 0) + cost);
    }
  }
  const keep = new Set<string>();
  let budget = maxSeries - ungrouped;
  for (const [group, cost] of costs) {
    if (cost > budget) continue;
    keep.add(group);
    budget -= cost;
  }
  return keep;
}
