/**
 * Probe scheduling at scale, side by side with blackbox_exporter in the same run: 1,000 HTTP
 * targets on one local server (its own process, timing every request itself), each probed every
 * 15 s by spyglass's scheduler and, through /probe driven from here the way Prometheus would,
 * by Debian's blackbox_exporter. Reports:
 *   - on time: the gap between successive requests of each spyglass target at the server, less
 *     15 s, and spyglass's own schedule-delay histogram;
 *   - accuracy: each prober's processing phase minus the server's own wait before the headers;
 *   - spyglass's event-loop delay (10 ms resolution, its own process, preloaded monitor);
 *   - CPU per probe of each exporter process (utime + stime from /proc over the window).
 * Usage: npm run build && node dist/bench/probe-bench.js
 *   TARGETS=1000 INTERVAL_S=15 WARMUP_S=20 WINDOW_S=60 HEADERS_DELAY_MS=5
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MetricFamily } from '../src/metrics/model.js';
import { parseTextFormat } from '../src/metrics/parse-text.js';
import { startHttpServerProcess, type ServedRequest } from '../test/helpers/probe-servers.js';
import { startBlackboxExporter } from '../test/helpers/reference-exporters.js';
import { cliPath, freePort, waitFor } from '../test/helpers/spyglass.js';

const TARGETS = Number(process.env.TARGETS ?? 1000);
const INTERVAL_S = Number(process.env.INTERVAL_S ?? 15);
const WARMUP_S = Number(process.env.WARMUP_S ?? 20);
const WINDOW_S = Number(process.env.WINDOW_S ?? 60);
const HEADERS_DELAY_MS = Number(process.env.HEADERS_DELAY_MS ?? 5);
/** monitorEventLoopDelay records whole tick intervals; the delay is what exceeds its resolution. */
const LOOP_RESOLUTION_MS = 10;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
};
const stats = (values: number[]) => ({ n: values.length, p50: percentile(values, 0.5), p99: percentile(values, 0.99), max: Math.max(...values) });
const fmt = (v: number, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');

function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'spyglass-probe-bench-'));
  const server = await startHttpServerProcess();
  const url = (prefix: string, i: number) => `http://127.0.0.1:${server.port}/${prefix}/${i}?headers_delay=${HEADERS_DELAY_MS}`;

  const config = join(dir, 'spyglass.yml');
  const targets = Array.from({ length: TARGETS }, (_, i) => `      - ${url('s', i)}`);
  writeFileSync(config, ['collectors:', '  probe:', `    probe_interval: ${INTERVAL_S}s`, '    targets:', ...targets].join('\n') + '\n');
  const port = await freePort();
  const loopFile = join(dir, 'loop.json');
  const monitor = fileURLToPath(new URL('./loop-monitor.js', import.meta.url));
  const spyglass = spawn(
    process.execPath,
    [
      cliPath,
      'serve',
      `--config.file=${config}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--collector.disable-defaults',
      '--collector.probe',
      '--log.level=warn',
    ],
    {
      env: { ...process.env, NODE_OPTIONS: `--import=${monitor}`, LOOP_MONITOR_FILE: loopFile },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const spyglassBase = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${spyglassBase}/readyz`).catch(() => undefined))?.status === 200, 15000, 'spyglass ready');

  const blackboxYml = join(dir, 'blackbox.yml');
  writeFileSync(blackboxYml, 'modules:\n  http_2xx: {prober: http, timeout: 10s, http: {preferred_ip_protocol: ip4}}\n');
  const blackbox = await startBlackboxExporter(blackboxYml);
  const blackboxPid = blackbox.pid;

  // The driver plays Prometheus for blackbox: each target scraped every INTERVAL_S, starts spread.
  const blackboxAccuracy: number[] = [];
  let driving = true;
  const drive = async (i: number) => {
    await sleep((i * INTERVAL_S * 1000) / TARGETS);
    while (driving) {
      const started = performance.now();
      const text = await (
        await fetch(`${blackbox.base}/probe?target=${encodeURIComponent(url('b', i))}&module=http_2xx`, {
          headers: { 'X-Prometheus-Scrape-Timeout-Seconds': '10' },
        })
      )
        .text()
        .catch(() => '');
      const processing = sampleOf(familiesOf(text), 'probe_http_duration_seconds', { phase: 'processing' });
      const served = await servedAfter(server.served, `/b/${i}?`, started);
      if (processing !== undefined && served) blackboxAccuracy.push(processing * 1000 - served.beforeHeadersMs);
      await sleep(Math.max(0, INTERVAL_S * 1000 - (performance.now() - started)));
    }
  };
  const drivers = Array.from({ length: TARGETS }, (_, i) => drive(i));

  console.error(`warming up ${WARMUP_S} s (${TARGETS} targets each, every ${INTERVAL_S} s)…`);
  await sleep(WARMUP_S * 1000);
  process.kill(spyglass.pid as number, 'SIGUSR2'); // new event-loop window
  const startCpu = { spyglass: cpuSecondsOf(spyglass.pid as number), blackbox: cpuSecondsOf(blackboxPid) };
  const startCount = { s: countServed(server.served, '/s/'), b: countServed(server.served, '/b/') };
  const startIndex = server.served.length;
  blackboxAccuracy.length = 0;
  console.error(`measuring ${WINDOW_S} s…`);
  await sleep(WINDOW_S * 1000);
  const cpu = { spyglass: cpuSecondsOf(spyglass.pid as number) - startCpu.spyglass, blackbox: cpuSecondsOf(blackboxPid) - startCpu.blackbox };
  const probes = { s: countServed(server.served, '/s/') - startCount.s, b: countServed(server.served, '/b/') - startCount.b };
  rmSync(loopFile, { force: true }); // the warm-up window's
  process.kill(spyglass.pid as number, 'SIGUSR2');
  await waitFor(() => existsSync(loopFile), 2000, 'the event-loop window from the loop monitor');
  const loop = JSON.parse(readFileSync(loopFile, 'utf8')) as { p50: number; p99: number; max: number; count: number };

  // Spyglass's latest processing phase per target against the server's latest request of it.
  const metrics = familiesOf(await (await fetch(`${spyglassBase}/metrics`)).text());
  // The gauges are those of the collector's last run: compare with requests finished before it.
  const publishedAtMs = (sampleOf(metrics, 'spyglass_collector_last_success_timestamp_seconds', { collector: 'probe' }) ?? 0) * 1000;
  const processingByTarget = new Map(
    samplesOf(metrics, 'probe_http_duration_seconds')
      .filter((x) => x.labels.phase === 'processing')
      .map((x) => [x.labels.target, x.value]),
  );
  const spyglassAccuracy: number[] = [];
  for (let i = 0; i < TARGETS; i++) {
    const processing = processingByTarget.get(url('s', i));
    const served = servedBefore(server.served, `/s/${i}?`, publishedAtMs);
    if (processing !== undefined && served) spyglassAccuracy.push(processing * 1000 - served.beforeHeadersMs);
  }
  const gaps = arrivalGapErrors(server.served.slice(startIndex), '/s/');
  const delayHistogram = histogramOf(metrics, 'spyglass_probe_schedule_delay_seconds');

  driving = false;
  spyglass.kill('SIGTERM');
  await once(spyglass, 'exit');
  await Promise.race([Promise.all(drivers), sleep(INTERVAL_S * 1000 + 2000)]);
  await blackbox.stop();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });

  const lines = [
    `## Probe scheduling (${new Date().toISOString().slice(0, 10)}, ${cpus().length}× ${cpus()[0]?.model.trim()}, Linux ${release()}, Node ${process.version})`,
    '',
    `${TARGETS} HTTP targets (server waits ${HEADERS_DELAY_MS} ms before the headers), each every ${INTERVAL_S} s, ${WINDOW_S} s window after ${WARMUP_S} s warm-up; \`node dist/bench/probe-bench.js\`.`,
    '',
    '| | spyglass | blackbox_exporter 0.23 |',
    '|---|---|---|',
    `| probes in the window | ${probes.s} | ${probes.b} |`,
    `| CPU per probe (ms) | ${fmt((cpu.spyglass * 1000) / probes.s, 3)} | ${fmt((cpu.blackbox * 1000) / probes.b, 3)} |`,
    `| CPU of the process (% of one core) | ${fmt((cpu.spyglass / WINDOW_S) * 100, 1)} | ${fmt((cpu.blackbox / WINDOW_S) * 100, 1)} |`,
    `| processing phase − server's own timing, p50 / p99 / max (ms) | ${accuracyCell(spyglassAccuracy)} | ${accuracyCell(blackboxAccuracy)} |`,
    '',
    `- On time (spyglass): gap between successive probes of a target at the server − ${INTERVAL_S} s: |error| p50 ${fmt(gaps.p50)} ms, p99 ${fmt(gaps.p99)} ms, max ${fmt(gaps.max)} ms over ${gaps.n} gaps.`,
    `- spyglass_probe_schedule_delay_seconds (start − slot): ${delayHistogram}.`,
    `- spyglass event-loop delay beyond the ${LOOP_RESOLUTION_MS} ms timer, over the window: p50 ${fmt(Math.max(0, loop.p50 - LOOP_RESOLUTION_MS))} ms, p99 ${fmt(Math.max(0, loop.p99 - LOOP_RESOLUTION_MS))} ms, max ${fmt(Math.max(0, loop.max - LOOP_RESOLUTION_MS))} ms (${loop.count} ticks).`,
    `- blackbox is driven from the bench process (as Prometheus would scrape /probe); its CPU is the exporter process's only.`,
  ];
  const report = lines.join('\n') + '\n';
  process.stdout.write(report);
  writeFileSync(new URL('../../bench/results/probe-latest.md', import.meta.url), report);
}

function accuracyCell(diffs: number[]): string {
  const s = stats(diffs);
  return `${fmt(s.p50)} / ${fmt(s.p99)} / ${fmt(s.max)} (n=${s.n})`;
}

const last = <T>(xs: readonly T[]): T | undefined => xs[xs.length - 1];

function countServed(served: readonly ServedRequest[], prefix: string): number {
  let n = 0;
  for (const r of served) if (r.path.startsWith(prefix)) n++;
  return n;
}

/** The server's record of a request the bench just saw answered (its report may trail the answer a little). */
async function servedAfter(served: readonly ServedRequest[], prefix: string, sentAt: number): Promise<ServedRequest | undefined> {
  const sentAtMs = performance.timeOrigin + sentAt;
  for (let waited = 0; waited < 1000; waited += 5) {
    const r = last(served.filter((x) => x.path.startsWith(prefix)));
    if (r && r.arrivedAtMs >= sentAtMs) return r;
    await sleep(5);
  }
  return undefined;
}

/**
 * The last request of a target answered well before `atMs`; undefined when one was still being
 * answered around then (which probe the gauge shows would be a guess).
 */
function servedBefore(served: readonly ServedRequest[], prefix: string, atMs: number): ServedRequest | undefined {
  const MARGIN_MS = 20;
  const mine = served.filter((x) => x.path.startsWith(prefix));
  const finished = (x: ServedRequest) => x.arrivedAtMs + x.beforeHeadersMs + x.bodyMs;
  if (mine.some((x) => x.arrivedAtMs < atMs + MARGIN_MS && finished(x) > atMs - MARGIN_MS)) return undefined;
  return last(mine.filter((x) => finished(x) <= atMs - MARGIN_MS));
}

/** |gap between successive arrivals of the same target − interval|, in ms. */
function arrivalGapErrors(served: readonly ServedRequest[], prefix: string) {
  const last = new Map<string, number>();
  const errors: number[] = [];
  for (const r of served) {
    if (!r.path.startsWith(prefix)) continue;
    const previous = last.get(r.path);
    if (previous !== undefined) errors.push(Math.abs(r.arrivedAtMs - previous - INTERVAL_S * 1000));
    last.set(r.path, r.arrivedAtMs);
  }
  return stats(errors);
}

function familiesOf(text: string): MetricFamily[] {
  const parsed = parseTextFormat(text, 'bench');
  return parsed.ok ? parsed.value.families : [];
}

function samplesOf(families: readonly MetricFamily[], family: string): Array<{ labels: Record<string, string>; value: number }> {
  return (families.find((x) => x.name === family)?.samples ?? []) as Array<{ labels: Record<string, string>; value: number }>;
}

function sampleOf(families: readonly MetricFamily[], family: string, labels: Record<string, string>): number | undefined {
  return samplesOf(families, family).find((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v))?.value;
}

function histogramOf(families: readonly MetricFamily[], family: string): string {
  const h = families.find((x) => x.name === family)?.samples[0] as { buckets: Array<readonly [number, number]>; count: number } | undefined;
  if (!h) return 'absent';
  return (
    h.buckets
      .filter(([le]) => [0.001, 0.005, 0.01, 0.025, 0.1].includes(le))
      .map(([le, c]) => `≤ ${le * 1000} ms ${fmt((c / h.count) * 100, 1)}%`)
      .join(', ') + ` of ${h.count} probes`
  );
}

await main();
