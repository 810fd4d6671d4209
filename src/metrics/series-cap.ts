import { sampleSeriesCount, seriesCount, type MetricFamily } from './model.js';

export interface CappedFamilies {
  families: MetricFamily[];
  /** Series left out to stay within the cap. */
  dropped: number;
}

type AnySample = MetricFamily['samples'][number];
type Yield = () => Promise<void> | undefined;

/** Samples between two offers of a turn to the event loop: 250,000 series (5,000 containers) took 50–60 ms in one turn. */
const SAMPLES_PER_STEP = 4096;

/**
 * Keeps at most `maxSeries` series. With a `groupLabel`, items (all series sharing that label's
 * value) are kept whole, in the order they first appear, and samples without the label always stay;
 * without one, the last samples go. Either way the result never exceeds the cap. `yieldNow` gives
 * the event loop a turn while going over large sets.
 */
export async function capSeries(
  families: MetricFamily[],
  maxSeries: number | undefined,
  groupLabel?: string,
  yieldNow: Yield = () => undefined,
): Promise<CappedFamilies> {
  const total = seriesCount(families);
  if (maxSeries === undefined || total <= maxSeries) return { families, dropped: 0 };
  const keep = groupLabel ? await keptGroups(families, maxSeries, groupLabel, yieldNow) : undefined;
  let budget = maxSeries;
  let kept = 0;
  const out: MetricFamily[] = [];
  for (const f of families) {
    const samples: AnySample[] = [];
    for (let i = 0; i < f.samples.length; i++) {
      if (i % SAMPLES_PER_STEP === SAMPLES_PER_STEP - 1) await yieldNow();
      const s = f.samples[i] as AnySample;
      const group = groupLabel ? s.labels?.[groupLabel] : undefined;
      if (keep && group !== undefined && !keep.has(group)) continue;
      const cost = sampleSeriesCount(f, s);
      if (cost > budget) continue;
      budget -= cost;
      kept += cost;
      samples.push(s);
    }
    if (samples.length) out.push({ ...f, samples } as MetricFamily);
  }
  return { families: out, dropped: total - kept };
}

/** Groups that fit, in order of first appearance, after the ungrouped samples are paid for. */
async function keptGroups(families: MetricFamily[], maxSeries: number, groupLabel: string, yieldNow: Yield): Promise<Set<string>> {
  const costs = new Map<string, number>();
  let ungrouped = 0;
  for (const f of families) {
    for (let i = 0; i < f.samples.length; i++) {
      if (i % SAMPLES_PER_STEP === SAMPLES_PER_STEP - 1) await yieldNow();
      const s = f.samples[i] as AnySample;
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
