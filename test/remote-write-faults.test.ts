/**
 * Remote write against receivers that misbehave, and a queue on a full disk. The misbehaving
 * receiver is a socket server of the test's own (no real receiver does this on purpose) standing
 * in front of a real Prometheus: it answers garbage, hangs, cuts its answer off mid-body, answers
 * 429 with Retry-After, then 400, and in between forwards to Prometheus. Nothing may be lost but
 * what a 400 refuses (counted), and spyglass must stay up throughout.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { prometheusReceiver, type Point, type Receiver } from './helpers/remote-write-receivers.js';
import { fixture, startSpyglass, waitFor, type Running } from './helpers/spyglass.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function writeConfig(dir: string, url: string, queueDir: string, extra = ''): string {
  const file = join(dir, 'spyglass.yml');
  writeFileSync(
    file,
    `collector_modules: [${JSON.stringify(fixture('remote-write/sequence.mjs'))}]
scheduler: {interval: 1s, follow_scrapes: false, phase_lock: false}
self_metrics: {interval: 1s, runtime: false}
global: {external_labels: {instance: faults}}
collectors:
  rwtest: {enabled: true, state_file: ${JSON.stringify(join(dir, 'runs'))}}
remote_write:
  - url: ${url}
    name: rx
    remote_timeout: 1s
    queue_config: {batch_send_deadline: 500ms, min_backoff: 50ms, max_backoff: 1s}
remote_write_queue: {path: ${JSON.stringify(queueDir)}, max_bytes: 67108864}
${extra}`,
  );
  return file;
}

async function selfMetric(s: Running, name: string, match = ''): Promise<number> {
  const text = await (await fetch(`${s.base}/metrics`)).text();
  let sum = 0;
  let found = false;
  for (const m of text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm'))) {
    if (!(m[1] as string).includes(match)) continue;
    found = true;
    sum += Number(m[2]);
  }
  // A renamed metric must fail the checks that read it, not pass them as 0.
  if (!found && !match) throw new Error(`${name} is not served`);
  return sum;
}

function runValues(points: readonly Point[]): number[] {
  return [...new Map(points).entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
}

type Mode = 'forward' | 'garbage' | 'hang' | 'cut' | '429' | '400';

describe('misbehaving receivers', { timeout: 180_000 }, () => {
  let prom: Receiver;
  let spyglass: Running;
  let server: net.Server;
  let mode: Mode = 'forward';
  const seen: Array<{ mode: Mode; at: number }> = [];
  let lastRunBefore400 = 0;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spyglass-rw-faults-'));
    prom = await prometheusReceiver();
    await prom.start();
    const target = new URL(prom.writeUrl);
    server = net.createServer((socket) => {
      socket.on('error', () => undefined);
      const current = mode;
      if (current === 'forward' || current === '429' || current === '400') {
        // A real HTTP exchange: hand the socket to an HTTP server for this connection.
        httpServer.emit('connection', socket);
        return;
      }
      socket.once('data', () => {
        seen.push({ mode: current, at: Date.now() });
        if (current === 'garbage') socket.end('NOT HTTP AT ALL \x00\x01\x02\r\n\r\n');
        else if (current === 'cut') {
          socket.write('HTTP/1.1 500 Internal Server Error\r\nContent-Length: 1000\r\n\r\nhalf an ans');
          setTimeout(() => socket.destroy(), 20);
        }
        // hang: read and never answer
      });
    });
    const httpServer = http.createServer({ keepAlive: false }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const current = mode;
        seen.push({ mode: current, at: Date.now() });
        res.shouldKeepAlive = false;
        if (current === '429') return res.writeHead(429, { 'Retry-After': '2' }).end('slow down');
        if (current === '400') return res.writeHead(400).end('refused for good');
        const out = http.request(target, { method: 'POST', headers: req.headers }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        out.on('error', () => res.writeHead(502).end());
        out.end(Buffer.concat(chunks));
      });
    });
    server.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/api/v1/write`;
    spyglass = await startSpyglass([`--config.file=${writeConfig(dir, url, join(dir, 'queue'))}`, '--collector.disable-defaults']);
    for (const m of ['forward', 'garbage', 'hang', 'cut', '429', 'forward'] as Mode[]) {
      mode = m;
      await sleep(m === '429' ? 5000 : 3000);
    }
    await waitFor(async () => (await selfMetric(spyglass, 'prometheus_remote_storage_samples_pending')) < 20, 30_000, 'backlog sent');
    lastRunBefore400 = Number(readFileSync(join(dir, 'runs'), 'utf8'));
    await waitFor(
      async () => runValues([...(await prom.raw('rwtest_runs_total', Date.now() - 120_000, Date.now())).values()][0] ?? []).includes(lastRunBefore400),
      15_000,
      'the last run before 400s',
    );
    mode = '400';
    await sleep(3000);
    mode = 'forward';
    await sleep(3000);
  });

  after(async () => {
    await spyglass?.stop();
    await prom?.close();
    server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('saw every kind of misbehaviour', () => {
    for (const m of ['garbage', 'hang', 'cut', '429', '400'] as Mode[])
      assert.ok(
        seen.some((s) => s.mode === m),
        `${m} was exercised`,
      );
  });

  it('lost nothing through garbage, hangs, cut-off answers and 429s', async () => {
    const values = runValues([...(await prom.raw('rwtest_runs_total', Date.now() - 120_000, Date.now())).values()][0] ?? []);
    const upTo = values.slice(0, values.indexOf(lastRunBefore400) + 1);
    assert.ok(upTo.length >= 15, `${upTo.length} runs`);
    upTo.forEach((v, i) => assert.equal(v, i + 1, `run ${i + 1} missing: ${upTo.join(',')}`));
  });

  it('honoured Retry-After: 429s came at least 2 s apart', () => {
    const at = seen.filter((s) => s.mode === '429').map((s) => s.at);
    assert.ok(at.length >= 2, `${at.length} requests during the 429 phase`);
    for (let i = 1; i < at.length; i++)
      assert.ok((at[i] as number) - (at[i - 1] as number) >= 1900, `429 retries ${(at[i] as number) - (at[i - 1] as number)} ms apart`);
  });

  it('counted the retries and the batches refused with 400, and still runs and sends', async () => {
    assert.ok((await selfMetric(spyglass, 'prometheus_remote_storage_samples_retried_total')) > 0);
    assert.ok((await selfMetric(spyglass, 'prometheus_remote_storage_samples_failed_total')) > 0);
    assert.equal(spyglass.proc.exitCode, null);
    const landing = await (await fetch(`${spyglass.base}/`)).text();
    assert.match(
      landing,
      /<h2>Remote write<\/h2>[\s\S]*<td>rx<\/td>[\s\S]*HTTP 400: refused for good/,
      'the landing page shows the receiver and its last error',
    );
    const runs = Number(readFileSync(join(dir, 'runs'), 'utf8'));
    await waitFor(
      async () => Math.max(...runValues([...(await prom.raw('rwtest_runs_total', Date.now() - 120_000, Date.now())).values()][0] ?? [])) >= runs,
      15_000,
      'sending after the 400s',
    );
  });
});

describe('queue on a full disk', { timeout: 180_000 }, () => {
  let dir: string;
  let mount: string;
  let prom: Receiver;
  let spyglass: Running | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spyglass-rw-disk-'));
    mount = join(dir, 'tmpfs');
    mkdirSync(mount);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mount]);
    prom = await prometheusReceiver(); // not started yet: everything queues
    // Every default collector: ~100 KiB of queue per run, so 256 KiB fills within seconds.
    spyglass = await startSpyglass([`--config.file=${writeConfig(dir, prom.writeUrl, join(mount, 'queue'))}`]);
  });

  after(async () => {
    await spyglass?.stop();
    await prom?.close();
    execFileSync('umount', [mount]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('counts what does not fit, stays bounded and up, and sends again once there is room', async () => {
    const s = spyglass as Running;
    await waitFor(
      async () => (await selfMetric(s, 'prometheus_remote_storage_samples_dropped_total', 'reason="disk_full"')) > 0,
      30_000,
      'disk_full drops counted',
    );
    await sleep(3000);
    assert.ok((await selfMetric(s, 'spyglass_remote_write_queue_bytes')) <= 256 * 1024);
    assert.equal((await fetch(`${s.base}/healthz`)).status, 200);
    assert.match(s.logs(), /remote write queue dropped samples/);
    await prom.start();
    await waitFor(async () => (await selfMetric(s, 'prometheus_remote_storage_samples_pending')) < 5000, 30_000, 'queue drained');
    const runs = Number(readFileSync(join(dir, 'runs'), 'utf8'));
    await waitFor(
      async () => Math.max(0, ...runValues([...(await prom.raw('rwtest_runs_total', Date.now() - 120_000, Date.now())).values()][0] ?? [])) >= runs,
      20_000,
      `run ${runs} at the receiver once the disk has room again`,
    );
    assert.equal(s.proc.exitCode, null);
  });
});
