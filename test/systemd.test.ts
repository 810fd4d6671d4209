/**
 * The systemd collector against a real systemd and a real dbus-daemon (test/helpers/systemd-sandbox.ts:
 * the machine's systemd as PID 1 of namespaces of its own, with fixture units), and its failure
 * modes: no bus, a peer that never answers.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { systemdVersionNumber } from '../collectors/host/systemd.js';
import { startSystemdSandbox, systemdSandboxUnavailable, type SystemdSandbox } from './helpers/systemd-sandbox.js';
import { cliPath, runCli, sampleValue, startSpyglass, waitFor } from './helpers/spyglass.js';

const unavailable = systemdSandboxUnavailable();
const OPT_IN = ['--collector.systemd.enable-restarts-metrics', '--collector.systemd.enable-task-metrics', '--collector.systemd.enable-start-time-metrics'];

/** Series names of one family in a dump, label sets included. */
const seriesOf = (text: string, family: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith(`${family}{`) || l.startsWith(`${family} `))
    .map((l) => l.slice(0, l.lastIndexOf(' ')));

describe('systemd collector on a real systemd', { skip: unavailable }, () => {
  let sandbox: SystemdSandbox;
  const dump = async (...args: string[]) => {
    const r = await runCli(['dump', 'systemd', `--collector.systemd.address=${sandbox.busAddress}`, ...args]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /collector systemd failed/);
    return r.stdout;
  };
  before(async () => {
    sandbox = await startSystemdSandbox();
  });
  after(async () => sandbox?.stop());

  it('reports unit states, a failed unit, the summary, the version and the system state', async () => {
    const out = await dump();
    const state = (name: string, s: string, type: string) => sampleValue(out, `node_systemd_unit_state{name="${name}",state="${s}",type="${type}"}`);
    for (const s of ['activating', 'active', 'deactivating', 'failed', 'inactive']) {
      assert.equal(state('sg-failed.service', s, 'oneshot'), s === 'failed' ? 1 : 0, s);
      assert.equal(state('sg-ok.service', s, 'simple'), s === 'active' ? 1 : 0, s);
      assert.equal(state('sg-skipped.service', s, 'simple'), s === 'inactive' ? 1 : 0, s);
    }
    assert.equal(state('sg-echo.socket', 'active', ''), 1, 'type is empty for other than services and mounts');
    assert.equal(state('sg-tick.timer', 'active', ''), 1);
    assert.ok((sampleValue(out, 'node_systemd_units{state="failed"}') ?? 0) >= 1);
    assert.ok((sampleValue(out, 'node_systemd_units{state="inactive"}') ?? 0) >= 1, 'not-found units count in the summary');
    assert.equal(
      seriesOf(out, 'node_systemd_unit_state').filter((s) => s.includes('state="active"')).length,
      seriesOf(out, 'node_systemd_unit_state').length / 5,
    );
    const [version] = seriesOf(out, 'node_systemd_version');
    const text = /version="([^"]*)"/.exec(version ?? '')?.[1] ?? '';
    assert.ok(systemdVersionNumber(text) >= 212, text);
    assert.equal(sampleValue(out, `node_systemd_version{version="${text}"}`), systemdVersionNumber(text));
    assert.equal(sampleValue(out, 'node_systemd_system_running'), 0, 'a failed unit: degraded');
    assert.equal(sampleValue(out, 'node_systemd_virtualization_info{virtualization_type="container-other"}'), 1);
    assert.match(out, /^# TYPE node_systemd_unit_state gauge$/m);
    for (const opt of ['restart_total', 'tasks_', 'start_time']) assert.doesNotMatch(out, new RegExp(`node_systemd_(service|unit)_${opt}`), `${opt} is opt-in`);
  });

  it('counts the restarts of a crash-looping service, rising from scrape to scrape', async () => {
    const first = sampleValue(await dump(...OPT_IN), 'node_systemd_service_restart_total{name="sg-crashloop.service"}') ?? -1;
    await sleep(1500);
    const out = await dump(...OPT_IN);
    const second = sampleValue(out, 'node_systemd_service_restart_total{name="sg-crashloop.service"}') ?? -1;
    assert.ok(first >= 0 && second > first, `${first} then ${second}`);
    assert.equal(sampleValue(out, 'node_systemd_service_restart_total{name="sg-ok.service"}'), 0);
    assert.match(out, /^# TYPE node_systemd_service_restart_total counter$/m);
    // Opt-in families: start time (0 unless active), tasks (TasksMax is set; UINT64_MAX gives no series).
    assert.equal(sampleValue(out, 'node_systemd_unit_start_time_seconds{name="sg-failed.service"}'), 0);
    const started = sampleValue(out, 'node_systemd_unit_start_time_seconds{name="sg-ok.service"}') ?? 0;
    assert.ok(Math.abs(started - Date.now() / 1000) < 600, `start time ${started}`);
    assert.ok((sampleValue(out, 'node_systemd_unit_tasks_max{name="sg-ok.service"}') ?? 0) > 0);
    assert.equal(sampleValue(out, 'node_systemd_unit_tasks_max{name="sg-echo.socket"}'), undefined, 'services only');
  });

  it('reports sockets and timers', async () => {
    for (let i = 0; i < 2; i++) {
      const s = net.connect(join(sandbox.run, 'sg-echo.sock'));
      await new Promise((resolve, reject) => s.once('connect', resolve).once('error', reject));
      s.end();
    }
    await waitFor(
      async () => (sampleValue(await dump(), 'node_systemd_socket_accepted_connections_total{name="sg-echo.socket"}') ?? 0) >= 2,
      5000,
      'accepted connections',
    );
    const out = await dump();
    assert.notEqual(sampleValue(out, 'node_systemd_socket_current_connections{name="sg-echo.socket"}'), undefined);
    assert.equal(sampleValue(out, 'node_systemd_socket_refused_connections_total{name="sg-echo.socket"}'), 0);
    assert.match(out, /^# TYPE node_systemd_socket_accepted_connections_total counter$/m);
    await waitFor(async () => (sampleValue(await dump(), 'node_systemd_timer_last_trigger_seconds{name="sg-tick.timer"}') ?? 0) > 0, 5000, 'the timer to fire');
    const fired = sampleValue(await dump(), 'node_systemd_timer_last_trigger_seconds{name="sg-tick.timer"}') ?? 0;
    assert.ok(Math.abs(fired - Date.now() / 1000) < 600, `last trigger ${fired}`);
  });

  it('filters units: include, exclude, the default exclude, and the deprecated names', async () => {
    const names = (out: string) => [...new Set(seriesOf(out, 'node_systemd_unit_state').map((s) => /name="([^"]*)"/.exec(s)?.[1]))].sort();
    const byDefault = names(await dump());
    assert.ok(byDefault.includes('sg-ok.service') && byDefault.includes('dbus.socket'));
    assert.deepEqual(
      byDefault.filter((n) => /\.(automount|device|mount|scope|slice)$/.test(n ?? '')),
      [],
    );
    assert.ok(
      names(await dump('--collector.systemd.unit-exclude=')).some((n) => n?.endsWith('.slice')),
      'an empty exclude lets slices through',
    );
    assert.deepEqual(names(await dump('--collector.systemd.unit-include=sg-.*\\.service')), [
      'sg-crashloop.service',
      'sg-failed.service',
      'sg-ok.service',
      'sg-skipped.service',
      'sg-tick.service',
    ]);
    // Anchored: "sg-ok" alone matches no unit name.
    assert.deepEqual(names(await dump('--collector.systemd.unit-include=sg-ok')), []);
    const excluded = names(await dump('--collector.systemd.unit-include=sg-.*', '--collector.systemd.unit-exclude=sg-(ok|failed)\\.service|.*\\.timer'));
    assert.deepEqual(excluded, ['sg-crashloop.service', 'sg-echo.socket', 'sg-skipped.service', 'sg-tick.service']);
    assert.deepEqual(names(await dump('--collector.systemd.unit-whitelist=sg-ok\\.service')), ['sg-ok.service']);
    // The summary counts every unit, filtered or not.
    const all = await dump('--collector.systemd.unit-include=sg-ok\\.service');
    assert.ok((sampleValue(all, 'node_systemd_units{state="active"}') ?? 0) > 1);
    const both = await runCli(['dump', 'systemd', '--collector.systemd.unit-include=a', '--collector.systemd.unit-whitelist=b']);
    assert.match(both.stderr, /collector systemd failed: unit_whitelist and unit_include are mutually exclusive/);
  });

  it("finds the system bus and systemd's private socket at their usual addresses", async () => {
    for (const args of [[], ['--collector.systemd.private']]) {
      const r = await sandbox.inside([process.execPath, cliPath, 'dump', 'systemd', ...args]);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /failed/, args.join(' '));
      assert.equal(sampleValue(r.stdout, 'node_systemd_unit_state{name="sg-failed.service",state="failed",type="oneshot"}'), 1, args.join(' '));
    }
  });
});

describe('systemd collector without systemd', () => {
  it('fails with a clear error when there is no bus, and the other collectors serve', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spyglass-nobus-'));
    const s = await startSpyglass(['--collector.systemd', `--collector.systemd.address=unix:path=${join(dir, 'no-such-socket')}`]);
    try {
      let body = '';
      await waitFor(async () => /collector="systemd"/.test((body = await (await fetch(`${s.base}/metrics`)).text())), 10_000, 'a systemd run');
      assert.equal(sampleValue(body, 'node_scrape_collector_success{collector="systemd"}'), 0);
      assert.equal(sampleValue(body, 'node_scrape_collector_success{collector="loadavg"}'), 1);
      assert.doesNotMatch(body, /^node_systemd_/m);
      assert.match(s.logs(), /couldn't get dbus connection: .*ENOENT/);
    } finally {
      await s.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not hang on a bus that accepts and never answers: the deadline ends the run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spyglass-mute-'));
    const path = join(dir, 'bus');
    const sockets: net.Socket[] = [];
    const server = net
      .createServer((c) => {
        sockets.push(c);
        c.on('error', () => {}).resume();
      })
      .listen(path);
    await new Promise((r) => server.once('listening', r));
    const cfg = join(dir, 'spyglass.yml');
    writeFileSync(cfg, `collectors:\n  systemd: {enabled: true, interval: 3s, timeout: 1s, address: "unix:path=${path}"}\n`);
    const s = await startSpyglass([`--config.file=${cfg}`]);
    try {
      let body = '';
      await waitFor(async () => /collector="systemd"/.test((body = await (await fetch(`${s.base}/metrics`)).text())), 10_000, 'a systemd run');
      assert.equal(sampleValue(body, 'node_scrape_collector_success{collector="systemd"}'), 0);
      assert.equal(sampleValue(body, 'node_scrape_collector_success{collector="loadavg"}'), 1);
      assert.ok((sampleValue(body, 'node_scrape_collector_duration_seconds{collector="systemd"}') ?? 99) < 2);
      await waitFor(() => sockets.length > 0 && sockets.every((c) => c.destroyed || c.readableEnded), 5000, 'the abandoned connection to be closed');
    } finally {
      await s.stop();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
