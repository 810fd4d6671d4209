import type { MetricFamily } from '../metrics/model.js';
import { BUILTIN_SPYGLASS_PREFIXES, SELF_METRIC_PREFIXES } from '../metrics/reserved-prefixes.js';
import { capSeries } from '../metrics/series-cap.js';

export type Publishable = { ok: true; families: MetricFamily[]; dropped: number } | { ok: false; error: string };

/**
 * What of a successful run may be published: its families within the series cap (whole
 * `groupLabel` items dropped beyond it), unless one of them takes a name reserved for spyglass's own metrics.
 */
export async function publishableFamilies(
  collector: string,
  families: MetricFamily[],
  maxSeries: number | undefined,
  groupLabel: string | undefined,
  yieldNow: () => Promise<void> | undefined,
): Promise<Publishable> {
  const capped = await capSeries(families, maxSeries, groupLabel, yieldNow);
  const own = BUILTIN_SPYGLASS_PREFIXES[collector] ?? '\0';
  const reserved = capped.families.find((f) => SELF_METRIC_PREFIXES.some((p) => f.name.startsWith(p)) && !f.name.startsWith(own));
  if (reserved) return { ok: false, error: `metric family ${reserved.name} uses a prefix reserved for spyglass's own metrics` };
  return { ok: true, ...capped };
}
