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
