import type { Dashboard } from '@grafana/schema';
import type { MixinConfig } from '../../src/mixin/config.js';
import { containerSelector, cpuLimit, cpuRequest, cpuUsage, memoryLimit, node, rate, workingSet } from './container-queries.js';
import { limitLines } from './field-styles.js';
import { chainedVariables, dashboard, mergedTable, stat, table, ts, type PanelSpec, type Query } from './grafana.js';
import { kubeStatePodRow } from './kube-state.js';

export const podDashboardUid = (c: MixinConfig) => `${c.dashboardUidPrefix}containers-pod`;
export const podDashboardTitle = (c: MixinConfig) => `${c.dashboardTitlePrefix}Containers / Pod`;

/**
 * The pod level of the container drill-down (kubernetes-mixin's "Compute Resources / Pod"): each
 * container of the selected pods against its request and limits, with what cgroups add (PSI,
 * threads against pids.max, swap, throttled time).
 */
export function containerPodDashboard(c: MixinConfig): Dashboard {
  const pods = `${node(c)},namespace=~"$namespace",pod=~"$pod",pod!=""`;
  const k = containerSelector(c, 'namespace=~"$namespace",pod=~"$pod",container=~"$container"');
  const by = 'namespace, pod, container';
  const legend = '{{pod}} {{container}}';
  const perContainer = (expr: string, suffix = ''): Query => ({ expr, legend: suffix ? `${legend} ${suffix}` : legend });
  const throttled = `sum by (${by}) (increase(container_cpu_cfs_throttled_periods_total{${k}}[$__rate_interval])) / sum by (${by}) (increase(container_cpu_cfs_periods_total{${k}}[$__rate_interval]))`;
  const pressure = (resource: 'cpu' | 'memory' | 'io'): PanelSpec =>
    ts(
      `${resource === 'io' ? 'I/O' : resource === 'cpu' ? 'CPU' : 'Memory'} pressure`,
      `Share of wall time in which some task of the container waited for ${resource === 'io' ? 'I/O' : resource} ("waiting", PSI some) and in which all its tasks were stalled ("stalled", PSI full); cgroup v2 only (${resource}.pressure, Documentation/accounting/psi.rst).`,
      'percentunit',
      [
        perContainer(`sum by (${by}) (${rate(`container_pressure_${resource}_waiting_seconds_total`, k)})`, 'waiting'),
        perContainer(`sum by (${by}) (${rate(`container_pressure_${resource}_stalled_seconds_total`, k)})`, 'stalled'),
      ],
      { w: 8, min: 0 },
    );
  const quotaColumns: Array<[string, string, string]> = [
    ['CPU used', 'short', cpuUsage(by, k)],
    ['CPU request', 'short', cpuRequest(by, k)],
    ['CPU used / request', 'percentunit', `${cpuUsage(by, k)} / (${cpuRequest(by, k)})`],
    ['CPU limit', 'short', cpuLimit(by, k)],
    ['CPU used / limit', 'percentunit', `${cpuUsage(by, k)} / ${cpuLimit(by, k)}`],
    ['Working set', 'bytes', workingSet(by, k)],
    ['Memory limit', 'bytes', memoryLimit(by, k)],
    ['Working set / limit', 'percentunit', `${workingSet(by, k)} / ${memoryLimit(by, k)}`],
    ['Threads', 'short', `sum by (${by}) (container_threads{${k}})`],
    ['Threads max', 'short', `sum by (${by}) (container_threads_max{${k}} > 0)`],
  ];
  const refs = 'ABCDEFGHIJ';
  const d = dashboard({
    uid: podDashboardUid(c),
    title: podDashboardTitle(c),
    description:
      'Containers of the selected pods against their requests and limits, read from cgroups: CPU request from cpu.shares, limits from the CFS quota and memory.limit, PSI, threads against pids.max.',
    tags: c.dashboardTags,
    variables: chainedVariables(c, 'container_cpu_usage_seconds_total', [
      ['instance', 'Instance', '.+'],
      ['namespace', 'Namespace', '.+'],
      ['pod', 'Pod', '.+'],
      ['container', 'Container', '.*'],
    ]),
    rows: [
      {
        title: 'Pod',
        panels: [
          stat('CPU used', 'Cores used by the selected containers now.', 'short', [{ expr: `sum(${cpuUsage(by, k)})` }], { decimals: 2 }),
          stat('CPU request', 'Sum of the CPU requests (from cpu.shares: shares / 1024 cores).', 'short', [{ expr: `sum(${cpuRequest(by, k)})` }], {
            decimals: 2,
          }),
          stat('CPU limit', 'Sum of the CPU limits (CFS quota / period) of the containers that have one.', 'short', [{ expr: `sum(${cpuLimit(by, k)})` }], {
            decimals: 2,
          }),
          stat('Working set', 'Working set of the selected containers.', 'bytes', [{ expr: `sum(${workingSet(by, k)})` }]),
          stat('Memory limit', 'Sum of the memory limits of the containers that have one.', 'bytes', [{ expr: `sum(${memoryLimit(by, k)})` }]),
          stat(
            'OOM kills in range',
            'Processes of the selected containers killed for running out of memory over the time range (ContainerOOMKilled).',
            'short',
            [{ expr: `sum(increase(container_oom_events_total{${k}}[$__range]))` }],
            { thresholds: [[1, 'red']] },
          ),
        ],
      },
      {
        title: 'Quota',
        panels: [
          table(
            'Quota by container',
            'Each container now against its request and limits; a blank cell is a request or limit the container does not have (threads max blank: no pids.max).',
            'short',
            quotaColumns.map(([, , expr]) => ({ expr })),
            {
              h: 7,
              fieldUnits: Object.fromEntries(quotaColumns.map(([name, unit]) => [name, unit])),
              transformations: mergedTable(Object.fromEntries(quotaColumns.map(([name], i) => [`Value #${refs[i]}`, name]))),
            },
          ),
        ],
      },
      {
        title: 'CPU',
        panels: [
          ts(
            'CPU usage against request and limit',
            'Cores used by each container, with its request (dashed blue, from cpu.shares) and limit (dashed red, CFS quota / period).',
            'short',
            [perContainer(cpuUsage(by, k)), perContainer(cpuRequest(by, k), 'request'), perContainer(cpuLimit(by, k), 'limit')],
          ),
          ts(
            'CPU throttling',
            `Share of CFS periods in which the container was throttled; above ${c.containerCpuThrottlingPercent}% ContainerCPUThrottlingHigh fires.`,
            'percentunit',
            [perContainer(throttled)],
            { min: 0, max: 1 },
          ),
          ts(
            'Throttled time',
            'Seconds per second the container could not run because its quota was spent.',
            'short',
            [perContainer(`sum by (${by}) (${rate('container_cpu_cfs_throttled_seconds_total', k)})`)],
            { min: 0 },
          ),
          ts(
            'CPU user and system',
            'Cores spent in user and kernel mode.',
            'short',
            [
              perContainer(`sum by (${by}) (${rate('container_cpu_user_seconds_total', k)})`, 'user'),
              perContainer(`sum by (${by}) (${rate('container_cpu_system_seconds_total', k)})`, 'system'),
            ],
            { stack: true },
          ),
        ],
      },
      {
        title: 'Memory',
        panels: [
          ts(
            'Working set against limit',
            `Working set of each container with its memory limit (dashed red); the container is OOM-killed at the limit, ContainerMemoryNearLimit fires above ${c.containerMemoryNearLimitPercent}%.`,
            'bytes',
            [perContainer(workingSet(by, k)), perContainer(memoryLimit(by, k), 'limit')],
          ),
          ts('Memory by kind', 'Anonymous memory (rss), page cache and mapped files.', 'bytes', [
            perContainer(`sum by (${by}) (container_memory_rss{${k}})`, 'rss'),
            perContainer(`sum by (${by}) (container_memory_cache{${k}})`, 'cache'),
            perContainer(`sum by (${by}) (container_memory_mapped_file{${k}})`, 'mapped'),
          ]),
          ts(
            'Swap',
            "Swap used by each container (v1: memory.stat total_swap, present only with swap accounting on; v2: memory.swap.current). The v1 swap limit (memory.memsw) counts memory and swap together and v2's (memory.swap.max) swap alone, so no limit line is drawn.",
            'bytes',
            [perContainer(`sum by (${by}) (container_memory_swap{${k}})`)],
          ),
          ts(
            'OOM kills and limit hits',
            'Processes killed for running out of memory, and times the usage hit the limit (memory.failcnt; 0 on cgroup v2).',
            'short',
            [
              perContainer(`sum by (${by}) (increase(container_oom_events_total{${k}}[$__rate_interval]))`, 'OOM kills'),
              perContainer(`sum by (${by}) (increase(container_memory_failcnt{${k}}[$__rate_interval]))`, 'limit hits'),
            ],
            { min: 0 },
          ),
        ],
      },
      {
        title: 'Network',
        panels: [
          // The pod's network namespace is reported once, on the sandbox: no container filter.
          ts(
            'Network traffic',
            'Bytes per second received and sent, by pod and interface.',
            'Bps',
            [
              { expr: `sum by (pod, interface) (${rate('container_network_receive_bytes_total', pods)})`, legend: '{{pod}} {{interface}} received' },
              { expr: `sum by (pod, interface) (${rate('container_network_transmit_bytes_total', pods)})`, legend: '{{pod}} {{interface}} sent' },
            ],
            { w: 8 },
          ),
          ts(
            'Network packets',
            'Packets per second received and sent, by pod and interface.',
            'pps',
            [
              { expr: `sum by (pod, interface) (${rate('container_network_receive_packets_total', pods)})`, legend: '{{pod}} {{interface}} received' },
              { expr: `sum by (pod, interface) (${rate('container_network_transmit_packets_total', pods)})`, legend: '{{pod}} {{interface}} sent' },
            ],
            { w: 8 },
          ),
          ts(
            'Network errors and drops',
            'Packets per second with errors or dropped, by pod, interface and direction.',
            'pps',
            [
              { expr: `sum by (pod, interface) (${rate('container_network_receive_errors_total', pods)})`, legend: '{{pod}} {{interface}} receive errors' },
              { expr: `sum by (pod, interface) (${rate('container_network_transmit_errors_total', pods)})`, legend: '{{pod}} {{interface}} transmit errors' },
              {
                expr: `sum by (pod, interface) (${rate('container_network_receive_packets_dropped_total', pods)})`,
                legend: '{{pod}} {{interface}} receive drops',
              },
              {
                expr: `sum by (pod, interface) (${rate('container_network_transmit_packets_dropped_total', pods)})`,
                legend: '{{pod}} {{interface}} transmit drops',
              },
            ],
            { w: 8 },
          ),
        ],
      },
      { title: 'Pressure (PSI, cgroup v2)', panels: [pressure('cpu'), pressure('memory'), pressure('io')] },
      {
        title: 'Processes and block I/O',
        panels: [
          ts(
            'Threads against limit',
            'Tasks (threads) in each container with its pids.max (dashed red); fork and clone fail with EAGAIN at the limit.',
            'short',
            [perContainer(`sum by (${by}) (container_threads{${k}})`), perContainer(`sum by (${by}) (container_threads_max{${k}} > 0)`, 'limit')],
            { w: 8 },
          ),
          ts('Processes', 'Processes in each container.', 'short', [perContainer(`sum by (${by}) (container_processes{${k}})`)], { w: 8 }),
          ts(
            'Block I/O',
            'Bytes per second read and written by each container (all devices).',
            'Bps',
            [
              perContainer(`sum by (${by}) (${rate('container_fs_reads_bytes_total', k)})`, 'read'),
              perContainer(`sum by (${by}) (${rate('container_fs_writes_bytes_total', k)})`, 'written'),
            ],
            { w: 8 },
          ),
        ],
      },
      ...(c.kubeStateMetrics ? [kubeStatePodRow(c)] : []),
    ],
  });
  return limitLines(d, ['CPU usage against request and limit', 'Working set against limit', 'Threads against limit']);
}
