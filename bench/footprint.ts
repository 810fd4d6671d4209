/**
 * What the process costs on a node, all day: a real Prometheus scrapes every contender at the
 * same interval, side by side in one run, and each process's CPU (utime + stime of all its
 * threads, from /proc/PID/stat) and RSS (/proc/PID/status) are sampled over a steady window.
 *
 * Contenders: spyglass on embedded defaults, spyglass host-only (`--no-collector.container`),
 * spyglass with nothing to collect (`--collector.disable-defaults`), and Debian's
 * prometheus-node-exporter on its defaults. Each scrape interval gets fresh processes.
 *
 * Usage: npm run build && node dist/bench/footprint.js
 *   FOOTPRINT_SECONDS   steady window per interval (default 600)
 *   FOOTPRINT_WARMUP    seconds before the window opens (default 150; at least four scrape
 *                       intervals, so that spyglass has learned the scrape period). Not less
 *                       than about two minutes: V8's memory reducer shrinks the heap grown at
 *                       start-up with a few full collections 50–100 s after start (0.25–0.5 s of
 *                       CPU, once), which a window opening earlier counts as steady state.
 *   FOOTPRINT_INTERVALS scrape intervals in seconds (default "15,60")
 * Writes the report to stdout and bench/results/footprint-latest.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { startPrometheus, type PrometheusServer } from '../test/helpers/prometheus.js';
import { cliPath, freePort, repoRoot, waitFor } from '../test/helpers/spyglass.js';

const WINDOW_S = Number(process.env.FOOTPRINT_SECONDS ?? 600);
const WARMUP_S = Number(process.env.FOOTPRINT_WARMUP ?? 150);
const INTERVALS = (process.env.FOOTPRINT_INTERVALS ?? '15,60').split(',').map(Number);
const SAMPLE_EVERY_S = 5;
const CLK_TCK = 100;

interface Contender {
  name: string;
  command: string;
  args: (port: number) => string[];
  readyPath: string;
}

/** Spawned as the systemd unit and the image do (see deploy/), one V8 helper thread. */
const spyglass = (name: string, extra: string[]): Contender => ({
  name,
  command: process.execPath,
  args: (port) => ['--v8-pool-size=1', cliPath, 'serve', `--web.listen-address=127.0.0.1:${port}`, ...extra],
  readyPath: '/readyz',
});

const CONTENDERS: Contender[] = [
  {
    name: 'node_exporter (Debian, defaults)',
    command: 'prometheus-node-exporter',
    args: (port) => [`--web.listen-address=127.0.0.1:${port}`],
    readyPath: '/metrics',
  },
  spyglass('spyglass, embedded defaults', []),
  spyglass('spyglass, host only', ['--no-collector.container']),
  spyglass('spyglass, nothing to collect', ['--collector.disable-defaults']),
];

interface Running {
  contender: Contender;
  port: number;
  proc: ChildProcess;
}

async function start(c: Contender): Promise<Running> {
  const port = await freePort();
  const proc = spawn(c.command, c.args(port), { stdio: 'ignore' });
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}${c.readyPath}`).catch(() => undefined))?.status === 200, 20000, `${c.name} ready`);
  return { contender: c, port, proc };
}

async function stop(r: Running): Promise<void> {
  if (r.proc.exitCode !== null) return;
  r.proc.kill('SIGTERM');
  await once(r.proc, 'exit');
}

/** utime + stime of every thread the process has had, in seconds. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function memoryKiB(pid: number): { rss: number; anon: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1]);
  return { rss: field('VmRSS'), anon: field('RssAnon') };
}

interface Series {
  cpu: number[];
  rss: number[];
  anon: number[];
}

interface Row {
  name: string;
  cpuPerHour: number;
  /** CPU-seconds per hour in each minute of the window: min and max, the spread within the run. */
  minuteMin: number;
  minuteMax: number;
  rssMedian: number;
  rssMax: number;
  anonMedian: number;
  /** Median RSS of the window's last fifth minus that of its first fifth, MiB. */
  growth: number;
  scrapeP99Ms: number | undefined;
  scrapes: number | undefined;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const mib = (kib: number) => kib / 1024;

function summarize(name: string, s: Series): Omit<Row, 'scrapeP99Ms' | 'scrapes'> {
  const last = s.cpu.length - 1;
  const perHour = (from: number, to: number) => ((s.cpu[to]! - s.cpu[from]!) / ((to - from) * SAMPLE_EVERY_S)) * 3600;
  const perMinute: number[] = [];
  const step = 60 / SAMPLE_EVERY_S;
  for (let i = 0; i + step <= last; i += step) perMinute.push(perHour(i, i + step));
  const fifth = Math.max(1, Math.floor(s.rss.length / 5));
  return {
    name,
    cpuPerHour: perHour(0, last),
    minuteMin: Math.min(...perMinute),
    minuteMax: Math.max(...perMinute),
    rssMedian: mib(median(s.rss)),
    rssMax: mib(Math.max(...s.rss)),
    anonMedian: mib(median(s.anon)),
    growth: mib(median(s.rss.slice(-fifth)) - median(s.rss.slice(0, fifth))),
  };
}

async function scrapeStats(prom: PrometheusServer, port: number, windowS: number): Promise<{ p99: number | undefined; count: number | undefined }> {
  const instance = `127.0.0.1:${port}`;
  const p99 = await prom.query(`quantile_over_time(0.99, scrape_duration_seconds{instance="${instance}"}[${windowS}s])`);
  const count = await prom.query(`count_over_time(up{instance="${instance}"}[${windowS}s])`);
  const v = p99.get(instance);
  return { p99: v === undefined ? undefined : v * 1000, count: count.get(instance) };
}

async function measure(intervalS: number): Promise<Row[]> {
  const running: Running[] = [];
  for (const c of CONTENDERS) running.push(await start(c));
  const targets = running.map((r) => `'127.0.0.1:${r.port}'`).join(', ');
  const prom = await startPrometheus(
    `  - job_name: footprint\n    scrape_interval: ${intervalS}s\n    scrape_timeout: ${Math.min(10, intervalS)}s\n    static_configs:\n      - targets: [${targets}]\n`,
  );
  try {
    process.stderr.write(`footprint: ${intervalS}s scrapes, warming up ${warmupS(intervalS)}s, then ${WINDOW_S}s\n`);
    await sleep(warmupS(intervalS) * 1000);
    const series = running.map((): Series => ({ cpu: [], rss: [], anon: [] }));
    const samples = Math.floor(WINDOW_S / SAMPLE_EVERY_S) + 1;
    const t0 = Date.now();
    for (let i = 0; i < samples; i++) {
      await sleep(Math.max(0, t0 + i * SAMPLE_EVERY_S * 1000 - Date.now()));
      running.forEach((r, j) => {
        const pid = r.proc.pid as number;
        const m = memoryKiB(pid);
        series[j]!.cpu.push(cpuSeconds(pid));
        series[j]!.rss.push(m.rss);
        series[j]!.anon.push(m.anon);
      });
    }
    const rows: Row[] = [];
    for (const [j, r] of running.entries()) {
      const stats = await scrapeStats(prom, r.port, WINDOW_S);
      rows.push({ ...summarize(r.contender.name, series[j]!), scrapeP99Ms: stats.p99, scrapes: stats.count });
    }
    return rows;
  } finally {
    await prom.stop();
    for (const r of running) await stop(r);
  }
}

/** Spawn → /readyz 200, embedded defaults, `n` times. */
async function readiness(n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const r = await start(CONTENDERS[1]!);
    out.push(performance.now() - t);
    await stop(r);
  }
  return out;
}

function warmupS(intervalS: number): number {
  return Math.max(WARMUP_S, 4 * intervalS);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function table(intervalS: number, rows: Row[]): string {
  const ne = rows[0]!;
  const f = (x: number, d = 1) => x.toFixed(d);
  const lines = [
    `### Scraped every ${intervalS} s (window ${WINDOW_S} s after ${warmupS(intervalS)} s warm-up)`,
    '',
    '| process | CPU s/hour | per-minute range | × node_exporter | RSS median / max MiB | anon RSS MiB | RSS growth MiB | scrape p99 ms | scrapes |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.name} | ${f(r.cpuPerHour)} | ${f(r.minuteMin)}–${f(r.minuteMax)} | ${f(r.cpuPerHour / ne.cpuPerHour, 2)} | ${f(r.rssMedian)} / ${f(r.rssMax)} | ${f(r.anonMedian)} | ${f(r.growth)} | ${r.scrapeP99Ms === undefined ? '—' : f(r.scrapeP99Ms, 2)} | ${r.scrapes ?? '—'} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const header = [
    `## Footprint run of ${new Date().toISOString()}`,
    '',
    `Machine: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, kernel ${release()}, Node ${process.version}.`,
    `Command: \`FOOTPRINT_SECONDS=${WINDOW_S} FOOTPRINT_WARMUP=${WARMUP_S} FOOTPRINT_INTERVALS=${INTERVALS.join(',')} node dist/bench/footprint.js\``,
    '',
  ];
  const sections: string[] = [];
  for (const interval of INTERVALS) sections.push(table(interval, await measure(interval)));
  const ready = await readiness(5);
  const report = [
    ...header,
    ...sections.flatMap((s) => [s, '']),
    `Ready after start (spawn → /readyz 200, embedded defaults): ${ready.map((ms) => Math.round(ms)).join(', ')} ms.`,
    '',
  ].join('\n');
  process.stdout.write(report);
  mkdirSync(`${repoRoot}bench/results`, { recursive: true });
  writeFileSync(`${repoRoot}bench/results/footprint-latest.md`, report);
}

await main();
