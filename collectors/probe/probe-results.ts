/**
 * What the probes of each target have found so far, and its metric families: the latest probe's
 * blackbox gauges, plus spyglass's histogram of successful probes' durations and counters of
 * probes by result, which unlike the gauges lose no probe between two scrapes.
 */
import type { HistogramSample, Labels, MetricFamily, Sample } from '../../src/metrics/model.js';
import { PROBE_GAUGES, type ProbeGauge } from './probe-report.js';
import type { ProbeOutcome } from './probe-context.js';

export type ProbeResult = 'success' | 'failure' | 'timeout';
const RESULTS: readonly ProbeResult[] = ['success', 'failure', 'timeout'];

/** smokeping_prober's default: 50 µs doubling 20 times, to 26.2 s. */
export const DEFAULT_BUCKETS: readonly number[] = Array.from({ length: 20 }, (_, i) => 0.00005 * 2 ** i);

export interface TargetSummary {
  lastResult?: ProbeResult;
  lastFailure?: string;
  lastDurationSeconds?: number;
  lastProbeMs?: number;
  probes: number;
}

class TargetRecord {
  readonly counts: Record<ProbeResult, number> = { success: 0, failure: 0, timeout: 0 };
  readonly bucketCounts: number[];
  sum = 0;
  latest: ProbeOutcome | undefined;
  lastProbeMs: number | undefined;
  /** Labels objects kept for the life of the target (the renderer caches their rendered form). */
  private readonly derived = new Map<string, Labels>();

  constructor(
    readonly labels: Labels,
    buckets: readonly number[],
  ) {
    this.bucketCounts = new Array<number>(buckets.length).fill(0);
  }

  withLabels(extra: Readonly<Record<string, string>> | undefined): Labels {
    if (!extra) return this.labels;
    const key = JSON.stringify(extra);
    let l = this.derived.get(key);
    if (!l) {
      l = { ...extra, ...this.labels };
      if (this.derived.size > 64) this.derived.clear(); // e.g. a changing certificate serial; never unbounded
      this.derived.set(key, l);
    }
    return l;
  }
}

export class ProbeResults {
  private readonly targets = new Map<string, TargetRecord>();

  constructor(private readonly buckets: readonly number[] = DEFAULT_BUCKETS) {}

  /** Makes the set of known targets exactly `keys` (new ones start empty; gone ones are forgotten). */
  retain(targets: ReadonlyMap<string, Labels>): void {
    for (const key of this.targets.keys()) if (!targets.has(key)) this.targets.delete(key);
    for (const [key, labels] of targets) if (!this.targets.has(key)) this.targets.set(key, new TargetRecord(labels, this.buckets));
  }

  record(key: string, outcome: ProbeOutcome, atMs: number): void {
    const t = this.targets.get(key);
    if (!t) return; // the target was removed while its probe ran
    const result: ProbeResult = outcome.success ? 'success' : outcome.timedOut ? 'timeout' : 'failure';
    t.counts[result]++;
    if (outcome.success) {
      t.sum += outcome.durationSeconds;
      const i = this.buckets.findIndex((le) => outcome.durationSeconds <= le);
      if (i >= 0) t.bucketCounts[i] = (t.bucketCounts[i] as number) + 1;
    }
    t.latest = outcome;
    t.lastProbeMs = atMs;
  }

  summary(key: string): TargetSummary | undefined {
    const t = this.targets.get(key);
    if (!t) return undefined;
    const latest = t.latest;
    const probes = t.counts.success + t.counts.failure + t.counts.timeout;
    if (!latest) return { probes };
    return {
      probes,
      lastResult: latest.success ? 'success' : latest.timedOut ? 'timeout' : 'failure',
      ...(latest.failure ? { lastFailure: latest.failure } : {}),
      lastDurationSeconds: latest.durationSeconds,
      ...(t.lastProbeMs !== undefined ? { lastProbeMs: t.lastProbeMs } : {}),
    };
  }

  families(): MetricFamily[] {
    const gauges = new Map<ProbeGauge, Sample[]>();
    const totals: Sample[] = [];
    const histograms: HistogramSample[] = [];
    for (const t of this.targets.values()) {
      if (t.latest) {
        for (const [name, samples] of t.latest.report.gauges) {
          let out = gauges.get(name);
          if (!out) gauges.set(name, (out = []));
          for (const s of samples) out.push({ labels: t.withLabels(s.labels), value: s.value });
        }
      }
      const probed = t.counts.success + t.counts.failure + t.counts.timeout;
      if (probed === 0) continue;
      for (const result of RESULTS) totals.push({ labels: t.withLabels({ result }), value: t.counts[result] });
      let cumulative = 0;
      const buckets = this.buckets.map((le, i) => [le, (cumulative += t.bucketCounts[i] as number)] as const);
      histograms.push({ labels: t.labels, buckets, sum: t.sum, count: t.counts.success });
    }
    const families: MetricFamily[] = [...gauges].map(([name, samples]) => ({ name, help: PROBE_GAUGES[name], type: 'gauge', samples }));
    families.push({ name: 'spyglass_probes_total', help: 'Probes run, by result (success, failure, timeout).', type: 'counter', samples: totals });
    families.push({
      name: 'spyglass_probe_duration_seconds',
      help: 'Duration of successful probes, in seconds.',
      type: 'histogram',
      unit: 'seconds',
      samples: histograms,
    });
    return families;
  }
}
