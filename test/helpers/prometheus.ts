import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './spyglass.js';

export interface PrometheusServer {
  base: string;
  proc: ChildProcess;
  stop(): Promise<void>;
  /** Runs a range query; returns [unix seconds, value] pairs per series, keyed by the instance label. */
  queryRange(query: string, startS: number, endS: number, stepS: number): Promise<Map<string, Array<[number, number]>>>;
}

/** Starts Debian's `prometheus` on 127.0.0.1 with the given scrape_configs (YAML text). */
export async function startPrometheus(scrapeConfigs: string, globalScrapeInterval = '15s'): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'spyglass-prom-'));
  const cfg = join(dir, 'prometheus.yml');
  writeFileSync(cfg, `global:\n  scrape_interval: ${globalScrapeInterval}\n  evaluation_interval: ${globalScrapeInterval}\nscrape_configs:\n${scrapeConfigs}`);
  const port = await freePort();
  const proc = spawn('prometheus', [`--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let logs = '';
  proc.stderr?.on('data', (d) => (logs += d));
  const spawnError = once(proc, 'error').then(([e]) => {
    throw new Error(`cannot start prometheus (is it installed? see .ci/run): ${(e as Error).message}`);
  });
  const base = `http://127.0.0.1:${port}`;
  await Promise.race([
    spawnError,
    waitFor(async () => (await fetch(`${base}/-/ready`).catch(() => undefined))?.status === 200, 20000, `prometheus ready: ${logs}`),
  ]);
  return {
    base,
    proc,
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await once(proc, 'exit');
      }
    },
    async queryRange(query, startS, endS, stepS) {
      const url = `${base}/api/v1/query_range?${new URLSearchParams({ query, start: String(startS), end: String(endS), step: String(stepS) })}`;
      const res = (await (await fetch(url)).json()) as { status: string; error?: string; data: { result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> } };
      if (res.status !== 'success') throw new Error(`query failed: ${res.error}`);
      return new Map(res.data.result.map((r) => [r.metric.instance ?? '', r.values.map(([t, v]) => [t, Number(v)] as [number, number])]));
    },
  };
}
