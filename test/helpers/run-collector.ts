import type { CollectorDefinition, MetricFamily, Paths } from '../../src/collector.js';
import { collectHostOnce } from './host-collect.js';

/**
 * collectHostOnce with the skipped items as `[reason, detail]` pairs and a lookup of the one series
 * whose labels are exactly `labels`.
 */
export async function runCollector(def: CollectorDefinition, paths: Partial<Paths>, config: Record<string, unknown> = {}) {
  const { families, skipped } = await collectHostOnce(def, paths, config);
  return {
    families,
    skipped: skipped.map((s): [reason: string, detail: string] => [s.reason, s.detail]),
    value: (name: string, labels: Record<string, string> = {}) => valueOf(families, name, labels),
  };
}

export function valueOf(families: MetricFamily[], name: string, labels: Record<string, string>): number | undefined {
  const f = families.find((x) => x.name === name);
  const s = f?.samples.find((x) => JSON.stringify(Object.entries(x.labels ?? {}).sort()) === JSON.stringify(Object.entries(labels).sort()));
  return s && 'value' in s ? s.value : undefined;
}
