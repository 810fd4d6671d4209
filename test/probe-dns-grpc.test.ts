/**
 * The dns prober against a real DNS server (dnsmasq on 127.0.0.1, UDP and TCP) and a UDP server
 * that answers garbage; the grpc prober against a real gRPC health server (@grpc/grpc-js), plain
 * and with TLS. Plus the DNS wire decoder on hostile input.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { decodeResponse, DnsFormatError, encodeQuery, formatIPv6 } from '../collectors/probe/dns-wire.js';
import { DnsDiscovery } from '../collectors/probe/discovery.js';
import { buildModule, type RawModule } from '../collectors/probe/module.js';
import { runProbe } from '../collectors/probe/prober.js';
import { callOutcome, healthCheckRequest, parseHealthResponse } from '../collectors/probe/grpc-prober.js';
import {
  makeCertificates,
  startDnsmasq,
  startGrpcHealthServer,
  startUdpResponder,
  type Certificates,
  type Dnsmasq,
  type GrpcHealthServer,
} from './helpers/probe-servers.js';
import { freePort } from './helpers/spyglass.js';

const logger = { debug() {}, info() {}, warn() {}, error() {} };
const dnsModule = (dns: Record<string, unknown>) => buildModule('dns', { prober: 'dns', dns } as RawModule);
const grpcModule = (grpc: Record<string, unknown> = {}) => buildModule('grpc', { prober: 'grpc', grpc } as RawModule);

let dnsmasq: Dnsmasq;
before(async () => {
  dnsmasq = await startDnsmasq([
    '--host-record=web.spyglass.test,127.0.0.1,::1',
    '--txt-record=web.spyglass.test,v=spf1 -all',
    '--mx-host=spyglass.test,mail.spyglass.test,10',
    '--srv-host=_http._tcp.spyglass.test,web.spyglass.test,8080,0,5',
    '--auth-zone=spyglass.test',
    '--auth-soa=2026112201,hostmaster.spyglass.test',
    '--auth-server=ns.spyglass.test,127.0.0.1',
    '--auth-peer=127.0.0.1',
  ]);
});
after(async () => dnsmasq.stop());

describe('dns prober against dnsmasq', () => {
  const server = () => `127.0.0.1:${dnsmasq.port}`;

  test('an A query over UDP: phases, counts, success', async () => {
    const o = await runProbe(server(), dnsModule({ query_name: 'web.spyglass.test', query_type: 'A' }), 2000, { logger });
    assert.equal(o.success, true, o.failure);
    assert.equal(o.report.value('probe_dns_answer_rrs'), 1);
    assert.equal(o.report.value('probe_dns_query_succeeded'), 1);
    for (const phase of ['resolve', 'connect', 'request']) assert.ok((o.report.value('probe_dns_duration_seconds', { phase }) as number) >= 0);
    assert.ok((o.report.value('probe_dns_duration_seconds', { phase: 'request' }) as number) > 0);
  });

  test('over TCP; answers validated by regexps on the record text', async () => {
    const ok = await runProbe(
      server(),
      dnsModule({
        query_name: 'web.spyglass.test',
        query_type: 'AAAA',
        transport_protocol: 'tcp',
        validate_answer_rrs: { fail_if_not_matches_regexp: ['^web\\.spyglass\\.test\\.\\t\\d+\\tIN\\tAAAA\\t::1$'] },
      }),
      2000,
      { logger },
    );
    assert.equal(ok.success, true, ok.failure);
    const txt = await runProbe(
      server(),
      dnsModule({ query_name: 'web.spyglass.test', query_type: 'TXT', validate_answer_rrs: { fail_if_none_matches_regexp: ['"v=spf1 -all"'] } }),
      2000,
      { logger },
    );
    assert.equal(txt.success, true, txt.failure);
    const bad = await runProbe(
      server(),
      dnsModule({ query_name: 'web.spyglass.test', query_type: 'A', validate_answer_rrs: { fail_if_matches_regexp: ['127\\.0\\.0\\.1'] } }),
      2000,
      { logger },
    );
    assert.equal(bad.success, false);
    assert.match(bad.failure as string, /answer record .* matched/);
  });

  test('MX, SRV and SOA (probe_dns_serial) records', async () => {
    const mx = await runProbe(
      server(),
      dnsModule({ query_name: 'spyglass.test', query_type: 'MX', validate_answer_rrs: { fail_if_not_matches_regexp: ['MX\\t10 mail\\.spyglass\\.test\\.$'] } }),
      2000,
      { logger },
    );
    assert.equal(mx.success, true, mx.failure);
    const srv = await runProbe(
      server(),
      dnsModule({
        query_name: '_http._tcp.spyglass.test',
        query_type: 'SRV',
        validate_answer_rrs: { fail_if_not_matches_regexp: ['SRV\\t0 5 8080 web\\.spyglass\\.test\\.$'] },
      }),
      2000,
      { logger },
    );
    assert.equal(srv.success, true, srv.failure);
    const soa = await runProbe(server(), dnsModule({ query_name: 'spyglass.test', query_type: 'SOA' }), 2000, { logger });
    assert.equal(soa.success, true, soa.failure);
    assert.equal(soa.report.value('probe_dns_serial'), 2026112201);
  });

  test('NXDOMAIN fails unless valid_rcodes allows it; the query still counts as answered', async () => {
    const nx = await runProbe(server(), dnsModule({ query_name: 'missing.spyglass.test', query_type: 'A' }), 2000, { logger });
    assert.equal(nx.success, false);
    assert.match(nx.failure as string, /rcode NXDOMAIN is not one of NOERROR/);
    assert.equal(nx.report.value('probe_dns_query_succeeded'), 1);
    const allowed = await runProbe(server(), dnsModule({ query_name: 'missing.spyglass.test', query_type: 'A', valid_rcodes: ['NXDOMAIN'] }), 2000, { logger });
    assert.equal(allowed.success, true, allowed.failure);
  });

  test('a server that answers garbage, one that answers nothing, and a closed port', async () => {
    const garbage = await startUdpResponder((q) => Buffer.concat([q.subarray(0, 2), Buffer.from([0x81, 0x80, 0, 1, 0, 5, 0, 0, 0, 0, 0xc0])]));
    const g = await runProbe(`127.0.0.1:${garbage.port}`, dnsModule({ query_name: 'x.test', query_type: 'A' }), 1000, { logger });
    assert.match(g.failure as string, /^malformed DNS reply: /);
    assert.equal(g.report.value('probe_dns_query_succeeded'), 0);
    garbage.close();
    const wrongId = await startUdpResponder((q) =>
      Buffer.concat([Buffer.from([(q[0] as number) ^ 0xff, q[1] as number]), Buffer.from([0x81, 0x80, 0, 0, 0, 0, 0, 0, 0, 0])]),
    );
    assert.match((await runProbe(`127.0.0.1:${wrongId.port}`, dnsModule({ query_name: 'x.test' }), 1000, { logger })).failure as string, /reply has id/);
    wrongId.close();
    const mute = await startUdpResponder(() => undefined);
    const m = await runProbe(`127.0.0.1:${mute.port}`, dnsModule({ query_name: 'x.test' }), 300, { logger });
    assert.equal(m.timedOut, true);
    mute.close();
    const closed = await runProbe(`127.0.0.1:${await freePort()}`, dnsModule({ query_name: 'x.test', transport_protocol: 'tcp' }), 1000, { logger });
    assert.match(closed.failure as string, /DNS over TCP failed: ECONNREFUSED/);
  });
});

describe('dns_sd discovery against dnsmasq', () => {
  test('SRV records become targets; a name that stops resolving keeps its last targets and reports the error', async () => {
    const d = new DnsDiscovery({
      names: ['_http._tcp.spyglass.test'],
      server: `127.0.0.1:${dnsmasq.port}`,
      scheme: 'http',
      path: '/healthz',
      labels: { via: 'srv' },
    });
    let changes = 0;
    await d.start(() => changes++);
    d.stop();
    assert.deepEqual(d.targets, [{ target: 'http://web.spyglass.test:8080/healthz', address: 'web.spyglass.test:8080', labels: { via: 'srv' } }]);
    assert.deepEqual(d.errors, []);
    assert.equal(changes, 1);
    const a = new DnsDiscovery({
      names: ['web.spyglass.test', 'gone.spyglass.test'],
      type: 'A',
      port: 9100,
      module: 'tcp_connect',
      server: `127.0.0.1:${dnsmasq.port}`,
    });
    await a.refresh();
    assert.deepEqual(a.targets, [{ target: '127.0.0.1:9100', address: '127.0.0.1:9100', module: 'tcp_connect', labels: {} }]);
    assert.equal(a.errors.length, 1);
    assert.match(a.errors[0]?.message as string, /^gone\.spyglass\.test: ENOTFOUND/);
    assert.equal(a.errorCount, 1);
    a.stop();
  });
});

describe('dns wire format', () => {
  test('the query encodes name, type, class and RD', () => {
    const q = encodeQuery(0xabcd, { name: 'a.example.', type: 1, class: 1 }, true);
    assert.equal(q.toString('hex'), 'abcd01000001000000000000' + '0161076578616d706c6500' + '00010001');
  });

  test('IPv6 text follows Go (RFC 5952)', () => {
    const b = (hex: string) => Buffer.from(hex, 'hex');
    assert.equal(formatIPv6(b('00000000000000000000000000000001')), '::1');
    assert.equal(formatIPv6(b('20010db8000000000001000000000001')), '2001:db8::1:0:0:1');
    assert.equal(formatIPv6(b('00000000000000000000ffff7f000001')), '::ffff:127.0.0.1');
    assert.equal(formatIPv6(b('20010db8000100020003000400050006')), '2001:db8:1:2:3:4:5:6');
  });

  test('never throws anything but DnsFormatError on arbitrary bytes, and never loops', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), (bytes) => {
        const msg = Buffer.from(bytes);
        if (msg.length > 2) msg[2] = (msg[2] as number) | 0x80; // a response, so decoding gets past the header
        try {
          decodeResponse(msg);
        } catch (err) {
          if (!(err instanceof DnsFormatError)) throw err;
        }
      }),
      { numRuns: 5000 },
    );
  });

  test('a compression pointer loop is an error, not a hang', () => {
    const msg = Buffer.from([0, 1, 0x81, 0x80, 0, 0, 0, 1, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4]);
    assert.throws(() => decodeResponse(msg), /compression pointers loop/);
  });
});

describe('grpc prober against a real gRPC health server', () => {
  let certs: Certificates;
  let plain: GrpcHealthServer;
  let secure: GrpcHealthServer;
  before(async () => {
    certs = makeCertificates();
    plain = await startGrpcHealthServer({ '': 'SERVING', 'app.Api': 'SERVING', 'app.Down': 'NOT_SERVING' });
    secure = await startGrpcHealthServer({ '': 'SERVING' }, { cert: certs.serverCert, key: certs.serverKey });
  });
  after(async () => {
    await plain.stop();
    await secure.stop();
    certs.cleanup();
  });

  test('overall and per-service health', async () => {
    const o = await runProbe(`127.0.0.1:${plain.port}`, grpcModule(), 2000, { logger });
    assert.equal(o.success, true, o.failure);
    assert.equal(o.report.value('probe_grpc_status_code'), 0);
    assert.equal(o.report.value('probe_grpc_healthcheck_response', { serving_status: 'SERVING' }), 1);
    assert.equal(o.report.value('probe_grpc_healthcheck_response', { serving_status: 'NOT_SERVING' }), 0);
    assert.equal(o.report.value('probe_grpc_ssl'), 0);
    assert.ok((o.report.value('probe_grpc_duration_seconds', { phase: 'check' }) as number) > 0);
    assert.equal((await runProbe(`127.0.0.1:${plain.port}`, grpcModule({ service: 'app.Api' }), 2000, { logger })).success, true);
    const down = await runProbe(`127.0.0.1:${plain.port}`, grpcModule({ service: 'app.Down' }), 2000, { logger });
    assert.equal(down.success, false);
    assert.equal(down.report.value('probe_grpc_healthcheck_response', { serving_status: 'NOT_SERVING' }), 1);
    const unknown = await runProbe(`127.0.0.1:${plain.port}`, grpcModule({ service: 'app.Nope' }), 2000, { logger });
    assert.equal(unknown.report.value('probe_grpc_status_code'), 5, 'NOT_FOUND, as grpc-js answers an unknown service');
  });

  test('a status change is seen by the next probe', async () => {
    plain.setStatus('app.Api', 'NOT_SERVING');
    assert.equal((await runProbe(`127.0.0.1:${plain.port}`, grpcModule({ service: 'app.Api' }), 2000, { logger })).success, false);
    plain.setStatus('app.Api', 'SERVING');
    assert.equal((await runProbe(`127.0.0.1:${plain.port}`, grpcModule({ service: 'app.Api' }), 2000, { logger })).success, true);
  });

  test('TLS with the CA; certificate gauges', async () => {
    const o = await runProbe(`localhost:${secure.port}`, grpcModule({ tls: true, tls_config: { ca_file: certs.caFile } }), 2000, { logger });
    assert.equal(o.success, true, o.failure);
    assert.equal(o.report.value('probe_grpc_ssl'), 1);
    assert.equal(o.report.value('probe_tls_version_info', { version: 'TLS 1.3' }), 1);
    assert.ok((o.report.value('probe_ssl_earliest_cert_expiry') as number) > Date.now() / 1000);
    const noCa = await runProbe(`localhost:${secure.port}`, grpcModule({ tls: true }), 2000, { logger });
    assert.equal(noCa.success, false);
  });

  test('a closed port is UNAVAILABLE (14); a server that never answers runs into the deadline (4)', async () => {
    const closed = await runProbe(`127.0.0.1:${await freePort()}`, grpcModule(), 2000, { logger });
    assert.equal(closed.report.value('probe_grpc_status_code'), 14);
    assert.equal(closed.success, false);
    const { startSilentServer } = await import('./helpers/probe-servers.js');
    const silent = await startSilentServer();
    const hung = await runProbe(`127.0.0.1:${silent.port}`, grpcModule(), 300, { logger });
    assert.equal(hung.timedOut, true);
    assert.equal(hung.report.value('probe_grpc_status_code'), 4);
    await silent.close();
  });

  test('the health messages: request encoding, response decoding, trailers-only errors', () => {
    assert.equal(healthCheckRequest('').toString('hex'), '0000000000');
    assert.equal(healthCheckRequest('a.B').toString('hex'), '00000000050a03612e42');
    assert.deepEqual(parseHealthResponse(Buffer.from('00000000020801', 'hex')), { status: 'SERVING' });
    assert.deepEqual(parseHealthResponse(Buffer.from('0000000000', 'hex')), { status: 'UNKNOWN' });
    assert.deepEqual(parseHealthResponse(Buffer.from('00000000050801', 'hex')), { error: 'health response shorter than its length prefix' });
    assert.deepEqual(callOutcome({ ':status': '200', 'grpc-status': '12', 'grpc-message': 'unknown%20method' }, Buffer.alloc(0)), {
      statusCode: 12,
      message: 'unknown method',
    });
    assert.deepEqual(callOutcome({ ':status': '503' }, Buffer.alloc(0)), { statusCode: 14, message: 'HTTP status 503' });
  });
});
