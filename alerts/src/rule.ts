import type { MixinConfig } from '../../src/mixin/config.js';

/** The three severities, or (from the nodeCriticalSeverity / probeDownSeverity knobs) a template that yields one. */
export type Severity = 'critical' | 'warning' | 'info' | (string & {});

export interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: Severity };
  annotations: { summary: string; description: string; runbook_url: string; dashboard_url: string };
}

/** The dashboard an alert links to, by uid without the prefix, and the variables its labels fill (`var-<name>=<label value>`). */
export interface DashboardLink {
  uid: 'host' | 'containers' | 'latency' | 'self';
  vars: string[];
}

export interface RecordingRule {
  record: string;
  expr: string;
}

export interface RuleGroup<R = AlertingRule | RecordingRule> {
  name: string;
  interval?: string;
  rules: R[];
}

export interface AlertSpec {
  name: string;
  severity: Severity;
  expr: string;
  for?: string;
  /** One sentence, no templates, capitalised, ends with a period. */
  summary: string;
  /** Uses labels and `$value`. */
  description: string;
  dashboard: DashboardLink;
}

/**
 * An alerting rule with its runbook link (`<runbookUrl>#<name in lower case>`, the anchor of its
 * section in docs/runbooks.md) and its dashboard link: the dashboard with the alert's job,
 * instance (and cluster, target, …) selected, each value URL-escaped by Go's `urlquery`.
 */
export function alert(spec: AlertSpec, config: MixinConfig): AlertingRule {
  return {
    alert: spec.name,
    expr: spec.expr,
    ...(spec.for ? { for: spec.for } : {}),
    labels: { severity: spec.severity },
    annotations: {
      summary: spec.summary,
      description: spec.description,
      runbook_url: `${config.runbookUrl}#${spec.name.toLowerCase()}`,
      dashboard_url: dashboardUrl(spec.dashboard, config),
    },
  };
}

export function dashboardUrl(link: DashboardLink, c: MixinConfig): string {
  const vars: Array<[name: string, label: string]> = [
    ...(c.showMultiCluster ? [['cluster', c.clusterLabel] as [string, string]] : []),
    ...link.vars.map((v) => [v, v] as [string, string]),
  ];
  const query = vars.map(([name, label]) => `var-${name}={{ $labels.${label} | urlquery }}`).join('&');
  return `${c.grafanaUrl}/d/${c.dashboardUidPrefix}${link.uid}${query ? `?${query}` : ''}`;
}

/** Joins label matchers, skipping empty ones: `sel(config.selector, 'mode="idle"')` -> `{job="spyglass",mode="idle"}`. */
export function sel(...matchers: string[]): string {
  return `{${matchers.filter((m) => m !== '').join(',')}}`;
}
