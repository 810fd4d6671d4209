import type { MixinConfig } from '../../src/mixin/config.js';
import { alert, sel, type AlertingRule, type DashboardLink, type RuleGroup, type Severity } from './rule.js';
import { errorBudget, sloRecord } from './recording.js';

const PROBES: DashboardLink = { uid: 'latency', vars: ['job', 'instance', 'module', 'target'] };

/** The labels of one probe of one target by one spyglass (and its cluster): both probe alerts carry them. */
const PROBE_LABELS = 'job, instance, module, target';

const TARGET = '{{ $labels.target }} (module {{ $labels.module }}) from {{ $labels.instance }}';

/**
 * Multi-window, multi-burn-rate SLO alerts (Google SRE workbook, "Alerting on SLOs"): a 30-day
 * budget burnt 14.4x (2% in 1 h) or 6x (5% in 6 h) pages; 3x over a day or 1x over 3 days opens a
 * ticket. Each long window is paired with a short one so the alert resolves soon after the burn stops.
 */
const BURN_WINDOWS: Record<'critical' | 'warning', Array<[long: string, short: string, factor: number]>> = {
  critical: [
    ['1h', '5m', 14.4],
    ['6h', '30m', 6],
  ],
  warning: [
    ['1d', '2h', 3],
    ['3d', '6h', 1],
  ],
};

export function probeAlertGroups(c: MixinConfig): Array<RuleGroup<AlertingRule>> {
  const s = sel(c.selector);
  const PROBE_KEY = c.showMultiCluster ? `${c.clusterLabel}, ${PROBE_LABELS}` : PROBE_LABELS;
  const burn = (kind: 'errors' | 'slow', severity: 'critical' | 'warning'): AlertingRule => {
    const slo = kind === 'errors' ? c.probeAvailabilitySlo : c.probeLatencySlo;
    const budget = errorBudget(slo);
    const pair = ([long, short, factor]: [string, string, number]) =>
      `(\n  ${sloRecord(kind, long)}${s} > (${factor} * ${budget})\nand\n  ${sloRecord(kind, short)}${s} > (${factor} * ${budget})\n)`;
    const objective =
      kind === 'errors' ? `its ${slo}% availability objective` : `its objective of ${slo}% of probes succeeding within ${c.probeLatencySloSeconds} s`;
    return alert(
      {
        name: kind === 'errors' ? 'ProbeAvailabilityBudgetBurn' : 'ProbeLatencyBudgetBurn',
        severity,
        dashboard: PROBES,
        expr: BURN_WINDOWS[severity].map(pair).join('\nor\n'),
        for: severity === 'critical' ? '2m' : '15m',
        summary:
          kind === 'errors' ? 'Probe target is burning its availability error budget too fast.' : 'Probe target is burning its latency error budget too fast.',
        description: `${TARGET}: {{ $value | humanizePercentage }} of probes ${kind === 'errors' ? 'failed' : 'were slow or failed'} over the long window, burning the 30-day error budget of ${objective} ${severity === 'critical' ? 'at 6x or faster' : 'at 1x or faster'}.`,
      },
      c,
    );
  };
  const certificate = (severity: Severity, days: number) =>
    alert(
      {
        name: 'ProbeCertificateExpiringSoon',
        severity,
        dashboard: PROBES,
        expr: `probe_ssl_earliest_cert_expiry${s} - time() < ${days} * 24 * 3600`,
        summary: `A TLS certificate of a probe target expires within ${days} days.`,
        description: `The earliest certificate of the chain served by ${TARGET} expires in {{ $value | humanizeDuration }}.`,
      },
      c,
    );
  return [
    {
      name: 'spyglass-probes',
      rules: [
        alert(
          {
            name: 'ProbeTargetDown',
            severity: c.probeDownSeverity,
            dashboard: PROBES,
            // A DNS server that does not answer at all is ProbeDNSFailing's: one failure, one alert.
            expr: `probe_success${s} == 0\nunless on (${PROBE_KEY})\nprobe_dns_query_succeeded${s} == 0`,
            for: c.probeFailedFor,
            summary: 'Probe target is down.',
            description: `Probes of ${TARGET} have been failing for ${c.probeFailedFor}.`,
          },
          c,
        ),
        alert(
          {
            name: 'ProbeLatencyHigh',
            severity: 'warning',
            dashboard: PROBES,
            expr: `histogram_quantile(${c.probeLatencyQuantile}, rate(spyglass_probe_duration_seconds_bucket${s}[5m])) > ${c.probeLatencyThresholdSeconds}`,
            for: '10m',
            summary: 'Probe target responds slowly.',
            description: `The ${c.probeLatencyQuantile * 100}th percentile of successful probes of ${TARGET} over 5 minutes is {{ $value | humanizeDuration }}, above ${c.probeLatencyThresholdSeconds} s.`,
          },
          c,
        ),
        burn('errors', 'critical'),
        burn('errors', 'warning'),
        burn('slow', 'critical'),
        burn('slow', 'warning'),
        certificate('warning', c.certificateExpiryWarningDays),
        certificate('critical', c.certificateExpiryCriticalDays),
        alert(
          {
            name: 'ProbeDNSFailing',
            severity: c.probeDownSeverity,
            dashboard: PROBES,
            expr: `probe_dns_query_succeeded${s} == 0`,
            for: c.probeFailedFor,
            summary: 'DNS server does not answer queries.',
            description: `DNS queries of ${TARGET} have gone unanswered (timeout, refused connection or a malformed reply) for ${c.probeFailedFor}.`,
          },
          c,
        ),
      ],
    },
  ];
}
