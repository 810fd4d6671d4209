/**
 * The blackbox-compatible /probe endpoint of a real spyglass: off by default, refused without an
 * allow list, and with one every hop's resolved address is checked, redirects included (a server
 * on 127.0.0.2 that the allow list leaves out must never see a request).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AllowList, probeTimeoutMs } from '../collectors/probe/probe-endpoint.js';
import { startHttpServer, type Listening, type ServedRequest } from './helpers/probe-servers.js';
import { runCli, sampleValue, startSpyglass, type Running } from './helpers/spyglass.js';
import type { Server } from 'node:http';

describe('allow list', () => {
  const list = new AllowList(['127.0.0.1', '10.0.0.0/8', '::1/128', 'app.internal', '*.svc.cluster.local']);

  test('addresses and CIDRs match the resolved address, IPv4-mapped IPv6 included', () => {
    assert.equal(list.check('127.0.0.1', 4, '127.0.0.1'), undefined);
    assert.equal(list.check('10.1.2.3', 4, 'anything.example'), undefined);
    assert.equal(list.check('::ffff:10.1.2.3', 6, 'x'), undefined);
    assert.equal(list.check('::1', 6, '::1'), undefined);
    assert.match(list.check('127.0.0.2', 4, '127.0.0.2') as string, /not in the \/probe allow list/);
    assert.match(list.check('::ffff:169.254.169.254', 6, '[::ffff:169.254.169.254]') as string, /not in the/);
  });

  test('names admit what they resolve to, except link-local addresses', () => {
    assert.equal(list.check('192.0.2.10', 4, 'APP.internal.'), undefined);
    assert.equal(list.check('192.0.2.11', 4, 'web.default.svc.cluster.local'), undefined);
    assert.match(list.check('192.0.2.12', 4, 'other.internal') as string, /not in the/);
    assert.match(list.check('169.254.169.254', 4, 'app.internal') as string, /link-local addresses need an explicit CIDR/);
    assert.match(list.check('fe80::1', 6, 'app.internal') as string, /link-local/);
  });

  test('malformed entries are named', () => {
    assert.deepEqual(
      AllowList.problems(['10.0.0.0/33', 'a b', '1.2.3.4/8/1', 'ok.example', '::/0']).map((p) => p.index),
      [0, 1, 2],
    );
  });

  test("timeout: Prometheus's scrape timeout less the offset, or the module's when shorter (blackbox's rule)", () => {
    assert.equal(probeTimeoutMs('10', 500, undefined), 9500);
    assert.equal(probeTimeoutMs('10', 500, 3000), 3000);
    assert.equal(probeTimeoutMs('2', 500, 5000), 1500);
    assert.equal(probeTimeoutMs(undefined, 500, undefined), 119_500);
    assert.equal(probeTimeoutMs('garbage', 500, undefined), 119_500);
  });
});

describe('/probe on a real spyglass', () => {
  let dir: string;
  let allowed: Listening<Server>;
  let forbidden: Listening<Server>;
  const allowedServed: ServedRequest[] = [];
  const forbiddenServed: ServedRequest[] = [];
  let spyglass: Running;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spyglass-endpoint-'));
    allowed = await startHttpServer(allowedServed, '127.0.0.1');
    forbidden = await startHttpServer(forbiddenServed, '127.0.0.2');
    const config = join(dir, 'spyglass.yml');
    writeFileSync(
      config,
      [
        'collectors:',
        '  probe:',
        '    endpoint:',
        '      enabled: true',
        '      allow: [127.0.0.1/32, localhost]',
        '    modules:',
        '      quick: {prober: http, timeout: 300ms}',
        '      authed: {prober: http, http: {valid_status_codes: [200], basic_auth: {username: u, password: hunter2}, tls_config: {insecure_skip_verify: true}}}',
      ].join('\n'),
    );
    spyglass = await startSpyglass([`--config.file=${config}`]);
  });
  after(async () => {
    await spyglass?.stop();
    await Promise.all([allowed?.close(), forbidden?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const probe = async (params: Record<string, string>, headers: Record<string, string> = {}) => {
    const res = await fetch(`${spyglass.base}/probe?${new URLSearchParams(params)}`, { headers });
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };

  test('an allowed target: blackbox gauges without target labels, in the text format', async () => {
    const r = await probe({ target: `http://127.0.0.1:${allowed.port}/`, module: 'http_2xx' });
    assert.equal(r.status, 200);
    assert.match(r.type as string, /^text\/plain; version=0\.0\.4/);
    assert.equal(sampleValue(r.text, 'probe_success'), 1);
    assert.equal(sampleValue(r.text, 'probe_http_status_code'), 200);
    assert.match(r.text, /^probe_http_duration_seconds\{phase="connect"\} /m);
    assert.doesNotMatch(r.text, /target=/);
  });

  test('a disallowed address is never connected to, directly or through a redirect, and the answer says so', async () => {
    const direct = await probe({ target: `http://127.0.0.2:${forbidden.port}/` });
    assert.deepEqual(
      [direct.status, direct.text],
      [403, 'Probe refused: address 127.0.0.2 is not allowed: not in the /probe allow list (collectors.probe.endpoint.allow)\n'],
    );
    assert.match(
      spyglass.logs(),
      /"reason":"address 127\.0\.0\.2 is not allowed: not in the \/probe allow list","msg":"\/probe refused a target outside the allow list"/,
    );
    const debugged = await probe({ target: `http://127.0.0.2:${forbidden.port}/`, debug: 'true' });
    assert.equal(debugged.status, 200);
    assert.match(debugged.text, /Probe failed: address 127\.0\.0\.2 is not allowed: not in the \/probe allow list/);
    const viaRedirect = await probe({
      target: `http://127.0.0.1:${allowed.port}/?redirect=${encodeURIComponent(`http://127.0.0.2:${forbidden.port}/secret`)}`,
    });
    assert.equal(viaRedirect.status, 403);
    assert.match(viaRedirect.text, /^Probe refused: address 127\.0\.0\.2 /);
    const viaName = await probe({ target: `http://127.0.0.1:${allowed.port}/?redirect=${encodeURIComponent(`http://localhost:${allowed.port}/next`)}` });
    assert.equal(sampleValue(viaName.text, 'probe_success'), 1, 'a redirect to an allowed name is followed');
    assert.equal(sampleValue(viaName.text, 'probe_http_redirects'), 1);
    assert.equal(forbiddenServed.length, 0, 'the server on 127.0.0.2 saw no request');
  });

  test('hostname= sets the Host header; debug=true shows the module with its settings', async () => {
    allowedServed.length = 0;
    const r = await probe({ target: `http://127.0.0.1:${allowed.port}/host-check`, hostname: 'app.example', debug: 'true' });
    assert.match(r.text, /^Logs for the probe:\n/);
    assert.match(r.text, /Probe succeeded/);
    assert.match(r.text, /Module configuration:\nname: http_2xx\nprober: http\n/);
    assert.equal(allowedServed.find((s) => s.path === '/host-check')?.headers.host, 'app.example');
    const authed = await probe({ target: `http://127.0.0.1:${allowed.port}/`, module: 'authed', debug: 'true' });
    const shown = authed.text.slice(authed.text.indexOf('Module configuration:'));
    assert.match(
      shown,
      /^name: authed\nprober: http\nhttp:\n {2}valid_status_codes:\n {4}- 200\n {2}basic_auth:\n {4}username: u\n {4}password: <secret>\n {2}tls_config:\n {4}insecure_skip_verify: true\n/m,
      "in blackbox.yml's keys, the secret hidden",
    );
    assert.doesNotMatch(authed.text, /hunter2|validStatusCodes|tlsConfig/);
  });

  test("the scrape timeout header bounds the probe, as blackbox's", async () => {
    const started = performance.now();
    const r = await probe({ target: `http://127.0.0.1:${allowed.port}/?hang=1` }, { 'X-Prometheus-Scrape-Timeout-Seconds': '1' });
    assert.equal(sampleValue(r.text, 'probe_success'), 0);
    assert.equal(sampleValue(r.text, 'probe_timeout_seconds'), 0.5);
    assert.ok(performance.now() - started < 900);
    const moduleTimeout = await probe({ target: `http://127.0.0.1:${allowed.port}/?hang=1`, module: 'quick' }, { 'X-Prometheus-Scrape-Timeout-Seconds': '10' });
    assert.equal(sampleValue(moduleTimeout.text, 'probe_timeout_seconds'), 0.3);
  });

  test("bad requests get blackbox's answers", async () => {
    assert.deepEqual(await probe({}).then((r) => [r.status, r.text]), [400, 'Target parameter is missing\n']);
    assert.deepEqual(await probe({ target: 'x', module: 'nope' }).then((r) => [r.status, r.text]), [400, 'Unknown module "nope"\n']);
    assert.equal((await probe({ target: 'x', hostname: 'a b' })).status, 400);
  });
});

test('/probe is off by default; enabling it without an allow list is a config error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spyglass-endpoint-'));
  const running = await startSpyglass();
  try {
    const res = await fetch(`${running.base}/probe?target=127.0.0.1:1&module=tcp_connect`);
    assert.equal(res.status, 404);
    assert.match(await res.text(), /\/probe is off/);
    const disabled = await startSpyglass(['--no-collector.probe', '--collector.disable-defaults', '--collector.loadavg']);
    try {
      const off = await fetch(`${disabled.base}/probe?target=127.0.0.1:1&module=tcp_connect`);
      assert.equal(off.status, 404);
      assert.match(await off.text(), /\/probe is served by the probe collector, which is off: enable it with --collector\.probe/);
    } finally {
      await disabled.stop();
    }
    const config = join(dir, 'open.yml');
    writeFileSync(config, ['collectors:', '  probe:', '    endpoint:', '      enabled: true', '      allow: [10.0.0.0/99]'].join('\n'));
    const r = await runCli(['check-config', config]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /open\.yml:5:\d+: collectors\.probe\.endpoint\.allow\[0\]: "10\.0\.0\.0\/99" is not a CIDR/);
    writeFileSync(config, ['collectors:', '  probe:', '    endpoint:', '      enabled: true'].join('\n'));
    assert.match((await runCli(['check-config', config])).stderr, /open\.yml:3:\d+: collectors\.probe\.endpoint: enabled without an allow list/);
  } finally {
    await running.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
