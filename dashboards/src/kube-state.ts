import type { MixinConfig } from '../../src/mixin/config.js';
import { containerSelector, cpuUsage, rate } from './container-queries.js';
import { mergedTable, table, ts, type RowSpec } from './grafana.js';

/**
 * Rows on kube-state-metrics's series (https://github.com/kubernetes/kube-state-metrics/tree/main/docs/metrics),
 * added to the container dashboards when the `kubeStateMetrics` knob is on: what cgroups cannot
 * tell (memory requests, restarts, phase, owners) and the requests as the API server has them, to
 * check the ones derived from cpu.shares. Its series carry their own job, not $job/$instance.
 */
const ksm = (c: MixinConfig, extra: string) =>
  [c.kubeStateMetricsSelector, c.showMultiCluster ? `${c.clusterLabel}=~"$cluster"` : '', extra].filter((m) => m !== '').join(',');

export function kubeStatePodRow(c: MixinConfig): RowSpec {
  const s = ksm(c, 'namespace=~"$namespace",pod=~"$pod",container=~"$container"');
  const by = 'namespace, pod, container';
  const resource = (kind: 'requests' | 'limits', r: 'cpu' | 'memory') => `sum by (${by}) (kube_pod_container_resource_${kind}{${s},resource="${r}"})`;
  const columns: Array<[string, string, string]> = [
    ['CPU request', 'short', resource('requests', 'cpu')],
    ['CPU limit', 'short', resource('limits', 'cpu')],
    ['Memory request', 'bytes', resource('requests', 'memory')],
    ['Memory limit', 'bytes', resource('limits', 'memory')],
    ['Restarts', 'short', `sum by (${by}) (kube_pod_container_status_restarts_total{${s}})`],
  ];
  return {
    title: 'kube-state-metrics',
    collapsed: true,
    panels: [
      table(
        'Requests and limits (API server)',
        "Each container's resources as the pod spec has them (kube-state-metrics), and its restarts since the pod started.",
        'short',
        columns.map(([, , expr]) => ({ expr })),
        {
          fieldUnits: Object.fromEntries(columns.map(([name, unit]) => [name, unit])),
          transformations: mergedTable(Object.fromEntries(columns.map(([name], i) => [`Value #${'ABCDE'[i]}`, name]))),
        },
      ),
      ts(
        'Container restarts',
        'Restarts of each container (kube_pod_container_status_restarts_total).',
        'short',
        [{ expr: `sum by (${by}) (increase(kube_pod_container_status_restarts_total{${s}}[$__rate_interval]))`, legend: '{{pod}} {{container}}' }],
        { min: 0 },
      ),
      ts('Memory request against working set', 'Working set of each container with its memory request from the pod spec (cgroups do not hold it).', 'bytes', [
        {
          expr: `sum by (${by}) (container_memory_working_set_bytes{${containerSelector(c, 'namespace=~"$namespace",pod=~"$pod",container=~"$container"')}})`,
          legend: '{{pod}} {{container}}',
        },
        { expr: resource('requests', 'memory'), legend: '{{pod}} {{container}} request' },
      ]),
    ],
  };
}

export function kubeStateNamespaceRow(c: MixinConfig): RowSpec {
  const s = ksm(c, 'namespace=~"$namespace"');
  const k = containerSelector(c, 'namespace=~"$namespace"');
  // kube_pod_owner names the direct owner: a Deployment's pods show their ReplicaSet.
  const owner = `max by (namespace, pod, owner_kind, owner_name) (kube_pod_owner{${s}})`;
  const byWorkload = (expr: string) =>
    `sum by (namespace, owner_kind, owner_name) (${expr} * on (namespace, pod) group_left (owner_kind, owner_name) ${owner})`;
  return {
    title: 'kube-state-metrics',
    collapsed: true,
    panels: [
      ts('Pods by phase', 'Pods of the namespace in each phase (kube_pod_status_phase).', 'short', [
        { expr: `sum by (namespace, phase) (kube_pod_status_phase{${s}})`, legend: '{{namespace}} {{phase}}' },
      ]),
      table(
        'Workloads',
        "Pods, CPU and working set by owner (kube_pod_owner): kubernetes-mixin's workload view, one level up from the pods.",
        'short',
        [
          { expr: `count by (namespace, owner_kind, owner_name) (${owner})` },
          { expr: byWorkload(`sum by (namespace, pod) (${rate('container_cpu_usage_seconds_total', k)})`) },
          { expr: byWorkload(`sum by (namespace, pod) (container_memory_working_set_bytes{${k}})`) },
        ],
        {
          w: 12,
          fieldUnits: { Pods: 'short', CPU: 'short', 'Working set': 'bytes' },
          transformations: mergedTable({ 'Value #A': 'Pods', 'Value #B': 'CPU', 'Value #C': 'Working set' }),
        },
      ),
      ts(
        'CPU requests: cgroups against API server',
        'CPU requests of the namespace derived from cpu.shares and as kube-state-metrics reports them; a gap means the share to weight mapping of the runtime is not the one assumed.',
        'short',
        [
          { expr: `sum by (namespace) (container_spec_cpu_shares{${k}} > 2) / 1024`, legend: '{{namespace}} from cpu.shares' },
          { expr: `sum by (namespace) (kube_pod_container_resource_requests{${s},resource="cpu"})`, legend: '{{namespace}} API server' },
          { expr: `sum by (namespace) (${cpuUsage('namespace, pod', k)})`, legend: '{{namespace}} used' },
        ],
      ),
    ],
  };
}
