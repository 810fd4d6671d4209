import type { MixinConfig } from '../../src/mixin/config.js';
import { REAL_CONTAINERS } from '../../src/mixin/selectors.js';
import { scope } from './grafana.js';

/**
 * Selectors and expressions shared by the namespace and pod dashboards of the container drill-down,
 * which are about Kubernetes containers only (containers outside Kubernetes have no pod to drill
 * into; the Containers dashboard shows them).
 */
export const node = (c: MixinConfig) => `${scope(c)},job=~"$job",instance=~"$instance"`;

/** Kubernetes containers, their sandboxes left out (src/mixin/selectors.ts), with the dashboard's matchers and the containerSelector knob. */
export function containerSelector(c: MixinConfig, extra: string): string {
  return [node(c), extra, REAL_CONTAINERS.kubernetes, c.containerSelector].filter((m) => m !== '').join(',');
}

/** The variables a drill-down link carries over as they are: the scope's and the node's. */
export const keptVariables = (c: MixinConfig) => [...(c.showMultiCluster ? ['cluster'] : []), 'job', 'instance'];

export const rate = (metric: string, selector: string) => `rate(${metric}{${selector}}[$__rate_interval])`;

/**
 * CPU request, in cores, from `container_spec_cpu_shares`. The kubelet writes a container's request
 * as cgroup v1 `cpu.shares` = millicores × 1024 / 1000 (at least 2, which is also what BestEffort
 * containers get): shares / 1024 gives the request back. On cgroup v2 the runtime writes
 * `cpu.weight` instead (runc/crun: weight = 1 + (shares − 2) × 9999 / 262142) and spyglass turns
 * it back into shares (src/parsers/cgroup.ts, weightToShares): one weight step is ~26 shares, so
 * the derived request is within ~25 millicores. Runtimes that map shares to weight with another
 * formula make the v2 figure wrong; with `kubeStateMetrics: true` the dashboards also show the
 * requests kube-state-metrics reads from the API server. Shares of 2 (no request) are left out.
 * https://github.com/kubernetes/kubernetes/blob/master/pkg/kubelet/cm/helpers_linux.go (MilliCPUToShares)
 * https://github.com/opencontainers/runc/blob/main/libcontainer/cgroups/utils.go (ConvertCPUSharesToCgroupV2Value)
 */
export const cpuRequest = (by: string, selector: string) => `sum by (${by}) (container_spec_cpu_shares{${selector}} > 2) / 1024`;
/** CPU limit, in cores: the CFS quota over its period (series only for containers with a quota). */
export const cpuLimit = (by: string, selector: string) => `sum by (${by}) (container_spec_cpu_quota{${selector}} / container_spec_cpu_period{${selector}})`;
/** Memory limit: cAdvisor reports "no limit" as 0, so those drop out. */
export const memoryLimit = (by: string, selector: string) => `sum by (${by}) (container_spec_memory_limit_bytes{${selector}} > 0)`;
export const cpuUsage = (by: string, selector: string) => `sum by (${by}) (${rate('container_cpu_usage_seconds_total', selector)})`;
export const workingSet = (by: string, selector: string) => `sum by (${by}) (container_memory_working_set_bytes{${selector}})`;
