import type { MixinConfig } from '../../src/mixin/config.js';
import { alert, sel, type AlertingRule, type DashboardLink, type RuleGroup } from './rule.js';

const SELF: DashboardLink = { uid: 'self', vars: ['job', 'instance'] };
const COLLECTOR: DashboardLink = { uid: 'self', vars: ['job', 'instance', 'collector'] };

export function selfAlertGroups(c: MixinConfig): Array<RuleGroup<AlertingRule>> {
  const s = sel(c.selector);
  return [
    {
      name: 'spyglass-self',
      rules: [
        alert(
          {
            name: 'SpyglassDown',
            severity: 'critical',
            dashboard: SELF,
            expr: `up${s} == 0`,
            for: c.spyglassDownFor,
            summary: 'spyglass cannot be scraped.',
            description: `{{ $labels.instance }} of job {{ $labels.job }} has failed its scrapes for ${c.spyglassDownFor}: its host, container and probe metrics are missing and alerts on them cannot fire.`,
          },
          c,
        ),
        alert(
          {
            name: 'SpyglassAbsent',
            severity: 'critical',
            dashboard: { uid: 'self', vars: ['job'] },
            expr: `absent(up${s})`,
            for: '15m',
            summary: 'Prometheus has no spyglass target.',
            description: `No target matches ${s} in Prometheus{{ with $labels.job }} (job {{ . }}){{ end }}: service discovery lost every spyglass, so nothing it watches is monitored.`,
          },
          c,
        ),
        alert(
          {
            name: 'SpyglassCollectorFailing',
            severity: 'warning',
            dashboard: COLLECTOR,
            expr: `spyglass_collector_last_success${s} == 0`,
            for: c.collectorFailingFor,
            summary: 'A spyglass collector keeps failing.',
            description: `Collector {{ $labels.collector }} on {{ $labels.instance }} has failed or timed out in every run for ${c.collectorFailingFor}; its series are withdrawn. The log and the landing page (/) say why.`,
          },
          c,
        ),
        alert(
          {
            name: 'SpyglassConfigReloadFailed',
            severity: 'warning',
            dashboard: SELF,
            expr: `spyglass_config_last_reload_successful${s} == 0`,
            for: '5m',
            summary: 'spyglass could not load its new configuration.',
            description:
              'The last configuration reload of {{ $labels.instance }} failed; it keeps running on the previous configuration. The log names the file, line and key.',
          },
          c,
        ),
        alert(
          {
            name: 'SpyglassSeriesDropped',
            severity: 'warning',
            dashboard: COLLECTOR,
            expr: `increase(spyglass_collector_series_dropped_total${s}[15m]) > 0`,
            summary: 'A spyglass collector reached its series cap.',
            description:
              'Collector {{ $labels.collector }} on {{ $labels.instance }} left out {{ printf "%.0f" $value }} series in 15 minutes because it reached its max_series cap.',
          },
          c,
        ),
        alert(
          {
            name: 'SpyglassRemoteWriteBehind',
            severity: 'warning',
            dashboard: SELF,
            // As Prometheus's own PrometheusRemoteWriteBehind: newest sample queued minus newest accepted.
            expr: `(max_over_time(prometheus_remote_storage_highest_timestamp_in_seconds${s}[5m]) - ignoring(remote_name, url) group_right max_over_time(prometheus_remote_storage_queue_highest_sent_timestamp_seconds${s}[5m])) > 120`,
            for: '15m',
            summary: 'spyglass remote write is falling behind.',
            description:
              'Remote write from {{ $labels.instance }} to {{ $labels.remote_name }} ({{ $labels.url }}) is {{ printf "%.0f" $value }} s behind; the backlog waits in its on-disk queue, whose oldest data goes when it is full.',
          },
          c,
        ),
        alert(
          {
            name: 'SpyglassRemoteWriteSamplesLost',
            severity: 'warning',
            dashboard: SELF,
            expr: `sum by (job, instance, remote_name, url) (increase(prometheus_remote_storage_samples_dropped_total${sel(c.selector, 'reason!="relabel"')}[15m]) or increase(prometheus_remote_storage_samples_failed_total${s}[15m])) > 0`,
            summary: 'spyglass remote write lost samples.',
            description:
              '{{ $labels.instance }} lost {{ printf "%.0f" $value }} samples for {{ $labels.remote_name }} in 15 minutes: refused by the receiver (4xx), or dropped from a full queue or disk.',
          },
          c,
        ),
        alert(
          {
            name: 'SpyglassProbeSlotsSkipped',
            severity: 'warning',
            dashboard: SELF,
            expr: `increase(spyglass_probe_slots_skipped_total${s}[15m]) > 0`,
            for: '15m',
            summary: 'spyglass skips probes.',
            description:
              '{{ $labels.instance }} skipped {{ printf "%.0f" $value }} probe slots ({{ $labels.reason }}) in 15 minutes; probes outlast their interval or wait for a free slot too long.',
          },
          c,
        ),
      ],
    },
  ];
}
