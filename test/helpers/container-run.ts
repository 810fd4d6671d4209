import container from '../../collectors/container/container.js';
import type { CollectContext, MetricFamily } from '../../src/collector.js';
import { formatConfigError, loadConfig, type CollectorSettings } from '../../src/config/load.js';
import type { FakeNode } from './cgroup-tree.js';

export interface ContainerRun {
  families: MetricFamily[];
  skipped: Array<{ reason: string; detail: string }>;
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Runs the container collector in-process over a node tree, keeping its state between runs like the
 * engine does; `options` go through the config loader, so unset ones take the collector's defaults.
 */
export async function containerRunner(node: Pick<FakeNode, 'procfs' | 'sysfs' | 'rootfs'>, options: Record<string, unknown> = {}) {
  const config = (await containerSettings(options)).options;
  const state = container.initialState?.();
  return async (): Promise<ContainerRun> => {
    const skipped: ContainerRun['skipped'] = [];
    const ctx = {
      config,
      paths: { procfs: node.procfs, sysfs: node.sysfs, rootfs: node.rootfs, udevData: '/nonexistent' },
      signal: new AbortController().signal,
      logger: quiet,
      runTimeMs: Date.now(),
      state,
      skip: (reason: string, detail: string) => skipped.push({ reason, detail }),
    } as unknown as CollectContext<any, any>;
    return { families: await container.collect(ctx), skipped };
  };
}

/** The container collector's settings with `options` (unset ones take the collector's defaults) as the config loader makes them. */
export async function containerSettings(options: Record<string, unknown> = {}): Promise<CollectorSettings> {
  const loaded = await loadConfig({ builtins: [container], overrides: { collectors: { container: options } } });
  if (!loaded.ok) throw new Error(loaded.errors.map(formatConfigError).join('; '));
  return loaded.config.collectors[0] as CollectorSettings;
}

/** One run of the container collector over a node tree. */
export async function collectContainersOnce(node: Pick<FakeNode, 'procfs' | 'sysfs' | 'rootfs'>, options: Record<string, unknown> = {}): Promise<ContainerRun> {
  return (await containerRunner(node, options))();
}

/** Samples of one family as `{labels, value}`, optionally only those whose labels include `match`. */
export function samplesOf(families: MetricFamily[], name: string, match: Record<string, string> = {}) {
  const f = families.find((x) => x.name === name);
  if (!f || f.type === 'histogram' || f.type === 'summary') return [];
  return f.samples.filter((s) => Object.entries(match).every(([k, v]) => s.labels?.[k] === v)).map((s) => ({ labels: s.labels ?? {}, value: s.value }));
}

export function valueOf(families: MetricFamily[], name: string, match: Record<string, string>): number | undefined {
  const found = samplesOf(families, name, match);
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(match)} matches ${found.length} series`);
  return found[0]?.value;
}
