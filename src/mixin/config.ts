import { DEFAULT_BUCKETS } from '../../collectors/probe/probe-results.js';

/**
 * The knobs of the bundled rules and dashboards, in the spirit of a monitoring mixin's `_config`:
 * selectors, thresholds, windows and the runbook location. `spyglass rules export` and
 * `spyglass dashboards export` read overrides of these from a YAML file.
 */
export interface MixinConfig {
  /** Label matchers that select spyglass's own series (the scrape job), without braces. */
  selector: string;
  /** Filesystems the filesystem alerts look at. */
  fsSelector: string;
  /** Block devices of the disk I/O alert and panels. */
  diskDeviceSelector: string;
  /** Network interfaces of the network alerts and panels. */
  netDeviceSelector: string;
  /**
   * Extra matchers on the container alerts and panels, on top of the built-in "real containers"
   * filter (src/mixin/selectors.ts), e.g. `namespace!="kube-system"`; empty by default.
   */
  containerSelector: string;
  /** Multi-cluster: a `$cluster` variable (one cluster at a time) on every dashboard, and the cluster in alert links. */
  showMultiCluster: boolean;
  /** The label that names the cluster (set by Prometheus' external or target labels). */
  clusterLabel: string;
  /** Grafana's base URL, for the `dashboard_url` annotation of every alert. */
  grafanaUrl: string;
  /** Severity of the host alerts that say failure is imminent (node-mixin's nodeCriticalSeverity); may be a template. */
  nodeCriticalSeverity: string;
  /** Severity of ProbeTargetDown and ProbeDNSFailing. */
  probeDownSeverity: string;
  /** Where docs/runbooks.md is served; each alert links to `<runbookUrl>#<alertname in lower case>`. */
  runbookUrl: string;

  /** Hours ahead the warning / critical FillingUp alerts predict (node-mixin's nodeWarningWindowHours, nodeCriticalWindowHours). */
  nodeWarningWindowHours: number;
  nodeCriticalWindowHours: number;
  /** Range predict_linear() fits the FillingUp alerts' trend over (node-mixin's fsSpaceFillingUpPredictionWindow). */
  fsSpaceFillingUpPredictionWindow: string;
  fsSpaceFillingUpWarningPercent: number;
  fsSpaceFillingUpCriticalPercent: number;
  fsSpaceAvailableWarningPercent: number;
  fsSpaceAvailableCriticalPercent: number;
  fsFilesFillingUpWarningPercent: number;
  fsFilesFillingUpCriticalPercent: number;
  fsFilesAvailableWarningPercent: number;
  fsFilesAvailableCriticalPercent: number;
  cpuHighUsagePercent: number;
  loadPerCoreThreshold: number;
  memoryHighUtilizationPercent: number;
  majorPageFaultsPerSecond: number;
  diskIOSaturationThreshold: number;
  conntrackUsedRatio: number;
  fileDescriptorsWarningPercent: number;
  fileDescriptorsCriticalPercent: number;
  clockSkewSeconds: number;

  containerCpuThrottlingPercent: number;
  containerMemoryNearLimitPercent: number;

  probeFailedFor: string;
  probeLatencyQuantile: number;
  probeLatencyThresholdSeconds: number;
  /** Availability objective of every probe target, in percent. */
  probeAvailabilitySlo: number;
  /** Latency objective: this percentage of probes succeeds within probeLatencySloSeconds. */
  probeLatencySlo: number;
  /** Must be one of the probe collector's histogram bucket bounds (see `buckets` in its README). */
  probeLatencySloSeconds: number;
  certificateExpiryWarningDays: number;
  certificateExpiryCriticalDays: number;

  spyglassDownFor: string;
  collectorFailingFor: string;

  /** Dashboards: tags shared by the four dashboards (they link to each other through them). */
  dashboardTags: string[];
  /** Dashboards: prefix of the titles. */
  dashboardTitlePrefix: string;
  /** Dashboards: prefix of the uids (uids must stay stable: links and provisioning use them). */
  dashboardUidPrefix: string;
  /**
   * Dashboards: add kube-state-metrics rows to the container dashboards (requests as the API server
   * has them, memory requests, restarts, pod phase, owners). Off by default: spyglass alone does
   * not serve these series.
   */
  kubeStateMetrics: boolean;
  /** Label matchers of kube-state-metrics's series (its scrape job), without braces. */
  kubeStateMetricsSelector: string;
}

export const DEFAULT_MIXIN_CONFIG: Readonly<MixinConfig> = {
  selector: 'job="spyglass"',
  fsSelector: 'fstype!="",mountpoint!=""',
  diskDeviceSelector: 'device=~"(/dev/)?(mmcblk.p.+|nvme.+|rbd.+|sd.+|vd.+|xvd.+|dm-.+|md.+|dasd.+)"',
  netDeviceSelector: 'device!~"lo|veth.+"',
  containerSelector: '',
  showMultiCluster: false,
  clusterLabel: 'cluster',
  grafanaUrl: 'http://localhost:3000',
  nodeCriticalSeverity: 'critical',
  probeDownSeverity: 'critical',
  runbookUrl: 'https://github.com/spyglass-monitoring/spyglass/blob/main/docs/runbooks.md',

  nodeWarningWindowHours: 24,
  nodeCriticalWindowHours: 4,
  fsSpaceFillingUpPredictionWindow: '6h',
  fsSpaceFillingUpWarningPercent: 40,
  fsSpaceFillingUpCriticalPercent: 20,
  fsSpaceAvailableWarningPercent: 5,
  fsSpaceAvailableCriticalPercent: 3,
  fsFilesFillingUpWarningPercent: 40,
  fsFilesFillingUpCriticalPercent: 20,
  fsFilesAvailableWarningPercent: 5,
  fsFilesAvailableCriticalPercent: 3,
  cpuHighUsagePercent: 90,
  loadPerCoreThreshold: 2,
  memoryHighUtilizationPercent: 90,
  majorPageFaultsPerSecond: 500,
  diskIOSaturationThreshold: 10,
  conntrackUsedRatio: 0.75,
  fileDescriptorsWarningPercent: 70,
  fileDescriptorsCriticalPercent: 90,
  clockSkewSeconds: 0.05,

  containerCpuThrottlingPercent: 25,
  containerMemoryNearLimitPercent: 90,

  probeFailedFor: '2m',
  probeLatencyQuantile: 0.99,
  probeLatencyThresholdSeconds: 1,
  probeAvailabilitySlo: 99.9,
  probeLatencySlo: 99,
  probeLatencySloSeconds: 0.4096,
  certificateExpiryWarningDays: 21,
  certificateExpiryCriticalDays: 7,

  spyglassDownFor: '5m',
  collectorFailingFor: '15m',

  dashboardTags: ['spyglass'],
  dashboardTitlePrefix: 'spyglass / ',
  dashboardUidPrefix: 'spyglass-',
  kubeStateMetrics: false,
  kubeStateMetricsSelector: 'job="kube-state-metrics"',
};

/** Checks overrides read from a file and merges them over the defaults; problems name the key. */
export function mixinConfig(overrides: unknown): { config: MixinConfig; problems: string[] } {
  const config: MixinConfig = { ...DEFAULT_MIXIN_CONFIG, dashboardTags: [...DEFAULT_MIXIN_CONFIG.dashboardTags] };
  const problems: string[] = [];
  if (overrides === undefined || overrides === null) return { config, problems };
  if (typeof overrides !== 'object' || Array.isArray(overrides)) return { config, problems: ['the file must hold a mapping of knob: value'] };
  const target = config as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides)) {
    const current = target[key];
    if (current === undefined) problems.push(`${key}: unknown knob (known: ${Object.keys(DEFAULT_MIXIN_CONFIG).join(', ')})`);
    else if (Array.isArray(current) ? !Array.isArray(value) || value.some((v) => typeof v !== 'string') : typeof value !== typeof current)
      problems.push(`${key}: expected ${Array.isArray(current) ? 'a list of strings' : `a ${typeof current}`}, got ${JSON.stringify(value)}`);
    else target[key] = value;
  }
  problems.push(...valueProblems(config));
  return { config, problems };
}

function valueProblems(c: MixinConfig): string[] {
  const problems: string[] = [];
  if (!DEFAULT_BUCKETS.includes(c.probeLatencySloSeconds))
    problems.push(
      `probeLatencySloSeconds: ${c.probeLatencySloSeconds} is not a bucket bound of spyglass_probe_duration_seconds (${DEFAULT_BUCKETS.join(', ')})`,
    );
  for (const key of ['probeAvailabilitySlo', 'probeLatencySlo'] as const)
    if (!(c[key] > 0 && c[key] < 100)) problems.push(`${key}: must be a percentage between 0 and 100, exclusive`);
  if (!(c.probeLatencyQuantile > 0 && c.probeLatencyQuantile < 1)) problems.push('probeLatencyQuantile: must be between 0 and 1, exclusive');
  for (const key of ['nodeCriticalSeverity', 'probeDownSeverity'] as const)
    if (!['critical', 'warning', 'info'].includes(c[key]) && !c[key].includes('{{'))
      problems.push(`${key}: critical, warning, info or a template, got ${c[key]}`);
  for (const key of ['nodeWarningWindowHours', 'nodeCriticalWindowHours'] as const) if (!(c[key] > 0)) problems.push(`${key}: must be above 0`);
  if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(c.clusterLabel)) problems.push(`clusterLabel: not a label name: ${c.clusterLabel}`);
  if (!/^https?:\/\/[^\s]+[^/\s]$/.test(c.grafanaUrl)) problems.push(`grafanaUrl: an http(s) URL without a trailing slash, got ${c.grafanaUrl}`);
  for (const key of ['probeFailedFor', 'spyglassDownFor', 'collectorFailingFor', 'fsSpaceFillingUpPredictionWindow'] as const)
    if (!/^(\d+[smhd])+$/.test(c[key])) problems.push(`${key}: not a Prometheus duration: ${c[key]}`);
  return problems;
}
