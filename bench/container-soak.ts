/**
 * Churn soak of the container collector: the whole `spyglass serve` process (embedded defaults, as
 * the DaemonSet runs it) over real v1 cgroups laid out as Kubernetes lays them out, with pods
 * removed and created continuously, scraped as Prometheus scrapes it. It reports whether memory
 * stays flat and whether removed containers leave series behind. Root only (it makes cgroups).
 *
 *   node dist/bench/container-soak.js                       # one hour, 1,000 containers
 *   SOAK_SECONDS=600 SOAK_CONTAINERS=5000 node dist/bench/container-soak.js
 *
 * Knobs: SOAK_SECONDS (3600), SOAK_CONTAINERS (1000; two per pod), SOAK_CHURN_PODS (pods replaced
 * per churn step, 10), SOAK_CHURN_SECONDS (5), SOAK_SCRAPE_SECONDS (15), SOAK_SAMPLE_SECONDS (5),
 * SOAK_ARGS (more `spyglass serve` flags, space-separated), SOAK_VARIANTS (several processes side
 * by side over the same cgroups, as JSON `[[name, cli.js of another build or "", [flags]], …]`,
 * each also given SOAK_ARGS). RSS is VmRSS of the process (all its threads, the container
 * collector's worker thread included). A series is "left behind" when a scrape shows the `id` of a
 * cgroup removed more than two scrape intervals before it; a cgroup is "missing" when a scrape
 * lacks one made more than two scrape intervals before it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cliPath, freePort } from '../test/helpers/spyglass.js';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 3600);
const CONTAINERS = Number(process.env.SOAK_CONTAINERS ?? 1000);
const CHURN_PODS = Number(process.env.SOAK_CHURN_PODS ?? 10);
const CHURN_SECONDS = Number(process.env.SOAK_CHURN_SECONDS ?? 5);
const SCRAPE_SECONDS = Number(process.env.SOAK_SCRAPE_SECONDS ?? 15);
const SAMPLE_SECONDS = Number(process.env.SOAK_SAMPLE_SECONDS ?? 5);
const EXTRA_ARGS = (process.env.SOAK_ARGS ?? '').split(' ').filter(Boolean);
const CONTROLLERS = ['cpu', 'cpuacct', 'memory', 'pids', 'blkio'];
const TOP = `/spyglass-soak-${process.pid}`;

/** The cgroup paths of one pod: the pod cgroup, then its sandbox and one container (as the bench lays them out). */
function podPaths(serial: number): string[] {
  const uid = `00000000-0000-4000-8000-${String(serial).padStart(12, '0')}`;
  const pod = `${TOP}/kubepods/burstable/pod${uid}`;
  return [pod, ...['a', 'b'].map((kind) => `${pod}/${kind}${String(serial).padStart(63, '0')}`)];
}

function makeCgroups(paths: string[]): void {
  for (const c of CONTROLLERS) for (const p of paths) mkdirSync(join('/sys/fs/cgroup', c, p));
}

function removeCgroups(paths: string[]): void {
  for (const c of CONTROLLERS) for (const p of [...paths].reverse()) if (existsSync(join('/sys/fs/cgroup', c, p))) rmdirSync(join('/sys/fs/cgroup', c, p));
}

/** utime + stime of every thread of the process, in seconds (USER_HZ is 100 on Linux). */
function cpuSeconds(pid: number): number {
  const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] as string).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? NaN) / 1024;
}

/** The `id`s of container_last_seen in a scrape. */
function idsIn(body: string): Set<string> {
  const ids = new Set<string>();
  for (const m of body.matchAll(/^container_last_seen\{[^\n]*?\bid="([^"]*)"/gm)) ids.add(m[1] as string);
  return ids;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.floor((s.length - 1) / 2)] as number) : NaN;
}

/** Least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const num = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const den = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return den ? num / den : 0;
}

/** One `spyglass serve` process of the soak and what was seen of it. */
interface Contender {
  name: string;
  proc: ChildProcess;
  port: number;
  stderr: string;
  samples: Array<[number, number]>;
  /** [seconds since start, CPU seconds], at the same moments as `samples`. */
  cpu: Array<[number, number]>;
  scrapes: Scrape[];
  /** The container collector's runs by result, from the last scrape's self-metrics. */
  runs: Record<string, number>;
}

interface Scrape {
  at: number;
  series: number;
  ids: number;
  expected: number;
  leftBehind: number;
  missing: number;
  ms: number;
}

/** SOAK_VARIANTS, or this build alone. */
function variants(): Variant[] {
  if (!process.env.SOAK_VARIANTS) return [{ name: 'spyglass', cli: cliPath, args: EXTRA_ARGS }];
  const parsed = JSON.parse(process.env.SOAK_VARIANTS) as Array<[string, string?, string[]?]>;
  return parsed.map(([name, cli, args]) => ({ name, cli: cli || cliPath, args: [...(args ?? []), ...EXTRA_ARGS] }));
}

interface Variant {
  name: string;
  cli: string;
  args: string[];
}

async function start(v: Variant): Promise<Contender> {
  const port = await freePort();
  const args = ['--v8-pool-size=1', v.cli, 'serve', `--web.listen-address=127.0.0.1:${port}`, `--collector.container.cgroup-include=${TOP}.*`, ...v.args];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const c: Contender = { name: v.name, proc, port, stderr: '', samples: [], cpu: [], scrapes: [], runs: {} };
  proc.stderr?.on('data', (d) => (c.stderr = (c.stderr + d).slice(-4000)));
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await sleep(100);
  }
  return c;
}

async function scrape(c: Contender, now: number, live: Set<string>, removedAt: Map<string, number>, createdAt: Map<string, number>): Promise<void> {
  const before = performance.now();
  const body = await (await fetch(`http://127.0.0.1:${c.port}/metrics`, { headers: { 'accept-encoding': 'gzip' } })).text();
  const ms = performance.now() - before;
  const ids = idsIn(body);
  c.runs = {};
  for (const m of body.matchAll(/^spyglass_collector_runs_total\{collector="container",result="(\w+)"\} (\d+)/gm)) c.runs[m[1] as string] = Number(m[2]);
  let leftBehind = 0;
  let containerIds = 0;
  for (const id of ids) {
    if (!id.startsWith(TOP)) continue;
    containerIds++;
    const gone = removedAt.get(id);
    if (!live.has(id) && gone !== undefined && now - gone > 2 * SCRAPE_SECONDS) leftBehind++;
  }
  c.scrapes.push({
    at: now,
    series: body.split('\n').filter((l) => l.startsWith('container_')).length,
    ids: containerIds,
    expected: live.size,
    leftBehind,
    missing: [...live].filter((id) => !ids.has(id) && now - (createdAt.get(id) ?? 0) > 2 * SCRAPE_SECONDS).length,
    ms,
  });
}

async function main(): Promise<void> {
  const pods = new Map<number, string[]>();
  let nextSerial = 0;
  const removedAt = new Map<string, number>();
  const createdAt = new Map<string, number>();
  const base = [TOP, `${TOP}/kubepods`, `${TOP}/kubepods/burstable`];
  makeCgroups(base);
  for (let i = 0; i < CONTAINERS / 2; i++) {
    const paths = podPaths(nextSerial);
    makeCgroups(paths);
    pods.set(nextSerial++, paths);
  }
  const contenders = await Promise.all(variants().map(start));
  const started = Date.now();
  const t = () => (Date.now() - started) / 1000;
  let churned = 0;
  let stopped = false;
  const stop = () => {
    stopped = true;
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    console.log(
      `soak: ${CONTAINERS} containers (${CONTAINERS / 2} pods), ${CHURN_PODS} pods replaced every ${CHURN_SECONDS} s, scraped every ${SCRAPE_SECONDS} s, ${SECONDS} s; ${contenders.map((c) => `${c.name} pid ${c.proc.pid}`).join(', ')}; node ${process.version}`,
    );
    let nextChurn = CHURN_SECONDS;
    let nextScrape = SCRAPE_SECONDS;
    let nextSample = 0;
    let nextReport = 60;
    while (!stopped && t() < SECONDS) {
      for (const c of contenders) if (c.proc.exitCode !== null) throw new Error(`${c.name} exited (${c.proc.exitCode}): ${c.stderr}`);
      const now = t();
      if (now >= nextSample) {
        for (const c of contenders) {
          c.samples.push([now, rssMiB(c.proc.pid as number)]);
          c.cpu.push([now, cpuSeconds(c.proc.pid as number)]);
        }
        nextSample += SAMPLE_SECONDS;
      }
      if (now >= nextChurn) {
        const serials = [...pods.keys()].slice(0, CHURN_PODS);
        for (const s of serials) {
          const paths = pods.get(s) as string[];
          removeCgroups(paths);
          for (const p of paths) {
            removedAt.set(p, now);
            createdAt.delete(p);
          }
          pods.delete(s);
          const fresh = podPaths(nextSerial);
          makeCgroups(fresh);
          for (const p of fresh) createdAt.set(p, now);
          pods.set(nextSerial++, fresh);
          churned++;
        }
        nextChurn += CHURN_SECONDS;
      }
      if (now >= nextScrape) {
        const live = new Set([...base, ...[...pods.values()].flat()]);
        await Promise.all(contenders.map((c) => scrape(c, now, live, removedAt, createdAt)));
        for (const [id, at] of removedAt) if (now - at > 10 * SCRAPE_SECONDS) removedAt.delete(id);
        nextScrape += SCRAPE_SECONDS;
      }
      if (now >= nextReport) {
        for (const c of contenders) {
          const last = c.scrapes.at(-1);
          console.log(
            `t=${Math.round(now)}s ${c.name}: rss=${c.samples.at(-1)?.[1].toFixed(1)} MiB series=${last?.series} ids=${last?.ids}/${last?.expected} left-behind=${last?.leftBehind} missing=${last?.missing} churned pods=${churned}`,
          );
        }
        nextReport += 60;
      }
      await sleep(200);
    }
  } finally {
    await Promise.all(
      contenders.map(async ({ proc }) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return;
        proc.kill('SIGTERM');
        await new Promise((r) => proc.once('exit', r));
      }),
    );
    removeCgroups([...[...pods.values()].flat()]);
    removeCgroups(base);
  }
  console.log(`\nchurned ${churned} pods (${churned * 2} containers) in ${Math.round(t())} s`);
  for (const c of contenders) {
    console.log(`\n${c.name}:`);
    report(c.samples, c.cpu, c.scrapes);
    console.log(`container collector runs: ${JSON.stringify(c.runs)}`);
  }
}

function report(samples: Array<[number, number]>, cpu: Array<[number, number]>, scrapes: Scrape[]): void {
  const duration = samples.at(-1)?.[0] ?? 0;
  const tenMinutes = 600;
  console.log(
    '| window | RSS min MiB | RSS median MiB | RSS max MiB | container series (median) | scrapes with series left behind | scrapes missing live cgroups |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (let from = 0; from < duration; from += tenMinutes) {
    const rss = samples.filter(([x]) => x >= from && x < from + tenMinutes).map(([, y]) => y);
    const sc = scrapes.filter((s) => s.at >= from && s.at < from + tenMinutes);
    if (!rss.length) continue;
    console.log(
      `| ${from / 60}–${(Math.min(duration, from + tenMinutes) / 60) | 0} min | ${Math.min(...rss).toFixed(1)} | ${median(rss).toFixed(1)} | ${Math.max(...rss).toFixed(1)} | ${median(sc.map((s) => s.series))} | ${sc.filter((s) => s.leftBehind > 0).length} | ${sc.filter((s) => s.missing > 0).length} |`,
    );
  }
  // The first window holds the heap's growth to its working size; flat means no trend after it.
  const settledFrom = Math.min(600, duration / 3);
  const settled = samples.filter(([x]) => x >= settledFrom);
  const cpuSettled = cpu.filter(([x]) => x >= settledFrom);
  const [[t0, c0] = [0, 0], [t1, c1] = [0, 0]] = [cpuSettled[0], cpuSettled.at(-1)];
  console.log(`CPU after the first ${Math.round(t0)} s: ${(((c1 - c0) / (t1 - t0 || 1)) * 3600).toFixed(1)} CPU-seconds per hour (all threads)`);
  console.log(
    `RSS trend after the first ${Math.round(settled[0]?.[0] ?? 0)} s: ${(slope(settled) * 3600).toFixed(1)} MiB per hour (least squares over ${settled.length} samples)`,
  );
  console.log(
    `scrape time median ${median(scrapes.map((s) => s.ms)).toFixed(1)} ms; series left behind: ${scrapes.reduce((n, s) => n + s.leftBehind, 0)} in all`,
  );
}

await main();
