import type { Dashboard } from '@grafana/schema';
import type { MixinConfig } from '../../src/mixin/config.js';
import { chainedVariables, dashboard, mergedTable, scope, stat, table, ts, UP_DOWN } from './grafana.js';

/** spyglass itself: collectors, scrapes, runtime and configuration. */
export function selfDashboard(c: MixinConfig): Dashboard {
  const s = `${scope(c)},job=~"$job",instance=~"$instance"`;
  const col = `${s},collector=~"$collector"`;
  return dashboard({
    uid: `${c.dashboardUidPrefix}self`,
    title: `${c.dashboardTitlePrefix}spyglass`,
    description: 'The health of spyglass itself: collector runs, scrapes, the Node.js runtime and configuration reloads.',
    tags: c.dashboardTags,
    variables: chainedVariables(c, 'spyglass_collector_series', [
      ['instance', 'Instance', '.+'],
      ['collector', 'Collector', '.+'],
    ]),
    rows: [
      {
        title: 'Overview',
        panels: [
          stat('Scrape status', 'Whether Prometheus could scrape each instance.', 'none', [{ expr: `up{${s}}`, legend: '{{instance}}' }], {
            w: 6,
            mappings: UP_DOWN,
          }),
          stat(
            'Collectors failing',
            'Collectors whose last run failed or timed out.',
            'short',
            [{ expr: `count(spyglass_collector_last_success{${s}} == 0) or vector(0)` }],
            { w: 4, thresholds: [[1, 'red']] },
          ),
          stat('Config reload', 'Whether the last configuration reload succeeded.', 'none', [{ expr: `min(spyglass_config_last_reload_successful{${s}})` }], {
            w: 4,
            mappings: [
              { value: '0', text: 'Failed', color: 'red' },
              { value: '1', text: 'OK', color: 'green' },
            ],
          }),
          stat(
            'Config loaded',
            'Time since the configuration in use was loaded.',
            's',
            [{ expr: `time() - max(spyglass_config_last_reload_success_timestamp_seconds{${s}})` }],
            { w: 4 },
          ),
          table('Versions', 'spyglass and Node.js versions per instance.', 'none', [{ expr: `spyglass_build_info{${s}}` }], {
            w: 6,
            h: 4,
            transformations: mergedTable({}, ['Value']),
          }),
        ],
      },
      {
        title: 'Collectors',
        panels: [
          ts('Run duration', 'Duration of the last run of each collector.', 's', [
            { expr: `spyglass_collector_last_duration_seconds{${col}}`, legend: '{{instance}} {{collector}}' },
          ]),
          ts('Failed runs', 'Runs per second that failed, timed out or were skipped (previous run still busy).', 'ops', [
            {
              expr: `sum by (instance, collector, result) (rate(spyglass_collector_runs_total{${col},result!="success"}[$__rate_interval]))`,
              legend: '{{instance}} {{collector}} {{result}}',
            },
          ]),
          ts('Series', 'Series each collector exposes.', 'short', [{ expr: `spyglass_collector_series{${col}}`, legend: '{{instance}} {{collector}}' }]),
          ts('Series dropped', 'Series per second left out by the max_series cap; any in 15 minutes is SpyglassSeriesDropped.', 'short', [
            { expr: `rate(spyglass_collector_series_dropped_total{${col}}[$__rate_interval])`, legend: '{{instance}} {{collector}}' },
          ]),
          ts(
            'Textfile errors',
            'Whether the textfile collector failed to read or parse a file at its last run (node_textfile_scrape_error); 1 is NodeTextFileCollectorScrapeError.',
            'short',
            [{ expr: `node_textfile_scrape_error{${s}}`, legend: '{{instance}}' }],
            { w: 24, min: 0, max: 1, decimals: 0, thresholds: [[1, 'red']] },
          ),
        ],
      },
      {
        title: 'Scrapes',
        panels: [
          ts('Scrapes by status code', 'Requests to /metrics per second by HTTP status (503: concurrency limit).', 'reqps', [
            { expr: `sum by (instance, code) (rate(spyglass_metrics_requests_total{${s}}[$__rate_interval]))`, legend: '{{instance}} {{code}}' },
          ]),
          ts('Scrape duration', 'How long Prometheus took to scrape each instance.', 's', [{ expr: `scrape_duration_seconds{${s}}`, legend: '{{instance}}' }]),
          ts('Samples per scrape', 'Samples Prometheus ingested per scrape.', 'short', [{ expr: `scrape_samples_scraped{${s}}`, legend: '{{instance}}' }]),
          ts('Probe scheduling', 'Probes running now, and probe slots skipped per second (previous probe still running, or no free slot).', 'short', [
            { expr: `spyglass_probes_in_flight{${s}}`, legend: '{{instance}} in flight' },
            {
              expr: `sum by (instance, reason) (rate(spyglass_probe_slots_skipped_total{${s}}[$__rate_interval]))`,
              legend: '{{instance}} skipped ({{reason}})',
            },
          ]),
        ],
      },
      {
        title: 'Runtime',
        panels: [
          ts(
            'Event-loop lag',
            'Delay of the Node.js event loop (p50, p99): how late timers and requests are served.',
            's',
            [
              { expr: `nodejs_eventloop_lag_p50_seconds{${s}}`, legend: '{{instance}} p50' },
              { expr: `nodejs_eventloop_lag_p99_seconds{${s}}`, legend: '{{instance}} p99' },
            ],
            { w: 8 },
          ),
          ts(
            'Memory',
            'Resident memory and V8 heap in use.',
            'bytes',
            [
              { expr: `process_resident_memory_bytes{${s}}`, legend: '{{instance}} resident' },
              { expr: `nodejs_heap_size_used_bytes{${s}}`, legend: '{{instance}} heap used' },
            ],
            { w: 8 },
          ),
          ts(
            'CPU',
            'CPU time used per second (1 = one core).',
            'short',
            [{ expr: `rate(process_cpu_seconds_total{${s}}[$__rate_interval])`, legend: '{{instance}}' }],
            { w: 8 },
          ),
        ],
      },
    ],
  });
}
