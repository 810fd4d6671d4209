/**
 * Side by side with Debian's prometheus-blackbox-exporter (0.23) on the same real servers and the
 * same blackbox.yml (spyglass started with it as --config.file, as blackbox is): for every module, both /probe answers
 * must have the same metric families, types and label names, equal values where the value is a
 * fact (status, lengths, counts, certificate dates, hashes) and durations within a tolerance.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseTextFormat } from '../src/metrics/parse-text.js';
import {
  makeCertificates,
  startDnsmasq,
  startGrpcHealthServer,
  startHttpServer,
  startHttpsServer,
  startLineServer,
  type Certificates,
  type Dnsmasq,
  type GrpcHealthServer,
  type Listening,
} from './helpers/probe-servers.js';
import { startBlackboxExporter, type ReferenceExporter } from './helpers/reference-exporters.js';
import { startSpyglass, type Running } from './helpers/spyglass.js';

/** Families spyglass emits that blackbox 0.23 does not, each with why. */
const NEWER_THAN_023: Record<string, string> = {
  probe_timeout_seconds: 'blackbox HEAD (#1571)',
  probe_tls_cipher_info: 'blackbox 0.26',
  probe_failed_due_to_bytes: 'blackbox 0.28',
};
/**
 * blackbox 0.23's grpc prober registers probe_ssl_earliest_cert_expiry without TLS too, as 0 (a
 * certificate "expired" in 1970 for expiry alerts); later versions register it only with TLS,
 * as spyglass does.
 */
function onlyIn023(name: string, theirs: Map<string, Family>): boolean {
  return name === 'probe_ssl_earliest_cert_expiry' && theirs.get('probe_grpc_ssl')?.samples.get('[]') === 0 && theirs.get(name)?.samples.get('[]') === 0;
}
/** Label names spyglass adds to a family, each with why. */
const NEWER_LABELS: Record<string, string[]> = {
  probe_ssl_last_chain_info: ['serialnumber'], // blackbox 0.26
};
/** Values that are facts of the target, so must be equal; everything named *_seconds is a duration unless listed here. */
const EXACT =
  /^probe_(success|http_(status_code|content_length|uncompressed_body_length|version|ssl|redirects)|ip_protocol|ip_addr_hash|failed_due_to_regex|dns_(answer|authority|additional)_rrs|dns_serial|dns_query_succeeded|grpc_(ssl|status_code|healthcheck_response)|ssl_earliest_cert_expiry|ssl_last_chain_expiry_timestamp_seconds|ssl_last_chain_info|tls_version_info|icmp_reply_hop_limit|expect_info)$/;
/** Two probes of a server on loopback, a moment apart: the same phase differs by far less. */
const DURATION_TOLERANCE_SECONDS = 0.05;

let dir: string;
let certs: Certificates;
let http: Listening<Server>;
let https: Listening<Server>;
let line: Listening<NetServer>;
let dnsmasq: Dnsmasq;
let grpc: GrpcHealthServer;
let blackbox: ReferenceExporter;
let spyglass: Running;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spyglass-bbcompat-'));
  certs = makeCertificates();
  http = await startHttpServer();
  https = await startHttpsServer(certs.serverCert, certs.serverKey);
  line = await startLineServer('HELLO spyglass');
  dnsmasq = await startDnsmasq([
    '--host-record=web.spyglass.test,127.0.0.1',
    '--auth-zone=spyglass.test',
    '--auth-soa=2026112201,hostmaster.spyglass.test',
    '--auth-server=ns.spyglass.test,127.0.0.1',
    '--auth-peer=127.0.0.1',
  ]);
  grpc = await startGrpcHealthServer({ '': 'SERVING', down: 'NOT_SERVING' });
  const ip4 = 'preferred_ip_protocol: ip4';
  const modules = [
    'modules:',
    `  http_2xx: {prober: http, http: {${ip4}}}`,
    `  http_post_2xx: {prober: http, http: {${ip4}, method: POST, headers: {Content-Type: application/json}, body: '{}'}}`,
    `  http_body_regex: {prober: http, http: {${ip4}, fail_if_body_not_matches_regexp: ['^y+$']}}`,
    `  http_404_ok: {prober: http, http: {${ip4}, valid_status_codes: [404]}}`,
    `  https_ca: {prober: http, http: {${ip4}, fail_if_not_ssl: true, tls_config: {ca_file: '${certs.caFile}'}}}`,
    `  https_insecure: {prober: http, http: {${ip4}, tls_config: {insecure_skip_verify: true}}}`,
    `  tcp_connect: {prober: tcp, tcp: {${ip4}}}`,
    `  tcp_dialogue: {prober: tcp, tcp: {${ip4}, query_response: [{expect: '^HELLO (\\w+)', send: 'PING $1'}, {expect: '^PONG spyglass'}, {send: QUIT}]}}`,
    `  tcp_tls: {prober: tcp, tcp: {${ip4}, tls: true, tls_config: {ca_file: '${certs.caFile}'}}}`,
    `  dns_udp: {prober: dns, dns: {${ip4}, query_name: web.spyglass.test, query_type: A}}`,
    `  dns_tcp_soa: {prober: dns, dns: {${ip4}, transport_protocol: tcp, query_name: spyglass.test, query_type: SOA}}`,
    `  dns_nxdomain: {prober: dns, dns: {${ip4}, query_name: nothing.spyglass.test, query_type: A, valid_rcodes: [NXDOMAIN]}}`,
    `  grpc_plain: {prober: grpc, grpc: {${ip4}}}`,
    `  grpc_down: {prober: grpc, grpc: {${ip4}, service: down}}`,
    `  icmp: {prober: icmp, icmp: {${ip4}}}`,
  ];
  const blackboxYml = join(dir, 'blackbox.yml');
  writeFileSync(blackboxYml, modules.join('\n') + '\n');
  blackbox = await startBlackboxExporter(blackboxYml);
  // blackbox's own command line, plus the allow list /probe needs here.
  spyglass = await startSpyglass([`--config.file=${blackboxYml}`, '--collector.probe.endpoint.allow=127.0.0.0/8']);
});

after(async () => {
  await Promise.all([spyglass?.stop(), blackbox?.stop(), http?.close(), https?.close(), line?.close(), grpc?.stop(), dnsmasq?.stop()]);
  certs?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Family {
  type: string;
  samples: Map<string, number>;
  labelNames: string;
}

async function probeBoth(target: string, module: string): Promise<{ ours: Map<string, Family>; theirs: Map<string, Family> }> {
  const query = `/probe?${new URLSearchParams({ target, module })}`;
  const headers = { 'X-Prometheus-Scrape-Timeout-Seconds': '5' };
  const [ours, theirs] = await Promise.all([spyglass.base, blackbox.base].map(async (base) => families(await (await fetch(base + query, { headers })).text())));
  return { ours: ours as Map<string, Family>, theirs: theirs as Map<string, Family> };
}

function families(text: string): Map<string, Family> {
  const parsed = parseTextFormat(text, '/probe');
  if (!parsed.ok) throw new Error(`unparsable /probe answer: ${parsed.error}\n${text}`);
  const out = new Map<string, Family>();
  for (const f of parsed.value.families) {
    if (!f.name.startsWith('probe_')) continue;
    const samples = new Map<string, number>();
    const names = new Set<string>();
    for (const s of f.samples as Array<{ labels: Record<string, string>; value: number }>) {
      for (const k of Object.keys(s.labels)) names.add(k);
      samples.set(JSON.stringify(Object.entries(s.labels).sort()), s.value);
    }
    out.set(f.name, { type: f.type, samples, labelNames: [...names].sort().join(',') });
  }
  return out;
}

/** Differences between the two answers, as readable lines (empty when they agree). */
function compare(ours: Map<string, Family>, theirs: Map<string, Family>): string[] {
  const problems: string[] = [];
  for (const [name, t] of theirs) {
    const o = ours.get(name);
    if (!o) {
      if (!onlyIn023(name, theirs)) problems.push(`${name}: missing in spyglass`);
      continue;
    }
    if (o.type !== t.type) problems.push(`${name}: type ${o.type}, blackbox ${t.type}`);
    const extra = new Set(NEWER_LABELS[name] ?? []);
    const ourLabels = o.labelNames
      .split(',')
      .filter((l) => l && !extra.has(l))
      .join(',');
    if (ourLabels !== t.labelNames) problems.push(`${name}: labels ${o.labelNames}, blackbox ${t.labelNames}`);
    for (const [labels, theirValue] of t.samples) {
      const ourValue = o.samples.get(labels) ?? (extra.size ? valueIgnoring(o, labels, extra) : undefined);
      if (ourValue === undefined) problems.push(`${name}${labels}: missing in spyglass`);
      else if (EXACT.test(name) ? ourValue !== theirValue : Math.abs(ourValue - theirValue) > DURATION_TOLERANCE_SECONDS)
        problems.push(`${name}${labels}: ${ourValue}, blackbox ${theirValue}`);
    }
  }
  for (const name of ours.keys()) if (!theirs.has(name) && !(name in NEWER_THAN_023)) problems.push(`${name}: spyglass only`);
  return problems;
}

/** Our sample whose labels, without the `ignored` ones, are `labels`. */
function valueIgnoring(f: Family, labels: string, ignored: ReadonlySet<string>): number | undefined {
  for (const [key, value] of f.samples) {
    const stripped = JSON.stringify((JSON.parse(key) as Array<[string, string]>).filter(([k]) => !ignored.has(k)));
    if (stripped === labels) return value;
  }
  return undefined;
}

const cases = (): Array<[string, string, number]> => [
  [`http://127.0.0.1:${http.port}/?size=1000`, 'http_2xx', 1],
  [`http://127.0.0.1:${http.port}/?redirect=/final`, 'http_2xx', 1],
  [`http://127.0.0.1:${http.port}/?status=503`, 'http_2xx', 0],
  [`http://127.0.0.1:${http.port}/?status=404`, 'http_404_ok', 1],
  [`http://127.0.0.1:${http.port}/`, 'http_post_2xx', 1],
  [`http://127.0.0.1:${http.port}/?body=xyz`, 'http_body_regex', 0],
  [`http://127.0.0.1:${http.port}/?gzip=1&size=500`, 'http_2xx', 1],
  [`https://127.0.0.1:${https.port}/`, 'https_ca', 1],
  [`https://localhost:${https.port}/`, 'https_insecure', 1],
  [`http://127.0.0.1:1/`, 'http_2xx', 0],
  [`127.0.0.1:${line.port}`, 'tcp_connect', 1],
  [`127.0.0.1:${line.port}`, 'tcp_dialogue', 1],
  [`127.0.0.1:${https.port}`, 'tcp_tls', 1],
  [`127.0.0.1:${dnsmasq.port}`, 'dns_udp', 1],
  [`127.0.0.1:${dnsmasq.port}`, 'dns_tcp_soa', 1],
  [`127.0.0.1:${dnsmasq.port}`, 'dns_nxdomain', 1],
  [`127.0.0.1:${grpc.port}`, 'grpc_plain', 1],
  [`127.0.0.1:${grpc.port}`, 'grpc_down', 0],
  ['127.0.0.1', 'icmp', 1],
];

test('every module: the same families, types, labels and values as blackbox_exporter 0.23', async () => {
  const report: string[] = [];
  for (const [target, module, success] of cases()) {
    const { ours, theirs } = await probeBoth(target, module);
    assert.ok(theirs.size > 0, `blackbox answered ${module} ${target}`);
    if (theirs.get('probe_success')?.samples.get('[]') !== success) {
      const debug = await (
        await fetch(`${blackbox.base}/probe?${new URLSearchParams({ target, module, debug: 'true' })}`, {
          headers: { 'X-Prometheus-Scrape-Timeout-Seconds': '5' },
        })
      ).text();
      assert.fail(`blackbox's probe_success for ${module} ${target} is not ${success}:\n${debug}`);
    }
    for (const p of compare(ours, theirs)) report.push(`${module} ${target}: ${p}`);
  }
  assert.deepEqual(report, []);
});
