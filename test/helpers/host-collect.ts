import type { CollectContext, CollectorDefinition, MetricFamily, Paths } from '../../src/collector.js';
import { formatConfigError, loadConfig } from '../../src/config/load.js';

export interface HostRun {
  families: MetricFamily[];
  skipped: Array<{ reason: string; detail: string }>;
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Runs one host collector once, in-process, over the given paths; `options` go through the config
 * loader, so unset ones take the collector's defaults. Skipped items are returned with the families.
 */
export async function collectHostOnce(definition: CollectorDefinition, paths: Partial<Paths>, options: Record<string, unknown> = {}): Promise<HostRun> {
  const loaded = await loadConfig({ builtins: [definition], overrides: { collectors: { [definition.name]: options } } });
  if (!loaded.ok) throw new Error(loaded.errors.map(formatConfigError).join('; '));
  const config = loaded.config.collectors.find((c) => c.definition.name === definition.name)?.options;
  const skipped: HostRun['skipped'] = [];
  const ctx = {
    config,
    paths: { procfs: '/nonexistent', sysfs: '/nonexistent', rootfs: '/nonexistent', udevData: '/nonexistent', ...paths },
    signal: new AbortController().signal,
    logger: quiet,
    runTimeMs: Date.now(),
    state: definition.initialState?.(),
    once: true,
    skip: (reason: string, detail: string) => skipped.push({ reason, detail }),
    runSoon() {},
    servedElsewhere: () => undefined,
    maxSeries: undefined,
  } as CollectContext;
  return { families: await definition.collect(ctx), skipped };
}

/** The value of the one sample of `name` whose labels include `match`; undefined when none. */
export function valueOf(families: MetricFamily[], name: string, match: Record<string, string> = {}): number | undefined {
  const family = families.find((f) => f.name === name);
  if (!family || family.type === 'histogram' || family.type === 'summary') return undefined;
  return family.samples.find((s) => Object.entries(match).every(([k, v]) => s.labels?.[k] === v))?.value;
}
