/**
 * Host collection cost, in one run on one machine: spyglass's full host collection (every
 * built-in host collector, run and rendered as the engine does) against node_exporter's CPU per
 * scrape with the same collectors enabled. Also the wall time of a spyglass run and the largest
 * event-loop stall while runs happen (a stall would delay every scrape).
 * Usage: npm run build && node dist/bench/host-bench.js   (needs prometheus-node-exporter)
 * Profiling spyglass alone: SPYGLASS_ONLY=1 node --cpu-prof --trace-gc dist/bench/host-bench.js
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { builtinCollectors } from '../collectors/index.js';
import { loadConfig } from '../src/config/load.js';
import { ExpositionStore } from '../src/exposition/store.js';
import { runCollector } from '../src/scheduler/run.js';
import { startOneByOne } from '../src/scheduler/scheduler.js';
import { freePort, waitFor } from '../test/helpers/spyglass.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 300);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number;

async function spyglass(): Promise<{ names: string[]; cpuMs: number[]; wallMs: number[]; maxStallMs: number; perCollector: Array<readonly [string, number]> }> {
  const loaded = await loadConfig({ builtins: builtinCollectors });
  if (!loaded.ok) throw new Error('default config does not load');
  const host = loaded.config.collectors.filter((c) => c.enabled && c.definition.group === 'host');
  const states = new Map(host.map((c) => [c.definition.name, c.definition.initialState?.()]));
  const store = new ExpositionStore();
  const perCollectorMs = new Map<string, number>();
  // As the scheduler does: collectors due together start one by one, each publishing its own result.
  const once_ = () =>
    startOneByOne(host, async (s) => {
      const name = s.definition.name;
      const t0 = performance.now();
      const o = await runCollector({ settings: s, paths: loaded.config.paths, logger: quiet, state: states.get(name) });
      if (o.result !== 'success') throw new Error(`${name}: ${o.error}`);
      store.publish(name, o.families ?? [], { timestamps: false, runTimeMs: o.runTimeMs });
      perCollectorMs.set(name, (perCollectorMs.get(name) ?? 0) + performance.now() - t0);
    });
  // One scraper asking for the text format with gzip, as fetch() asks node_exporter below:
  // the store then renders that format as runs finish and builds the compressed body once.
  const scrape = () => store.body('prometheus', true);
  for (let i = 0; i < 20; i++) {
    await once_(); // warm up the JIT
    scrape();
  }
  perCollectorMs.clear();
  const stalls = monitorEventLoopDelay({ resolution: 1 });
  stalls.enable();
  const cpuMs: number[] = [];
  const wallMs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await once_();
    wallMs.push(performance.now() - t0);
    scrape();
    const c = process.cpuUsage(c0);
    cpuMs.push((c.user + c.system) / 1000);
    await new Promise((r) => setTimeout(r, 5)); // runs are spaced in real life; let the loop breathe
  }
  stalls.disable();
  const perCollector = [...perCollectorMs].map(([name, total]) => [name, total / RUNS] as const).sort((a, b) => b[1] - a[1]);
  return { names: host.map((c) => c.definition.name), cpuMs, wallMs, maxStallMs: stalls.max / 1e6, perCollector };
}

/** spyglass collectors node_exporter has no counterpart for (after its first run, inventory serves a cached result). */
const SPYGLASS_ONLY = new Set(['inventory']);

async function nodeExporter(names: string[]): Promise<{ cpuMsPerScrape: number; scrapes: number }> {
  const port = await freePort();
  const flags = names.filter((n) => !SPYGLASS_ONLY.has(n)).map((n) => `--collector.${n}`);
  const proc = spawn('prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${port}`, '--collector.disable-defaults', ...flags, '--web.disable-exporter-metrics'], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}/metrics`;
  await waitFor(async () => (await fetch(url).catch(() => undefined))?.status === 200, 10000, 'node_exporter');
  for (let i = 0; i < 20; i++) await (await fetch(url)).text();
  const c0 = cpuSecondsOf(proc.pid as number);
  for (let i = 0; i < RUNS; i++) await (await fetch(url)).text();
  const cpu = cpuSecondsOf(proc.pid as number) - c0;
  proc.kill('SIGTERM');
  await once(proc, 'exit');
  return { cpuMsPerScrape: (cpu * 1000) / RUNS, scrapes: RUNS };
}

async function main() {
  const s = await spyglass();
  const mean = s.cpuMs.reduce((a, b) => a + b, 0) / s.cpuMs.length;
  if (process.env.SPYGLASS_ONLY) {
    process.stdout.write(`spyglass only: CPU per full collection ${mean.toFixed(2)} ms, largest stall ${s.maxStallMs.toFixed(2)} ms\n`);
    return;
  }
  const ne = await nodeExporter(s.names);
  const sortedCpu = [...s.cpuMs].sort((a, b) => a - b);
  const sortedWall = [...s.wallMs].sort((a, b) => a - b);
  const cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  process.stdout.write(`## Host collection, run of ${new Date().toISOString()}

Machine: ${cpus().length} × ${cpuModel}, kernel ${release()}, Node ${process.version}. ${RUNS} full collections each.
Collectors (both tools): ${s.names.join(', ')} (node_exporter has no inventory collector). node_exporter 1.5.0 (Debian) with exactly these collectors and
--web.disable-exporter-metrics, scraped ${ne.scrapes} times in a row; CPU from /proc/PID/stat (10 ms ticks).
spyglass: each run = every collector's collect(), validation and rendering as the engine does, plus the gzipped text body one scrape gets (node_exporter's CPU includes the same: collect, render, gzip); CPU from process.cpuUsage().

| measure | spyglass | node_exporter | ratio (target ≤ 0.5) |
|---|---|---|---|
| CPU per full collection, mean | ${mean.toFixed(2)} ms | ${ne.cpuMsPerScrape.toFixed(2)} ms | ${(mean / ne.cpuMsPerScrape).toFixed(2)} |
| CPU per full collection, p50 / p99 | ${percentile(sortedCpu, 0.5).toFixed(2)} / ${percentile(sortedCpu, 0.99).toFixed(2)} ms | | |
| wall time of a run, p50 / p99 / max | ${percentile(sortedWall, 0.5).toFixed(2)} / ${percentile(sortedWall, 0.99).toFixed(2)} / ${sortedWall[sortedWall.length - 1]?.toFixed(2)} ms | | |
| largest event-loop stall during the runs (target < 5 ms) | ${s.maxStallMs.toFixed(2)} ms | | |

Mean wall time per collector (collect + render, in its own macrotask): ${s.perCollector.map(([n, ms]) => `${n} ${ms.toFixed(2)} ms`).join(', ')}.
`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
