import client from 'prom-client';
import type { CollectorGroup, StatusTable } from './collector.js';
import { counter, gauge, type HistogramSample, type MetricFamily, type Sample } from './metrics/model.js';
import type { RunResult } from './scheduler/run.js';
import { VERSION } from './version.js';
import type { WebGuardStatus } from './http/web-guard.js';
import type { EndpointStatus } from './remote-write/writer.js';

export type RunCounts = Record<RunResult | 'skipped', number>;

export interface CollectorStatus {
  name: string;
  description: string;
  group: CollectorGroup;
  enabled: boolean;
  schedule: string;
  lastResult?: RunResult;
  lastDurationMs?: number;
  lastSuccessMs?: number;
  lastError?: string;
  series: number;
  /** Series left out by the `max_series` cap, over all runs. */
  droppedSeries: number;
  /** Items left out of otherwise good runs (see CollectContext.skip), by reason. */
  skippedItems: Map<string, number>;
  runs: RunCounts;
  /** Runs line up just before the scrapes (see scheduler/scrape-phase.ts). */
  phaseLocked: boolean;
  /** The interval it runs at now (the scrapers' period when it follows them); undefined for cron schedules. */
  intervalMs: number | undefined;
}

export interface EngineStatus {
  collectors: readonly CollectorStatus[];
  /** Collectors' own landing-page tables (probe targets). */
  tables: readonly StatusTable[];
  reload: { successful: boolean; lastSuccessMs: number };
  /** `/metrics` responses by status code. */
  metricsRequests: ReadonlyMap<number, number>;
  web: WebGuardStatus | undefined;
  /** Remote-write receivers, when configured. */
  remoteWrite?: readonly EndpointStatus[] | undefined;
}

export const SELF_SECTION = 'spyglass';

/** prom-client's Node runtime metrics (process_*, nodejs_*), gathered into a registry of their own. */
export function runtimeRegistry(): client.Registry {
  const registry = new client.Registry();
  // The event-loop delay monitor wakes the process on a timer: at prom-client's default (10 ms) that
  // alone cost ~9 ms of CPU per second, at 100 ms ~0.8 ms, at 1 s ~0.1 ms (docs/benchmarks.md).
  // A stall still shows as the delay of the tick it holds up.
  client.collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 1000 });
  return registry;
}

export async function selfMetricFamilies(status: EngineStatus, runtime?: client.Registry): Promise<MetricFamily[]> {
  const enabled = status.collectors.filter((c) => c.enabled);
  const per = (f: (c: CollectorStatus) => number | undefined, list = enabled): Sample[] =>
    list.flatMap((c) => {
      const value = f(c);
      return value === undefined ? [] : [{ labels: { collector: c.name }, value }];
    });
  const runs: Sample[] = enabled.flatMap((c) =>
    (Object.keys(c.runs) as Array<keyof RunCounts>).map((result) => ({ labels: { collector: c.name, result }, value: c.runs[result] })),
  );
  const host = enabled.filter((c) => c.group === 'host' && c.lastResult !== undefined);
  const families: MetricFamily[] = [
    gauge('spyglass_build_info', 'A metric with a constant 1 labelled by the version of spyglass and of Node.js that runs it.', [
      { labels: { version: VERSION, nodejs_version: process.version }, value: 1 },
    ]),
    gauge(
      'spyglass_collector_last_duration_seconds',
      'Duration of the last completed run of each collector.',
      per((c) => seconds(c.lastDurationMs)),
      'seconds',
    ),
    gauge(
      'spyglass_collector_last_success',
      'Whether the last run of each collector succeeded (1) or failed or timed out (0).',
      per((c) => (c.lastResult ? Number(c.lastResult === 'success') : undefined)),
    ),
    gauge(
      'spyglass_collector_last_success_timestamp_seconds',
      'Unix time of the last successful run of each collector.',
      per((c) => seconds(c.lastSuccessMs)),
      'seconds',
    ),
    counter('spyglass_collector_runs_total', 'Runs of each collector by result: success, error, timeout, or skipped (previous run still busy).', runs),
    gauge(
      'spyglass_collector_series',
      'Series each collector exposes from its last run.',
      per((c) => c.series),
    ),
    counter(
      'spyglass_collector_series_dropped_total',
      'Series left out because a collector reached its max_series cap.',
      per((c) => c.droppedSeries),
    ),
    counter(
      'spyglass_collector_skipped_total',
      'Items (containers, files, fields) left out of otherwise successful runs, by reason; the rest was served.',
      enabled.flatMap((c) => [...c.skippedItems].map(([reason, value]) => ({ labels: { collector: c.name, reason }, value }))),
    ),
    gauge(
      'spyglass_collector_interval_seconds',
      'The interval each collector runs at now: the period of the scrapers it follows, or its configured interval.',
      per((c) => seconds(c.intervalMs)),
      'seconds',
    ),
    gauge(
      'spyglass_collector_phase_locked',
      'Whether each collector runs just before the scrapes (1) or on its own phase (0).',
      per((c) => Number(c.phaseLocked)),
    ),
    gauge('spyglass_config_last_reload_successful', 'Whether the last configuration reload attempt succeeded.', [{ value: Number(status.reload.successful) }]),
    gauge(
      'spyglass_config_last_reload_success_timestamp_seconds',
      'Unix time of the last successful configuration load.',
      [{ value: status.reload.lastSuccessMs / 1000 }],
      'seconds',
    ),
    counter(
      'spyglass_metrics_requests_total',
      'Requests to /metrics by HTTP status code.',
      [...status.metricsRequests].map(([code, n]) => ({ labels: { code: String(code) }, value: n })),
    ),
    // node_exporter's own names, so dashboards built on them work for the host collectors.
    gauge(
      'node_scrape_collector_duration_seconds',
      'node_exporter: Duration of a collector scrape.',
      per((c) => seconds(c.lastDurationMs), host),
      'seconds',
    ),
    gauge(
      'node_scrape_collector_success',
      'node_exporter: Whether a collector succeeded.',
      per((c) => Number(c.lastResult === 'success'), host),
    ),
  ];
  if (status.web) families.push(...webFamilies(status.web));
  if (status.remoteWrite?.length) families.push(...remoteWriteFamilies(status.remoteWrite));
  if (runtime) families.push(...(await runtimeFamilies(runtime)));
  return families;
}

function webFamilies(web: WebGuardStatus): MetricFamily[] {
  return [
    gauge('spyglass_web_config_last_reload_successful', 'Whether the last load of the --web.config.file (and the certificates it names) succeeded.', [
      { value: Number(web.reloadSuccessful) },
    ]),
    gauge(
      'spyglass_web_config_last_reload_success_timestamp_seconds',
      'Unix time of the last successful load of the --web.config.file.',
      [{ value: web.lastSuccessMs / 1000 }],
      'seconds',
    ),
    counter(
      'spyglass_http_rejected_total',
      'Requests and TLS connections refused by the web config, by reason: rate_limited, auth_missing, auth_malformed, auth_failed, auth_busy, client_cert, tls_handshake.',
      [...web.rejections].map(([reason, value]) => ({ labels: { reason }, value })),
    ),
  ];
}

/** Prometheus's own remote-storage metric names (storage/remote/queue_manager.go), so its dashboards and alerts apply. */
function remoteWriteFamilies(endpoints: readonly EndpointStatus[]): MetricFamily[] {
  const per = (f: (e: EndpointStatus) => number): Sample[] => endpoints.map((e) => ({ labels: { remote_name: e.name, url: e.url }, value: f(e) }));
  const highestIn = Math.max(...endpoints.map((e) => e.queue.counters.highestQueuedTimestampMs));
  return [
    counter(
      'prometheus_remote_storage_samples_total',
      'Samples sent to remote storage (accepted by the receiver).',
      per((e) => e.queue.counters.samplesSent),
    ),
    counter(
      'prometheus_remote_storage_samples_failed_total',
      'Samples the receiver refused for good (HTTP 4xx other than 429); dropped.',
      per((e) => e.queue.counters.samplesFailed),
    ),
    counter(
      'prometheus_remote_storage_samples_retried_total',
      'Samples sent again after a recoverable failure (5xx, 429, timeout, no answer).',
      per((e) => e.queue.counters.samplesRetried),
    ),
    counter(
      'prometheus_remote_storage_samples_dropped_total',
      'Samples never sent, by reason: relabel (write_relabel_configs), queue_full (oldest dropped at remote_write_queue.max_bytes), disk_full (the queue could not be written), corrupt, too_large (a record over 64 MiB).',
      endpoints.flatMap((e) => [...e.queue.counters.samplesDropped].map(([reason, value]) => ({ labels: { remote_name: e.name, url: e.url, reason }, value }))),
    ),
    gauge(
      'prometheus_remote_storage_samples_pending',
      'Samples queued (on disk and in shards) and not yet sent.',
      per((e) => e.queue.wal.pendingSamples),
    ),
    counter(
      'prometheus_remote_storage_bytes_total',
      'Compressed bytes of the batches sent.',
      per((e) => e.queue.counters.bytesSent),
      'bytes',
    ),
    gauge(
      'prometheus_remote_storage_queue_highest_sent_timestamp_seconds',
      'Timestamp of the newest sample the receiver has accepted.',
      per((e) => e.queue.counters.highestSentTimestampMs / 1000),
      'seconds',
    ),
    gauge(
      'prometheus_remote_storage_highest_timestamp_in_seconds',
      'Timestamp of the newest sample queued for remote write.',
      [{ value: highestIn / 1000 }],
      'seconds',
    ),
    gauge(
      'prometheus_remote_storage_shards',
      'Shards sending in parallel.',
      per((e) => e.shards),
    ),
    gauge(
      'prometheus_remote_storage_shards_max',
      'queue_config.max_shards.',
      per((e) => e.shards),
    ),
    gauge(
      'prometheus_remote_storage_shards_min',
      'queue_config.min_shards.',
      per((e) => e.minShards),
    ),
    gauge(
      'prometheus_remote_storage_shards_desired',
      'Shards wanted (spyglass runs max_shards throughout).',
      per((e) => e.shards),
    ),
    gauge(
      'spyglass_remote_write_queue_bytes',
      'Bytes of the on-disk remote-write queue.',
      per((e) => e.queue.wal.bytes),
      'bytes',
    ),
    gauge(
      'spyglass_remote_write_queue_segments',
      'Segment files of the on-disk remote-write queue.',
      per((e) => e.queue.wal.segmentCount),
    ),
  ];
}

function seconds(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : ms / 1000;
}

type PromJson = Awaited<ReturnType<client.Registry['getMetricsAsJSON']>>[number];

/** Converts prom-client's JSON view into our model, so one encoder renders everything. */
async function runtimeFamilies(registry: client.Registry): Promise<MetricFamily[]> {
  const out: MetricFamily[] = [];
  for (const m of (await registry.getMetricsAsJSON()) as PromJson[]) {
    const type = String(m.type);
    if (type === 'histogram') {
      out.push({ name: m.name, help: m.help, type: 'histogram', samples: histogramSamples(m) });
    } else if (type === 'counter' || type === 'gauge') {
      const samples = m.values.map((v) => ({ labels: stringLabels(v.labels), value: v.value }));
      out.push({ name: m.name, help: m.help, type, samples });
    }
  }
  return out;
}

function histogramSamples(m: PromJson): HistogramSample[] {
  const byLabels = new Map<string, HistogramSample & { buckets: Array<[number, number]> }>();
  for (const v of m.values as Array<{ labels: Record<string, string | number>; value: number; metricName?: string }>) {
    const { le, ...rest } = v.labels;
    const labels = stringLabels(rest);
    const key = JSON.stringify(labels);
    let s = byLabels.get(key);
    if (!s) byLabels.set(key, (s = { labels, buckets: [], sum: 0, count: 0 }));
    if (v.metricName?.endsWith('_bucket')) s.buckets.push([le === '+Inf' ? Infinity : Number(le), v.value]);
    else if (v.metricName?.endsWith('_sum')) s.sum = v.value;
    else if (v.metricName?.endsWith('_count')) s.count = v.value;
  }
  return [...byLabels.values()];
}

function stringLabels(labels: Partial<Record<string, string | number>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) out[k] = String(v);
  return out;
}
