/**
 * `--web.config.file` (exporter-toolkit's format): the parser against toolkit's rules, then a real
 * spyglass serving TLS, basic auth, mTLS, headers and a rate limit, with certificates made by
 * openssl and hashes made by htpasswd, talked to by real clients (node:https, openssl s_client is
 * not needed). Bad input: wrong and malformed credentials, plain HTTP on the TLS port, expired and
 * foreign client certificates, broken configs at start and on reload.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { parseBasicAuthorization } from '../src/http/basic-auth.js';
import { TokenBucket } from '../src/http/rate-limit.js';
import { CIPHER_SUITES, CURVES, parseGoDuration, parseWebConfig, type WebSettings } from '../src/http/web-config.js';
import { makeCertificates, type Certificates } from './helpers/probe-servers.js';
import { promtool, startPrometheus } from './helpers/prometheus.js';
import { repoRoot, runCli, sampleValue, startSpyglass, waitFor } from './helpers/spyglass.js';

const htpasswd = (user: string, password: string) =>
  execFileSync('htpasswd', ['-nbBC', '10', user, password], { encoding: 'utf8' }).trim().split(':')[1] as string;

function parsed(yaml: string): WebSettings {
  const r = parseWebConfig(yaml, '/etc/spyglass/web.yml');
  if ('problems' in r) assert.fail(r.problems.map((p) => p.message).join('; '));
  return r.settings;
}
function problems(yaml: string): string[] {
  const r = parseWebConfig(yaml, '/etc/spyglass/web.yml');
  assert.ok('problems' in r, `expected problems for:\n${yaml}`);
  return r.problems.map((p) => `${p.line ?? '-'} ${p.key ?? ''}: ${p.message}`);
}

describe('web config parser', () => {
  it('reads every toolkit key, with toolkit defaults and paths relative to the file', () => {
    const s = parsed(`
tls_server_config:
  cert_file: tls/server.crt
  key_file: /abs/server.key
  client_ca_file: ca.crt
  client_auth_type: RequireAndVerifyClientCert
  client_allowed_sans: [scraper.example]
  min_version: TLS13
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256]
  curve_preferences: [X25519, CurveP256]
  prefer_server_cipher_suites: false
http_server_config:
  http2: false
  headers:
    X-Frame-Options: deny
    Strict-Transport-Security: max-age=31536000
basic_auth_users:
  prom: $2y$10$OWpVKZbSB5SY5LELGGVKV.f5kpL6.GC83/fx6bkQQrE27PDkAbdGq
rate_limit:
  interval: 1.5s
  burst: 10
`);
    assert.deepEqual(s.tls?.cert, { file: '/etc/spyglass/tls/server.crt' });
    assert.deepEqual(s.tls?.key, { file: '/abs/server.key' });
    assert.deepEqual(s.tls?.clientCa, { file: '/etc/spyglass/ca.crt' });
    assert.equal(s.tls?.clientAuth, 'RequireAndVerifyClientCert');
    assert.deepEqual(s.tls?.clientAllowedSans, ['scraper.example']);
    assert.equal(s.tls?.minVersion, 'TLSv1.3');
    assert.equal(s.tls?.maxVersion, 'TLSv1.3');
    assert.match(s.tls?.ciphers ?? '', /^ECDHE-RSA-AES128-GCM-SHA256:TLS_AES_256_GCM_SHA384/);
    assert.equal(s.tls?.ecdhCurve, 'X25519:P-256');
    assert.equal(s.tls?.honorCipherOrder, false);
    assert.equal(s.http2, false);
    assert.deepEqual(s.headers, [
      ['X-Frame-Options', 'deny'],
      ['Strict-Transport-Security', 'max-age=31536000'],
    ]);
    assert.equal(s.users.get('prom')?.slice(0, 4), '$2y$');
    assert.deepEqual(s.rateLimit, { intervalMs: 1500, burst: 10 });

    const defaults = parsed('tls_server_config: {cert: "PEM", key: "PEM"}');
    assert.equal(defaults.tls?.minVersion, 'TLSv1.2');
    assert.equal(defaults.tls?.clientAuth, 'NoClientCert');
    assert.equal(defaults.tls?.honorCipherOrder, true);
    assert.deepEqual(defaults.tls?.cert, { inline: 'PEM' });
    assert.equal(parsed('').tls, undefined, 'an empty file is a valid config: no TLS, no auth');
    assert.equal(parsed('rate_limit: {interval: 0, burst: 5}').rateLimit, undefined, 'interval 0 turns the limiter off');
    assert.equal(
      parsed('tls_server_config: {cert: a, key: b, client_auth_type: RequireClientCert}').tls?.clientAuth,
      'RequireAnyClientCert',
      'the legacy name',
    );
  });

  it('refuses what toolkit refuses, naming line and key', () => {
    const cases: Array<[string, RegExp]> = [
      ['tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Bogus\n', /^4 tls_server_config.client_auth_type: "Bogus" is not one of/],
      ['tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: ca\n', /without a Client Auth Policy/],
      ['tls_server_config:\n  cert_file: a\n', /missing one of key or key_file/],
      ['tls_server_config:\n  key_file: a\n', /missing one of cert or cert_file/],
      ['tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [TLS_INVENTED_CIPHER]\n', /unknown cipher: TLS_INVENTED_CIPHER/],
      ['tls_server_config:\n  cert_file: a\n  key_file: b\n  curve_preferences: [CurveP257]\n', /unknown curve: CurveP257/],
      ['tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS111\n', /min_version: "TLS111" is not one of/],
      ['tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n  max_version: TLS12\n', /min_version TLS13 is above max_version TLS12/],
      ['http_server_config:\n  headers:\n    Foo: bar\n', /^3 http_server_config.headers.Foo: HTTP header "Foo" can not be configured/],
      ['http_server_config:\n  headers:\n    X-Frame-Options: allow\n', /invalid value for X-Frame-Options/],
      ['http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n', /invalid value for X-Content-Type-Options/],
      ['basic_auth_users:\n  alice: plaintext\n', /^2 basic_auth_users.alice: the password of user "alice" must be a bcrypt hash/],
      ['basic_auth_users:\n  - alice\n', /must be a mapping/],
      ['rate_limit:\n  interval: soon\n  burst: 1\n', /"soon" is not a duration/],
      ['rate_limit:\n  interval: 1s\n  burst: -1\n', /burst: must be a whole number/],
      ['tls_server_config:\n  cert_file: a\n  key_file: b\n  junk: 1\n', /^4 tls_server_config.junk: unknown key "junk"/],
      ['tls_config:\n  cert_file: a\n', /^1 tls_config: unknown key "tls_config"/],
      ['tls_server_config: [a\n', /invalid YAML/],
      ['just a string', /must be a YAML mapping/],
    ];
    for (const [yaml, expected] of cases) {
      const found = problems(yaml);
      assert.ok(
        found.some((p) => expected.test(p)),
        `${JSON.stringify(yaml)} → ${found.join(' | ')}`,
      );
    }
  });

  it('maps every Go cipher suite name to a cipher this Node knows, and every curve', () => {
    const known = new Set(tls.getCiphers().map((c) => c.toUpperCase()));
    for (const [go, openssl] of Object.entries(CIPHER_SUITES)) {
      if (openssl) assert.ok(known.has(openssl), `${go} → ${openssl}`);
      else assert.match(go, /^TLS_(AES|CHACHA20)/, 'only TLS 1.3 suites map to nothing');
    }
    for (const curve of Object.values(CURVES)) tls.createSecureContext({ ecdhCurve: curve });
  });

  it('parses Go durations as toolkit does', () => {
    assert.equal(parseGoDuration('1m30s'), 90_000);
    assert.equal(parseGoDuration('250ms'), 250);
    assert.equal(parseGoDuration('1.5h'), 5_400_000);
    assert.equal(parseGoDuration('0'), 0);
    assert.equal(parseGoDuration('10'), undefined);
    assert.equal(parseGoDuration('1d'), undefined);
  });
});

describe('Authorization header', () => {
  it('decodes basic credentials and calls anything else malformed', () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    assert.deepEqual(parseBasicAuthorization(`Basic ${b64('prom:pa:ss wörd')}`), { user: 'prom', password: 'pa:ss wörd' });
    assert.deepEqual(parseBasicAuthorization(`basic ${b64('prom:')}`), { user: 'prom', password: '' });
    assert.equal(parseBasicAuthorization(undefined), undefined);
    for (const bad of ['Bearer abc', 'Basic', 'Basic !!!!', `Basic ${b64('nocolon')}`, 'Basic abc', `Basic ${b64('a:b')} extra`, 'Digest username="a"']) {
      assert.equal(parseBasicAuthorization(bad), 'malformed', bad);
    }
  });
});

describe('rate limit token bucket', () => {
  it('starts full, refills one token per interval, never above burst', () => {
    const bucket = new TokenBucket(1000, 3, 0);
    assert.deepEqual(
      [1, 2, 3, 4].map(() => bucket.take(0)),
      [true, true, true, false],
    );
    assert.equal(bucket.take(999), false);
    assert.equal(bucket.take(1000), true);
    assert.deepEqual(
      [0, 1, 2, 3].map(() => bucket.take(60_000)),
      [true, true, true, false],
      'a long pause saves up only `burst`',
    );
    assert.equal(new TokenBucket(1000, 0, 0).take(5000), false, 'burst 0 admits nothing, as in Go');
  });
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

interface ClientOptions {
  auth?: string;
  authorization?: string;
  cert?: string;
  key?: string;
  ca?: string;
}

/** A fresh TLS connection per request (no agent), so each one goes through the handshake rules. */
function get(port: number, path: string, o: ClientOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path,
        agent: false,
        ca: o.ca,
        ...(o.cert ? { cert: readFileSync(o.cert), key: readFileSync(o.key as string) } : {}),
        ...(o.auth ? { auth: o.auth } : {}),
        headers: o.authorization ? { authorization: o.authorization } : {},
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

/** Issues a certificate from the test CA (or self-signed when `selfSigned`), returning cert and key paths. */
function issue(certs: Certificates, name: string, ext: string, opts: { selfSigned?: boolean; days?: number } = {}): { cert: string; key: string } {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: certs.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const keyArgs = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`];
  writeFileSync(join(certs.dir, `${name}.ext`), `${ext}\n`);
  if (opts.selfSigned) ssl('req', '-x509', ...keyArgs, '-out', `${name}.crt`, '-days', '5', '-subj', `/CN=${name}`, '-addext', ext);
  else {
    ssl('req', ...keyArgs, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      String(opts.days ?? 10),
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    );
  }
  return { cert: join(certs.dir, `${name}.crt`), key: join(certs.dir, `${name}.key`) };
}

function writeAtomically(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

const serverIsUp = (ca: string) => async (port: number) => (await get(port, '/healthz', { ca })).status === 200;

describe('spyglass serving with --web.config.file', () => {
  let certs: Certificates;
  let dir: string;
  const promHash = htpasswd('prom', 's3cret');

  before(() => {
    certs = makeCertificates();
    dir = mkdtempSync(join(tmpdir(), 'spyglass-web-'));
  });
  after(() => {
    certs.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const baseArgs = ['--collector.disable-defaults', '--collector.loadavg'];

  it('serves TLS with basic auth ($2y$ from htpasswd): right answers for right, wrong, missing and malformed credentials', async () => {
    const file = join(dir, 'tls-auth.yml');
    writeFileSync(
      file,
      `tls_server_config:\n  cert_file: ${certs.serverCert}\n  key_file: ${certs.serverKey}\nhttp_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n    X-Frame-Options: deny\n    Content-Security-Policy: "default-src 'self'"\n    Strict-Transport-Security: max-age=63072000\nbasic_auth_users:\n  prom: ${promHash}\n  grafana: ${htpasswd('grafana', 'other')}\n`,
    );
    const checked = promtool(['check', 'web-config', file]);
    assert.equal(checked.code, 0, `promtool check web-config: ${checked.output}`);
    const ca = readFileSync(certs.caFile, 'utf8');
    const sg = await startSpyglass([...baseArgs, `--web.config.file=${file}`], { isUp: serverIsUp(ca) });
    try {
      const ok = await get(sg.port, '/metrics', { ca, auth: 'prom:s3cret' });
      assert.equal(ok.status, 200);
      assert.match(ok.body, /^node_load1 /m);
      assert.equal(ok.headers['x-frame-options'], 'deny');
      assert.equal(ok.headers['strict-transport-security'], 'max-age=63072000');
      assert.equal(ok.headers['content-security-policy'], "default-src 'self'");
      assert.equal(ok.headers['x-content-type-options'], 'nosniff');
      assert.equal((await get(sg.port, '/', { ca, auth: 'grafana:other' })).status, 200, 'every route is behind auth');

      const b64 = (s: string) => Buffer.from(s).toString('base64');
      const refused: Array<[string, ClientOptions]> = [
        ['no Authorization', {}],
        ['wrong password', { auth: 'prom:wrong' }],
        ["another user's password", { auth: 'grafana:s3cret' }],
        ['unknown user', { auth: 'mallory:s3cret' }],
        ['empty password', { auth: 'prom:' }],
        ['not base64', { authorization: 'Basic %%%%' }],
        ['no colon', { authorization: `Basic ${b64('prom')}` }],
        ['other scheme', { authorization: `Bearer ${b64('prom:s3cret')}` }],
        ['truncated', { authorization: `Basic ${b64('prom:s3cret').slice(0, -2)}` }],
      ];
      for (const [what, o] of refused) {
        const r = await get(sg.port, '/metrics', { ca, ...o });
        assert.equal(r.status, 401, what);
        assert.equal(r.headers['www-authenticate'], 'Basic', what);
        assert.equal(r.headers['x-frame-options'], 'deny', `${what}: headers on refusals too`);
        assert.doesNotMatch(r.body, /node_load1/, what);
      }
      assert.equal((await get(sg.port, '/healthz', { ca })).status, 200, 'liveness needs no credentials');
      assert.equal((await get(sg.port, '/readyz', { ca })).status, 200, 'readiness needs no credentials');

      // Plain HTTP to the TLS port: no HTTP answer, and the server goes on.
      await assert.rejects(fetch(`http://127.0.0.1:${sg.port}/metrics`));
      // Self-metrics refresh on their own interval (5 s).
      let stats = '';
      await waitFor(
        async () => {
          stats = (await get(sg.port, '/metrics', { ca, auth: 'prom:s3cret' })).body;
          return sampleValue(stats, 'spyglass_http_rejected_total{reason="auth_malformed"}') === 4;
        },
        15_000,
        'rejections counted',
      );
      assert.equal(sampleValue(stats, 'spyglass_http_rejected_total{reason="auth_missing"}'), 1);
      assert.equal(sampleValue(stats, 'spyglass_http_rejected_total{reason="auth_failed"}'), 4);
      assert.equal(sampleValue(stats, 'spyglass_http_rejected_total{reason="auth_malformed"}'), 4);
      assert.ok((sampleValue(stats, 'spyglass_http_rejected_total{reason="tls_handshake"}') ?? 0) >= 1, 'the plain-HTTP attempt is counted');
      assert.equal(sampleValue(stats, 'spyglass_metrics_requests_total{code="401"}'), 9);
      assert.equal(sampleValue(stats, 'spyglass_web_config_last_reload_successful'), 1);

      // TLS 1.1 is below the default minimum (TLS 1.2): the handshake fails.
      await assert.rejects(
        new Promise((resolve, reject) => {
          const s = tls.connect({ host: '127.0.0.1', port: sg.port, ca, maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }, () => resolve(s));
          s.on('error', reject);
        }),
      );
    } finally {
      assert.equal(await sg.stop(), 0);
    }
  });

  it('protects the health endpoints too when web.unauthenticated_paths is empty, as exporter-toolkit does', async () => {
    const file = join(dir, 'auth-every-path.yml');
    writeFileSync(file, `basic_auth_users:\n  prom: ${promHash}\n`);
    const config = join(dir, 'protect-health.yml');
    writeFileSync(config, 'web: {unauthenticated_paths: [/readyz]}\n');
    const sg = await startSpyglass([...baseArgs, `--web.config.file=${file}`, `--config.file=${config}`], {
      isUp: async (port) => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok,
    });
    try {
      const auth = { headers: { authorization: `Basic ${Buffer.from('prom:s3cret').toString('base64')}` } };
      assert.equal((await fetch(`${sg.base}/healthz`)).status, 401, 'not listed: needs credentials');
      assert.equal((await fetch(`${sg.base}/healthz`, auth)).status, 200);
      assert.equal((await fetch(`${sg.base}/readyz`)).status, 200, 'listed: open');
    } finally {
      assert.equal(await sg.stop(), 0);
    }
    writeFileSync(config, 'web: {unauthenticated_paths: [/metrics]}\n');
    const check = await runCli(['check-config', config]);
    assert.equal(check.code, 1, 'only the health endpoints can be left open');
    assert.match(check.stderr + check.stdout, /unauthenticated_paths/);
  });

  it('answers an unknown user as slowly as a known one (dummy hash), without blocking the event loop', async () => {
    const file = join(dir, 'auth-only.yml');
    writeFileSync(file, `basic_auth_users:\n  prom: ${promHash}\n`);
    const sg = await startSpyglass([...baseArgs, `--web.config.file=${file}`], { isUp: async (port) => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok });
    try {
      const timed = async (auth: string) => {
        const started = performance.now();
        const res = await fetch(`${sg.base}/metrics`, { headers: { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } });
        assert.equal(res.status, 401);
        return performance.now() - started;
      };
      await timed('mallory:warm-up'); // the dummy hash is made on first use
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 5; i++) {
        known.push(await timed(`prom:wrong-${i}`)); // new passwords each time: no cache hit
        unknown.push(await timed(`mallory${i}:wrong-${i}`));
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[2] as number;
      assert.ok(median(known) > 20, `a bcrypt compare at cost 10 takes tens of ms (known user: ${known.map((t) => t.toFixed(0))})`);
      assert.ok(
        median(unknown) > median(known) * 0.6 && median(unknown) < median(known) * 1.6,
        `known ${known.map((t) => t.toFixed(0))} ms vs unknown ${unknown.map((t) => t.toFixed(0))} ms`,
      );

      // While a compare runs in the worker, the event loop answers other requests at once.
      const slow = timed('prom:busy-a');
      const started = performance.now();
      assert.equal((await fetch(`${sg.base}/healthz`)).status, 200);
      const healthMs = performance.now() - started;
      await slow;
      assert.ok(healthMs < median(known) / 2, `healthz took ${healthMs.toFixed(1)} ms during a bcrypt compare of ~${median(known).toFixed(0)} ms`);

      // Repeated right credentials hit the cache: no bcrypt per scrape.
      const auth = { headers: { authorization: `Basic ${Buffer.from('prom:s3cret').toString('base64')}` } };
      assert.equal((await fetch(`${sg.base}/metrics`, auth)).status, 200);
      const t0 = performance.now();
      for (let i = 0; i < 10; i++) assert.equal((await fetch(`${sg.base}/metrics`, auth)).status, 200);
      const perScrape = (performance.now() - t0) / 10;
      assert.ok(perScrape < median(known) / 2, `cached scrape ${perScrape.toFixed(1)} ms vs bcrypt ${median(known).toFixed(0)} ms`);
    } finally {
      assert.equal(await sg.stop(), 0);
    }
  });

  it('enforces each client_auth_type with real client certificates: valid, none, expired, foreign CA, SAN allow-list', async () => {
    const ca = readFileSync(certs.caFile, 'utf8');
    const good = { cert: certs.clientCert, key: certs.clientKey };
    const expired = { cert: certs.expiredCert, key: certs.expiredKey };
    const foreign = issue(certs, 'foreign', 'extendedKeyUsage=clientAuth', { selfSigned: true });
    const named = issue(certs, 'scraper', 'subjectAltName=DNS:scraper.example,URI:spiffe://cluster/ns/monitoring/sa/prometheus');
    const file = join(dir, 'mtls.yml');
    const write = (mode: string, extra = '') =>
      writeAtomically(
        file,
        `tls_server_config:\n  cert_file: ${certs.serverCert}\n  key_file: ${certs.serverKey}\n  client_ca_file: ${certs.caFile}\n  client_auth_type: ${mode}\n${extra}`,
      );
    write('RequireAndVerifyClientCert');
    assert.equal(promtool(['check', 'web-config', file]).code, 0);
    const sg = await startSpyglass([...baseArgs, `--web.config.file=${file}`], {
      isUp: async (port) => (await get(port, '/healthz', { ca, ...good })).status === 200,
    });
    const outcome = async (client: Partial<ClientOptions>) => {
      try {
        return (await get(sg.port, '/metrics', { ca, ...client })).status;
      } catch {
        return 'refused';
      }
    };
    const expectations: Array<[string, string, Record<string, number | 'refused'>]> = [
      ['RequireAndVerifyClientCert', '', { good: 200, none: 'refused', expired: 'refused', foreign: 'refused' }],
      ['VerifyClientCertIfGiven', '', { good: 200, none: 200, expired: 'refused', foreign: 'refused' }],
      ['RequireAnyClientCert', '', { good: 200, none: 'refused', expired: 200, foreign: 200 }],
      ['RequestClientCert', '', { good: 200, none: 200, expired: 200, foreign: 200 }],
      ['RequireAndVerifyClientCert', '  client_allowed_sans: [scraper.example]\n', { good: 'refused', named: 200, none: 'refused' }],
      ['RequireAndVerifyClientCert', '  client_allowed_sans: ["spiffe://cluster/ns/monitoring/sa/prometheus"]\n', { named: 200, good: 'refused' }],
    ];
    const clients: Record<string, Partial<ClientOptions>> = { good, none: {}, expired, foreign, named };
    try {
      for (const [i, [mode, extra, expected]] of expectations.entries()) {
        if (i > 0) write(mode, extra);
        const outcomes = async () =>
          Object.fromEntries(await Promise.all(Object.keys(expected).map(async (name) => [name, await outcome(clients[name] as ClientOptions)])));
        // Reloaded on change (polled): wait until the new mode is in force, then compare exactly.
        await waitFor(async () => JSON.stringify(await outcomes()) === JSON.stringify(expected), 10_000, `${mode} ${extra.trim()} in force`).catch(
          () => undefined,
        );
        assert.deepEqual(await outcomes(), expected, `${mode} ${extra.trim()}`);
      }
      // Self-metrics refresh on their schedule (15 s until a scraper's period is learned): wait for it.
      let stats = '';
      await waitFor(
        async () => {
          stats = (await get(sg.port, '/metrics', { ca, ...named })).body;
          return (sampleValue(stats, 'spyglass_http_rejected_total{reason="client_cert"}') ?? 0) >= 6;
        },
        20_000,
        'the client_cert refusals counted',
      ).catch(() => undefined);
      assert.ok(
        (sampleValue(stats, 'spyglass_http_rejected_total{reason="client_cert"}') ?? 0) >= 6,
        stats
          .split('\n')
          .filter((l) => l.startsWith('spyglass_http_rejected_total'))
          .join('; '),
      );
    } finally {
      assert.equal(await sg.stop(), 0);
    }
  });

  it('re-reads the file and the certificates when they change; a broken file leaves the running config in force', async () => {
    const ca = readFileSync(certs.caFile, 'utf8');
    const file = join(dir, 'reload.yml');
    const certFile = join(dir, 'live.crt');
    const keyFile = join(dir, 'live.key');
    writeFileSync(certFile, readFileSync(certs.serverCert));
    writeFileSync(keyFile, readFileSync(certs.serverKey));
    const config = (users: string) => `tls_server_config:\n  cert_file: live.crt\n  key_file: live.key\nbasic_auth_users:\n${users}`;
    writeFileSync(file, config(`  prom: ${promHash}\n`));
    const sg = await startSpyglass([...baseArgs, `--web.config.file=${file}`], { isUp: serverIsUp(ca) });
    const status = async (auth: string) => (await get(sg.port, '/metrics', { ca, auth })).status;
    try {
      assert.equal(await status('prom:s3cret'), 200);
      assert.equal(await status('ops:n3w'), 401);

      writeAtomically(file, config(`  prom: ${promHash}\n  ops: ${htpasswd('ops', 'n3w')}\n`));
      await waitFor(async () => (await status('ops:n3w')) === 200, 10_000, 'the added user is accepted');

      const broken: Array<[string, RegExp]> = [
        ['basic_auth_users:\n  prom: not-a-hash\n', /must be a bcrypt hash/],
        ['tls_server_config: [\n', /invalid YAML/],
        ['tls_server_config:\n  cert_file: gone.crt\n  key_file: live.key\n', /cannot read cert_file/],
        [`basic_auth_users:\n  prom: ${promHash}\n`, /turning TLS off needs a restart/],
      ];
      for (const [i, [text, logged]] of broken.entries()) {
        writeAtomically(file, text);
        await waitFor(
          () => (sg.logs().match(/web config reload failed; keeping the running one/g) ?? []).length === i + 1,
          10_000,
          `reload of ${JSON.stringify(text)} refused`,
        );
        assert.match(sg.logs().trim().split('\n').at(-1) as string, logged);
        assert.equal(await status('ops:n3w'), 200, 'the running config stays');
      }
      await waitFor(
        async () => sampleValue((await get(sg.port, '/metrics', { ca, auth: 'prom:s3cret' })).body, 'spyglass_web_config_last_reload_successful') === 0,
        15_000,
        'failed reload exported',
      );
      // A reload through the HTTP endpoint reports the web config's problem too.
      const reload = await new Promise<Reply>((resolve, reject) => {
        const req = https.request({ host: '127.0.0.1', port: sg.port, path: '/-/reload', method: 'POST', ca, agent: false, auth: 'ops:n3w' }, (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(reload.status, 500);
      assert.match(reload.body, /web config: .*TLS off needs a restart/);

      // Certificate rotation: a new certificate in place is served to new connections.
      writeAtomically(file, config(`  prom: ${promHash}\n`));
      await waitFor(async () => (await status('ops:n3w')) === 401, 10_000, 'the good config is back');
      const rotated = issue(certs, 'rotated', 'subjectAltName=IP:127.0.0.1');
      const serial = async () =>
        new Promise<string>((resolve, reject) => {
          const s = tls.connect({ host: '127.0.0.1', port: sg.port, ca }, () => {
            resolve(s.getPeerCertificate().serialNumber);
            s.end();
          });
          s.on('error', reject);
        });
      const before = await serial();
      writeAtomically(keyFile, readFileSync(rotated.key, 'utf8'));
      writeAtomically(certFile, readFileSync(rotated.cert, 'utf8'));
      const expected = execFileSync('openssl', ['x509', '-in', rotated.cert, '-noout', '-serial'], { encoding: 'utf8' }).trim().split('=')[1] as string;
      await waitFor(async () => (await serial()) === expected, 10_000, 'the rotated certificate is served');
      assert.notEqual(before, expected);
      assert.equal(await status('prom:s3cret'), 200);
    } finally {
      assert.equal(await sg.stop(), 0);
    }
  });

  it('limits the request rate with a token bucket (429), leaving health checks alone', async () => {
    const file = join(dir, 'rate.yml');
    writeFileSync(file, 'rate_limit:\n  interval: 1m\n  burst: 3\n');
    // Debian's promtool (2.42) predates toolkit's rate_limit; it knows nothing else it could check here.
    const checked = promtool(['check', 'web-config', file]);
    assert.ok(checked.code === 0 || /field rate_limit not found/.test(checked.output), checked.output);
    const sg = await startSpyglass([...baseArgs, `--web.config.file=${file}`], { isUp: async (port) => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok });
    try {
      const codes = [];
      for (let i = 0; i < 5; i++) codes.push((await fetch(`${sg.base}/metrics`)).status);
      assert.deepEqual(codes, [200, 200, 200, 429, 429]);
      for (let i = 0; i < 5; i++) assert.equal((await fetch(`${sg.base}/healthz`)).status, 200);
    } finally {
      assert.equal(await sg.stop(), 0);
    }
  });

  it('refuses to start on a bad web config with a message naming file, line and key', async () => {
    const cases: Array<[string, RegExp]> = [
      [
        'tls_server_config:\n  cert_file: /nonexistent/server.crt\n  key_file: /nonexistent/server.key\n',
        /cannot read cert_file \(\/nonexistent\/server\.crt\)/,
      ],
      [
        `tls_server_config:\n  cert_file: ${certs.serverCert}\n  key_file: ${certs.expiredKey}\n`,
        /tls_server_config: .*(key values mismatch|KEY_VALUES_MISMATCH)/i,
      ],
      ['http_server_config:\n  headers:\n    Server: spyglass\n', /:3: http_server_config\.headers\.Server: HTTP header "Server" can not be configured/],
    ];
    for (const [yaml, expected] of cases) {
      const file = join(dir, 'bad-start.yml');
      writeFileSync(file, yaml);
      const run = await runCli(['serve', '--web.listen-address=127.0.0.1:0', `--web.config.file=${file}`]);
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /^spyglass: web config error: /m, 'after the start-up line');
      assert.match(run.stderr, expected);
      const check = await runCli(['check-web-config', file]);
      assert.equal(check.code, 1);
      assert.match(check.stderr, expected);
    }
    const missing = await runCli(['serve', '--web.listen-address=127.0.0.1:0', `--web.config.file=${join(dir, 'absent.yml')}`]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /absent\.yml: cannot read web config: ENOENT/);
  });
});

describe('shipped example web configs (deploy/web-config)', () => {
  it('pass spyglass check-web-config and promtool check web-config, and the basic-auth example serves its documented password', async () => {
    const certs = makeCertificates();
    const dir = mkdtempSync(join(tmpdir(), 'spyglass-webex-'));
    try {
      cpSync(join(repoRoot, 'deploy/web-config'), dir, { recursive: true });
      cpSync(certs.serverCert, join(dir, 'tls.crt'));
      cpSync(certs.serverKey, join(dir, 'tls.key'));
      cpSync(certs.caFile, join(dir, 'ca.crt'));
      const examples = readdirSync(dir).filter((f) => f.endsWith('.yml'));
      assert.deepEqual(examples.sort(), ['web-config-mtls.yml', 'web-config.yml']);
      for (const f of examples) {
        const ours = await runCli(['check-web-config', join(dir, f)]);
        assert.equal(ours.code, 0, `${f}: ${ours.stderr}`);
        const theirs = promtool(['check', 'web-config', join(dir, f)]);
        assert.equal(theirs.code, 0, `${f}: ${theirs.output}`);
      }
      const ca = readFileSync(certs.caFile, 'utf8');
      const sg = await startSpyglass(['--collector.disable-defaults', '--collector.loadavg', `--web.config.file=${join(dir, 'web-config.yml')}`], {
        isUp: serverIsUp(ca),
      });
      try {
        assert.equal((await get(sg.port, '/metrics', { ca, auth: 'prometheus:change-me' })).status, 200);
      } finally {
        await sg.stop();
      }
    } finally {
      certs.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Prometheus scraping spyglass over TLS with basic auth', () => {
  it('a real Prometheus with the documented scrape config gets the target up', async () => {
    const certs = makeCertificates();
    const dir = mkdtempSync(join(tmpdir(), 'spyglass-webprom-'));
    const file = join(dir, 'web.yml');
    writeFileSync(
      file,
      `tls_server_config:\n  cert_file: ${certs.serverCert}\n  key_file: ${certs.serverKey}\nbasic_auth_users:\n  prometheus: ${htpasswd('prometheus', 'scrape-pw')}\n`,
    );
    writeFileSync(join(dir, 'password'), 'scrape-pw\n');
    const ca = readFileSync(certs.caFile, 'utf8');
    const sg = await startSpyglass(['--collector.disable-defaults', '--collector.loadavg', `--web.config.file=${file}`], { isUp: serverIsUp(ca) });
    const prom = await startPrometheus(
      `  - job_name: spyglass\n    scrape_interval: 1s\n    scheme: https\n    tls_config:\n      ca_file: ${certs.caFile}\n    basic_auth:\n      username: prometheus\n      password_file: ${join(dir, 'password')}\n    static_configs:\n      - targets: ['127.0.0.1:${sg.port}']\n`,
    );
    try {
      await waitFor(async () => (await prom.query('up{job="spyglass"}')).get(`127.0.0.1:${sg.port}`) === 1, 20_000, 'target up');
      await waitFor(async () => (await prom.query('node_load1')).size === 1, 10_000, 'node_load1 stored');
    } finally {
      await prom.stop();
      await sg.stop();
      certs.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
