/**
 * Container collector at node scale: CPU time per collection run, largest event-loop stall and RSS
 * for 100, 1,000 and 5,000 container cgroups (pods of a sandbox plus one container, as Kubernetes lays
 * them out), on generated cgroup v2 and v1 trees in /dev/shm, and (with REAL=1, root) on real v1 cgroups
 * created on this machine, whose files the kernel generates on every read.
 *
 *   node --v8-pool-size=1 --expose-gc dist/bench/container-bench.js   # as the launchers run spyglass
 *   REAL=1 node …                                  # also real cgroups (1,000 containers)
 *   BENCH_SIZES=1000 BENCH_TREES=v2 node …         # one case
 *   REAL=1 BENCH_TREES= node …                     # real cgroups only
 *   BENCH_MODES=thread node …                      # only as spyglass runs it (default: thread,main)
 *   BENCH_SCRAPE=1 node …                          # a gzip scrape right after each run, before the body is rebuilt ahead
 *
 * "run CPU" is the CPU of all threads while a run is under way: in the worker thread that is the
 * collection, the series cap and the rendering; on the main thread the collection alone (capping and
 * rendering come after, in "after-run CPU", with the gzip of the body that both have).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import container from '../collectors/container/container.js';
import type { Paths as CollectorPaths } from '../src/collector.js';
import { cooperativeYielder } from '../src/cooperative.js';
import { BodyCache } from '../src/exposition/body-cache.js';
import { SectionTable } from '../src/exposition/sections.js';
import { CollectorThread, THREAD_HEAP_LIMIT_MB } from '../src/scheduler/collector-thread.js';
import { renderCollectorRun } from '../src/scheduler/render-run.js';
import { writeNode, type FakeCgroup, type TreeVersion } from '../test/helpers/cgroup-tree.js';
import { containerRunner, containerSettings } from '../test/helpers/container-run.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
/** Time for the body cache's delayed, threadpool gzip of the new body to finish before the next run. */
const GZIP_SETTLE_MS = 300;
/** Narrow a run while working on one case: BENCH_SIZES=1000 BENCH_TREES=v2 */
const SIZES = (process.env.BENCH_SIZES ?? '100,1000,5000').split(',').map(Number);
const TREES = (process.env.BENCH_TREES ?? 'v2,v1').split(',').filter(Boolean) as TreeVersion[];
/** `thread`: as spyglass runs the collector (its worker thread); `main`: on the main thread, as before. */
const MODES = (process.env.BENCH_MODES ?? 'thread,main').split(',') as Mode[];
const MAX_SERIES = 100_000;
/** Scrape (gzip, as Prometheus asks) as soon as each run is published: the scrape that races the rebuild of the body. */
const SCRAPE_AFTER_RUN = process.env.BENCH_SCRAPE === '1';

type Paths = Omit<CollectorPaths, 'udevData'>;
/** What the engine serves from: the sections collectors publish, and the bodies made of them. */
interface Exposition {
  sections: SectionTable;
  bodies: BodyCache;
}

function podCgroups(containers: number, top = ''): FakeCgroup[] {
  const out: FakeCgroup[] = [{ path: top || '/', cpuUsageNs: 1e12, memoryUsage: 4e9 }, { path: `${top}/kubepods` }, { path: `${top}/kubepods/burstable` }];
  for (let p = 0; p < containers / 2; p++) {
    const uid = `00000000-0000-4000-8000-${String(p).padStart(12, '0')}`;
    const pod = `${top}/kubepods/burstable/pod${uid}`;
    out.push({ path: pod, cpuUsageNs: 2e9, memoryUsage: 2e8 });
    for (const kind of ['a', 'b']) {
      const id = `${kind}${String(p).padStart(63, '0')}`;
      out.push({
        path: `${pod}/${id}`,
        cpuUsageNs: 1e9 + p,
        quotaUs: kind === 'b' ? 50000 : undefined,
        memoryUsage: 1e8,
        inactiveFile: 1e7,
        rss: 6e7,
        cache: 4e7,
        pids: [100 + p],
        threads: 5,
        readBytes: 4096,
        writeBytes: 8192,
      });
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
  /** Descriptors open after the runs that were not before: the directories the walk holds. */
  heldFds: number;
}

/** How the engine runs the collector: in its worker thread (the default), or on the main thread. */
type Mode = 'thread' | 'main' | 'idle';

/** One collection run, then what the engine does with it once it is done. */
interface Cycle {
  collect(): Promise<{ series: number; publish: () => Promise<void> }>;
  close(): void;
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * As the engine does it on the main thread: collect, cap, render in slices and swap into the
 * sections, whose body a scraper asking for gzip-compressed text (as Prometheus does) has wanted;
 * the body cache compresses it on the threadpool shortly after.
 */
async function mainThreadCycle(node: Paths, options: Record<string, unknown>, { sections, bodies }: Exposition): Promise<Cycle> {
  const run = await containerRunner(node, options);
  return {
    async collect() {
      const { families } = await run();
      return {
        series: families.reduce((n, f) => n + f.samples.length, 0),
        async publish() {
          const rendered = await renderCollectorRun(families, {
            collector: 'container',
            maxSeries: MAX_SERIES,
            groupLabel: 'id',
            formats: bodies.wantedFormats(),
            spares: sections.takeSpares('container'),
            sizeHint: (format) => sections.sizeOf('container', format),
            timestamps: false,
            runTimeMs: Date.now(),
            cacheLabels: false,
            yieldNow: cooperativeYielder(),
          });
          if (!rendered.ok) throw new Error(rendered.error);
          sections.publish('container', { ...rendered, renderLater: () => Promise.reject(new Error('every format is rendered ahead here')) });
        },
      };
    },
    close() {},
  };
}

/** Nothing at all: the same measurement with no collector shows what this machine's event loop sees anyway. */
async function idleCycle(): Promise<Cycle> {
  return { collect: async () => ({ series: 0, publish: async () => {} }), close() {} };
}

/** As the engine does it for a collector with a worker thread: collect, cap and render there, swap the bytes in here. */
async function workerThreadCycle(node: Paths, options: Record<string, unknown>, { sections, bodies }: Exposition): Promise<Cycle> {
  const settings = await containerSettings(options);
  const paths = { ...node, udevData: '/nonexistent' };
  const setup = {
    module: container.workerModule as string,
    name: 'container',
    options: settings.options,
    timeoutMs: 60_000,
    maxSeries: MAX_SERIES,
    builtin: true,
    sampleTimestamps: false,
    paths,
    debug: false,
    heapLimitMb: THREAD_HEAP_LIMIT_MB,
  };
  const thread = new CollectorThread(setup, quiet, () => {});
  return {
    async collect() {
      const outcome = await thread.run(bodies.wantedFormats(), sections.takeSpares('container'));
      const rendered = outcome.rendered;
      if (!rendered) throw new Error(`run failed: ${outcome.error}`);
      return {
        series: rendered.series + rendered.dropped, // before the cap, as the main-thread cycle counts them
        async publish() {
          sections.publish('container', { ...rendered, renderLater: (format) => thread.render(rendered.runId, format) });
        },
      };
    },
    close: () => thread.close(),
  };
}

/** CPU and wall time of the collection runs, and the event-loop stalls over all of it and what follows (publish, gzip). */
async function measure(mode: Mode, node: Paths, options: Record<string, unknown> = {}): Promise<Result> {
  const fdsBefore = openFds();
  const sections = new SectionTable();
  const exposition = { sections, bodies: new BodyCache(sections) };
  await exposition.bodies.bodyWhenReady('prometheus', true); // a scraper that asks for gzip
  const cycle = await (mode === 'thread' ? workerThreadCycle : mode === 'main' ? mainThreadCycle : idleCycle)(node, options, exposition);
  try {
    const first = await cycle.collect(); // discovery, metadata lookups and start times happen once
    await first.publish();
    await sleep(GZIP_SETTLE_MS);
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    let collectCpu = 0;
    let publishCpu = 0;
    let collectWall = 0;
    for (let i = 0; i < RUNS; i++) {
      const cpu = process.cpuUsage();
      const started = performance.now();
      const run = await cycle.collect();
      collectWall += performance.now() - started;
      const collected = process.cpuUsage(cpu);
      collectCpu += collected.user + collected.system;
      await run.publish();
      if (SCRAPE_AFTER_RUN) await exposition.bodies.bodyWhenReady('prometheus', true);
      await sleep(GZIP_SETTLE_MS);
      const published = process.cpuUsage(cpu);
      publishCpu += published.user + published.system - collected.user - collected.system;
    }
    delay.disable();
    global.gc?.();
    const body = await exposition.bodies.bodyWhenReady('prometheus', false);
    return {
      cgroups: body.toString('latin1').split('\ncontainer_last_seen{').length - 1,
      series: first.series,
      collectCpuMs: collectCpu / 1000 / RUNS,
      publishCpuMs: publishCpu / 1000 / RUNS,
      collectWallMs: collectWall / RUNS,
      maxStallMs: delay.max / 1e6,
      p99DelayMs: delay.percentile(99) / 1e6,
      bodyMiB: body.length / 2 ** 20,
      rssMiB: process.memoryUsage().rss / 2 ** 20,
      heldFds: openFds() - fdsBefore,
    };
  } finally {
    cycle.close();
  }
}

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

function row(label: string, mode: Mode, r: Result): string {
  const cells = [
    { thread: 'worker thread', main: 'main thread', idle: '-' }[mode],
    r.cgroups,
    r.series,
    r.collectCpuMs.toFixed(1),
    r.publishCpuMs.toFixed(1),
    (r.collectCpuMs + r.publishCpuMs).toFixed(1),
    r.collectWallMs.toFixed(1),
    r.maxStallMs.toFixed(1),
    r.p99DelayMs.toFixed(1),
    r.bodyMiB.toFixed(1),
    r.rssMiB.toFixed(0),
    r.heldFds,
  ];
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

/** One case of the table, measured in a process of its own (the parent passes it in BENCH_CASE). */
interface Case {
  tree: TreeVersion | 'real' | 'none';
  containers: number;
  mode: Mode;
}

/** Measures one case in this process and prints its row. */
async function measureCase(c: Case): Promise<void> {
  if (c.tree === 'none') {
    console.log(row("no collector (this machine's baseline)", c.mode, await measure(c.mode, { procfs: '/proc', sysfs: '/sys', rootfs: '/' })));
    return;
  }
  if (c.tree === 'real') {
    const real = realCgroups(c.containers);
    try {
      const r = await measure(c.mode, { procfs: '/proc', sysfs: '/sys', rootfs: '/' }, { cgroup_include: `${real.top}.*` });
      console.log(row(`real v1 cgroups (this VM), ${c.containers} containers`, c.mode, r));
    } finally {
      real.remove();
    }
    return;
  }
  const root = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : '/tmp', 'spyglass-bench-'));
  try {
    const node = writeNode(root, c.tree, podCgroups(c.containers));
    console.log(row(`generated ${c.tree}, ${c.containers} containers`, c.mode, await measure(c.mode, node)));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Every case in a new process with this one's Node options (`--v8-pool-size=1 --expose-gc`): the
 * heap an earlier case leaves behind (a 5,000-container tree written, a main-thread run's garbage)
 * would otherwise be collected during the next case's measurement.
 */
function main(): void {
  console.log(`runs per case: ${RUNS}; node ${process.version} ${process.execArgv.join(' ')}; each case in a process of its own`);
  console.log(
    '| tree | runs in | cgroups | series | run CPU ms | after-run CPU ms | CPU ms / run | run wall ms | max event-loop stall ms | p99 event-loop delay ms | body MiB | RSS MiB | held fds |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  const cases: Case[] = [{ tree: 'none', containers: 0, mode: 'idle' }];
  cases.push(...TREES.flatMap((tree) => SIZES.flatMap((containers) => MODES.map((mode) => ({ tree, containers, mode })))));
  if (process.env.REAL === '1') cases.push(...MODES.map((mode) => ({ tree: 'real' as const, containers: 1000, mode })));
  for (const c of cases) {
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
      env: { ...process.env, BENCH_CASE: JSON.stringify(c) },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (child.status !== 0) throw new Error(`case ${JSON.stringify(c)} failed (exit ${child.status})`);
  }
}

if (process.env.BENCH_CASE) await measureCase(JSON.parse(process.env.BENCH_CASE) as Case);
else main();
