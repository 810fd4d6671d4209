import type { CollectContext, CollectorDefinition, MetricFamily, Paths } from '../../src/collector.js';

/**
 * Runs a collector once, in-process, over the given roots (the others point nowhere); returns its
 * families, the items it skipped (`ctx.skip`) and a lookup of one series' value.
 */
export async function runCollector(def: CollectorDefinition, paths: Partial<Paths>, config: Record<string, unknown> = {}) {
  const skipped: Array<[reason: string, detail: string]> = [];
  const noop = () => undefined;
  const ctx: CollectContext = {
    config,
    paths: { procfs: '/nonexistent', sysfs: '/nonexistent', rootfs: '/nonexistent', udevData: '/nonexistent', ...paths },
    signal: new AbortController().signal,
    logger: { debug: noop, info: noop, warn: noop, error: noop },
    runTimeMs: Date.now(),
    state: undefined,
    once: true,
    skip: (reason, detail) => void skipped.push([reason, detail]),
    runSoon: noop,
    servedElsewhere: () => undefined,
    maxSeries: undefined,
  };
  const families = await def.collect(ctx);
  return { families, skipped, value: (name: string, labels: Record<string, string> = {}) => valueOf(families, name, labels) };
}

export function valueOf(families: MetricFamily[], name: string, labels: Record<string, string>): number | undefined {
  const f = families.find((x) => x.name === name);
  const s = f?.samples.find((x) => JSON.stringify(Object.entries(x.labels ?? {}).sort()) === JSON.stringify(Object.entries(labels).sort()));
  return s && 'value' in s ? s.value : undefined;
}
