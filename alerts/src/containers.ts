import type { MixinConfig } from '../../src/mixin/config.js';
import { eitherKind, REAL_CONTAINERS } from '../../src/mixin/selectors.js';
import { alert, sel, type AlertingRule, type DashboardLink, type RuleGroup } from './rule.js';

const CONTAINERS: DashboardLink = { uid: 'containers', vars: ['job', 'instance', 'namespace', 'pod', 'container'] };

/** A Kubernetes container by pod and name, one outside Kubernetes by its runtime name. */
const WHO =
  'cgroup {{ $labels.id }} ({{ if $labels.pod }}container "{{ $labels.container }}" of pod {{ $labels.namespace }}/{{ $labels.pod }}{{ else }}container {{ $labels.name }}{{ end }}) on {{ $labels.instance }}';

export function containerAlertGroups(c: MixinConfig): Array<RuleGroup<AlertingRule>> {
  // Real containers only (src/mixin/selectors.ts): Kubernetes containers and containers outside Kubernetes, no sandboxes.
  const real = (query: (selector: string) => string) => eitherKind(REAL_CONTAINERS, (m) => query(sel(c.selector, c.containerSelector, m)));
  return [
    {
      name: 'spyglass-containers',
      rules: [
        alert(
          {
            name: 'ContainerCPUThrottlingHigh',
            severity: 'info',
            dashboard: CONTAINERS,
            expr: `${real((s) => `increase(container_cpu_cfs_throttled_periods_total${s}[5m])`)}\n/\n${real((s) => `increase(container_cpu_cfs_periods_total${s}[5m])`)}\n> ${c.containerCpuThrottlingPercent / 100}`,
            for: '15m',
            summary: 'Processes experience elevated CPU throttling.',
            description: `The ${WHO} was throttled in {{ $value | humanizePercentage }} of its CPU quota periods over 5 minutes.`,
          },
          c,
        ),
        alert(
          {
            name: 'ContainerMemoryNearLimit',
            severity: 'warning',
            dashboard: CONTAINERS,
            expr: `${real((s) => `container_memory_working_set_bytes${s}`)}\n/\n${real((s) => `container_spec_memory_limit_bytes${s} > 0`)}\n* 100 > ${c.containerMemoryNearLimitPercent}`,
            for: '15m',
            summary: 'Container memory working set is close to its limit.',
            description: `The working set of the ${WHO} is {{ printf "%.2f" $value }}% of its memory limit; it is OOM-killed when it reaches it.`,
          },
          c,
        ),
        alert(
          {
            name: 'ContainerOOMKilled',
            severity: 'warning',
            dashboard: CONTAINERS,
            expr: `${real((s) => `increase(container_oom_events_total${s}[10m])`)} > 0`,
            summary: 'A process in a container was killed for running out of memory.',
            description: `The kernel OOM-killed {{ printf "%.0f" $value }} process(es) in the ${WHO} in the last 10 minutes.`,
          },
          c,
        ),
      ],
    },
  ];
}
