/**
 * The probe collector inside a real `spyglass serve`: targets from the config, from a file_sd
 * file that changes while it runs (and turns bad), and from `--probe`; the blackbox gauges,
 * histogram and counters on /metrics; reasons on the landing page; config errors at start-up.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseExposition } from './helpers/exposition.js';
import { startHttpServer, type Listening } from './helpers/probe-servers.js';
import { cliPath, freePort, runCli, sampleValue, startSpyglass, waitFor, type Running } from './helpers/spyglass.js';
import type { Server } from 'node:http';

let dir: string;
let app: Listening<Server>;
let spyglass: Running;
let closedPort: number;
const sdFile = () => join(dir, 'targets', 'web.json');

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spyglass-probe-'));
  execFileSync('mkdir', ['-p', join(dir, 'targets')]);
  app = await startHttpServer();
  closedPort = await freePort();
  writeFileSync(sdFile(), JSON.stringify([{ targets: [`http://127.0.0.1:${app.port}/?from=sd`], labels: { team: 'web', __scrape_interval__: '1s' } }]));
  writeFileSync(
    join(dir, 'spyglass.yml'),
    [
      'collectors:',
      '  probe:',
      '    interval: 1s',
      '    probe_interval: 1s',
      '    targets:',
      `      - target: http://127.0.0.1:${app.port}/?from=static`,
      '        labels: {tier: front}',
      `      - 127.0.0.1:${closedPort}`,
      '    file_sd:',
      `      - files: ['${join(dir, 'targets', '*.json')}']`,
      '        refresh_interval: 1m',
      '    modules:',
      '      slow_ok:',
      '        prober: http',
      '        timeout: 2s',
      '        http: {valid_status_codes: [200, 204]}',
    ].join('\n'),
  );
  spyglass = await startSpyglass([
    `--config.file=${join(dir, 'spyglass.yml')}`,
    '--collector.disable-defaults',
    '--collector.probe',
    `--probe=tcp://127.0.0.1:${app.port}`,
  ]);
});

after(async () => {
  await spyglass?.stop();
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

const metrics = async () => (await fetch(`${spyglass.base}/metrics`)).text();
const staticTarget = () => `http://127.0.0.1:${app.port}/?from=static`;

test('static, file_sd and --probe targets are probed on their schedule and exposed with blackbox names', async () => {
  let text = '';
  await waitFor(
    async () =>
      (sampleValue((text = await metrics()), `spyglass_probes_total{module="http_2xx",result="success",target="${staticTarget()}",tier="front"}`) ?? 0) >= 2,
    8000,
    'two probes of the static target',
  );
  assert.equal(sampleValue(text, `probe_success{module="http_2xx",target="${staticTarget()}",tier="front"}`), 1);
  assert.equal(sampleValue(text, `probe_http_status_code{module="http_2xx",target="${staticTarget()}",tier="front"}`), 200);
  assert.equal(sampleValue(text, `probe_success{module="http_2xx",target="http://127.0.0.1:${app.port}/?from=sd",team="web"}`), 1);
  assert.equal(sampleValue(text, `probe_success{module="tcp_connect",target="127.0.0.1:${app.port}"}`), 1, 'the --probe target');
  assert.equal(sampleValue(text, `probe_success{module="tcp_connect",target="127.0.0.1:${closedPort}"}`), 0);
  assert.ok((sampleValue(text, `spyglass_probes_total{module="tcp_connect",result="failure",target="127.0.0.1:${closedPort}"}`) ?? 0) >= 1);
  const families = parseExposition(text);
  assert.equal(families.get('spyglass_probe_duration_seconds')?.type, 'histogram');
  assert.equal(families.get('probe_http_duration_seconds')?.type, 'gauge');
  const count = sampleValue(text, `spyglass_probe_duration_seconds_count{module="http_2xx",target="${staticTarget()}",tier="front"}`) as number;
  const le = sampleValue(text, `spyglass_probe_duration_seconds_bucket{module="http_2xx",target="${staticTarget()}",tier="front",le="+Inf"}`);
  assert.equal(le, count);
  assert.equal(sampleValue(text, 'spyglass_probe_targets{source="static"}'), 3);
  assert.equal(sampleValue(text, 'spyglass_probe_targets{source="file_sd"}'), 1);
  assert.ok((sampleValue(text, 'spyglass_probe_schedule_delay_seconds_count') ?? 0) >= 4);
});

test('promtool accepts the exposition of the probe collector', () => {
  return metrics().then((text) => {
    const out = execFileSync('promtool', ['check', 'metrics'], {
      input:
        text
          .split('\n')
          .filter((l) => /^(# (HELP|TYPE) )?(probe_|spyglass_probe)/.test(l))
          .join('\n') + '\n',
      encoding: 'utf8',
    });
    assert.equal(out.trim(), '');
  });
});

test('the landing page lists the targets with the reason a probe fails', async () => {
  const page = await (await fetch(`${spyglass.base}/`)).text();
  assert.match(page, /Probe targets/);
  assert.match(
    page,
    new RegExp(
      `127\\.0\\.0\\.1:${closedPort}</td><td>tcp_connect</td><td>static</td><td>1s</td><td>failure</td><td>[0-9.]+ ms</td><td>connect failed: ECONNREFUSED 127\\.0\\.0\\.1:${closedPort}</td>`,
    ),
  );
});

test('a changed file_sd file is applied without a restart; a broken one keeps its targets and reports the error', async () => {
  writeFileSync(
    sdFile(),
    JSON.stringify([
      {
        targets: [`http://127.0.0.1:${app.port}/?from=sd`, `http://127.0.0.1:${app.port}/?from=sd2`],
        labels: { team: 'web', __scrape_interval__: '1s', __param_module: 'slow_ok' },
      },
    ]),
  );
  await waitFor(
    async () => sampleValue(await metrics(), `probe_success{module="slow_ok",target="http://127.0.0.1:${app.port}/?from=sd2",team="web"}`) === 1,
    8000,
    'the added target',
  );
  let text = await metrics();
  assert.equal(
    sampleValue(text, `probe_success{module="http_2xx",target="http://127.0.0.1:${app.port}/?from=sd",team="web"}`),
    undefined,
    'its module changed: the old series are gone',
  );
  writeFileSync(sdFile(), '[{"targets": ["oops"');
  await waitFor(
    async () => (sampleValue((text = await metrics()), 'spyglass_probe_discovery_errors_total{mechanism="file_sd"}') ?? 0) >= 1,
    5000,
    'the discovery error',
  );
  assert.equal(sampleValue(text, 'spyglass_probe_targets{source="file_sd"}'), 2, 'the targets of the last good read stay');
  const page = await (await fetch(`${spyglass.base}/`)).text();
  assert.match(page, /web\.json.*discovery error/s);
  assert.match(spyglass.logs(), /target discovery failed; keeping the targets it had/);
});

test('config errors name the file, line and problem: unknown module, unsupported blackbox option, timeout not below the interval', async () => {
  const file = join(dir, 'bad.yml');
  writeFileSync(
    file,
    [
      'collectors:',
      '  probe:',
      '    modules:',
      '      via_proxy:',
      '        prober: http',
      '        http:',
      '          proxy_url: http://proxy:3128',
      '    targets:',
      '      - target: http://127.0.0.1/',
      '        module: nope',
      '      - target: http://127.0.0.1/',
      '        interval: 5s',
      '        timeout: 5s',
    ].join('\n'),
  );
  const r = await runCli(['check-config', file]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /bad\.yml:7:\d+: collectors\.probe\.modules\.via_proxy\.http\.proxy_url: not supported by spyglass: probing through a proxy is not supported/,
  );
  assert.match(r.stderr, /bad\.yml:9:\d+: collectors\.probe\.targets\[0\]: target http:\/\/127\.0\.0\.1\/: unknown module nope/);
  assert.match(r.stderr, /bad\.yml:11:\d+: collectors\.probe\.targets\[1\]: .*timeout 5000 ms must be shorter than the interval 5000 ms/);
});

test('an existing blackbox.yml is reused through modules_file; its errors are located in that file', async () => {
  const blackbox = join(dir, 'blackbox.yml');
  writeFileSync(
    blackbox,
    [
      'modules:',
      '  http_2xx_strict:',
      '    prober: http',
      '    timeout: 3s',
      '    http:',
      '      valid_status_codes: [200]',
      '      fail_if_not_ssl: false',
      '      preferred_ip_protocol: ip4',
    ].join('\n'),
  );
  const config = join(dir, 'bb.yml');
  writeFileSync(
    config,
    [
      'collectors:',
      '  probe:',
      `    modules_file: ${blackbox}`,
      '    targets:',
      `      - {target: "http://127.0.0.1:${app.port}/", module: http_2xx_strict}`,
    ].join('\n'),
  );
  const r = await runCli(['dump', `--config.file=${config}`, 'probe']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`probe_success\\{module="http_2xx_strict",target="http://127\\.0\\.0\\.1:${app.port}/"\\} 1`));
  assert.match(r.stdout, /probe_timeout_seconds\{[^}]*\} 3\n/);
  writeFileSync(blackbox, ['modules:', '  broken:', '    prober: http', '    http:', '      valid_status_code: [200]'].join('\n'));
  const bad = await runCli(['check-config', config]);
  assert.equal(bad.code, 1);
  assert.match(
    bad.stderr,
    /blackbox\.yml:5:\d+: modules\.broken\.http\.valid_status_code: unknown key "valid_status_code"|blackbox\.yml:4:\d+: modules\.broken\.http: unknown key "valid_status_code"/,
  );
});

test('spyglass probe prints each phase over several probes, JSON on request, and fails with the reason', async () => {
  const table = await runCli(['probe', `http://127.0.0.1:${app.port}/?headers_delay=20`, '--count', '3', '--interval', '50ms']);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /phase \(ms\)\s+min\s+p50\s+p90\s+p99\s+max/);
  const processing = /^processing\s+([0-9.]+)\s+([0-9.]+)/m.exec(table.stdout);
  assert.ok(processing && Number(processing[1]) >= 19 && Number(processing[2]) < 40, table.stdout);
  assert.match(table.stdout, /3\/3 succeeded/);
  const json = await runCli(['probe', `127.0.0.1:${app.port}`, '--format', 'json']);
  const parsed = JSON.parse(json.stdout) as { module: string; succeeded: number; phases: Record<string, { p50_ms: number }> };
  assert.equal(parsed.module, 'tcp_connect');
  assert.equal(parsed.succeeded, 1);
  assert.ok((parsed.phases.total?.p50_ms ?? 0) > 0);
  const failing = await runCli(['probe', `127.0.0.1:${closedPort}`]);
  assert.equal(failing.code, 1);
  assert.match(failing.stdout, /FAILED .*connect failed: ECONNREFUSED/);
  const unknown = await runCli(['probe', 'http://127.0.0.1/', '--module', 'nope']);
  assert.equal(unknown.code, 2);
  assert.match(
    unknown.stderr,
    /unknown module nope; the modules are grpc, grpc_tls, http_2xx, http_post_2xx, icmp, tcp_connect$/m,
    'lists the modules there are',
  );
});

test('a --probe target has its first result when /readyz turns ready, and a target added later within about a second', async () => {
  writeFileSync(join(dir, 'sidecar-sd.json'), '[]');
  writeFileSync(join(dir, 'sidecar.yml'), ['collectors:', '  probe:', '    file_sd:', `      - files: [${join(dir, 'sidecar-sd.json')}]`].join('\n'));
  const startedAt = performance.now();
  const sidecar = await startSpyglass([
    '--collector.disable-defaults',
    `--probe=http://127.0.0.1:${app.port}/?from=sidecar`,
    `--config.file=${join(dir, 'sidecar.yml')}`,
  ]);
  const readyAfterMs = performance.now() - startedAt;
  try {
    const target = `probe_success{module="http_2xx",target="http://127.0.0.1:${app.port}/?from=sidecar"}`;
    assert.equal(sampleValue(await (await fetch(`${sidecar.base}/metrics`)).text(), target), 1, 'ready means the probe result is there');
    assert.ok(readyAfterMs < 5000, `ready after ${readyAfterMs.toFixed(0)} ms`);
    writeFileSync(join(dir, 'sidecar-sd.json'), JSON.stringify([{ targets: [`http://127.0.0.1:${app.port}/?from=added`] }]));
    const addedAt = performance.now();
    const added = `probe_success{module="http_2xx",target="http://127.0.0.1:${app.port}/?from=added"}`;
    await waitFor(async () => sampleValue(await (await fetch(`${sidecar.base}/metrics`)).text(), added) === 1, 10_000, 'the added target');
    const shownAfterMs = performance.now() - addedAt;
    // The file is watched; the new target is probed within a second, and its result is published at once.
    assert.ok(shownAfterMs < 4000, `the added target's first result showed after ${shownAfterMs.toFixed(0)} ms`);
  } finally {
    await sidecar.stop();
  }
});

test('spyglass probe --count 0 prints each probe as it comes and the summary on Ctrl-C', async () => {
  const proc = spawn(process.execPath, [cliPath, 'probe', `127.0.0.1:${app.port}`, '--count', '0', '--interval', '200ms'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  try {
    await waitFor(() => /^ {2}#3 {2}success/m.test(out), 10_000, 'three probe lines while it runs');
    assert.match(out, /^probing 127\.0\.0\.1:\d+ with module tcp_connect\n {2}#1 {2}success {2}[0-9.]+ ms\n/);
    assert.doesNotMatch(out, /succeeded/, 'no summary before it is stopped');
    proc.kill('SIGINT');
    const [code] = (await once(proc, 'exit')) as [number | null];
    assert.equal(code, 0);
    const probes = out.match(/^ {2}#\d+ {2}success/gm)?.length ?? 0;
    assert.match(out, new RegExp(`^phase \\(ms\\)\\s+min\\s+p50\\s+p90\\s+p99\\s+max\\n(.+\\n)+\\n${probes}/${probes} succeeded\\n$`, 'm'));
  } finally {
    proc.kill('SIGKILL');
  }
});
