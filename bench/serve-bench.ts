/**
 * /metrics serving benchmark, all contenders in one run on one machine:
 *   spyglass (defaults), Debian's prometheus-node-exporter (defaults), and a bare node:http
 *   server returning spyglass's bytes. wrk at 1 and 10 connections, identity and gzip.
 * Besides requests per second, each cell reports the server's CPU per request (utime + stime of
 * the whole process over the cell, divided by the requests served), which holds its ratio on a
 * machine busy with other work where req/s does not. Also: spyglass time-to-ready and RSS.
 * spyglass runs with `scheduler.follow_scrapes: false`: wrk's thousands of scrapes per second would
 * otherwise be learned as a scraper and collection would run at the 1 s floor during the cells.
 * Usage: npm run bench   (needs wrk and prometheus-node-exporter; see .ci/run / README)
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import { gzipSync } from 'node:zlib';
import { cliPath, freePort, repoRoot, waitFor } from '../test/helpers/spyglass.js';

const WRK_SECONDS = Number(process.env.BENCH_WRK_SECONDS ?? 10);

interface Server {
  name: string;
  port: number;
  proc: ChildProcess;
}

async function start(name: string, cmd: string, args: string[], port: number, readyPath: string): Promise<Server> {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'ignore'] });
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}${readyPath}`).catch(() => undefined))?.status === 200, 15000, `${name} ready`);
  return { name, port, proc };
}

async function stop(s: Server) {
  s.proc.kill('SIGTERM');
  await once(s.proc, 'exit');
}

function rssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, USER_HZ 100
}

interface WrkResult {
  rps: number;
  p50ms: number;
  p99ms: number;
  /** The server's CPU (all threads, user + system) per request served, in µs. */
  cpuUsPerRequest: number;
}

function parseLatency(s: string): number {
  const m = /([\d.]+)(us|ms|s)/.exec(s);
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

function wrk(server: Server, connections: number, gzip: boolean): WrkResult {
  const port = server.port;
  const args = [
    '-t1',
    `-c${connections}`,
    `-d${WRK_SECONDS}s`,
    '--latency',
    ...(gzip ? ['-H', 'Accept-Encoding: gzip'] : []),
    `http://127.0.0.1:${port}/metrics`,
  ];
  const cpu0 = cpuSeconds(server.proc.pid as number);
  const out = execFileSync('wrk', args, { encoding: 'utf8' });
  const cpuS = cpuSeconds(server.proc.pid as number) - cpu0;
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const pct = (p: string) => parseLatency(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out)?.[1] ?? '');
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (non2xx) throw new Error(`wrk saw ${non2xx[1]} non-2xx responses from port ${port}`);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
    p50ms: pct('50'),
    p99ms: pct('99'),
    cpuUsPerRequest: (cpuS * 1e6) / requests,
  };
}

async function readyTimes(runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const port = await freePort();
    const t0 = performance.now();
    const proc = spawn(process.execPath, [cliPath, 'serve', `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, 10000, 'ready');
    times.push(performance.now() - t0);
    proc.kill('SIGTERM');
    await once(proc, 'exit');
  }
  return times;
}

async function main() {
  const spyPort = await freePort();
  const nePort = await freePort();
  const barePort = await freePort();
  mkdirSync(`${repoRoot}bench/results`, { recursive: true });
  const pinned = `${repoRoot}bench/results/serve-bench.yml`;
  writeFileSync(pinned, 'scheduler:\n  follow_scrapes: false\n');
  const spy = await start(
    'spyglass',
    process.execPath,
    [cliPath, 'serve', `--web.listen-address=127.0.0.1:${spyPort}`, `--config.file=${pinned}`],
    spyPort,
    '/readyz',
  );
  const ne = await start('node_exporter 1.5.0 (Debian)', 'prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${nePort}`], nePort, '/metrics');
  const body = Buffer.from(await (await fetch(`http://127.0.0.1:${spyPort}/metrics`)).arrayBuffer());
  const bodyFile = `${repoRoot}bench/results/spyglass-body.txt`;
  writeFileSync(bodyFile, body);
  writeFileSync(`${bodyFile}.gz`, gzipSync(body));
  const bare = await start(
    'bare node:http (same bytes)',
    process.execPath,
    [`${repoRoot}bench/bare-server.mjs`, String(barePort), bodyFile, `${bodyFile}.gz`],
    barePort,
    '/metrics',
  );
  const neBytes = (await (await fetch(`http://127.0.0.1:${nePort}/metrics`)).arrayBuffer()).byteLength;

  const rows: string[] = [];
  const results = new Map<string, WrkResult>();
  for (const gzip of [false, true]) {
    for (const c of [1, 10]) {
      for (const s of [spy, ne, bare]) {
        const r = wrk(s, c, gzip);
        results.set(`${s.name}|${c}|${gzip}`, r);
        rows.push(
          `| ${s.name} | ${c} | ${gzip ? 'gzip' : 'identity'} | ${r.rps.toFixed(0)} | ${r.cpuUsPerRequest.toFixed(0)} | ${r.p50ms.toFixed(3)} | ${r.p99ms.toFixed(3)} |`,
        );
      }
    }
  }
  const rss = { spyglass: rssKiB(spy.proc.pid as number), node_exporter: rssKiB(ne.proc.pid as number), bare: rssKiB(bare.proc.pid as number) };
  for (const s of [spy, ne, bare]) await stop(s);

  const ratios: string[] = [];
  for (const gzip of [false, true]) {
    for (const c of [1, 10]) {
      const sp = results.get(`${spy.name}|${c}|${gzip}`) as WrkResult;
      const n = results.get(`${ne.name}|${c}|${gzip}`) as WrkResult;
      const b = results.get(`${bare.name}|${c}|${gzip}`) as WrkResult;
      ratios.push(
        `| ${c} | ${gzip ? 'gzip' : 'identity'} | ${(sp.p99ms / n.p99ms).toFixed(3)} | ${(sp.rps / b.rps).toFixed(2)} | ${(b.cpuUsPerRequest / sp.cpuUsPerRequest).toFixed(2)} |`,
      );
    }
  }
  const ready = await readyTimes(5);
  const cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  const report = `## Run of ${new Date().toISOString()}

Machine: ${cpus().length} × ${cpuModel}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, kernel ${release()}, Node ${process.version}.
Bodies: spyglass ${body.length} B (${gzipSync(body).length} B gzip), node_exporter ${neBytes} B. wrk 4.1.0, 1 thread, ${WRK_SECONDS} s per cell, all on 127.0.0.1 sharing the same ${cpus().length} cores.

| server | connections | encoding | req/s | CPU µs per request | p50 ms | p99 ms |
|---|---|---|---|---|---|---|
${rows.join('\n')}

| connections | encoding | spyglass p99 ÷ node_exporter p99 (target ≤ 0.1) | spyglass req/s ÷ bare req/s (target ≥ 0.8) | bare CPU per request ÷ spyglass's |
|---|---|---|---|---|
${ratios.join('\n')}

- Ready after start (spawn → /readyz 200), 5 starts: ${ready.map((t) => t.toFixed(0)).join(', ')} ms (target ≤ 1500 ms).
- RSS after the load above: spyglass ${(rss.spyglass / 1024).toFixed(1)} MiB, node_exporter ${(rss.node_exporter / 1024).toFixed(1)} MiB, bare node:http ${(rss.bare / 1024).toFixed(1)} MiB.
`;
  process.stdout.write(report);
  writeFileSync(`${repoRoot}bench/results/latest.md`, report);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
