/**
 * Remote write cost, side by side in one run (docs/benchmarks.md, "Remote write"):
 *   A. spyglass pushing its runs itself (remote_write) to VictoriaMetrics;
 *   B. spyglass only serving /metrics, scraped by `prometheus --enable-feature=agent`, which
 *      forwards the same series to the same VictoriaMetrics.
 * One synthetic collector serves SERIES series every second in both. Phases: steady state
 * (WINDOW s), then the receiver stopped for OUTAGE s and the backlog drained (DRAIN s after it
 * returns). CPU is utime + stime from /proc/PID/stat (all threads), RSS is VmRSS, sampled every
 * 5 s; samples/s comes from each sender's prometheus_remote_storage_samples_total.
 *
 *   node dist/bench/remote-write-bench.js [series=10000] [window=30] [outage=30] [drain=30]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { victoriaMetricsReceiver } from '../test/helpers/remote-write-receivers.js';
import { cliPath, freePort, waitFor } from '../test/helpers/spyglass.js';

const [SERIES, WINDOW, OUTAGE, DRAIN] = [10000, 30, 30, 30].map((d, i) => Number(process.argv[2 + i] ?? d)) as [number, number, number, number];
const TICKS = 100; // sysconf(_SC_CLK_TCK) on Linux
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(f[11]) + Number(f[12])) / TICKS;
}
function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
}
async function samplesSent(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(/^prometheus_remote_storage_samples_total\{[^}]*\} (\S+)$/gm)) n += Number(m[1]);
  return n;
}

function start(cmd: string, args: string[]): ChildProcess {
  const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  p.stderr?.resume();
  return p;
}

interface Sender {
  name: string;
  base: string;
  pids: number[];
}

/** Per sender over a phase: samples/s, CPU cores, samples/s per core, RSS; CPU spread per 5 s step. */
async function measure(senders: Sender[], seconds: number) {
  const steps = Math.max(1, Math.round(seconds / 5));
  const first = await Promise.all(senders.map(async (s) => ({ cpu: s.pids.map(cpuSeconds), sent: await samplesSent(s.base) })));
  const perStep: number[][] = senders.map(() => []);
  const rss: number[][] = senders.map(() => []);
  const prev = first.map((f) => f.cpu.reduce((a, b) => a + b, 0));
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    await sleep(5000);
    senders.forEach((s, k) => {
      const now = s.pids.map(cpuSeconds).reduce((a, b) => a + b, 0);
      perStep[k]?.push((now - (prev[k] as number)) / 5);
      prev[k] = now;
      rss[k]?.push(s.pids.map(rssMiB).reduce((a, b) => a + b, 0));
    });
  }
  const elapsed = (performance.now() - t0) / 1000;
  return Promise.all(
    senders.map(async (s, k) => {
      const sent = ((await samplesSent(s.base)) - (first[k] as { sent: number }).sent) / elapsed;
      const steps = perStep[k] as number[];
      const cores = steps.reduce((a, b) => a + b, 0) / steps.length;
      return {
        sender: s.name,
        samplesPerS: Math.round(sent),
        cpuCores: cores.toFixed(3),
        cpuSpread: `${Math.min(...steps).toFixed(3)}–${Math.max(...steps).toFixed(3)}`,
        samplesPerSPerCore: Math.round(sent / cores),
        rssMiB: Math.max(...(rss[k] as number[])).toFixed(0),
      };
    }),
  );
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'spyglass-rw-bench-'));
  writeFileSync(
    join(dir, 'many.mjs'),
    `const labels = Array.from({ length: ${SERIES} }, (_, i) => ({ id: String(i), group: String(i % 50) }));
export default { name: 'many', description: 'bench', enabledByDefault: true, collect() {
  const t = Date.now() / 1000;
  return [{ name: 'bench_value', help: 'bench', type: 'gauge', samples: labels.map((l, i) => ({ labels: l, value: (t + i) % 1000 })) }];
} };
`,
  );
  const vm = await victoriaMetricsReceiver();
  await vm.start();
  const common = `collector_modules: [${JSON.stringify(join(dir, 'many.mjs'))}]
scheduler: {interval: 1s, follow_scrapes: false, phase_lock: false}
collectors: {many: {enabled: true, max_series: ${SERIES * 2}}}
`;
  writeFileSync(
    join(dir, 'push.yml'),
    `${common}global: {external_labels: {via: spyglass}}
remote_write: [{url: ${vm.writeUrl}, name: vm, queue_config: {batch_send_deadline: 1s}}]
remote_write_queue: {path: ${JSON.stringify(join(dir, 'queue'))}}
`,
  );
  writeFileSync(join(dir, 'serve.yml'), common);
  const [pushPort, servePort, agentPort] = [await freePort(), await freePort(), await freePort()];
  const node = [`--v8-pool-size=1`, cliPath, 'serve', '--collector.disable-defaults'];
  const push = start(process.execPath, [...node, `--config.file=${join(dir, 'push.yml')}`, `--web.listen-address=127.0.0.1:${pushPort}`]);
  const served = start(process.execPath, [...node, `--config.file=${join(dir, 'serve.yml')}`, `--web.listen-address=127.0.0.1:${servePort}`]);
  writeFileSync(
    join(dir, 'agent.yml'),
    `global: {scrape_interval: 1s, external_labels: {via: agent}}
scrape_configs: [{job_name: spyglass, static_configs: [{targets: ['127.0.0.1:${servePort}']}]}]
remote_write: [{url: ${vm.writeUrl}, name: vm}]
`,
  );
  const agent = start('prometheus', [
    '--enable-feature=agent',
    `--config.file=${join(dir, 'agent.yml')}`,
    `--storage.agent.path=${join(dir, 'agent')}`,
    `--web.listen-address=127.0.0.1:${agentPort}`,
  ]);
  const senders: Sender[] = [
    { name: 'spyglass remote_write', base: `http://127.0.0.1:${pushPort}`, pids: [push.pid as number] },
    { name: 'spyglass /metrics + prometheus agent', base: `http://127.0.0.1:${agentPort}`, pids: [served.pid as number, agent.pid as number] },
  ];
  try {
    for (const s of senders) await waitFor(async () => (await fetch(`${s.base}/metrics`).catch(() => undefined))?.ok === true, 60_000, `${s.name} up`);
    await sleep(15_000);
    console.log(JSON.stringify({ date: new Date().toISOString(), cpus: cpus().length, model: cpus()[0]?.model, series: SERIES, node: process.version }));
    console.log('steady', JSON.stringify(await measure(senders, WINDOW)));
    await vm.stop();
    await sleep(OUTAGE * 1000);
    await vm.start();
    console.log('draining', JSON.stringify(await measure(senders, DRAIN)));
  } finally {
    for (const p of [push, served, agent]) p.kill('SIGTERM');
    await Promise.all([push, served, agent].map((p) => (p.exitCode === null ? once(p, 'exit') : undefined)));
    await vm.stop();
  }
}

await main();
