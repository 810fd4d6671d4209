import { errorBudget, sloRecord } from '../../alerts/src/recording.js';
import type { Dashboard } from '@grafana/schema';
import type { MixinConfig } from '../../src/mixin/config.js';
import { chainedVariables, dashboard, mergedTable, scope, stat, table, ts, type PanelSpec, UP_DOWN } from './grafana.js';
import { repeatRow } from './links.js';
import { targetDetailRow, TARGET_DETAIL_ROW } from './probe-target.js';

/** Service latency: the probe collector's targets, from blackbox-compatible gauges and spyglass's histograms and counters. */
export function latencyDashboard(c: MixinConfig): Dashboard {
  const p = `${scope(c)},job=~"$job",instance=~"$instance",module=~"$module",target=~"$target"`;
  const quantile = (q: number) => ({
    expr: `histogram_quantile(${q}, sum by (target, le) (rate(spyglass_probe_duration_seconds_bucket{${p}}[$__rate_interval])))`,
    legend: `p${q * 100} {{target}}`,
  });
  const availability = `sum by (target) (increase(spyglass_probes_total{${p},result="success"}[$__range])) / sum by (target) (increase(spyglass_probes_total{${p}}[$__range]))`;
  const phases = (prober: string) => ({ expr: `avg by (target, phase) (probe_${prober}_duration_seconds{${p}})`, legend: `{{target}} ${prober} {{phase}}` });
  const availabilityBudget = errorBudget(c.probeAvailabilitySlo);
  const latencyBudget = errorBudget(c.probeLatencySlo);
  const budgetLeft = (kind: 'errors' | 'slow', budget: number, title: string, objective: string): PanelSpec => ({
    type: 'bargauge',
    title,
    description: `Share of the 30-day error budget of ${objective} not yet spent, per target (recording rule ${sloRecord(kind, '30d')}).`,
    unit: 'percentunit',
    min: 0,
    max: 1,
    // Below 0 the budget is overspent: red from the base up.
    baseColor: 'red',
    thresholds: [
      [0.25, 'orange'],
      [0.5, 'green'],
    ],
    queries: [{ expr: `1 - max by (target) (${sloRecord(kind, '30d')}{${p}}) / ${budget}`, legend: '{{target}}' }],
    w: 12,
    h: 8,
    options: { displayMode: 'basic' },
  });
  const burnRate = (kind: 'errors' | 'slow', budget: number, title: string): PanelSpec =>
    ts(
      title,
      'How fast the error budget burns: 1 spends it exactly over 30 days; the page threshold is 14.4 over 1 h (and 5 m), 6 over 6 h (and 30 m).',
      'short',
      [
        { expr: `max by (target) (${sloRecord(kind, '1h')}{${p}}) / ${budget}`, legend: '{{target}} 1h' },
        { expr: `max by (target) (${sloRecord(kind, '6h')}{${p}}) / ${budget}`, legend: '{{target}} 6h' },
      ],
      {
        thresholds: [
          [6, 'orange'],
          [14.4, 'red'],
        ],
      },
    );
  const d = dashboard({
    uid: `${c.dashboardUidPrefix}latency`,
    title: `${c.dashboardTitlePrefix}Service latency`,
    description: 'Probe targets of spyglass: status, availability, latency percentiles from histograms, phases, TLS certificates and SLOs.',
    tags: c.dashboardTags,
    variables: chainedVariables(c, 'probe_success', [
      ['instance', 'Instance', '.+'],
      ['module', 'Module', '.+'],
      ['target', 'Target', '.+'],
    ]),
    rows: [
      {
        title: 'Status',
        panels: [
          stat(
            'Status map',
            'Latest probe of every target; a target probed from several instances shows the worst.',
            'none',
            [{ expr: `min by (target) (probe_success{${p}})`, legend: '{{target}}' }],
            { w: 16, h: 6, mappings: UP_DOWN, options: { textMode: 'value_and_name' } },
          ),
          stat('Targets down', 'Targets whose latest probe failed.', 'short', [{ expr: `count(min by (target) (probe_success{${p}}) == 0) or vector(0)` }], {
            w: 4,
            h: 6,
            thresholds: [[1, 'red']],
          }),
          stat('Targets', 'Targets probed.', 'short', [{ expr: `count(count by (target) (probe_success{${p}}))` }], { w: 4, h: 6 }),
          {
            type: 'bargauge',
            title: 'Availability over the range',
            description:
              'Share of probes that succeeded over the whole time range, from spyglass_probes_total (every probe counts, not only those a scrape saw).',
            unit: 'percentunit',
            min: 0,
            max: 1,
            decimals: 3,
            baseColor: 'red',
            thresholds: [[c.probeAvailabilitySlo / 100, 'green']],
            queries: [{ expr: availability, legend: '{{target}}' }],
            w: 12,
            h: 8,
            options: { displayMode: 'basic' },
          },
          {
            type: 'state-timeline',
            title: 'Status over time',
            description: 'probe_success of every target over the range.',
            unit: 'none',
            mappings: UP_DOWN,
            queries: [{ expr: `min by (target) (probe_success{${p}})`, legend: '{{target}}' }],
            w: 12,
            h: 8,
          },
        ],
      },
      {
        title: 'Latency',
        panels: [
          ts('Latency percentiles', 'p50, p90 and p99 of successful probes, from spyglass_probe_duration_seconds.', 's', [
            quantile(0.5),
            quantile(0.9),
            quantile(0.99),
          ]),
          {
            type: 'heatmap',
            title: 'Latency heatmap',
            description: 'Successful probes per latency bucket over time.',
            unit: 's',
            queries: [{ expr: `sum by (le) (rate(spyglass_probe_duration_seconds_bucket{${p}}[$__rate_interval]))`, legend: '{{le}}', format: 'heatmap' }],
            w: 12,
            h: 8,
          },
          ts(
            'Phases',
            'Time spent in each phase of the latest probe (HTTP, DNS, gRPC, ICMP).',
            's',
            [phases('http'), phases('dns'), phases('grpc'), phases('icmp')],
            { stack: true },
          ),
          ts('Probe duration', 'Duration of the latest probe, successful or not.', 's', [
            { expr: `max by (target) (probe_duration_seconds{${p}})`, legend: '{{target}}' },
          ]),
          ts('HTTP status codes', 'Status code of the latest HTTP probe (0: no response).', 'none', [
            { expr: `max by (target) (probe_http_status_code{${p}})`, legend: '{{target}}' },
          ]),
          {
            type: 'state-timeline',
            title: 'DNS answers',
            description: 'Whether the latest DNS probe of each target got a usable answer (probe_dns_query_succeeded); none for 2 minutes is ProbeDNSFailing.',
            unit: 'none',
            mappings: [
              { value: '0', text: 'no answer', color: 'red' },
              { value: '1', text: 'answered', color: 'green' },
            ],
            queries: [{ expr: `min by (target) (probe_dns_query_succeeded{${p}})`, legend: '{{target}}' }],
            w: 12,
            h: 8,
          },
          ts(
            'Probe results',
            'Probes per second by result.',
            'ops',
            [{ expr: `sum by (target, result) (rate(spyglass_probes_total{${p}}[$__rate_interval]))`, legend: '{{target}} {{result}}' }],
            { stack: true },
          ),
        ],
      },
      {
        title: 'TLS',
        panels: [
          table(
            'Certificate expiry',
            "Time left before the earliest certificate of each target's chain expires, with the TLS version.",
            's',
            // One query (the TLS version joined on), so the table needs no merge of differently labelled frames.
            [
              {
                expr: `(min by (target) (probe_ssl_earliest_cert_expiry{${p}}) - time()) * on (target) group_left (version) topk by (target) (1, max by (target, version) (probe_tls_version_info{${p}}))`,
              },
            ],
            {
              transformations: mergedTable({ target: 'Target', version: 'TLS version', Value: 'Expires in' }),
              // Expired (negative) is red from the base up.
              baseColor: 'red',
              thresholds: [
                [c.certificateExpiryCriticalDays * 86400, 'orange'],
                [c.certificateExpiryWarningDays * 86400, 'green'],
              ],
              coloredColumns: ['Expires in'],
            },
          ),
        ],
      },
      {
        title: 'SLO',
        panels: [
          budgetLeft('errors', availabilityBudget, 'Availability: error budget left', `the ${c.probeAvailabilitySlo}% availability objective`),
          budgetLeft('slow', latencyBudget, 'Latency: error budget left', `${c.probeLatencySlo}% of probes succeeding within ${c.probeLatencySloSeconds} s`),
          burnRate('errors', availabilityBudget, 'Availability: burn rate'),
          burnRate('slow', latencyBudget, 'Latency: burn rate'),
        ],
      },
      targetDetailRow(c),
    ],
  });
  return repeatRow(d, TARGET_DETAIL_ROW, 'target');
}
