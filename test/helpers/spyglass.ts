import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const cliPath = `${repoRoot}dist/src/cli.js`;
export const fixture = (rel: string) => `${repoRoot}test/fixtures/${rel}`;

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as net.AddressInfo).port;
  srv.close();
  await once(srv, 'close');
  return port;
}

export interface Running {
  proc: ChildProcess;
  port: number;
  base: string;
  logs(): string;
  /** Resolves with the exit code when the process exits. */
  exited: Promise<number | null>;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Spawns the real `spyglass serve` on 127.0.0.1 and waits until /healthz answers (and /readyz, unless told not to). */
export async function startSpyglass(
  args: string[] = [],
  opts: {
    waitReady?: boolean;
    env?: NodeJS.ProcessEnv;
    /** Instead of a plain-HTTP GET (say, over TLS): true once up. */ isUp?: (port: number) => Promise<boolean>;
    /** How long it may take to answer (default 15 s). */
    startTimeoutMs?: number;
    /** What runs `serve` (say, setpriv in front of node and cli.js); node and cli.js by default. */
    launcher?: string[];
  } = {},
): Promise<Running> {
  const port = await freePort();
  const [command, ...launcherArgs] = opts.launcher ?? [process.execPath, cliPath];
  const proc = spawn(command as string, [...launcherArgs, 'serve', `--web.listen-address=127.0.0.1:${port}`, ...args], {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout?.on('data', (d) => (output += d));
  proc.stderr?.on('data', (d) => (output += d));
  const base = `http://127.0.0.1:${port}`;
  const exited = once(proc, 'exit').then(([code]) => code as number | null);
  const running: Running = {
    proc,
    port,
    base,
    exited,
    logs: () => output,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null) proc.kill(signal);
      return exited;
    },
  };
  const deadline = Date.now() + (opts.startTimeoutMs ?? 15000);
  const path = opts.waitReady === false ? '/healthz' : '/readyz';
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`spyglass exited with ${proc.exitCode}: ${output}`);
    try {
      if (opts.isUp ? await opts.isUp(port) : (await fetch(base + path)).status === 200) return running;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await running.stop('SIGKILL');
      throw new Error(`spyglass did not answer ${path} in time: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The spyglass CLI with `args` as one shell command line (for scripts run in namespaces). */
export function cliCommandLine(args: string[]): string {
  return [process.execPath, cliPath, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
}

export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d) => (stdout += d));
  proc.stderr.on('data', (d) => (stderr += d));
  const [code] = await once(proc, 'exit');
  return { code: code as number | null, stdout, stderr };
}

/**
 * Starts any command line that ends in a spyglass serving plain HTTP on 127.0.0.1:`port` (under
 * setpriv, unshare, npx…), waits for /readyz and for `until` in /metrics; the caller stops it.
 */
export async function runAndScrape(command: string, args: string[], port: number, opts: { cwd?: string; until?: RegExp } = {}) {
  const proc = spawn(command, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  proc.stdout.on('data', (d) => (logs += d));
  proc.stderr.on('data', (d) => (logs += d));
  const exited = once(proc, 'exit').then(([code]) => code as number | null);
  let metrics = '';
  try {
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, 60_000, 'ready');
    // 40 s: probe targets get their first result anywhere within their 15 s interval, after start-up.
    await waitFor(
      async () => (opts.until ?? /^node_load1 /m).test((metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text())),
      40_000,
      `${opts.until ?? 'node_load1'} in /metrics`,
    );
  } catch (err) {
    proc.kill('SIGKILL');
    throw new Error(`${(err as Error).message}; output: ${logs}`);
  }
  return { metrics, logs: () => logs, proc, exited };
}

export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Value of one series in Prometheus text output, or undefined. */
export function sampleValue(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1).split(' ')[0]);
  }
  return undefined;
}
