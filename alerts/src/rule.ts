import type { MixinConfig } from '../../src/mixin/config.js';

export type Severity = 'critical' | 'warning' | 'info';

export interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: Severity };
  annotations: { summary: string; description: string; runbook_url: string };
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
}

/** An alerting rule with its runbook link: `<runbookUrl>#<name in lower case>`, the anchor of its section in docs/runbooks.md. */
export function alert(spec: AlertSpec, config: MixinConfig): AlertingRule {
  return {
    alert: spec.name,
    expr: spec.expr,
    ...(spec.for ? { for: spec.for } : {}),
    labels: { severity: spec.severity },
    annotations: { summary: spec.summary, description: spec.description, runbook_url: `${config.runbookUrl}#${spec.name.toLowerCase()}` },
  };
}

/** Joins label matchers, skipping empty ones: `sel(config.selector, 'mode="idle"')` -> `{job="spyglass",mode="idle"}`. */
export function sel(...matchers: string[]): string {
  return `{${matchers.filter((m) => m !== '').join(',')}}`;
}
