import type { MixinConfig } from '../../src/mixin/config.js';
import { scope, stat, ts, type RowSpec, type ValueMapping } from './grafana.js';

/** Title of the per-target row; Grafana repeats it for each selected target, naming it in the title. */
export const TARGET_DETAIL_ROW = 'Target: $target';

const YES_NO_FAILED: ValueMapping[] = [
  { value: '0', text: 'No', color: 'green' },
  { value: '1', text: 'Yes', color: 'red' },
];

/**
 * One target in detail, blackbox exporter's per-probe gauges as the "Blackbox Exporter (HTTP
 * prober)" dashboards show them: phases, name resolution, TLS version and certificate, HTTP
 * version, redirects and the body check. Folded: each repeat queries only once opened. Gauges of a
 * prober the target does not use stay empty (a DNS target has no HTTP version).
 */
export function targetDetailRow(c: MixinConfig): RowSpec {
  const p = `${scope(c)},job=~"$job",instance=~"$instance",module=~"$module",target=~"$target"`;
  const phases = (prober: string) => ({ expr: `avg by (phase) (probe_${prober}_duration_seconds{${p}})`, legend: `${prober} {{phase}}` });
  return {
    title: TARGET_DETAIL_ROW,
    collapsed: true,
    panels: [
      stat('Up', 'Latest probe of the target (the worst over the instances probing it).', 'none', [{ expr: `min(probe_success{${p}})` }], {
        w: 3,
        mappings: [
          { value: '0', text: 'Down', color: 'red' },
          { value: '1', text: 'Up', color: 'green' },
        ],
      }),
      stat('HTTP version', 'HTTP version of the final response (probe_http_version).', 'none', [{ expr: `max(probe_http_version{${p}})` }], {
        w: 3,
        decimals: 1,
      }),
      stat(
        'TLS version',
        'TLS version negotiated (probe_tls_version_info).',
        'none',
        [{ expr: `max by (version) (probe_tls_version_info{${p}})`, legend: '{{version}}' }],
        {
          w: 3,
          options: { textMode: 'name', colorMode: 'none' },
        },
      ),
      stat(
        'Certificate expires in',
        `Time left before the earliest certificate of the chain expires; orange under ${c.certificateExpiryWarningDays} days, red under ${c.certificateExpiryCriticalDays}.`,
        's',
        [{ expr: `min(probe_ssl_earliest_cert_expiry{${p}}) - time()` }],
        {
          w: 4,
          // Expired (negative) is red from the base up.
          baseColor: 'red',
          thresholds: [
            [c.certificateExpiryCriticalDays * 86400, 'orange'],
            [c.certificateExpiryWarningDays * 86400, 'green'],
          ],
        },
      ),
      stat('Redirects', 'Redirects followed by the latest HTTP probe (probe_http_redirects).', 'short', [{ expr: `max(probe_http_redirects{${p}})` }], {
        w: 3,
      }),
      stat(
        'Failed on body check',
        'Whether the latest probe failed because the body or header regular expressions did not match (probe_failed_due_to_regex).',
        'none',
        [{ expr: `max(probe_failed_due_to_regex{${p}})` }],
        { w: 4, mappings: YES_NO_FAILED },
      ),
      stat('Status code', 'HTTP status code of the latest probe (0: no response).', 'none', [{ expr: `max(probe_http_status_code{${p}})` }], { w: 4 }),
      ts(
        'Phases of this target',
        'Time spent in each phase of the latest probes of this target, stacked.',
        's',
        [phases('http'), phases('dns'), phases('grpc'), phases('icmp')],
        {
          w: 12,
          stack: true,
        },
      ),
      ts(
        'Name resolution and total',
        "Time to resolve the target's host name (probe_dns_lookup_time_seconds; ~0 for an IP address) against the whole probe.",
        's',
        [
          { expr: `max(probe_dns_lookup_time_seconds{${p}})`, legend: 'DNS lookup' },
          { expr: `max(probe_duration_seconds{${p}})`, legend: 'probe' },
        ],
        { w: 12 },
      ),
    ],
  };
}
