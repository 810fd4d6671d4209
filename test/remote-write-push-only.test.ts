/**
 * The push-only example (examples/remote-write.yml) loads as it is, and run against a real
 * Prometheus receiver (its URL and password file swapped in) opens no port and delivers the
 * host's series with the external labels that name it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { builtinCollectors } from '../collectors/index.js';
import { formatConfigError, loadConfig } from '../src/config/load.js';
import { prometheusReceiver, type Receiver } from './helpers/remote-write-receivers.js';
import { cliPath, repoRoot, waitFor } from './helpers/spyglass.js';

const example = `${repoRoot}examples/remote-write.yml`;

/** Listening TCP sockets of a process: its socket inodes that /proc/net/tcp{,6} lists in state 0A (LISTEN). */
function listeningSockets(pid: number): number {
  const inodes = new Set(
    readdirSync(`/proc/${pid}/fd`)
      .map((fd) => {
        try {
          return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        } catch {
          return undefined;
        }
      })
      .filter((i) => i !== undefined),
  );
  let n = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] === '0A' && inodes.has(f[9] as string)) n++;
    }
  }
  return n;
}

describe('push-only example', { timeout: 90_000 }, () => {
  let prom: Receiver;
  let proc: ReturnType<typeof spawn> | undefined;
  let logs = '';
  let dir: string | undefined;

  before(async () => {
    prom = await prometheusReceiver();
    await prom.start();
  });

  after(async () => {
    if (proc && proc.exitCode === null) {
      proc.kill('SIGTERM');
      await once(proc, 'exit');
    }
    await prom.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('loads as shipped', async () => {
    const r = await loadConfig({ file: example, builtins: builtinCollectors });
    assert.ok(r.ok, r.ok ? '' : r.errors.map(formatConfigError).join('\n'));
    assert.equal(r.config.web.listenAddress, '');
    assert.equal(r.config.remoteWrite?.endpoints[0]?.name, 'central');
  });

  it('runs push-only: no listening socket, the series arrive labelled', async () => {
    dir = mkdtempSync(join(tmpdir(), 'spyglass-push-only-'));
    writeFileSync(join(dir, 'password'), 'secret\n');
    const text = readFileSync(example, 'utf8')
      .replace('https://metrics.example.net/api/v1/write', prom.writeUrl)
      .replace('/etc/spyglass/remote-write-password', join(dir, 'password'))
      .replace('/var/lib/spyglass/remote-write', join(dir, 'queue'))
      .replace('batch_send_deadline: 5s', 'batch_send_deadline: 1s');
    const config = join(dir, 'spyglass.yml');
    writeFileSync(config, `${text}\nscheduler: {interval: 2s, follow_scrapes: false}\n`);
    const started = Date.now();
    proc = spawn(process.execPath, [cliPath, 'serve', `--config.file=${config}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout?.on('data', (d) => (logs += d));
    proc.stderr?.on('data', (d) => (logs += d));
    await waitFor(() => logs.includes('push-only: no HTTP server'), 20_000, `push-only start: ${logs}`);
    await waitFor(async () => (await prom.raw('node_load1', started - 1000, Date.now() + 1000)).size > 0, 30_000, `node_load1 at the receiver; logs: ${logs}`);
    const [labels] = [...(await prom.raw('node_load1', started - 1000, Date.now() + 1000)).keys()];
    assert.deepEqual(JSON.parse(labels as string), { __name__: 'node_load1', job: 'node', instance: 'edge-17.example.net' });
    assert.equal(
      (await prom.raw('nodejs_heap_size_used_bytes', started - 1000, Date.now() + 1000)).size,
      0,
      'write_relabel_configs dropped the runtime metrics',
    );
    assert.ok((await prom.raw('spyglass_build_info', started - 1000, Date.now() + 1000)).size > 0, 'its own metrics are pushed too');
    assert.equal(listeningSockets(proc.pid as number), 0, 'no port open');
  });
});
