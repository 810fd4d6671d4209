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
 * SOAK_ARGS (more `spyglass serve` flags, space-separated). RSS is VmRSS of the process (all its
 * threads, the container collector's worker thread included). A series is "left behind" when a
 * scrape shows the `id` of a cgroup removed more than two scrape intervals before it; a cgroup is
 * "missing" when a scrape lacks one made more than two scrape intervals before it.
 */
import { spawn } from 'node:child_process';
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
  const port = await freePort();
  const args = ['--v8-pool-size=1', cliPath, 'serve', `--web.listen-address=127.0.0.1:${port}`, `--collector.container.cgroup-include=${TOP}.*`, ...EXTRA_ARGS];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const pid = proc.pid as number;
  const started = Date.now();
  const t = () => (Date.now() - started) / 1000;
  const samples: Array<[number, number]> = [];
  const scrapes: Array<{ at: number; series: number; ids: number; expected: number; leftBehind: number; missing: number; ms: number }> = [];
  let churned = 0;
  /** The container collector's runs by result, from the last scrape's self-metrics. */
  let runs: Record<string, number> = {};
  let stopped = false;
  const stop = () => {
    stopped = true;
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    for (let i = 0; i < 100; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await sleep(100);
    }
    console.log(
      `soak: ${CONTAINERS} containers (${CONTAINERS / 2} pods), ${CHURN_PODS} pods replaced every ${CHURN_SECONDS} s, scraped every ${SCRAPE_SECONDS} s, ${SECONDS} s; pid ${pid}; node ${process.version}`,
    );
    let nextChurn = CHURN_SECONDS;
    let nextScrape = SCRAPE_SECONDS;
    let nextSample = 0;
    let nextReport = 60;
    while (!stopped && t() < SECONDS) {
      if (proc.exitCode !== null) throw new Error(`spyglass exited (${proc.exitCode}): ${stderr}`);
      const now = t();
      if (now >= nextSample) {
        samples.push([now, rssMiB(pid)]);
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
        const before = performance.now();
        const body = await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { 'accept-encoding': 'gzip' } })).text();
        const ms = performance.now() - before;
        const ids = idsIn(body);
        runs = {};
        for (const m of body.matchAll(/^spyglass_collector_runs_total\{collector="container",result="(\w+)"\} (\d+)/gm)) runs[m[1] as string] = Number(m[2]);
        const live = new Set([...base, ...[...pods.values()].flat()]);
        let leftBehind = 0;
        let containerIds = 0;
        for (const id of ids) {
          if (!id.startsWith(TOP)) continue;
          containerIds++;
          const gone = removedAt.get(id);
          if (!live.has(id) && gone !== undefined && now - gone > 2 * SCRAPE_SECONDS) leftBehind++;
        }
        const series = body.split('\n').filter((l) => l.startsWith('container_')).length;
        scrapes.push({
          at: now,
          series,
          ids: containerIds,
          expected: live.size,
          leftBehind,
          missing: [...live].filter((id) => !ids.has(id) && now - (createdAt.get(id) ?? 0) > 2 * SCRAPE_SECONDS).length,
          ms,
        });
        for (const [id, at] of removedAt) if (now - at > 10 * SCRAPE_SECONDS) removedAt.delete(id);
        nextScrape += SCRAPE_SECONDS;
      }
      if (now >= nextReport) {
        const last = scrapes.at(-1);
        console.log(
          `t=${Math.round(now)}s rss=${samples.at(-1)?.[1].toFixed(1)} MiB series=${last?.series} ids=${last?.ids}/${last?.expected} left-behind=${last?.leftBehind} missing=${last?.missing} churned pods=${churned}`,
        );
        nextReport += 60;
      }
      await sleep(200);
    }
  } finally {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    }
    removeCgroups([...[...pods.values()].flat()]);
    removeCgroups(base);
  }
  report(samples, scrapes, churned);
  console.log(`container collector runs: ${JSON.stringify(runs)}`);
}

function report(
  samples: Array<[number, number]>,
  scrapes: Array<{ at: number; series: number; leftBehind: number; missing: number; ms: number }>,
  churned: number,
): void {
  const duration = samples.at(-1)?.[0] ?? 0;
  const tenMinutes = 600;
  console.log(`\nchurned ${churned} pods (${churned * 2} containers) in ${Math.round(duration)} s`);
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
  const settled = samples.filter(([x]) => x >= Math.min(600, duration / 3));
  console.log(
    `RSS trend after the first ${Math.round(settled[0]?.[0] ?? 0)} s: ${(slope(settled) * 3600).toFixed(1)} MiB per hour (least squares over ${settled.length} samples)`,
  );
  console.log(
    `scrape time median ${median(scrapes.map((s) => s.ms)).toFixed(1)} ms; series left behind: ${scrapes.reduce((n, s) => n + s.leftBehind, 0)} in all`,
  );
}

await main();
