import type { Dashboard } from '@grafana/schema';
import type { MixinConfig } from '../../src/mixin/config.js';
import { eitherKind, NETWORK_OWNERS, REAL_CONTAINERS } from '../../src/mixin/selectors.js';
import { namespaceDashboardTitle, namespaceDashboardUid } from './container-namespace.js';
import { podDashboardTitle, podDashboardUid } from './container-pod.js';
import { containerSelector, cpuLimit, cpuRequest, cpuUsage, keptVariables, memoryLimit, workingSet } from './container-queries.js';
import { chainedVariables, dashboard, mergedTable, scope, stat, table, ts } from './grafana.js';
import { withDrillDowns } from './links.js';

/**
 * Containers: cAdvisor's metrics by namespace / pod / container, against their limits. The top of
 * the drill-down (node → namespace → pod): namespace and pod names open the namespace and pod
 * dashboards, keeping the time range and variables.
 */
export function containersDashboard(c: MixinConfig): Dashboard {
  const node = `${scope(c)},job=~"$job",instance=~"$instance"`;
  const pods = `${node},namespace=~"$namespace",pod=~"$pod"`;
  const k = [`${pods},container=~"$container"`, c.containerSelector].filter((m) => m !== '').join(',');
  // Real containers (src/mixin/selectors.ts): Kubernetes ones and those outside Kubernetes, the latter named by their runtime name.
  const real = (query: (selector: string) => string) => eitherKind(REAL_CONTAINERS, (m) => query(`${k},${m}`), 'container');
  const gauge = (metric: string) => real((s) => `${metric}{${s}}`);
  const by = 'sum by (namespace, pod, container)';
  const rateOf = (metric: string, selector: string) => `rate(${metric}{${selector}}[$__rate_interval])`;
  const rate = (metric: string) => real((s) => rateOf(metric, s));
  const increase = (metric: string) => real((s) => `increase(${metric}{${s}}[$__rate_interval])`);
  // Network counters come once per network namespace: pod sandboxes and standalone containers, the host's own (on "/") left out.
  const network = (metric: string) => `sum by (namespace, pod) (${eitherKind(NETWORK_OWNERS, (m) => rateOf(metric, `${pods},${m}`), 'pod')})`;
  const legend = '{{namespace}}/{{pod}}/{{container}}';
  const top = (expr: string) => `topk(10, ${expr})`;
  // Kubernetes containers by namespace, for the namespace table.
  const kn = containerSelector(c, 'namespace=~"$namespace",namespace!=""');
  const nsColumns: Array<[string, string, string]> = [
    ['Pods', 'short', `count by (namespace) (count by (namespace, pod) (container_last_seen{${kn}}))`],
    ['CPU used', 'short', cpuUsage('namespace', kn)],
    ['CPU requests', 'short', cpuRequest('namespace', kn)],
    ['CPU limits', 'short', cpuLimit('namespace', kn)],
    ['Working set', 'bytes', workingSet('namespace', kn)],
    ['Memory limits', 'bytes', memoryLimit('namespace', kn)],
  ];
  const d = dashboard({
    uid: `${c.dashboardUidPrefix}containers`,
    title: `${c.dashboardTitlePrefix}Containers`,
    description: 'Containers of the nodes spyglass runs on, with cAdvisor-compatible metrics read from cgroups.',
    tags: c.dashboardTags,
    variables: chainedVariables(c, 'container_cpu_usage_seconds_total', [
      ['instance', 'Instance', '.+'],
      ['namespace', 'Namespace', '.*'],
      ['pod', 'Pod', '.*'],
      ['container', 'Container', '.*'],
    ]),
    rows: [
      {
        title: 'Overview',
        panels: [
          stat('Containers', 'Containers seen in the last run of the container collector.', 'short', [{ expr: `count(${gauge('container_last_seen')})` }], {
            w: 6,
          }),
          stat('CPU in use', 'Cores used by the selected containers.', 'short', [{ expr: `sum(${rate('container_cpu_usage_seconds_total')})` }], {
            w: 6,
            decimals: 2,
          }),
          stat(
            'Memory working set',
            'Working set of the selected containers: what the kernel cannot reclaim without swapping.',
            'bytes',
            [{ expr: `sum(${gauge('container_memory_working_set_bytes')})` }],
            { w: 6 },
          ),
          stat(
            'OOM kills in range',
            'Processes of the selected containers killed for running out of memory over the time range.',
            'short',
            [{ expr: `sum(${real((s) => `increase(container_oom_events_total{${s}}[$__range])`)})` }],
            { w: 6, thresholds: [[1, 'red']] },
          ),
        ],
      },
      {
        title: 'Namespaces',
        panels: [
          table(
            'Namespaces',
            'Requests and limits of the Kubernetes containers, summed by namespace (CPU requests from cpu.shares: shares / 1024 cores). A namespace opens its dashboard.',
            'short',
            nsColumns.map(([, , expr]) => ({ expr })),
            {
              h: 7,
              fieldUnits: Object.fromEntries(nsColumns.map(([name, unit]) => [name, unit])),
              transformations: mergedTable(Object.fromEntries(nsColumns.map(([name], i) => [`Value #${'ABCDEF'[i]}`, name]))),
            },
          ),
        ],
      },
      {
        title: 'CPU',
        panels: [
          ts('CPU usage', 'Cores used, by container.', 'short', [{ expr: `${by} (${rate('container_cpu_usage_seconds_total')})`, legend }], { w: 8 }),
          ts(
            'CPU usage against quota',
            'CPU used as a share of the CFS quota (containers with a CPU limit only).',
            'percentunit',
            [
              {
                expr: `${by} (${rate('container_cpu_usage_seconds_total')}) / ${by} (${real((s) => `container_spec_cpu_quota{${s}} / container_spec_cpu_period{${s}}`)})`,
                legend,
              },
            ],
            { w: 8, thresholds: [[0.9, 'red']] },
          ),
          ts(
            'CPU throttling',
            `Share of CFS periods in which the container was throttled; above ${c.containerCpuThrottlingPercent}% for 15 minutes is ContainerCPUThrottlingHigh.`,
            'percentunit',
            [
              {
                expr: `${by} (${increase('container_cpu_cfs_throttled_periods_total')}) / ${by} (${increase('container_cpu_cfs_periods_total')})`,
                legend,
              },
            ],
            { w: 8, min: 0, max: 1, thresholds: [[c.containerCpuThrottlingPercent / 100, 'red']] },
          ),
        ],
      },
      {
        title: 'Memory',
        panels: [
          ts('Memory working set', 'Working set by container.', 'bytes', [{ expr: `${by} (${gauge('container_memory_working_set_bytes')})`, legend }], {
            w: 8,
          }),
          ts(
            'Working set against limit',
            'Working set as a share of the memory limit (containers with a limit only); the container is OOM-killed at 100%.',
            'percentunit',
            [
              {
                expr: `${by} (${gauge('container_memory_working_set_bytes')}) / ${by} (${real((s) => `container_spec_memory_limit_bytes{${s}} > 0`)})`,
                legend,
              },
            ],
            { w: 8, thresholds: [[c.containerMemoryNearLimitPercent / 100, 'red']] },
          ),
          ts(
            'OOM kills',
            'Processes killed for running out of memory, by container.',
            'short',
            [{ expr: `${by} (${increase('container_oom_events_total')})`, legend }],
            { w: 8, min: 0 },
          ),
          ts(
            'RSS and page cache',
            'Anonymous memory (rss) and page cache by container.',
            'bytes',
            [
              { expr: `${by} (${gauge('container_memory_rss')})`, legend: `${legend} rss` },
              { expr: `${by} (${gauge('container_memory_cache')})`, legend: `${legend} cache` },
            ],
            { w: 24 },
          ),
        ],
      },
      {
        title: 'Network',
        panels: [
          ts('Network traffic', 'Bytes per second received and sent, by pod.', 'Bps', [
            { expr: network('container_network_receive_bytes_total'), legend: '{{namespace}}/{{pod}} received' },
            { expr: network('container_network_transmit_bytes_total'), legend: '{{namespace}}/{{pod}} sent' },
          ]),
          ts('Packets dropped', 'Packets per second dropped, by pod.', 'pps', [
            { expr: network('container_network_receive_packets_dropped_total'), legend: '{{namespace}}/{{pod}} received' },
            { expr: network('container_network_transmit_packets_dropped_total'), legend: '{{namespace}}/{{pod}} sent' },
          ]),
        ],
      },
      {
        title: 'Block I/O',
        panels: [
          ts('Block I/O throughput', 'Bytes per second read and written, by container (all devices).', 'Bps', [
            { expr: `${by} (${rate('container_fs_reads_bytes_total')})`, legend: `${legend} read` },
            { expr: `${by} (${rate('container_fs_writes_bytes_total')})`, legend: `${legend} written` },
          ]),
          ts('Block I/O operations', 'Reads and writes per second, by container (all devices).', 'iops', [
            { expr: `${by} (${rate('container_fs_reads_total')})`, legend: `${legend} reads` },
            { expr: `${by} (${rate('container_fs_writes_total')})`, legend: `${legend} writes` },
          ]),
        ],
      },
      {
        title: 'Top 10',
        panels: [
          table(
            'Top 10 by CPU',
            'Containers using the most CPU now (cores).',
            'short',
            [{ expr: top(`${by} (${rate('container_cpu_usage_seconds_total')})`) }],
            { w: 8, transformations: mergedTable({ Value: 'Cores' }) },
          ),
          table(
            'Top 10 by memory',
            'Containers with the largest working set now.',
            'bytes',
            [{ expr: top(`${by} (${gauge('container_memory_working_set_bytes')})`) }],
            { w: 8, transformations: mergedTable({ Value: 'Working set' }) },
          ),
          table(
            'Top 10 by throttling',
            'Containers throttled in the largest share of their CFS periods now.',
            'percentunit',
            [
              {
                expr: top(`${by} (${increase('container_cpu_cfs_throttled_periods_total')}) / ${by} (${increase('container_cpu_cfs_periods_total')})`),
              },
            ],
            { w: 8, transformations: mergedTable({ Value: 'Throttled' }) },
          ),
        ],
      },
    ],
  });
  const keep = keptVariables(c);
  const namespace = { uid: namespaceDashboardUid(c), title: namespaceDashboardTitle(c) };
  const pod = { uid: podDashboardUid(c), title: podDashboardTitle(c) };
  return withDrillDowns(d, [
    { panels: ['Namespaces'], to: namespace, keep, fromFields: ['namespace'] },
    {
      panels: ['Top 10 by CPU', 'Top 10 by memory', 'Top 10 by throttling', 'CPU usage'],
      to: pod,
      keep: [...keep, 'container'],
      fromFields: ['namespace', 'pod'],
    },
  ]);
}
