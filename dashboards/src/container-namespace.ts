import type { Dashboard } from '@grafana/schema';
import type { MixinConfig } from '../../src/mixin/config.js';
import { containerSelector, keptVariables, cpuLimit, cpuRequest, cpuUsage, memoryLimit, node, rate, workingSet } from './container-queries.js';
import { podDashboardTitle, podDashboardUid } from './container-pod.js';
import { limitLines } from './field-styles.js';
import { chainedVariables, dashboard, mergedTable, stat, table, ts } from './grafana.js';
import { kubeStateNamespaceRow } from './kube-state.js';
import { withDrillDowns } from './links.js';

export const namespaceDashboardUid = (c: MixinConfig) => `${c.dashboardUidPrefix}containers-namespace`;
export const namespaceDashboardTitle = (c: MixinConfig) => `${c.dashboardTitlePrefix}Containers / Namespace`;

/**
 * The namespace level of the container drill-down (kubernetes-mixin's "Compute Resources /
 * Namespace (Pods)"): the pods of the selected namespaces against their requests and limits; a
 * pod's name opens the pod dashboard.
 */
export function containerNamespaceDashboard(c: MixinConfig): Dashboard {
  const k = containerSelector(c, 'namespace=~"$namespace"');
  const pods = `${node(c)},namespace=~"$namespace",pod!=""`;
  const by = 'namespace, pod';
  const legend = '{{namespace}}/{{pod}}';
  const throttled = `sum by (${by}) (increase(container_cpu_cfs_throttled_periods_total{${k}}[$__rate_interval])) / sum by (${by}) (increase(container_cpu_cfs_periods_total{${k}}[$__rate_interval]))`;
  const quotaColumns: Array<[string, string, string]> = [
    ['CPU used', 'short', cpuUsage(by, k)],
    ['CPU requests', 'short', cpuRequest(by, k)],
    ['CPU used / requests', 'percentunit', `${cpuUsage(by, k)} / (${cpuRequest(by, k)})`],
    ['CPU limits', 'short', cpuLimit(by, k)],
    ['CPU used / limits', 'percentunit', `${cpuUsage(by, k)} / ${cpuLimit(by, k)}`],
    ['Working set', 'bytes', workingSet(by, k)],
    ['Memory limits', 'bytes', memoryLimit(by, k)],
    ['Working set / limits', 'percentunit', `${workingSet(by, k)} / ${memoryLimit(by, k)}`],
    ['Containers', 'short', `count by (${by}) (container_last_seen{${k}})`],
  ];
  const keep = keptVariables(c);
  const pod = { uid: podDashboardUid(c), title: podDashboardTitle(c) };
  const d = dashboard({
    uid: namespaceDashboardUid(c),
    title: namespaceDashboardTitle(c),
    description: 'Pods of the selected namespaces against their requests and limits, from cgroups; a pod opens its own dashboard.',
    tags: c.dashboardTags,
    variables: chainedVariables(c, 'container_cpu_usage_seconds_total', [
      ['instance', 'Instance', '.+'],
      ['namespace', 'Namespace', '.+'],
    ]),
    rows: [
      {
        title: 'Namespace',
        panels: [
          stat('Pods', 'Pods with running containers.', 'short', [{ expr: `count(count by (${by}) (container_last_seen{${k}}))` }]),
          stat('CPU used', 'Cores used by the containers of the namespaces.', 'short', [{ expr: `sum(${cpuUsage(by, k)})` }], { decimals: 2 }),
          stat('CPU requests', 'Sum of the CPU requests (from cpu.shares).', 'short', [{ expr: `sum(${cpuRequest(by, k)})` }], { decimals: 2 }),
          stat('CPU limits', 'Sum of the CPU limits of the containers that have one.', 'short', [{ expr: `sum(${cpuLimit(by, k)})` }], { decimals: 2 }),
          stat('Working set', 'Working set of the containers of the namespaces.', 'bytes', [{ expr: `sum(${workingSet(by, k)})` }]),
          stat('Memory limits', 'Sum of the memory limits of the containers that have one.', 'bytes', [{ expr: `sum(${memoryLimit(by, k)})` }]),
        ],
      },
      {
        title: 'Pods',
        panels: [
          table(
            'Quota by pod',
            "Each pod's containers now against their requests and limits (sums over the containers; a blank cell: none of them has one). The pod name opens its dashboard.",
            'short',
            quotaColumns.map(([, , expr]) => ({ expr })),
            {
              fieldUnits: Object.fromEntries(quotaColumns.map(([name, unit]) => [name, unit])),
              transformations: mergedTable(Object.fromEntries(quotaColumns.map(([name], i) => [`Value #${'ABCDEFGHI'[i]}`, name]))),
            },
          ),
        ],
      },
      {
        title: 'CPU',
        panels: [
          ts('CPU usage by pod', 'Cores used by each pod, with the requests (dashed blue) and limits (dashed red) of the namespace.', 'short', [
            { expr: cpuUsage(by, k), legend },
            { expr: cpuRequest('namespace', k), legend: '{{namespace}} request' },
            { expr: cpuLimit('namespace', k), legend: '{{namespace}} limit' },
          ]),
          ts(
            'CPU throttling by pod',
            `Share of CFS periods in which the pod's containers were throttled (ContainerCPUThrottlingHigh: above ${c.containerCpuThrottlingPercent}%).`,
            'percentunit',
            [{ expr: throttled, legend }],
            {
              min: 0,
              max: 1,
            },
          ),
        ],
      },
      {
        title: 'Memory',
        panels: [
          ts('Working set by pod', 'Working set of each pod, with the memory limits of the namespace (dashed red).', 'bytes', [
            { expr: workingSet(by, k), legend },
            { expr: memoryLimit('namespace', k), legend: '{{namespace}} limit' },
          ]),
          ts('Swap by pod', 'Swap used by the containers of each pod.', 'bytes', [{ expr: `sum by (${by}) (container_memory_swap{${k}})`, legend }]),
        ],
      },
      {
        title: 'Network',
        panels: [
          ts(
            'Network traffic by pod',
            'Bytes per second received and sent by each pod (the host network namespace is on the Host dashboard).',
            'Bps',
            [
              { expr: `sum by (${by}) (${rate('container_network_receive_bytes_total', pods)})`, legend: `${legend} received` },
              { expr: `sum by (${by}) (${rate('container_network_transmit_bytes_total', pods)})`, legend: `${legend} sent` },
            ],
            { w: 8 },
          ),
          ts(
            'Network packets by pod',
            'Packets per second received and sent by each pod.',
            'pps',
            [
              { expr: `sum by (${by}) (${rate('container_network_receive_packets_total', pods)})`, legend: `${legend} received` },
              { expr: `sum by (${by}) (${rate('container_network_transmit_packets_total', pods)})`, legend: `${legend} sent` },
            ],
            { w: 8 },
          ),
          ts(
            'Network errors and drops by pod',
            'Packets per second with errors or dropped, received and sent, by pod.',
            'pps',
            [
              { expr: `sum by (${by}) (${rate('container_network_receive_errors_total', pods)})`, legend: `${legend} receive errors` },
              { expr: `sum by (${by}) (${rate('container_network_transmit_errors_total', pods)})`, legend: `${legend} transmit errors` },
              { expr: `sum by (${by}) (${rate('container_network_receive_packets_dropped_total', pods)})`, legend: `${legend} receive drops` },
              { expr: `sum by (${by}) (${rate('container_network_transmit_packets_dropped_total', pods)})`, legend: `${legend} transmit drops` },
            ],
            { w: 8 },
          ),
        ],
      },
      ...(c.kubeStateMetrics ? [kubeStateNamespaceRow(c)] : []),
    ],
  });
  limitLines(d, ['CPU usage by pod', 'Working set by pod']);
  return withDrillDowns(d, [
    { panels: ['Quota by pod', 'CPU usage by pod', 'Working set by pod'], to: pod, keep: [...keep, 'namespace'], fromFields: ['namespace', 'pod'] },
  ]);
}
