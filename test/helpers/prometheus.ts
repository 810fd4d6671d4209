import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
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
  /** Calls GET /api/v1/<path>; throws with Prometheus's error unless the status is success; returns `data`. */
  api<T = unknown>(path: string, params?: Record<string, string>): Promise<T>;
  /** Runs an instant query; returns the value per series, keyed by the instance label. */
  query(query: string): Promise<Map<string, number>>;
}

/** Starts Debian's `prometheus` on 127.0.0.1 with the given scrape_configs (and rule groups), YAML text. */
export async function startPrometheus(
  scrapeConfigs: string,
  opts: { ruleGroups?: string; ruleFiles?: string[]; evaluationInterval?: string } = {},
): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'spyglass-prom-'));
  const cfg = join(dir, 'prometheus.yml');
  const files = [...(opts.ruleFiles ?? [])];
  if (opts.ruleGroups) {
    writeFileSync(join(dir, 'rules.yml'), `groups:\n${opts.ruleGroups}`);
    files.push(join(dir, 'rules.yml'));
  }
  const ruleFiles = files.length ? `rule_files: ${JSON.stringify(files)}\n` : '';
  writeFileSync(
    cfg,
    `global:\n  scrape_interval: 15s\n  evaluation_interval: ${opts.evaluationInterval ?? '15s'}\n${ruleFiles}scrape_configs:\n${scrapeConfigs}`,
  );
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
    async api<T>(path: string, params: Record<string, string> = {}) {
      const res = (await (await fetch(`${base}/api/v1/${path}?${new URLSearchParams(params)}`)).json()) as { status: string; error?: string; data: T };
      if (res.status !== 'success') throw new Error(`${path} ${JSON.stringify(params)}: ${res.error}`);
      return res.data;
    },
    async query(query) {
      const res = (await (await fetch(`${base}/api/v1/query?${new URLSearchParams({ query })}`)).json()) as {
        status: string;
        error?: string;
        data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
      };
      if (res.status !== 'success') throw new Error(`query failed: ${res.error}`);
      return new Map(res.data.result.map((r) => [r.metric.instance ?? '', Number(r.value[1])]));
    },
    async queryRange(query, startS, endS, stepS) {
      const url = `${base}/api/v1/query_range?${new URLSearchParams({ query, start: String(startS), end: String(endS), step: String(stepS) })}`;
      const res = (await (await fetch(url)).json()) as {
        status: string;
        error?: string;
        data: { result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> };
      };
      if (res.status !== 'success') throw new Error(`query failed: ${res.error}`);
      return new Map(res.data.result.map((r) => [r.metric.instance ?? '', r.values.map(([t, v]) => [t, Number(v)] as [number, number])]));
    },
  };
}

/** Runs Debian's `promtool` with `args` (in `cwd`); its exit code and combined output. */
export function promtool(args: string[], cwd?: string): { code: number | null; output: string } {
  const r = spawnSync('promtool', args, { cwd, encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run promtool (is it installed? see .ci/run): ${r.error.message}`);
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}
