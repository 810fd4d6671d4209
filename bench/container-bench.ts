/**
 * Container collector at node scale: CPU time per collection run, largest event-loop stall and RSS
 * for 100, 1,000 and 5,000 container cgroups (pods of a sandbox plus one container, as Kubernetes lays
 * them out), on generated cgroup v2 and v1 trees in /dev/shm, and (with REAL=1, root) on real v1 cgroups
 * created on this machine, whose files the kernel generates on every read.
 *
 *   node dist/bench/container-bench.js            # generated trees
 *   REAL=1 node dist/bench/container-bench.js     # also real cgroups (1,000 containers)
 *   BENCH_SIZES=1000 BENCH_TREES=v2 node …         # one case
 */
import { existsSync, mkdirSync, mkdtempSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MetricFamily } from '../src/collector.js';
import { cooperativeYielder } from '../src/cooperative.js';
import { ExpositionStore } from '../src/exposition/store.js';
import { capSeries } from '../src/metrics/series-cap.js';
import { writeNode, type FakeCgroup, type TreeVersion } from '../test/helpers/cgroup-tree.js';
import { containerRunner } from '../test/helpers/container-run.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
/** Time for the store's delayed, threadpool gzip of the new body to finish before the next run. */
const GZIP_SETTLE_MS = 300;
/** Narrow a run while working on one case: BENCH_SIZES=1000 BENCH_TREES=v2 */
const SIZES = (process.env.BENCH_SIZES ?? '100,1000,5000').split(',').map(Number);
const TREES = (process.env.BENCH_TREES ?? 'v2,v1').split(',') as TreeVersion[];

function podCgroups(containers: number, top = ''): FakeCgroup[] {
  const out: FakeCgroup[] = [{ path: top || '/', cpuUsageNs: 1e12, memoryUsage: 4e9 }, { path: `${top}/kubepods` }, { path: `${top}/kubepods/burstable` }];
  for (let p = 0; p < containers / 2; p++) {
    const uid = `00000000-0000-4000-8000-${String(p).padStart(12, '0')}`;
    const pod = `${top}/kubepods/burstable/pod${uid}`;
    out.push({ path: pod, cpuUsageNs: 2e9, memoryUsage: 2e8 });
    for (const kind of ['a', 'b']) {
      const id = `${kind}${String(p).padStart(63, '0')}`;
      out.push({ path: `${pod}/${id}`, cpuUsageNs: 1e9 + p, quotaUs: kind === 'b' ? 50000 : undefined, memoryUsage: 1e8, inactiveFile: 1e7, rss: 6e7, cache: 4e7, pids: [100 + p], threads: 5, readBytes: 4096, writeBytes: 8192 });
    }
  }
  return out;
}

interface Result {
  cgroups: number;
  series: number;
  collectCpuMs: number;
  publishCpuMs: number;
  collectWallMs: number;
  maxStallMs: number;
  p99DelayMs: number;
  bodyMiB: number;
  rssMiB: number;
}

/**
 * Each run as the engine does it: collect, cap, render in slices and swap into the exposition
 * store, whose body a scraper asking for gzip-compressed text (as Prometheus does) has wanted; the
 * store compresses it on the threadpool shortly after. The stall is over all of that.
 */
async function measure(node: { procfs: string; sysfs: string; rootfs: string }, options: Record<string, unknown> = {}): Promise<Result> {
  const run = await containerRunner(node, options);
  const store = new ExpositionStore();
  store.body('prometheus', true);
  const publish = async (families: MetricFamily[]) => {
    const capped = (await capSeries(families, 100_000, 'id', cooperativeYielder())).families;
    const opts = { timestamps: false, runTimeMs: Date.now() };
    store.publish('container', capped, opts, await store.prerender('container', capped, opts, cooperativeYielder()));
    await sleep(GZIP_SETTLE_MS);
  };
  const first = await run(); // discovery, metadata lookups and start times happen once
  await publish(first.families);
  const series = first.families.reduce((n, f) => n + f.samples.length, 0);
  const lastSeen = first.families.find((f) => f.name === 'container_last_seen')?.samples.length ?? 0;
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  let collectCpu = 0;
  let publishCpu = 0;
  let collectWall = 0;
  for (let i = 0; i < RUNS; i++) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const { families } = await run();
    collectWall += performance.now() - started;
    const collected = process.cpuUsage(cpu);
    collectCpu += collected.user + collected.system;
    await publish(families);
    const published = process.cpuUsage(cpu);
    publishCpu += published.user + published.system - collected.user - collected.system;
  }
  delay.disable();
  global.gc?.();
  return {
    cgroups: lastSeen,
    series,
    collectCpuMs: collectCpu / 1000 / RUNS,
    publishCpuMs: publishCpu / 1000 / RUNS,
    collectWallMs: collectWall / RUNS,
    maxStallMs: delay.max / 1e6,
    p99DelayMs: delay.percentile(99) / 1e6,
    bodyMiB: store.body('prometheus', false).length / 2 ** 20,
    rssMiB: process.memoryUsage().rss / 2 ** 20,
  };
}

function row(label: string, r: Result): string {
  const cells = [r.cgroups, r.series, r.collectCpuMs.toFixed(1), r.publishCpuMs.toFixed(1), (r.collectCpuMs + r.publishCpuMs).toFixed(1), r.collectWallMs.toFixed(1), r.maxStallMs.toFixed(1), r.p99DelayMs.toFixed(1), r.bodyMiB.toFixed(1), r.rssMiB.toFixed(0)];
  return `| ${label} | ${cells.join(' | ')} |`;
}

/** Real v1 cgroups under /sys/fs/cgroup/<controller>/spyglass-bench (no processes in them). */
function realCgroups(containers: number): { top: string; remove: () => void } {
  const top = `/spyglass-bench-${process.pid}`;
  const dirs: string[] = [];
  for (const c of ['cpu', 'cpuacct', 'memory', 'pids', 'blkio']) {
    for (const g of podCgroups(containers, top)) {
      const dir = join('/sys/fs/cgroup', c, g.path);
      if (!existsSync(dir)) {
        mkdirSync(dir);
        dirs.push(dir);
      }
    }
  }
  return { top, remove: () => dirs.reverse().forEach((d) => rmdirSync(d)) };
}

async function main(): Promise<void> {
  console.log(`runs per size: ${RUNS}; node ${process.version}`);
  console.log('| tree | cgroups | series | collect CPU ms | render+gzip CPU ms | CPU ms / run | collect wall ms | max event-loop stall ms | p99 event-loop delay ms | body MiB | RSS MiB |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const version of TREES) {
    for (const containers of SIZES) {
      const root = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : '/tmp', 'spyglass-bench-'));
      try {
        const node = writeNode(root, version, podCgroups(containers));
        console.log(row(`generated ${version}, ${containers} containers`, await measure(node)));
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    }
  }
  if (process.env.REAL === '1') {
    const real = realCgroups(1000);
    try {
      const r = await measure({ procfs: '/proc', sysfs: '/sys', rootfs: '/' }, { cgroup_include: `${real.top}.*` });
      console.log(row('real v1 cgroups (this VM), 1000 containers', r));
    } finally {
      real.remove();
    }
  }
}

await main();
