/**
 * The icmp prober with real sockets: raw sockets as root here; ping sockets and the missing
 * privilege in network namespaces the test creates (`unshare -n`, so their sysctls are their own)
 * with CAP_NET_RAW dropped from the bounding set (`setpriv`), which is what an unprivileged
 * container sees.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { echoPayload, missingPrivilege } from '../collectors/probe/icmp-prober.js';
import { buildModule, type RawModule } from '../collectors/probe/module.js';
import { runProbe } from '../collectors/probe/prober.js';
import { cliCommandLine } from './helpers/spyglass.js';

const logger = { debug() {}, info() {}, warn() {}, error() {} };
const icmpModule = (icmp: Record<string, unknown> = {}) => buildModule('icmp', { prober: 'icmp', icmp } as RawModule);
const phase = (o: Awaited<ReturnType<typeof runProbe>>, name: string) => o.report.value('probe_icmp_duration_seconds', { phase: name }) as number;

/** Runs the spyglass CLI in a fresh network namespace (loopback up) after `setup`, without CAP_NET_RAW. */
function cliInOwnNetns(setup: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const quoted = cliCommandLine(args);
  const script = `ip link set lo up && ${setup} exec setpriv --bounding-set -net_raw --inh-caps -net_raw ${quoted}`;
  const r = spawnSync('unshare', ['-n', 'sh', '-c', script], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('icmp prober', () => {
  test('echo to 127.0.0.1 over a raw socket: phases, reply TTL, blackbox resolve gauges', async () => {
    const o = await runProbe('127.0.0.1', icmpModule(), 2000, { logger });
    assert.equal(o.success, true, o.failure);
    assert.ok(phase(o, 'rtt') > 0 && phase(o, 'rtt') < 0.05, `rtt ${phase(o, 'rtt')} s`);
    assert.ok(phase(o, 'setup') > 0);
    assert.equal(phase(o, 'resolve'), o.report.value('probe_dns_lookup_time_seconds'));
    assert.equal(o.report.value('probe_icmp_reply_hop_limit'), 64, 'the loopback reply leaves with the default TTL');
    assert.equal(o.report.value('probe_ip_protocol'), 4);
    assert.ok(phase(o, 'resolve') + phase(o, 'setup') + phase(o, 'rtt') <= o.durationSeconds);
  });

  test('IPv6 (::1) and a hostname resolved through /etc/hosts', async () => {
    const v6 = await runProbe('::1', icmpModule({ preferred_ip_protocol: 'ip6' }), 2000, { logger });
    assert.equal(v6.success, true, v6.failure);
    assert.equal(v6.report.value('probe_ip_protocol'), 6);
    assert.equal(v6.report.value('probe_icmp_reply_hop_limit'), 64);
    const named = await runProbe('localhost', icmpModule(), 2000, { logger });
    assert.equal(named.success, true, named.failure);
  });

  test('payload_size, ttl and dont_fragment are applied; an echo larger than the MTU with DF fails with the reason', () => {
    assert.equal(echoPayload(1400).length, 1400);
    assert.equal(echoPayload(0).toString(), 'spyglass ICMP probe');
    const dir = mkdtempSync(join(tmpdir(), 'spyglass-icmp-'));
    const config = join(dir, 'spyglass.yml');
    const module = (size: number) => `{prober: icmp, icmp: {payload_size: ${size}, ttl: 3, dont_fragment: true}}`;
    writeFileSync(config, ['collectors:', '  probe:', '    modules:', `      fits: ${module(1400)}`, `      too_big: ${module(1600)}`].join('\n'));
    try {
      const setup = 'ip link set lo mtu 1500 && sysctl -qw net.ipv4.ping_group_range="0 0" &&';
      const fits = cliInOwnNetns(setup, ['probe', '127.0.0.1', `--config.file=${config}`, '--module', 'fits']);
      assert.equal(fits.status, 0, fits.stdout + fits.stderr);
      const tooBig = cliInOwnNetns(setup, ['probe', '127.0.0.1', `--config.file=${config}`, '--module', 'too_big']);
      assert.equal(tooBig.status, 1);
      assert.match(tooBig.stdout, /sending the echo request to 127\.0\.0\.1 failed: EMSGSIZE/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('no reply: the probe times out at its deadline and closes its socket', () => {
    const r = cliInOwnNetns('sysctl -qw net.ipv4.icmp_echo_ignore_all=1 && sysctl -qw net.ipv4.ping_group_range="0 0" &&', [
      'probe',
      '127.0.0.1',
      '--module',
      'icmp',
      '--timeout',
      '300ms',
    ]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /FAILED .*timed out after 300 ms/);
  });

  test('without CAP_NET_RAW, a ping socket is used when ping_group_range admits the group', () => {
    const r = cliInOwnNetns('sysctl -qw net.ipv4.ping_group_range="0 0" &&', [
      'probe',
      '127.0.0.1',
      '--module',
      'icmp',
      '--count',
      '3',
      '--interval',
      '50ms',
      '--format',
      'json',
    ]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const result = JSON.parse(r.stdout) as { succeeded: number; phases: Record<string, { max_ms: number }> };
    assert.equal(result.succeeded, 3);
    assert.ok((result.phases.rtt as { max_ms: number }).max_ms > 0);
  });

  test('with neither privilege the probe fails naming both, and the exit status says so', () => {
    const r = cliInOwnNetns('', ['probe', '127.0.0.1', '--module', 'icmp']);
    assert.equal(r.status, 1);
    assert.match(
      r.stdout,
      /ICMP is not permitted for this process: a ping socket needs its group \(gid 0\) inside net\.ipv4\.ping_group_range \(here "1 0";.*a raw socket needs CAP_NET_RAW/,
    );
    assert.match(missingPrivilege(undefined, 7), /gid 7.*here unreadable/);
  });
});
