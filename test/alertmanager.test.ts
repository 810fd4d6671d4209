/**
 * The example Alertmanager configuration (alerts/alertmanager.yml): amtool's checks and route
 * tests, then a real Alertmanager on 127.0.0.1 receiving spyglass alerts: inhibitions applied and
 * notifications delivered to the right receiver. The real run only points the webhooks at a local
 * capture server and shortens the grouping waits; routes and inhibitions are the file's own.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { dump, load } from 'js-yaml';
import { cleanupsAfterAll, killed } from './helpers/real-cgroups.js';
import { freePort, repoRoot, waitFor } from './helpers/spyglass.js';

const CONFIG = `${repoRoot}alerts/alertmanager.yml`;
const cleanups = cleanupsAfterAll();

function amtool(args: string[]) {
  const r = spawnSync('amtool', args, { encoding: 'utf8' });
  assert.equal(r.error, undefined, 'amtool must be installed (prometheus-alertmanager, see .ci/run)');
  return { code: r.status, output: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}

const route = (labels: string[]) => amtool(['config', 'routes', 'test', `--config.file=${CONFIG}`, ...labels]).stdout.trim();

interface AmAlert {
  labels: Record<string, string>;
  status: { state: string; inhibitedBy: string[] };
}

describe('Alertmanager example', () => {
  it('amtool check-config accepts it', () => {
    const r = amtool(['check-config', CONFIG]);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /2 inhibit rules/);
  });

  it('routes by severity: critical pages, warning opens a ticket, info and unlabelled alerts go nowhere', () => {
    assert.equal(route(['alertname=ProbeTargetDown', 'severity=critical']), 'pager');
    assert.equal(route(['alertname=NodeFilesystemSpaceFillingUp', 'severity=warning']), 'ticket');
    assert.equal(route(['alertname=NodeCPUHighUsage', 'severity=info']), 'blackhole');
    assert.equal(route(['alertname=Something']), 'blackhole');
    const wrong = amtool(['config', 'routes', 'test', `--config.file=${CONFIG}`, '--verify.receivers=pager', 'severity=warning']);
    assert.equal(wrong.code, 1, 'amtool reports a route that does not reach the expected receiver');
  });

  it('a real Alertmanager inhibits warning twins and the symptoms of a down spyglass, and notifies the right receivers', async () => {
    const notified: Array<{ path: string; alerts: Array<{ labels: Record<string, string> }> }> = [];
    const sink = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        notified.push({ path: req.url ?? '', alerts: (JSON.parse(body) as { alerts: Array<{ labels: Record<string, string> }> }).alerts });
        res.end();
      });
    }).listen(0, '127.0.0.1');
    await once(sink, 'listening');
    cleanups.push(() => void sink.close());
    const sinkPort = (sink.address() as AddressInfo).port;

    const config = load(readFileSync(CONFIG, 'utf8')) as { route: Record<string, unknown>; receivers: Array<{ webhook_configs?: Array<{ url: string }> }> };
    Object.assign(config.route, { group_wait: '1s', group_interval: '1s' });
    for (const r of config.receivers) for (const w of r.webhook_configs ?? []) w.url = w.url.replace('127.0.0.1:9095', `127.0.0.1:${sinkPort}`);
    const dir = mkdtempSync(join(tmpdir(), 'spyglass-am-'));
    writeFileSync(join(dir, 'am.yml'), dump(config));
    const port = await freePort();
    const am = spawn(
      'prometheus-alertmanager',
      [`--config.file=${join(dir, 'am.yml')}`, `--storage.path=${dir}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    cleanups.push(() => killed(am));
    const base = `http://127.0.0.1:${port}/api/v2`;
    await waitFor(async () => (await fetch(`${base}/status`).catch(() => undefined))?.ok === true, 20000, 'alertmanager up');

    const alert = (labels: Record<string, string>) => ({ labels: { job: 'spyglass', ...labels }, annotations: { summary: 'test' } });
    const sent = [
      alert({ alertname: 'NodeFileDescriptorLimit', severity: 'critical', instance: 'n1:9473' }),
      alert({ alertname: 'NodeFileDescriptorLimit', severity: 'warning', instance: 'n1:9473' }), // twin of the critical: inhibited
      alert({ alertname: 'NodeFileDescriptorLimit', severity: 'warning', instance: 'n2:9473' }), // other instance: not inhibited
      alert({ alertname: 'ProbeCertificateExpiringSoon', severity: 'critical', instance: 'n1:9473', target: 'https://d' }),
      alert({ alertname: 'ProbeCertificateExpiringSoon', severity: 'warning', instance: 'n1:9473', target: 'https://c' }), // other target: not inhibited
      alert({ alertname: 'SpyglassDown', severity: 'critical', instance: 'n3:9473' }),
      alert({ alertname: 'ProbeLatencyHigh', severity: 'warning', instance: 'n3:9473', target: 'http://a' }), // symptom of the down spyglass: inhibited
      alert({ alertname: 'NodeCPUHighUsage', severity: 'info', instance: 'n3:9473' }), // inhibited too
      // Same instance name in two clusters (showMultiCluster): the critical of one does not silence the warning of the other.
      alert({ alertname: 'NodeFileDescriptorLimit', severity: 'critical', instance: 'n4:9473', cluster: 'eu' }),
      alert({ alertname: 'NodeFileDescriptorLimit', severity: 'warning', instance: 'n4:9473', cluster: 'us' }),
    ];
    const post = await fetch(`${base}/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(sent) });
    assert.equal(post.status, 200, await post.text());

    const key = (l: Record<string, string>) => `${l.alertname} ${l.severity} ${l.instance}${l.target ? ` ${l.target}` : ''}${l.cluster ? ` ${l.cluster}` : ''}`;
    const states = async () => new Map(((await (await fetch(`${base}/alerts`)).json()) as AmAlert[]).map((a) => [key(a.labels), a.status.state]));
    await waitFor(async () => (await states()).size === sent.length, 10000, 'alerts received');
    assert.deepEqual(Object.fromEntries([...(await states())].sort()), {
      'NodeCPUHighUsage info n3:9473': 'suppressed',
      'NodeFileDescriptorLimit critical n1:9473': 'active',
      'NodeFileDescriptorLimit warning n1:9473': 'suppressed',
      'NodeFileDescriptorLimit warning n2:9473': 'active',
      'NodeFileDescriptorLimit critical n4:9473 eu': 'active',
      'NodeFileDescriptorLimit warning n4:9473 us': 'active',
      'ProbeCertificateExpiringSoon critical n1:9473 https://d': 'active',
      'ProbeCertificateExpiringSoon warning n1:9473 https://c': 'active',
      'ProbeLatencyHigh warning n3:9473 http://a': 'suppressed',
      'SpyglassDown critical n3:9473': 'active',
    });

    const delivered = () => notified.flatMap((n) => n.alerts.map((a) => `${n.path} ${key(a.labels)}`)).sort();
    await waitFor(() => delivered().length >= 7, 15000, `notifications: ${delivered().join(', ')}`);
    await new Promise((r) => setTimeout(r, 2500)); // a further group interval: nothing inhibited may follow
    assert.deepEqual(delivered(), [
      '/pager NodeFileDescriptorLimit critical n1:9473',
      '/pager NodeFileDescriptorLimit critical n4:9473 eu',
      '/pager ProbeCertificateExpiringSoon critical n1:9473 https://d',
      '/pager SpyglassDown critical n3:9473',
      '/ticket NodeFileDescriptorLimit warning n2:9473',
      '/ticket NodeFileDescriptorLimit warning n4:9473 us',
      '/ticket ProbeCertificateExpiringSoon warning n1:9473 https://c',
    ]);
  });
});
