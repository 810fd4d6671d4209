import type { Dashboard } from '@grafana/schema';
import type { MixinConfig } from '../../src/mixin/config.js';
import { containerNamespaceDashboard } from './container-namespace.js';
import { containerPodDashboard } from './container-pod.js';
import { containersDashboard } from './containers.js';
import { hostDashboard } from './host.js';
import { latencyDashboard } from './latency.js';
import { selfDashboard } from './self.js';

export function dashboards(c: MixinConfig): Record<string, Dashboard> {
  return {
    'spyglass-host.json': hostDashboard(c),
    'spyglass-containers.json': containersDashboard(c),
    'spyglass-containers-namespace.json': containerNamespaceDashboard(c),
    'spyglass-containers-pod.json': containerPodDashboard(c),
    'spyglass-latency.json': latencyDashboard(c),
    'spyglass-self.json': selfDashboard(c),
  };
}

/** The dashboards as the files users import, by file name. */
export function dashboardFiles(c: MixinConfig): Record<string, string> {
  return Object.fromEntries(Object.entries(dashboards(c)).map(([name, d]) => [name, `${JSON.stringify(d, null, 2)}\n`]));
}
