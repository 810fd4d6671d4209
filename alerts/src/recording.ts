import type { MixinConfig } from '../../src/mixin/config.js';
import { sel, type RecordingRule, type RuleGroup } from './rule.js';

/** Windows of the SLO ratios: the burn-rate alerts' long and short windows. */
export const SLO_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;

/** Name of the recorded share of failed (`errors`) or failed-or-slow (`slow`) probes per target over a window. */
export function sloRecord(kind: 'errors' | 'slow', window: string): string {
  return `target:spyglass_probe_${kind}:ratio_rate${window}`;
}

/** The error budget as a ratio: 99.9 -> 0.001 (rounded so float noise does not reach the rules). */
export function errorBudget(sloPercent: number): number {
  return Number(((100 - sloPercent) / 100).toPrecision(6));
}

/**
 * Per-target SLIs from spyglass's probe counters and histogram (all series of a target keep their
 * labels; `sum without` drops only `result` / `le`). Failed probes count against both objectives;
 * the 30-day ratios average the 5-minute ones, which is cheap to evaluate and, probes being
 * periodic, weighs every probe alike.
 */
export function sloRecordingGroups(c: MixinConfig): Array<RuleGroup<RecordingRule>> {
  const total = (w: string) => `sum without (result) (rate(spyglass_probes_total${sel(c.selector)}[${w}]))`;
  const rules: RecordingRule[] = [];
  for (const w of SLO_WINDOWS) {
    rules.push({
      record: sloRecord('errors', w),
      expr: `sum without (result) (rate(spyglass_probes_total${sel(c.selector, 'result!="success"')}[${w}]))\n/\n${total(w)}`,
    });
    rules.push({
      record: sloRecord('slow', w),
      expr: `1 - (\n  sum without (le) (rate(spyglass_probe_duration_seconds_bucket${sel(c.selector, `le="${c.probeLatencySloSeconds}"`)}[${w}]))\n/\n  ${total(w)}\n)`,
    });
  }
  for (const kind of ['errors', 'slow'] as const)
    rules.push({ record: sloRecord(kind, '30d'), expr: `avg_over_time(${sloRecord(kind, '5m')}${sel(c.selector)}[30d])` });
  return [{ name: 'spyglass-probe-slo.rules', rules }];
}
