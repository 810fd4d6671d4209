import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { freePort, waitFor } from './spyglass.js';

/** Debian's prometheus-node-exporter (installed by scripts/install-test-deps.sh) on a loopback port. */
export async function startNodeExporter(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn('prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${port}`, ...args], { env: { ...process.env, ...env }, stdio: 'ignore' });
  const exited = once(child, 'exit');
  const url = `http://127.0.0.1:${port}/metrics`;
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitFor(async () => (await fetch(url).catch(() => undefined))?.status === 200, 10000, 'node_exporter (is prometheus-node-exporter installed? see .ci/run)');
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop };
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
