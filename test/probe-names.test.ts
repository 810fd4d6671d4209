/**
 * Names that do not resolve, through the system resolver (getaddrinfo) as a probe uses it. The
 * probe runs in a network and mount namespace of the test's own: /etc/resolv.conf there points at
 * a dnsmasq on 127.0.0.1 inside the namespace, so no query can leave this machine.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { cliCommandLine } from './helpers/spyglass.js';

function probeInOwnNamespaces(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'spyglass-names-'));
  try {
    const resolvConf = join(dir, 'resolv.conf');
    writeFileSync(resolvConf, 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
    const dnsmasq = [
      'dnsmasq --keep-in-foreground --no-resolv --no-hosts --no-poll --bind-interfaces --listen-address=127.0.0.1 --port=53 --user=root --pid-file=',
      '--address=/web.spyglass.test/127.0.0.1 --local=/spyglass.test/ --log-facility=-',
    ].join(' ');
    const quoted = cliCommandLine(args);
    const script = [
      'set -e',
      'ip link set lo up',
      `mount --bind '${resolvConf}' /etc/resolv.conf`,
      `${dnsmasq} 2>/dev/null & dns=$!`,
      'for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/53) 2>/dev/null && break; sleep 0.1; done',
      `set +e; ${quoted}; status=$?`,
      'kill $dns; exit $status',
    ].join('\n');
    const r = spawnSync('unshare', ['-n', '-m', '--propagation', 'private', 'bash', '-c', script], { encoding: 'utf8', timeout: 30_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a name the resolver knows is probed; NXDOMAIN and a refusing server fail with the resolver error', () => {
  const known = probeInOwnNamespaces(['probe', 'web.spyglass.test:53', '--module', 'tcp_connect']);
  assert.equal(known.status, 0, known.stdout + known.stderr);
  const unknown = probeInOwnNamespaces(['probe', 'http://nothing.spyglass.test/', '--timeout', '3s']);
  assert.equal(unknown.status, 1, unknown.stdout + unknown.stderr);
  assert.match(unknown.stdout, /FAILED .*cannot resolve nothing\.spyglass\.test: ENOTFOUND/);
  // dnsmasq has no upstream: it answers REFUSED for names outside its zone.
  const refused = probeInOwnNamespaces(['probe', 'http://elsewhere.example/', '--timeout', '3s']);
  assert.equal(refused.status, 1, refused.stdout + refused.stderr);
  assert.match(refused.stdout, /FAILED .*cannot resolve elsewhere\.example: EAI_AGAIN/);
});
