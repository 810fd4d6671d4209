/**
 * The http and tcp probers against real servers on 127.0.0.1 (and TLS with a CA made by openssl
 * in this test): phases timed against injected delays and the server's own timing, checks,
 * redirects, TLS and certificate gauges, credentials, and every kind of bad answer.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildModule, type ProbeModule, type RawModule } from '../collectors/probe/module.js';
import type { ProbeOutcome } from '../collectors/probe/probe-context.js';
import { runProbe } from '../collectors/probe/prober.js';
import type { ProbeGauge } from '../collectors/probe/probe-report.js';
import {
  makeCertificates,
  startHttpServer,
  startHttpsServer,
  startHttpServerProcess,
  startLineServer,
  startSilentServer,
  type Certificates,
  type HttpServerProcess,
  type Listening,
  type ServedRequest,
} from './helpers/probe-servers.js';
import { freePort, waitFor } from './helpers/spyglass.js';
import type { Server } from 'node:http';
import type { Server as NetServer } from 'node:net';
import type { Server as TlsServer } from 'node:tls';

const logged: unknown[] = [];
const logger = {
  debug: (o: unknown) => logged.push(o),
  info: (o: unknown) => logged.push(o),
  warn: (o: unknown) => logged.push(o),
  error: (o: unknown) => logged.push(o),
};

function module(raw: Omit<RawModule, 'prober'> & { prober?: RawModule['prober'] }): ProbeModule {
  return buildModule('test', { prober: 'http', ...raw } as RawModule);
}

function probe(target: string, m: ProbeModule, timeoutMs = 3000): Promise<ProbeOutcome> {
  return runProbe(target, m, timeoutMs, { logger });
}

function gauge(o: ProbeOutcome, name: ProbeGauge, labels?: Record<string, string>): number | undefined {
  return o.report.value(name, labels);
}

const phase = (o: ProbeOutcome, p: string) => gauge(o, 'probe_http_duration_seconds', { phase: p }) as number;

let certs: Certificates;
let http: Listening<Server>;
/** In a process of its own: its delays are not held up by this process's event loop. */
let delayed: HttpServerProcess;
let https: Listening<Server>;
let expired: Listening<Server>;
let mtls: Listening<Server>;
const served: ServedRequest[] = [];

before(async () => {
  certs = makeCertificates();
  http = await startHttpServer(served);
  delayed = await startHttpServerProcess();
  https = await startHttpsServer(certs.serverCert, certs.serverKey, served);
  expired = await startHttpsServer(certs.expiredCert, certs.expiredKey, served);
  mtls = await startHttpsServer(certs.serverCert, certs.serverKey, served, { ca: certs.caFile, requestCert: true });
  // Warm-up: the first request of a process pays for lazy loading (connect ~17 ms instead of ~0.2).
  await probe(`http://127.0.0.1:${http.port}/`, module({}));
  // …and the server process's first timers and responses.
  for (let i = 0; i < 3; i++) await probe(`http://127.0.0.1:${delayed.port}/?headers_delay=5&body_delay=5`, module({}));
});

async function servedRequest(served: ServedRequest[], marker: string): Promise<ServedRequest> {
  await waitFor(() => served.some((r) => r.path.endsWith(marker)), 1000, `the server's record of ${marker}`);
  return served.find((r) => r.path.endsWith(marker)) as ServedRequest;
}

after(async () => {
  await Promise.all([delayed.stop(), http.close(), https.close(), expired.close(), mtls.close()]);
  certs.cleanup();
});

describe('http prober', () => {
  test('a 200 sets blackbox gauges; phases add up to about the duration', async () => {
    const o = await probe(`http://127.0.0.1:${http.port}/?size=1000`, module({}));
    assert.equal(o.success, true, o.failure);
    assert.equal(gauge(o, 'probe_http_status_code'), 200);
    assert.equal(gauge(o, 'probe_http_content_length'), 1000);
    assert.equal(gauge(o, 'probe_http_uncompressed_body_length'), 1000);
    assert.equal(gauge(o, 'probe_http_version'), 1.1);
    assert.equal(gauge(o, 'probe_http_ssl'), 0);
    assert.equal(gauge(o, 'probe_http_redirects'), 0);
    assert.equal(gauge(o, 'probe_failed_due_to_regex'), 0);
    assert.equal(gauge(o, 'probe_ip_protocol'), 4);
    assert.equal(gauge(o, 'probe_ip_addr_hash'), 3668918509, 'FNV-32a of 127.0.0.1, the value blackbox_exporter reports');
    assert.equal(gauge(o, 'probe_success'), 1);
    const sum = ['resolve', 'connect', 'tls', 'processing', 'transfer'].reduce((a, p) => a + phase(o, p), 0);
    assert.equal(phase(o, 'tls'), 0);
    assert.ok(sum <= o.durationSeconds && sum > o.durationSeconds * 0.5, `phases ${sum} vs duration ${o.durationSeconds}`);
  });

  /**
   * Seven probes each; the median must sit within 3 ms of the injected delay and of what the
   * server measured itself. Single probes are bounded loosely on both sides: a phase starts when
   * the client's event loop handles the previous event, so on a 2-vCPU CI machine shared with the
   * test runner one late loop turn can move a boundary by several ms either way (16 ms late and
   * 3.6 ms short seen on CI). The loose bound still fails a phase that is missing or booked to
   * its neighbour.
   */
  async function delayedPhases(query: string, phaseName: string, serverMs: (r: ServedRequest) => number) {
    const measured: number[] = [];
    const againstServer: number[] = [];
    delayed.served.length = 0;
    for (let i = 0; i < 7; i++) {
      const o = await probe(`http://127.0.0.1:${delayed.port}/?${query}&i=${i}`, module({}));
      assert.equal(o.success, true, o.failure);
      const ms = phase(o, phaseName) * 1000;
      measured.push(ms);
      againstServer.push(ms - serverMs(await servedRequest(delayed.served, `i=${i}`)));
    }
    return { measured, againstServer };
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

  test('a 50 ms wait before the headers reads as 50 ms ± 3 ms of processing, matching the server', async () => {
    const { measured, againstServer } = await delayedPhases('headers_delay=50', 'processing', (r) => r.beforeHeadersMs);
    assert.ok(Math.abs(median(measured) - 50) <= 3, `processing ${measured.join(', ')} ms`);
    assert.ok(Math.abs(median(againstServer)) <= 3, `processing minus the server's own timing: ${againstServer.join(', ')} ms`);
    assert.ok(
      measured.every((ms) => ms >= 40),
      `processing ${measured.join(', ')} ms`,
    );
  });

  test('a 50 ms pause in the body reads as 50 ms ± 3 ms of transfer, matching the server', async () => {
    const { measured, againstServer } = await delayedPhases('body_delay=50&size=100', 'transfer', (r) => r.bodyMs);
    assert.ok(Math.abs(median(measured) - 50) <= 3, `transfer ${measured.join(', ')} ms`);
    assert.ok(Math.abs(median(againstServer)) <= 3, `transfer minus the server's own timing: ${againstServer.join(', ')} ms`);
    assert.ok(
      measured.every((ms) => ms >= 40),
      `transfer ${measured.join(', ')} ms`,
    );
  });

  test('every probe opens a fresh connection (no keep-alive reuse): connect is timed each time', async () => {
    const ports = new Set<number>();
    http.server.on('connection', (s) => ports.add(s.remotePort as number));
    for (let i = 0; i < 3; i++) assert.ok(phase(await probe(`http://127.0.0.1:${http.port}/`, module({})), 'connect') > 0);
    assert.equal(ports.size, 3);
  });

  test('status codes: 404 fails without blaming a regex; valid_status_codes accepts it', async () => {
    const notFound = await probe(`http://127.0.0.1:${http.port}/?status=404`, module({}));
    assert.equal(notFound.success, false);
    assert.match(notFound.failure as string, /status code 404 is not 2xx/);
    assert.equal(gauge(notFound, 'probe_http_status_code'), 404);
    assert.equal(gauge(notFound, 'probe_failed_due_to_regex'), 0);
    assert.equal((await probe(`http://127.0.0.1:${http.port}/?status=404`, module({ http: { valid_status_codes: [404] } }))).success, true);
  });

  test('body and header regexps (Go flag syntax too), with probe_failed_due_to_regex', async () => {
    const url = `http://127.0.0.1:${http.port}/?body=Status:%20OK&header=X-Version:2.1`;
    const ok = await probe(
      url,
      module({ http: { fail_if_body_not_matches_regexp: ['(?i)status: ok'], fail_if_header_not_matches: [{ header: 'X-Version', regexp: '^2\\.' }] } }),
    );
    assert.equal(ok.success, true, ok.failure);
    const body = await probe(url, module({ http: { fail_if_body_matches_regexp: ['OK'] } }));
    assert.equal(body.success, false);
    assert.equal(gauge(body, 'probe_failed_due_to_regex'), 1);
    assert.match(body.failure as string, /body matched OK/);
    const header = await probe(url, module({ http: { fail_if_header_matches: [{ header: 'x-version', regexp: '^2' }] } }));
    assert.equal(header.success, false);
    assert.equal(gauge(header, 'probe_failed_due_to_regex'), 1);
    const missing = await probe(url, module({ http: { fail_if_header_not_matches: [{ header: 'X-Missing', regexp: '.' }] } }));
    assert.match(missing.failure as string, /header x-missing is missing/);
    const allowed = await probe(url, module({ http: { fail_if_header_not_matches: [{ header: 'X-Missing', regexp: '.', allow_missing: true }] } }));
    assert.equal(allowed.success, true);
  });

  test('redirects are followed (phases summed) unless follow_redirects is off', async () => {
    const final = `http://127.0.0.1:${http.port}/?headers_delay=20`;
    const url = `http://127.0.0.1:${http.port}/?headers_delay=20&redirect=${encodeURIComponent(final)}`;
    const o = await probe(url, module({}));
    assert.equal(o.success, true, o.failure);
    assert.equal(gauge(o, 'probe_http_redirects'), 1);
    assert.equal(gauge(o, 'probe_http_status_code'), 200);
    assert.ok(phase(o, 'processing') >= 0.04, `processing summed over both hops: ${phase(o, 'processing')}`);
    const stay = await probe(url, module({ http: { follow_redirects: false } }));
    assert.equal(stay.success, false);
    assert.equal(gauge(stay, 'probe_http_status_code'), 302);
  });

  test('a redirect loop stops after 10 redirects', async () => {
    const o = await probe(`http://127.0.0.1:${http.port}/?loop=1`, module({}));
    assert.equal(o.success, false);
    assert.equal(o.failure, 'stopped after 10 redirects');
    assert.equal(gauge(o, 'probe_http_redirects'), 10);
    assert.equal(gauge(o, 'probe_http_status_code'), 302);
  });

  test('method and body are sent; body_file is read per probe', async () => {
    const file = join(certs.dir, 'body.json');
    writeFileSync(file, '{"ping":1}');
    served.length = 0;
    const o = await probe(
      `http://127.0.0.1:${http.port}/`,
      module({ http: { method: 'POST', body_file: file, headers: { 'Content-Type': 'application/json', Host: 'app.example' } } }),
    );
    assert.equal(o.success, true, o.failure);
    const h = (served[0] as ServedRequest).headers;
    assert.equal(h['content-length'], '10');
    assert.equal(h['content-type'], 'application/json');
    assert.equal(h.host, 'app.example');
  });

  test('credentials from a file and from the environment reach the server and never the logs', async () => {
    const file = join(certs.dir, 'password');
    writeFileSync(file, 's3cret-from-file\n');
    process.env.SPYGLASS_TEST_TOKEN = 'tok-from-env';
    served.length = 0;
    logged.length = 0;
    const basic = await probe(`http://127.0.0.1:${http.port}/?status=500`, module({ http: { basic_auth: { username: 'probe', password_file: file } } }));
    const bearer = await probe(
      `http://127.0.0.1:${http.port}/`,
      module({ http: { authorization: { type: 'Bearer', credentials_env: 'SPYGLASS_TEST_TOKEN' } } }),
    );
    assert.equal(basic.success, false);
    assert.equal(bearer.success, true);
    assert.equal(served[0]?.headers.authorization, `Basic ${Buffer.from('probe:s3cret-from-file').toString('base64')}`);
    assert.equal(served[1]?.headers.authorization, 'Bearer tok-from-env');
    const everything = JSON.stringify([
      logged,
      basic.failure,
      basic.report,
      bearer.report,
      module({ http: { basic_auth: { username: 'u', password: 'inline-secret' } } }),
    ]);
    assert.doesNotMatch(everything, /s3cret|tok-from-env|inline-secret/);
    delete process.env.SPYGLASS_TEST_TOKEN;
    const unset = await probe(`http://127.0.0.1:${http.port}/`, module({ http: { bearer_token_env: 'SPYGLASS_TEST_TOKEN' } }));
    assert.match(unset.failure as string, /environment variable SPYGLASS_TEST_TOKEN .* is not set/);
  });

  test('gzip bodies are decompressed when compression is set; body_size_limit caps the body', async () => {
    const gz = await probe(`http://127.0.0.1:${http.port}/?gzip=1&size=5000`, module({ http: { compression: 'gzip' } }));
    assert.equal(gz.success, true, gz.failure);
    assert.equal(gauge(gz, 'probe_http_uncompressed_body_length'), 5000);
    assert.ok((gauge(gz, 'probe_http_content_length') as number) < 5000);
    const capped = await probe(`http://127.0.0.1:${http.port}/?size=5000`, module({ http: { body_size_limit: '1KB' } }));
    assert.equal(capped.success, false);
    assert.match(capped.failure as string, /larger than body_size_limit \(1024 bytes\)/);
  });

  test('malformed responses, refused and hanging connections fail with a reason', async () => {
    const garbage = await probe(`http://127.0.0.1:${http.port}/?garbage=1`, module({}));
    assert.equal(garbage.success, false);
    assert.match(garbage.failure as string, /malformed HTTP response \(HPE_/);
    const port = await freePort();
    const refused = await probe(`http://127.0.0.1:${port}/`, module({}));
    assert.match(refused.failure as string, /^connect failed: ECONNREFUSED 127\.0\.0\.1:\d+$/);
    assert.equal(gauge(refused, 'probe_http_status_code'), 0);
    const started = performance.now();
    const hung = await probe(`http://127.0.0.1:${http.port}/?hang=1`, module({}), 300);
    const took = performance.now() - started;
    assert.equal(hung.timedOut, true);
    assert.equal(hung.failure, 'timed out after 300 ms');
    assert.ok(took >= 295 && took < 400, `took ${took} ms`);
    assert.equal(gauge(hung, 'probe_timeout_seconds'), 0.3);
  });

  test('a target that is not a URL fails with a reason', async () => {
    const o = await probe('http://[::1', module({}));
    assert.match(o.failure as string, /invalid target URL/);
  });
});

describe('https', () => {
  test('with the CA: TLS phase, certificate gauges, TLS version and cipher', async () => {
    const o = await probe(`https://localhost:${https.port}/`, module({ http: { tls_config: { ca_file: certs.caFile } } }));
    assert.equal(o.success, true, o.failure);
    assert.equal(gauge(o, 'probe_http_ssl'), 1);
    assert.ok(phase(o, 'tls') > 0);
    const notAfter = Date.parse(new X509Certificate(readFileSync(certs.serverCert)).validTo) / 1000;
    assert.equal(gauge(o, 'probe_ssl_earliest_cert_expiry'), notAfter);
    assert.equal(gauge(o, 'probe_ssl_last_chain_expiry_timestamp_seconds'), notAfter);
    assert.equal(gauge(o, 'probe_tls_version_info', { version: 'TLS 1.3' }), 1);
    const info = o.report.gauges.get('probe_ssl_last_chain_info')?.[0]?.labels as Record<string, string>;
    assert.equal(info.subject, 'CN=localhost,O=spyglass test');
    assert.equal(info.issuer, 'CN=spyglass test CA,O=spyglass test');
    assert.equal(info.subjectalternative, 'localhost');
    assert.match(info.fingerprint_sha256 as string, /^[0-9a-f]{64}$/);
    assert.match(info.serialnumber as string, /^[0-9a-f]+$/);
    assert.ok(o.report.gauges.get('probe_tls_cipher_info')?.[0]?.labels?.cipher?.startsWith('TLS_'));
  });

  test('certificate gauges also when the server closes right after the response: openssl s_server -www (HTTP/1.0), and chunked then close', async () => {
    const expectTls = (o: ProbeOutcome, server: string) => {
      assert.equal(o.success, true, `${server}: ${o.failure}`);
      const notAfter = Date.parse(new X509Certificate(readFileSync(certs.serverCert)).validTo) / 1000;
      assert.equal(gauge(o, 'probe_ssl_earliest_cert_expiry'), notAfter, server);
      assert.ok(o.report.gauges.get('probe_tls_version_info')?.length, `${server}: probe_tls_version_info`);
      assert.equal(
        (o.report.gauges.get('probe_ssl_last_chain_info')?.[0]?.labels as Record<string, string> | undefined)?.subject,
        'CN=localhost,O=spyglass test',
        `${server}: probe_ssl_last_chain_info`,
      );
    };
    const port = await freePort();
    const openssl = spawn('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', certs.serverCert, '-key', certs.serverKey, '-www', '-quiet'], {
      stdio: 'ignore',
    });
    try {
      await waitFor(
        () =>
          new Promise<boolean>((resolve) => {
            const c = connect(port, '127.0.0.1', () => (c.destroy(), resolve(true)));
            c.on('error', () => resolve(false));
          }),
        5000,
        'openssl s_server',
      );
      expectTls(await probe(`https://localhost:${port}/`, module({ http: { tls_config: { ca_file: certs.caFile } } })), 'openssl s_server -www');
    } finally {
      openssl.kill();
    }
    const closing = await startHttpsServer(certs.serverCert, certs.serverKey, undefined, {}, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('chunk one\n');
      res.end('chunk two\n', () => res.socket?.destroy());
    });
    try {
      expectTls(await probe(`https://localhost:${closing.port}/`, module({ http: { tls_config: { ca_file: certs.caFile } } })), 'chunked, then close');
    } finally {
      closing.server.close();
    }
  });

  test('an IP target is checked against the IP SAN; server_name and the Host header set the name checked', async () => {
    assert.equal((await probe(`https://127.0.0.1:${https.port}/`, module({ http: { tls_config: { ca_file: certs.caFile } } }))).success, true);
    const wrongName = await probe(
      `https://127.0.0.1:${https.port}/`,
      module({ http: { tls_config: { ca_file: certs.caFile, server_name: 'other.example' } } }),
    );
    assert.match(wrongName.failure as string, /TLS handshake failed: .*other\.example/);
    assert.equal(
      (await probe(`https://127.0.0.1:${https.port}/`, module({ http: { headers: { Host: 'localhost' }, tls_config: { ca_file: certs.caFile } } }))).success,
      true,
    );
  });

  test('an unknown CA fails; insecure_skip_verify succeeds and reports the unverified chain as Go zero time', async () => {
    const unknown = await probe(`https://localhost:${https.port}/`, module({}));
    assert.equal(unknown.success, false);
    assert.match(unknown.failure as string, /^TLS handshake failed: UNABLE_TO_VERIFY_LEAF_SIGNATURE unable to verify the first certificate$/);
    const skip = await probe(`https://localhost:${https.port}/`, module({ http: { tls_config: { insecure_skip_verify: true } } }));
    assert.equal(skip.success, true, skip.failure);
    assert.equal(gauge(skip, 'probe_ssl_last_chain_expiry_timestamp_seconds'), -62135596800);
  });

  test('an expired certificate fails the probe with the reason', async () => {
    const o = await probe(`https://127.0.0.1:${expired.port}/`, module({ http: { tls_config: { ca_file: certs.caFile } } }));
    assert.equal(o.success, false);
    assert.match(o.failure as string, /CERT_HAS_EXPIRED/);
    const skip = await probe(`https://127.0.0.1:${expired.port}/`, module({ http: { tls_config: { insecure_skip_verify: true } } }));
    assert.equal(gauge(skip, 'probe_ssl_earliest_cert_expiry'), Date.UTC(2020, 0, 2) / 1000);
  });

  test('mutual TLS: without a client certificate the server refuses, with cert_file/key_file it accepts', async () => {
    const without = await probe(`https://localhost:${mtls.port}/`, module({ http: { tls_config: { ca_file: certs.caFile } } }));
    assert.equal(without.success, false);
    const withCert = await probe(
      `https://localhost:${mtls.port}/`,
      module({ http: { tls_config: { ca_file: certs.caFile, cert_file: certs.clientCert, key_file: certs.clientKey } } }),
    );
    assert.equal(withCert.success, true, withCert.failure);
  });

  test('min_version above what the server offers fails the handshake; fail_if_ssl / fail_if_not_ssl', async () => {
    const tls12 = await startHttpsServer(certs.serverCert, certs.serverKey);
    (tls12.server as unknown as TlsServer).setSecureContext({
      cert: readFileSync(certs.serverCert),
      key: readFileSync(certs.serverKey),
      maxVersion: 'TLSv1.2',
    });
    const o = await probe(`https://localhost:${tls12.port}/`, module({ http: { tls_config: { ca_file: certs.caFile, min_version: 'TLS13' } } }));
    assert.match(o.failure as string, /TLS handshake failed/);
    const v12 = await probe(`https://localhost:${tls12.port}/`, module({ http: { tls_config: { ca_file: certs.caFile } } }));
    assert.equal(gauge(v12, 'probe_tls_version_info', { version: 'TLS 1.2' }), 1);
    await tls12.close();
    assert.equal(
      (await probe(`https://localhost:${https.port}/`, module({ http: { fail_if_ssl: true, tls_config: { ca_file: certs.caFile } } }))).success,
      false,
    );
    assert.equal((await probe(`http://127.0.0.1:${http.port}/`, module({ http: { fail_if_not_ssl: true } }))).success, false);
  });
});

describe('tcp prober', () => {
  let lines: Listening<NetServer>;
  let silent: Listening<NetServer>;
  before(async () => {
    lines = await startLineServer('220 spyglass-test ESMTP ready');
    silent = await startSilentServer();
  });
  after(async () => {
    await lines.close();
    await silent.close();
  });
  const tcp = (raw: Record<string, unknown> = {}) => buildModule('tcp', { prober: 'tcp', tcp: raw } as RawModule);

  test('connect only', async () => {
    const o = await probe(`127.0.0.1:${lines.port}`, tcp());
    assert.equal(o.success, true, o.failure);
    assert.equal(gauge(o, 'probe_failed_due_to_regex'), 0);
  });

  test('expect/send dialogue with $1 expansion and probe_expect_info labels', async () => {
    const o = await probe(
      `127.0.0.1:${lines.port}`,
      tcp({
        query_response: [
          { expect: '^220 ([a-z-]+) ESMTP', send: 'PING $1', labels: [{ name: 'server', value: '${1}' }] },
          { expect: '^PONG spyglass-test$', send: 'QUIT' },
          { expect: '^BYE' },
        ],
      }),
    );
    assert.equal(o.success, true, o.failure);
    assert.equal(gauge(o, 'probe_expect_info', { server: 'spyglass-test' }), 1);
  });

  test('an expect that never matches fails when the server closes; a silent server times out', async () => {
    const o = await probe(`127.0.0.1:${lines.port}`, tcp({ query_response: [{ send: 'QUIT' }, { expect: '^NEVER' }] }));
    assert.equal(o.success, false);
    assert.equal(gauge(o, 'probe_failed_due_to_regex'), 1);
    const quiet = await probe(`127.0.0.1:${silent.port}`, tcp({ query_response: [{ expect: '^220' }] }), 300);
    assert.equal(quiet.timedOut, true);
  });

  test('tls: true speaks TLS from the first byte and sets the certificate gauges', async () => {
    const o = await probe(`localhost:${https.port}`, tcp({ tls: true, tls_config: { ca_file: certs.caFile } }));
    assert.equal(o.success, true, o.failure);
    assert.ok((gauge(o, 'probe_ssl_earliest_cert_expiry') as number) > Date.now() / 1000);
    assert.equal(gauge(o, 'probe_tls_version_info', { version: 'TLS 1.3' }), 1);
  });

  test('bad targets and refused ports fail with a reason', async () => {
    assert.match((await probe('127.0.0.1', tcp())).failure as string, /must be host:port/);
    const port = await freePort();
    assert.match((await probe(`127.0.0.1:${port}`, tcp())).failure as string, /connect failed: ECONNREFUSED/);
  });
});
