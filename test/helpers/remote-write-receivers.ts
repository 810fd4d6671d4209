/** Real remote-write receivers from Debian, restartable on the same port and data: Prometheus and VictoriaMetrics. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './spyglass.js';

/** A sample as a receiver holds it: [unix ms, value]. */
export type Point = [number, number];

export interface Receiver {
  name: string;
  /** Where spyglass pushes. */
  writeUrl: string;
  start(): Promise<void>;
  /** Stops it; its data stays for the next start. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Stops it and removes its data. */
  close(): Promise<void>;
  /** Every raw sample of the series matching `selector` between the times (ms), keyed by the labels' JSON. */
  raw(selector: string, startMs: number, endMs: number): Promise<Map<string, Point[]>>;
}

async function startProcess(command: string, args: string[], ready: string, what: string): Promise<{ proc: ChildProcess; logs: () => string }> {
  const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  proc.stdout?.on('data', (d) => (logs += d));
  proc.stderr?.on('data', (d) => (logs += d));
  const failed = once(proc, 'error').then(([e]) => {
    throw new Error(`cannot start ${command} (scripts/install-test-deps.sh installs it): ${(e as Error).message}`);
  });
  try {
    await Promise.race([failed, waitFor(async () => (await fetch(ready).catch(() => undefined))?.status === 200, 30000, `${what} ready: ${logs}`)]);
  } catch (err) {
    proc.kill('SIGKILL');
    throw err;
  }
  return { proc, logs: () => logs };
}

async function stopProcess(proc: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill(signal);
  await once(proc, 'exit');
}

/** `prometheus --web.enable-remote-write-receiver`. */
export async function prometheusReceiver(): Promise<Receiver> {
  const dir = mkdtempSync(join(tmpdir(), 'spyglass-rw-prom-'));
  writeFileSync(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 15s\n');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let proc: ChildProcess | undefined;
  return {
    name: 'prometheus',
    writeUrl: `${base}/api/v1/write`,
    async start() {
      const args = [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`];
      proc = (await startProcess('prometheus', [...args, '--web.enable-remote-write-receiver'], `${base}/-/ready`, 'prometheus')).proc;
    },
    stop: (signal = 'SIGTERM') => stopProcess(proc, signal),
    async close() {
      await stopProcess(proc, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
    async raw(selector, startMs, endMs) {
      const window = Math.ceil((endMs - startMs) / 1000) + 1;
      const params = new URLSearchParams({ query: `${selector}[${window}s]`, time: String(endMs / 1000) });
      const res = (await (await fetch(`${base}/api/v1/query?${params}`)).json()) as {
        status: string;
        error?: string;
        data: { result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> };
      };
      if (res.status !== 'success') throw new Error(`prometheus: ${res.error}`);
      return new Map(res.data.result.map((r) => [JSON.stringify(r.metric), r.values.map(([t, v]) => [Math.round(t * 1000), Number(v)] as Point)]));
    },
  };
}

/** Debian's `victoria-metrics` (single node), which takes remote write on /api/v1/write. */
export async function victoriaMetricsReceiver(): Promise<Receiver> {
  const dir = mkdtempSync(join(tmpdir(), 'spyglass-rw-vm-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let proc: ChildProcess | undefined;
  return {
    name: 'victoria-metrics',
    writeUrl: `${base}/api/v1/write`,
    async start() {
      const args = [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${join(dir, 'data')}`, '-retentionPeriod=1d', '-search.disableCache'];
      proc = (await startProcess('victoria-metrics', args, `${base}/health`, 'victoria-metrics')).proc;
    },
    stop: (signal = 'SIGTERM') => stopProcess(proc, signal),
    async close() {
      await stopProcess(proc, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
    async raw(selector, startMs, endMs) {
      await fetch(`${base}/internal/force_flush`);
      const params = new URLSearchParams({ 'match[]': selector, start: String(startMs / 1000), end: String(endMs / 1000) });
      const text = await (await fetch(`${base}/api/v1/export?${params}`)).text();
      const out = new Map<string, Point[]>();
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        const r = JSON.parse(line) as { metric: Record<string, string>; values: Array<number | null>; timestamps: number[] };
        const key = JSON.stringify(r.metric);
        const points = out.get(key) ?? [];
        // Staleness markers come back as NaN (or null): they are not samples.
        r.timestamps.forEach((t, i) => {
          const v = r.values[i];
          if (typeof v === 'number' && !Number.isNaN(v)) points.push([t, v]);
        });
        out.set(
          key,
          points.sort((a, b) => a[0] - b[0]),
        );
      }
      return out;
    },
  };
}
