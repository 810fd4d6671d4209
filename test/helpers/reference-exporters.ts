import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { freePort, waitFor } from './spyglass.js';

export interface ReferenceExporter {
  /** http://127.0.0.1:PORT */
  base: string;
  pid: number;
  stop(): Promise<void>;
}

/** A Debian-packaged exporter (installed by scripts/install-test-deps.sh) on a loopback port, once `readyPath` answers 200. */
async function startReferenceExporter(command: string, args: string[], readyPath: string, env: NodeJS.ProcessEnv = {}): Promise<ReferenceExporter> {
  const port = await freePort();
  const child = spawn(command, [`--web.listen-address=127.0.0.1:${port}`, ...args], { env: { ...process.env, ...env }, stdio: 'ignore' });
  const exited = once(child, 'exit');
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitFor(async () => (await fetch(base + readyPath).catch(() => undefined))?.status === 200, 10000, `${command} (is it installed? see .ci/run)`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { base, pid: child.pid as number, stop };
}

/** Debian's prometheus-node-exporter. */
export async function startNodeExporter(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ url: string; stop: () => Promise<void> }> {
  const ne = await startReferenceExporter('prometheus-node-exporter', args, '/metrics', env);
  return { url: `${ne.base}/metrics`, stop: ne.stop };
}

/** Debian's prometheus-blackbox-exporter with a configuration file. */
export function startBlackboxExporter(configFile: string): Promise<ReferenceExporter> {
  return startReferenceExporter('prometheus-blackbox-exporter', [`--config.file=${configFile}`], '/-/healthy');
}

/** One scrape of a node_exporter started with `args`, which is stopped afterwards. */
export async function scrapeNodeExporter(args: string[]): Promise<string> {
  const ne = await startNodeExporter(args);
  try {
    return await (await fetch(ne.url)).text();
  } finally {
    await ne.stop();
  }
}
