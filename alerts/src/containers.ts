import type { MixinConfig } from '../../src/mixin/config.js';
import { alert, sel, type AlertingRule, type RuleGroup } from './rule.js';

const WHO = 'cgroup {{ $labels.id }} (container "{{ $labels.container }}" of pod {{ $labels.namespace }}/{{ $labels.pod }}) on {{ $labels.instance }}';

export function containerAlertGroups(c: MixinConfig): Array<RuleGroup<AlertingRule>> {
  const s = sel(c.selector, c.containerSelector);
  return [
    {
      name: 'spyglass-containers',
      rules: [
        alert(
          {
            name: 'ContainerCPUThrottlingHigh',
            severity: 'info',
            expr: `increase(container_cpu_cfs_throttled_periods_total${s}[5m])\n/\nincrease(container_cpu_cfs_periods_total${s}[5m])\n> ${c.containerCpuThrottlingPercent / 100}`,
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
            expr: `container_memory_working_set_bytes${s}\n/\n(container_spec_memory_limit_bytes${s} > 0)\n* 100 > ${c.containerMemoryNearLimitPercent}`,
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
            expr: `increase(container_oom_events_total${s}[10m]) > 0`,
            summary: 'A process in a container was killed for running out of memory.',
            description: `The kernel OOM-killed {{ printf "%.0f" $value }} process(es) in the ${WHO} in the last 10 minutes.`,
          },
          c,
        ),
      ],
    },
  ];
}
