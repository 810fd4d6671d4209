import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cliPath, fixture, freePort, runCli, sampleValue, waitFor } from './helpers/spyglass.js';

const tmp = mkdtempSync(join(tmpdir(), 'spyglass-cli-'));

describe('spyglass dump', () => {
  it('prints the enabled collectors once in the text format', async () => {
    const r = await runCli(['dump']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^# TYPE node_cpu_seconds_total counter$/m);
    assert.notEqual(sampleValue(r.stdout, 'node_memory_MemTotal_bytes'), undefined);
  });

  it('reads procfs under --path.procfs, with exact values from the fixture', async () => {
    const r = await runCli(['dump', `--path.procfs=${fixture('proc-2cpu')}`, 'loadavg', 'cpu']);
    assert.equal(r.code, 0, r.stderr);
    const [l1, l5, l15] = readFileSync(fixture('proc-2cpu/loadavg'), 'utf8').split(' ').map(Number);
    assert.equal(sampleValue(r.stdout, 'node_load1'), l1);
    assert.equal(sampleValue(r.stdout, 'node_load5'), l5);
    assert.equal(sampleValue(r.stdout, 'node_load15'), l15);
    assert.equal(sampleValue(r.stdout, 'node_cpu_seconds_total{cpu="0",mode="idle"}'), 475.16);
    assert.doesNotMatch(r.stdout, /node_memory_/);
  });

  it('supports openmetrics, json and table formats', async () => {
    const om = await runCli(['dump', '--format', 'openmetrics', 'loadavg']);
    assert.ok(om.stdout.endsWith('# EOF\n'));
    const json = JSON.parse((await runCli(['dump', '--format', 'json', 'loadavg'])).stdout) as Array<{ collector: string; result: string; families: Array<{ name: string }> }>;
    assert.equal(json[0]?.collector, 'loadavg');
    assert.equal(json[0]?.result, 'success');
    assert.deepEqual(json[0]?.families.map((f) => f.name), ['node_load1', 'node_load5', 'node_load15']);
    const table = (await runCli(['dump', '--format', 'table', 'loadavg'])).stdout;
    assert.match(table, /^METRIC\s+LABELS\s+VALUE$/m);
    assert.match(table, /^node_load1\s+[\d.]+$/m);
    assert.equal((await runCli(['dump', '--format', 'xml'])).code, 1);
  });

  it('exits non-zero naming each failed collector and why, still printing the others', async () => {
    const r = await runCli(['dump', `--path.procfs=${fixture('proc-garbled')}`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /collector cpu failed: \/proc\/stat:2: field 3 of cpu0 is not a number: "x"/);
    assert.match(r.stderr, /collector meminfo failed: \/proc\/meminfo:1: value of MemTotal is not a number: "lots"/);
    assert.match(r.stderr, /collector loadavg failed: \/proc\/loadavg:1: expected at least 3 fields, got 2/);
    const missing = await runCli(['dump', '--path.procfs=/nonexistent', 'loadavg']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /collector loadavg failed: ENOENT: no such file or directory, open '\/nonexistent\/loadavg'/);
  });

  it('rejects an unknown collector name', async () => {
    const r = await runCli(['dump', 'nosuch']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown collector\(s\): nosuch/);
    const flag = await runCli(['dump', '--collector.nosuch']);
    assert.equal(flag.code, 1);
    assert.match(flag.stderr, /flags\/environment: collectors\.nosuch: unknown collector "nosuch"/);
  });
});

describe('spyglass check-config, collectors, --version, --help', () => {
  it('check-config accepts a good file and names file:line:column:key of a bad one', async () => {
    const good = join(tmp, 'good.yml');
    writeFileSync(good, 'collectors:\n  cpu: {interval: 5s}\n');
    const ok = await runCli(['check-config', good]);
    assert.equal(ok.code, 0);
    assert.match(ok.stdout, /OK; enabled collectors: arp, conntrack, container, cpu, diskstats, dmi, entropy, filefd, filesystem, hwmon, inventory, loadavg, meminfo, netclass, netdev/);
    const bad = join(tmp, 'bad.yml');
    writeFileSync(bad, 'collectors:\n  cpu:\n    intervall: 5s\n');
    const r = await runCli(['check-config', bad]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.yml:3:5: collectors\.cpu\.intervall: unknown key "intervall"/);
  });

  it('serve refuses to start on a bad config, naming the problem', async () => {
    const bad = join(tmp, 'bad-serve.yml');
    writeFileSync(bad, 'web:\n  listen_address: nonsense\n');
    const r = await runCli(['serve', `--config.file=${bad}`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad-serve\.yml:2:3: web\.listen_address: must match pattern/);
  });

  it('lists collectors with defaults and descriptions', async () => {
    const r = await runCli(['collectors', '--no-collector.cpu']);
    assert.match(r.stdout, /^cpu\s+disabled\s+default on\s+15s\s+CPU time per CPU/m);
    assert.match(r.stdout, /^meminfo\s+enabled\s+default on/m);
  });

  it('prints the version and help with examples', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    assert.equal((await runCli(['--version'])).stdout.trim(), pkg.version);
    const help = await runCli(['--help']);
    assert.match(help.stdout, /Examples:\n\s+\$ spyglass serve/);
    const serveHelp = await runCli(['serve', '--help']);
    assert.match(serveHelp.stdout, /--web\.listen-address <address>/);
    assert.match(serveHelp.stdout, /SPYGLASS_WEB_LISTEN_ADDRESS/);
  });

  it('takes the listen address and log format from the environment', async () => {
    const port = await freePort();
    const proc = spawn(process.execPath, [cliPath, 'serve'], {
      env: { ...process.env, SPYGLASS_WEB_LISTEN_ADDRESS: `127.0.0.1:${port}`, SPYGLASS_LOG_FORMAT: 'logfmt' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let logs = '';
    proc.stderr.on('data', (d) => (logs += d));
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, 10000, 'ready');
      assert.match(logs, /^time=\S+ level=info msg=listening address=127\.0\.0\.1:\d+/m);
    } finally {
      proc.kill('SIGTERM');
      await once(proc, 'exit');
    }
  });
});
