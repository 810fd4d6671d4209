import container from '../../collectors/container/container.js';
import type { CollectContext, MetricFamily } from '../../src/collector.js';
import type { FakeNode } from './cgroup-tree.js';

export interface ContainerRun {
  families: MetricFamily[];
  skipped: Array<{ reason: string; detail: string }>;
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** Runs the container collector in-process over a node tree, keeping its state between runs like the engine does. */
export function containerRunner(node: Pick<FakeNode, 'procfs' | 'sysfs' | 'rootfs'>, options: Record<string, unknown> = {}) {
  const state = container.initialState?.();
  const config = { cgroup_exclude: '.*\\.mount', percpu: false, container_labels: [], docker_timeout: '2s', ...options };
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
