/**
 * Turns a collector run's families into the series remote write sends, for one endpoint: each
 * family as Prometheus stores it (a histogram as its _bucket, _sum and _count series, a summary
 * as its quantiles, _sum and _count), external labels added where the series lacks them, the
 * endpoint's write_relabel_configs applied, and a staleness marker for each series the
 * collector served last run and no longer does (as Prometheus writes one when a scraped series
 * disappears: https://prometheus.io/docs/prometheus/latest/querying/basics/#staleness).
 */
import type { Labels, MetricFamily } from '../metrics/model.js';
import { hasInfBucket } from '../metrics/model.js';
import { relabel, type RelabelRule } from '../metrics/relabel.js';
import { formatValue } from '../metrics/escape.js';
import { encodeLabels, SeriesWriter } from './wire.js';

/** A series as the endpoint sends it: its encoded labels, and which shard sends it. */
interface SentSeries {
  labels: Buffer;
  shard: number;
}

/** The encoded series of one run, split into records of at most `maxSamples` samples per shard. */
export interface RunRecord {
  shard: number;
  samples: number;
  payload: Buffer;
  maxTimestampMs: number;
}

export interface SeriesOptions {
  externalLabels: ReadonlyArray<readonly [string, string]>;
  rules: readonly RelabelRule[];
  shards: number;
  maxSamplesPerRecord: number;
}

/**
 * Every series a collector served last run: its encoded labels (what staleness markers are written
 * for), or null where relabelling dropped it, so it is not relabelled again every run.
 */
type LiveSeries = Map<string, SentSeries | null>;

/** Per endpoint: each collector's live series, and the label encodings they share. */
export class SeriesEncoder {
  private readonly live = new Map<string, LiveSeries>();
  /** Samples relabelling dropped since the last call to takeDropped(). */
  private droppedByRelabel = 0;

  constructor(private readonly o: SeriesOptions) {}

  takeDropped(): number {
    const n = this.droppedByRelabel;
    this.droppedByRelabel = 0;
    return n;
  }

  /**
   * One collector run: every sample at its own timestamp (or the run's), then the staleness
   * markers for series gone since the last run. `families` empty withdraws them all.
   */
  encodeRun(collector: string, families: readonly MetricFamily[], runTimeMs: number): RunRecord[] {
    const previous: LiveSeries = this.live.get(collector) ?? new Map();
    const current: LiveSeries = new Map();
    const out = new RunOutput(this.o.shards, this.o.maxSamplesPerRecord);
    const add = (name: string, labels: Labels | undefined, value: number, ts: number | undefined, extra?: readonly [string, string]) => {
      const key = seriesKey(name, labels, extra);
      let s = previous.get(key);
      if (s === undefined) s = current.get(key);
      if (s === undefined) s = this.makeSeries(name, labels, extra);
      current.set(key, s);
      if (s === null) this.droppedByRelabel++;
      else out.add(s, value, ts ?? runTimeMs, false);
    };
    for (const f of families) {
      if (f.type === 'histogram') {
        for (const s of f.samples) {
          for (const [le, count] of s.buckets) add(`${f.name}_bucket`, s.labels, count, s.timestampMs, ['le', formatValue(le)]);
          if (!hasInfBucket(s)) add(`${f.name}_bucket`, s.labels, s.count, s.timestampMs, ['le', '+Inf']);
          add(`${f.name}_sum`, s.labels, s.sum, s.timestampMs);
          add(`${f.name}_count`, s.labels, s.count, s.timestampMs);
        }
      } else if (f.type === 'summary') {
        for (const s of f.samples) {
          for (const [q, v] of s.quantiles) add(f.name, s.labels, v, s.timestampMs, ['quantile', formatValue(q)]);
          add(`${f.name}_sum`, s.labels, s.sum, s.timestampMs);
          add(`${f.name}_count`, s.labels, s.count, s.timestampMs);
        }
      } else {
        for (const s of f.samples) add(f.name, s.labels, s.value, s.timestampMs);
      }
    }
    for (const [key, s] of previous) if (s && !current.has(key)) out.add(s, 0, runTimeMs, true);
    if (current.size) this.live.set(collector, current);
    else this.live.delete(collector);
    return out.records();
  }

  private makeSeries(name: string, labels: Labels | undefined, extra: readonly [string, string] | undefined): SentSeries | null {
    const map = new Map<string, string>([['__name__', name]]);
    if (labels) for (const k in labels) map.set(k, labels[k] as string);
    if (extra) map.set(extra[0], extra[1]);
    for (const [k, v] of this.o.externalLabels) if (!map.has(k)) map.set(k, v);
    const kept = this.o.rules.length ? relabel(map, this.o.rules) : map;
    if (!kept || !kept.get('__name__')) return null;
    const sorted = [...kept].filter(([, v]) => v !== '').sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const labelsText = sorted.map(([k, v]) => `${k}\xff${v}`).join('\xfe');
    return { labels: encodeLabels(sorted), shard: shardOf(labelsText, this.o.shards) };
  }
}

function seriesKey(name: string, labels: Labels | undefined, extra: readonly [string, string] | undefined): string {
  let key = name;
  if (labels) for (const k in labels) key += `\xfe${k}\xff${labels[k] as string}`;
  if (extra) key += `\xfe${extra[0]}\xff${extra[1]}`;
  return key;
}

/** FNV-1a over the series' labels: one series always goes to the same shard, so its samples stay in order. */
function shardOf(text: string, shards: number): number {
  if (shards <= 1) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0) % shards;
}

/** The records of one run being written: per shard, a writer cut every `max` samples. */
class RunOutput {
  private readonly writers: SeriesWriter[] = [];
  private readonly counts: number[];
  private readonly maxTs: number[];
  private readonly done: RunRecord[] = [];

  constructor(
    shards: number,
    private readonly max: number,
  ) {
    for (let i = 0; i < shards; i++) this.writers.push(new SeriesWriter());
    this.counts = new Array<number>(shards).fill(0);
    this.maxTs = new Array<number>(shards).fill(0);
  }

  add(s: SentSeries, value: number, ts: number, stale: boolean): void {
    const i = s.shard;
    (this.writers[i] as SeriesWriter).series(s.labels, value, ts, stale);
    this.counts[i] = (this.counts[i] as number) + 1;
    if (ts > (this.maxTs[i] as number)) this.maxTs[i] = ts;
    if (this.counts[i] === this.max) this.cut(i);
  }

  records(): RunRecord[] {
    for (let i = 0; i < this.writers.length; i++) if (this.counts[i]) this.cut(i);
    return this.done;
  }

  private cut(i: number): void {
    this.done.push({ shard: i, samples: this.counts[i] as number, payload: (this.writers[i] as SeriesWriter).take(), maxTimestampMs: this.maxTs[i] as number });
    this.counts[i] = 0;
    this.maxTs[i] = 0;
  }
}
