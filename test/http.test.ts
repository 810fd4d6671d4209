import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { rawRequest, stalledGet } from './helpers/raw-http.js';
import { fixture, repoRoot, sampleValue, startSpyglass, waitFor, type Running } from './helpers/spyglass.js';

const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const tmp = mkdtempSync(join(tmpdir(), 'spyglass-http-'));
function configFile(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}
const get = (url: string, headers: Record<string, string> = {}) =>
  new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    http
      .get(url, { headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });

describe('serve with embedded defaults', () => {
  let s: Running;
  before(async () => (s = await startSpyglass()));
  after(async () => assert.equal(await s.stop(), 0));

  it('serves the three host collectors and self-metrics in text 0.0.4', async () => {
    const r = await get(`${s.base}/metrics`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    const body = r.body.toString();
    for (const series of [
      'node_load1',
      'node_memory_MemTotal_bytes',
      'spyglass_config_last_reload_successful',
      'node_scrape_collector_success{collector="cpu"}',
      'node_scrape_collector_success{collector="meminfo"}',
    ]) {
      assert.notEqual(sampleValue(body, series), undefined, `missing ${series}`);
    }
    assert.match(body, /^node_cpu_seconds_total\{cpu="0",mode="idle"\} [\d.]+$/m, 'no sample timestamps by default');
    assert.match(body, /^spyglass_build_info\{nodejs_version="v20\.[\d.]+",version="[\d.]+"\} 1$/m);
    assert.match(body, /^process_resident_memory_bytes \d+/m);
    assert.equal(sampleValue(body, 'node_scrape_collector_success{collector="cpu"}'), 1);
    assert.equal(r.headers.vary, 'Accept, Accept-Encoding', 'caches must key on both negotiated headers');
  });

  it('negotiates OpenMetrics the way Prometheus asks for it', async () => {
    const r = await get(`${s.base}/metrics`, { Accept: PROMETHEUS_ACCEPT });
    assert.equal(r.headers['content-type'], 'application/openmetrics-text; version=1.0.0; charset=utf-8');
    const body = r.body.toString();
    assert.ok(body.endsWith('# EOF\n'));
    assert.match(body, /^# TYPE node_cpu_seconds counter$/m);
    assert.match(body, /^node_cpu_seconds_total\{cpu="0",mode="user"\} [\d.]+$/m);
    const plain = await get(`${s.base}/metrics`, { Accept: 'text/plain;version=0.0.4' });
    assert.match(String(plain.headers['content-type']), /^text\/plain/);
  });

  it('gzips when asked, with the same content', async () => {
    const r = await get(`${s.base}/metrics`, { 'Accept-Encoding': 'gzip' });
    assert.equal(r.headers['content-encoding'], 'gzip');
    assert.equal(Number(r.headers['content-length']), r.body.length);
    assert.match(gunzipSync(r.body).toString(), /^node_load1 /m);
    const om = await get(`${s.base}/metrics`, { 'Accept-Encoding': 'gzip, deflate', Accept: PROMETHEUS_ACCEPT });
    assert.ok(gunzipSync(om.body).toString().endsWith('# EOF\n'));
    // RFC 9110 §12.5.3: identity is fine unless refused; refusing both gzip and identity gets 406.
    for (const header of ['identity;q=0, *;q=0', 'identity;q=0', 'br, identity;q=0']) {
      const refused = await get(`${s.base}/metrics`, { 'Accept-Encoding': header });
      assert.equal(refused.status, 406, header);
    }
    for (const [header, encoding] of [
      ['br', undefined],
      ['identity', undefined],
      ['*', 'gzip'],
      ['gzip;q=0, identity;q=0.5', undefined],
      ['*;q=0, gzip', 'gzip'],
    ] as const) {
      const r = await get(`${s.base}/metrics`, { 'Accept-Encoding': header });
      assert.equal(r.status, 200, header);
      assert.equal(r.headers['content-encoding'], encoding, header);
    }
  });

  it('filters with collect[] and exclude[] like node_exporter, answering 400 on unknown names', async () => {
    const only = (await get(`${s.base}/metrics?collect[]=loadavg`)).body.toString();
    assert.match(only, /^node_load1 /m);
    assert.doesNotMatch(only, /^node_cpu_seconds_total/m);
    assert.match(only, /^spyglass_build_info/m, 'self-metrics are always included');
    const excluded = (await get(`${s.base}/metrics?exclude[]=cpu&exclude[]=meminfo`)).body.toString();
    assert.match(excluded, /^node_load1 /m);
    assert.doesNotMatch(excluded, /^node_(cpu|memory)_/m);
    const unknown = await get(`${s.base}/metrics?collect[]=nosuch`);
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.toString(), "couldn't create filtered metrics handler: missing collector: nosuch\n");
    const markup = await get(`${s.base}/metrics?collect[]=${encodeURIComponent('<script>alert(1)</script>')}`);
    assert.equal(markup.status, 400);
    assert.equal(
      markup.body.toString(),
      "couldn't create filtered metrics handler: missing collector: (not a collector name)\n",
      'a value that is no collector name is not echoed',
    );
    assert.equal((await get(`${s.base}/metrics?collect[]=cpu&exclude[]=meminfo`)).status, 400);
  });

  it('refuses a request line without an HTTP version (HTTP/0.9)', async () => {
    for (const request of ['GET /metrics\r\nHost: x\r\n\r\n', 'GET /healthz\r\n\r\n']) {
      const r = await rawRequest(s.port, request, 2000);
      assert.match(r.response, /^HTTP\/1\.1 400 /, JSON.stringify(request));
      assert.doesNotMatch(r.response, /node_load1/);
    }
  });

  it('answers health, readiness, the landing page, 404 and 405', async () => {
    assert.equal((await get(`${s.base}/healthz`)).status, 200);
    assert.equal((await get(`${s.base}/readyz`)).status, 200);
    const landing = (await get(`${s.base}/`)).body.toString();
    assert.match(landing, /<td>cpu<\/td><td>host<\/td><td>success<\/td><td>15s<\/td><td>[\d.]+ ms<\/td><td>\d+<\/td>/);
    assert.match(landing, /href="metrics"/);
    assert.equal((await get(`${s.base}/nope`)).status, 404);
    assert.equal((await get(`${s.base}/-/reload`)).status, 405);
    const post = await fetch(`${s.base}/metrics`, { method: 'POST' });
    assert.equal(post.status, 405);
    const head = await fetch(`${s.base}/metrics`, { method: 'HEAD' });
    assert.equal(head.status, 200);
  });

  it('answers malformed requests with 400 and oversized headers with 431, and keeps serving', async () => {
    assert.match((await rawRequest(s.port, 'GARBAGE\r\n\r\n')).response, /^HTTP\/1\.1 400 /);
    const big = `GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`;
    assert.match((await rawRequest(s.port, big)).response, /^HTTP\/1\.1 431 /);
    const longUrl = `GET /metrics?${'a'.repeat(20000)} HTTP/1.1\r\nHost: x\r\n\r\n`;
    assert.match((await rawRequest(s.port, longUrl)).response, /^HTTP\/1\.1 431 /);
    assert.equal((await get(`${s.base}/metrics`)).status, 200);
  });

  it('counts /metrics responses by status code', async () => {
    await get(`${s.base}/metrics?collect[]=nosuch`);
    await waitFor(
      async () => (sampleValue((await get(`${s.base}/metrics`)).body.toString(), 'spyglass_metrics_requests_total{code="400"}') ?? 0) >= 1,
      8000,
      'the 400 to be counted',
    );
  });
});

describe('sample timestamps (opt-in)', () => {
  it('stamp counters in milliseconds (text) and seconds (OpenMetrics), never gauges', async () => {
    const s = await startSpyglass(['--collector.cpu.sample_timestamps=true']);
    try {
      const text = (await get(`${s.base}/metrics`)).body.toString();
      assert.match(text, /^node_cpu_seconds_total\{cpu="0",mode="idle"\} [\d.]+ \d{13}$/m);
      assert.match(text, /^node_load1 [\d.]+$/m);
      const om = (await get(`${s.base}/metrics`, { Accept: PROMETHEUS_ACCEPT })).body.toString();
      assert.match(om, /^node_cpu_seconds_total\{cpu="0",mode="idle"\} [\d.]+ \d{10}(\.\d+)?$/m);
    } finally {
      await s.stop();
    }
  });
});

describe('faulty collectors', () => {
  let s: Running;
  before(async () => {
    const cfg = configFile(
      'faulty.yml',
      `collector_modules:
  - ${fixture('collectors/throwing.mjs')}
  - ${fixture('collectors/hanging.mjs')}
  - ${fixture('collectors/garbage.mjs')}
  - ${fixture('collectors/impostor.mjs')}
  - ${repoRoot}examples/collectors/uptime.mjs
collectors:
  hanging: {interval: 2s, timeout: 1s}
  throwing: {interval: 1s}
self_metrics: {interval: 1s}
`,
    );
    s = await startSpyglass([`--config.file=${cfg}`]);
  });
  after(async () => assert.equal(await s.stop(), 0));

  it('keep the rest serving and report why they failed', async () => {
    // A tick can find the first run busy before its deadline has passed, so wait for both.
    await waitFor(
      async () => {
        const body = (await get(`${s.base}/metrics`)).body.toString();
        const skipped = sampleValue(body, 'spyglass_collector_runs_total{collector="hanging",result="skipped"}') ?? 0;
        const timedOut = sampleValue(body, 'spyglass_collector_runs_total{collector="hanging",result="timeout"}') ?? 0;
        return skipped >= 2 && timedOut >= 1;
      },
      10000,
      'the hung collector to have timed out and skipped ticks since',
    );
    const body = (await get(`${s.base}/metrics`)).body.toString();
    assert.notEqual(sampleValue(body, 'node_load1'), undefined);
    assert.notEqual(sampleValue(body, 'example_uptime_seconds'), undefined, 'the example external collector is served');
    assert.equal(sampleValue(body, 'spyglass_collector_last_success{collector="throwing"}'), 0);
    assert.ok((sampleValue(body, 'spyglass_collector_runs_total{collector="throwing",result="error"}') ?? 0) >= 2);
    assert.equal(sampleValue(body, 'spyglass_collector_runs_total{collector="hanging",result="timeout"}'), 1, 'the hung run is never restarted while it hangs');
    assert.equal(sampleValue(body, 'spyglass_collector_runs_total{collector="garbage",result="error"}') !== undefined, true);
    assert.doesNotMatch(body, /bad name/);
    assert.equal(sampleValue(body, 'spyglass_collector_last_success{collector="impostor"}'), 0, 'reserved names are refused');
    assert.ok((sampleValue(body, 'process_cpu_seconds_total') ?? 1e9) < 1e9, 'the real process metric is served');
    assert.match(s.logs(), /"collector":"throwing".*"err":"boom: simulated failure"/);
    const landing = (await get(`${s.base}/`)).body.toString();
    assert.match(landing, /<td>throwing<\/td><td>external<\/td><td>error<\/td>.*boom: simulated failure/);
    assert.match(landing, /<td>hanging<\/td><td>external<\/td><td>timeout<\/td>/);
  });
});

describe('garbled procfs', () => {
  it('serves, marks the affected host collectors failed, and logs file and reason', async () => {
    const s = await startSpyglass([`--path.procfs=${fixture('proc-garbled')}`]);
    try {
      const body = (await get(`${s.base}/metrics`)).body.toString();
      for (const c of ['cpu', 'meminfo', 'loadavg']) assert.equal(sampleValue(body, `node_scrape_collector_success{collector="${c}"}`), 0, c);
      assert.doesNotMatch(body, /^node_(cpu_seconds_total|load1|memory_MemTotal_bytes)/m);
      assert.match(body, /^spyglass_build_info/m);
      assert.match(s.logs(), /"collector":"cpu".*"err":"\/proc\/stat:2: field 3 of cpu0 is not a number: \\"x\\""/);
      assert.equal((await get(`${s.base}/readyz`)).status, 200, 'a failed first run still counts as finished');
    } finally {
      await s.stop();
    }
  });
});

describe('readiness', () => {
  it('is 503 until every enabled collector has finished its first run (a timeout counts as finished)', async () => {
    const cfg = configFile('slow.yml', `collector_modules: [${fixture('collectors/hanging.mjs')}]\ncollectors:\n  hanging: {interval: 10s, timeout: 2s}\n`);
    const s = await startSpyglass([`--config.file=${cfg}`], { waitReady: false });
    try {
      const early = await get(`${s.base}/readyz`);
      assert.equal(early.status, 503);
      await waitFor(async () => (await get(`${s.base}/readyz`)).status === 200, 5000, 'ready');
    } finally {
      await s.stop();
    }
  });
});

describe('load limits', () => {
  let s: Running;
  before(async () => {
    const cfg = configFile(
      'limits.yml',
      `collector_modules: [${fixture('collectors/many-series.mjs')}]
web: {max_requests: 1, max_connections: 4, header_timeout: 1s}
collectors:
  many_series: {interval: 1m, timeout: 30s}
`,
    );
    s = await startSpyglass([`--config.file=${cfg}`]);
  });
  after(async () => {
    await s.stop();
  });

  it('answers 503 over the concurrency limit and recovers when the slow client leaves', async () => {
    const stalled = await stalledGet(s.port, '/metrics');
    await new Promise((r) => setTimeout(r, 300));
    const r = await get(`${s.base}/metrics?collect[]=cpu`);
    assert.equal(r.status, 503);
    assert.equal(r.body.toString(), 'Limit of concurrent requests reached (1), try again later.\n');
    stalled.destroy();
    await waitFor(async () => (await get(`${s.base}/metrics?collect[]=cpu`)).status === 200, 3000, 'a 200 after the slow client left');
  });

  it('survives a flood of concurrent scrapes: every answer is 200 or 503', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 60 }, () =>
        get(`${s.base}/metrics?collect[]=cpu`).then(
          (r) => r.status,
          () => 'conn-error',
        ),
      ),
    );
    for (const st of statuses) assert.ok(st === 200 || st === 503 || st === 'conn-error', String(st));
    assert.ok(statuses.includes(200));
    await waitFor(async () => (await get(`${s.base}/healthz`)).status === 200, 3000, 'health after the flood');
  });

  it('closes connections that do not finish their headers in time', async () => {
    const started = Date.now();
    const r = await rawRequest(s.port, 'GET /metrics HTTP/1.1\r\nHost: x\r\n', 6000);
    assert.ok(r.closed, 'the server closed the connection');
    assert.ok(Date.now() - started < 4000, `closed after ${Date.now() - started} ms`);
    assert.match(r.response, /^(HTTP\/1\.1 408 |$)/);
  });
});

// A spyglass of its own: with the suite's 1 s header timeout, a stalled CI machine could expire the
// four idle connections before the fifth arrives, and the fifth would then rightly be served.
describe('connection cap', () => {
  let s: Running;
  before(async () => {
    s = await startSpyglass([`--config.file=${configFile('cap.yml', 'web: {max_connections: 4, header_timeout: 60s, request_timeout: 60s}\n')}`]);
  });
  after(async () => {
    await s.stop();
  });

  it('caps open connections', async () => {
    const socks: net.Socket[] = [];
    for (let i = 0; i < 4; i++) {
      const c = net.connect(s.port, '127.0.0.1');
      await once(c, 'connect');
      socks.push(c);
    }
    await new Promise((r) => setTimeout(r, 100));
    const extra = await rawRequest(s.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', 2000);
    assert.ok(extra.closed && extra.response === '', `a fifth connection is dropped, got ${JSON.stringify(extra.response.slice(0, 40))}`);
    for (const c of socks) c.destroy();
    await waitFor(async () => (await get(`${s.base}/healthz`).catch(() => ({ status: 0 }))).status === 200, 3000, 'service after the cap');
  });
});

describe('reload', () => {
  it('keeps the old config on a bad reload (metric 0), applies a good one (metric 1), via SIGHUP and POST /-/reload; the next scrape shows either', async () => {
    const cfg = configFile('reload.yml', 'collectors:\n  cpu: {enabled: true}\n');
    const s = await startSpyglass([`--config.file=${cfg}`]);
    const metric = async () => sampleValue((await get(`${s.base}/metrics`)).body.toString(), 'spyglass_config_last_reload_successful');
    try {
      assert.equal(await metric(), 1);
      writeFileSync(cfg, 'collectors:\n  cpu: {interval: fast}\n');
      s.proc.kill('SIGHUP');
      // Self-metrics follow the scrapes (every 15 s until one is learned); a reload's result is not left for then.
      await waitFor(async () => (await metric()) === 0, 1500, 'reload metric 0 within a second or so');
      assert.match(s.logs(), /config reload failed/);
      assert.notEqual(sampleValue((await get(`${s.base}/metrics`)).body.toString(), 'node_load1'), undefined, 'old config still serving');

      const bad = await fetch(`${s.base}/-/reload`, { method: 'POST' });
      assert.equal(bad.status, 500);
      assert.match(await bad.text(), /reload\.yml:2:9: collectors\.cpu\.interval: "fast" is neither/);

      writeFileSync(cfg, 'collectors:\n  meminfo: {enabled: false}\n');
      const good = await fetch(`${s.base}/-/reload`, { method: 'POST' });
      assert.equal(good.status, 200);
      assert.equal(await metric(), 1, 'the reload answered after the self-metrics were refreshed');
      const body = (await get(`${s.base}/metrics`)).body.toString();
      assert.doesNotMatch(body, /^node_memory_/m, 'disabled collector withdrawn');
      assert.notEqual(sampleValue(body, 'node_load1'), undefined);
    } finally {
      assert.equal(await s.stop(), 0);
    }
  });
  it('a reload that fails opening the remote-write queue keeps the running log level too', async () => {
    const cfg = configFile('reload-queue.yml', 'collectors:\n  cpu: {enabled: true}\n');
    const s = await startSpyglass([`--config.file=${cfg}`]);
    try {
      writeFileSync(
        cfg,
        'log: {level: error}\ncollectors:\n  cpu: {enabled: true}\n' +
          'remote_write: [{url: "http://127.0.0.1:9/api/v1/write"}]\nremote_write_queue: {path: /dev/null/queue}\n',
      );
      const failed = await fetch(`${s.base}/-/reload`, { method: 'POST' });
      assert.equal(failed.status, 500);
      assert.match(await failed.text(), /cannot open the remote-write queue/);
    } finally {
      assert.equal(await s.stop(), 0);
    }
    assert.match(s.logs(), /shutting down/, 'info lines still logged: the failed reload left the level at info');
  });
});

describe('slow readers', () => {
  it('lose their slot when request_timeout passes, and one client holds at most half the slots', async () => {
    const cfg = configFile(
      'slow.yml',
      `collector_modules: [${fixture('collectors/many-series.mjs')}]\nweb: {max_requests: 4, header_timeout: 1s, request_timeout: 2s}\ncollectors:\n  many_series: {interval: 1m, timeout: 30s}\n`,
    );
    const s = await startSpyglass([`--config.file=${cfg}`]);
    const stalled: net.Socket[] = [];
    /** The first bytes of the response a stalled client got, read now. */
    const statusLine = (sock: net.Socket) =>
      new Promise<string>((resolve) => {
        let text = '';
        sock.on('data', (d: Buffer) => {
          text += d.toString('latin1');
          if (text.includes('\r\n')) resolve(text);
        });
        setTimeout(() => resolve(text), 1000);
        sock.resume();
      });
    try {
      // A client at 127.0.0.2 that never reads (a 10 MB body): two of its requests are admitted, the rest refused.
      for (let i = 0; i < 4; i++) stalled.push(await stalledGet(s.port, '/metrics', '127.0.0.2'));
      await new Promise((r) => setTimeout(r, 300));
      for (const sock of stalled.slice(2)) assert.match(await statusLine(sock), /^HTTP\/1\.1 503 .*one client reached \(2\)/s);
      assert.equal((await get(`${s.base}/metrics?collect[]=many_series`)).status, 200, 'another client is served meanwhile');
      // Once request_timeout has passed, the two held slots are free: the same client is admitted again.
      await new Promise((r) => setTimeout(r, 2500));
      const again = await stalledGet(s.port, '/metrics', '127.0.0.2');
      stalled.push(again);
      assert.match(await statusLine(again), /^HTTP\/1\.1 200 /);
    } finally {
      for (const sock of stalled) sock.destroy();
      await s.stop();
    }
  });
});

describe('shutdown', () => {
  it('on SIGTERM stops accepting, finishes the in-flight scrape, and exits 0 within the bound', async () => {
    const cfg = configFile(
      'shutdown.yml',
      `collector_modules: [${fixture('collectors/many-series.mjs')}]\nweb: {shutdown_timeout: 5s}\ncollectors:\n  many_series: {interval: 1m, timeout: 30s}\n`,
    );
    const s = await startSpyglass([`--config.file=${cfg}`]);
    const sock = await stalledGet(s.port, '/metrics');
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    s.proc.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    let received = '';
    sock.on('data', (d: Buffer) => (received += d.toString('latin1')));
    sock.resume();
    const code = await s.exited;
    if (!sock.destroyed) await once(sock, 'close');
    assert.equal(code, 0, s.logs());
    assert.ok(Date.now() - started < 6000, `exit took ${Date.now() - started} ms`);
    const length = Number(/content-length: (\d+)/i.exec(received)?.[1]);
    const bodyStart = received.indexOf('\r\n\r\n') + 4;
    assert.equal(Buffer.byteLength(received.slice(bodyStart), 'latin1'), length, 'the in-flight response was delivered whole');
    await assert.rejects(fetch(`${s.base}/healthz`), 'no longer listening');
  });
});
