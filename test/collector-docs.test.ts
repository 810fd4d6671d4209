import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { builtinCollectors } from '../collectors/index.js';
import { documentedPatterns } from './helpers/collector-docs.js';
import { parseExposition } from './helpers/exposition.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNode } from './helpers/cgroup-tree.js';
import { fixtureTree, OUTSIDE_THE_TREE } from './helpers/fixture-tree.js';
import { fixture, repoRoot, runCli } from './helpers/spyglass.js';
import { makeCertificates, startHttpsServer } from './helpers/probe-servers.js';
import { startSystemdSandbox, systemdSandboxUnavailable } from './helpers/systemd-sandbox.js';

const readmeOf = (name: string) => (name === 'textfile' ? `${repoRoot}collectors/textfile/README.md` : `${repoRoot}collectors/host/${name}.README.md`);

/** Where each collector has data: this machine, or a synthetic tree for hardware it lacks. */
const RUNS: Record<string, string[]> = {
  cpu: [`--path.procfs=${fixture('proc-2cpu')}`, `--path.sysfs=${fixture('sys-cpu')}`],
  hwmon: [`--path.sysfs=${fixture('sys-hardware')}`],
  thermal_zone: [`--path.sysfs=${fixture('sys-hardware')}`],
  dmi: [`--path.sysfs=${fixture('sys-hardware')}`],
  selinux: [`--path.sysfs=${fixture('selinux/sys')}`, `--path.procfs=${fixture('selinux/proc')}`, `--path.rootfs=${fixture('selinux/root')}`],
  processes: ['--collector.processes'],
};

describe('collector READMEs', () => {
  const host = builtinCollectors.filter((c) => c.group === 'host');

  it('exist for every host collector', () => {
    assert.deepEqual(
      host.filter((c) => !existsSync(readmeOf(c.name))).map((c) => c.name),
      [],
    );
  });

  // Each collector runs on this machine (or its synthetic tree, RUNS) and, unless it reads only the
  // machine, over the fixture tree where it has data whatever this machine lacks: a collector that
  // emits nothing there would pass the check below on nothing, so that fails too.
  const tree = fixtureTree();
  after(() => tree.remove());
  for (const c of host) {
    // systemd: a real one in namespaces of its own (test/helpers/systemd-sandbox.ts), every opt-in family on.
    const skip = c.name === 'systemd' ? systemdSandboxUnavailable() : undefined;
    it(`${c.name}: every family it emits is documented, and it emits some`, { skip }, async (t) => {
      let runArgs = RUNS[c.name] ?? [];
      if (c.name === 'systemd') {
        const sandbox = await startSystemdSandbox();
        t.after(() => sandbox.stop());
        runArgs = [
          `--collector.systemd.address=${sandbox.busAddress}`,
          ...['task', 'restarts', 'start-time'].map((m) => `--collector.systemd.enable-${m}-metrics`),
        ];
      }
      const families = async (args: string[]) => {
        const r = await runCli(['dump', ...args, c.name]);
        assert.equal(r.code, 0, r.stderr);
        return [...parseExposition(r.stdout, `dump ${c.name}`).keys()];
      };
      const onMachine = await families(runArgs);
      const inTree = c.name in OUTSIDE_THE_TREE || c.name === 'processes' ? undefined : await families(tree.flags);
      assert.ok((inTree ?? onMachine).length > 0, `${c.name} emitted no family ${inTree ? 'over the fixture tree' : 'on this machine'}: nothing to check`);
      const emitted = [...new Set([...onMachine, ...(inTree ?? [])])];
      const patterns = documentedPatterns(readFileSync(readmeOf(c.name), 'utf8'));
      assert.deepEqual(
        emitted.filter((name) => !patterns.some((p) => p.test(name))),
        [],
        `undocumented in ${readmeOf(c.name)}`,
      );
    });
  }

  it('container: every family it emits on v1 and v2 trees is documented', async () => {
    const readme = `${repoRoot}collectors/container/README.md`;
    const patterns = documentedPatterns(readFileSync(readme, 'utf8'));
    const full = { cpuUsageNs: 1e9, quotaUs: 50000, memoryUsage: 1e6, pids: [1], threads: 1, readBytes: 4096, writeBytes: 4096 };
    for (const version of ['v1', 'v2'] as const) {
      const node = writeNode(mkdtempSync(join(tmpdir(), 'spyglass-docs-')), version, [
        { path: '/', ...full },
        { path: '/app', ...full },
      ]);
      const r = await runCli(['dump', `--path.procfs=${node.procfs}`, `--path.sysfs=${node.sysfs}`, `--path.rootfs=${node.rootfs}`, 'container']);
      assert.equal(r.code, 0, r.stderr);
      const emitted = [...parseExposition(r.stdout).keys()];
      assert.ok(emitted.length >= (version === 'v2' ? 30 : 25), `${version}: ${emitted.length} families`);
      assert.deepEqual(
        emitted.filter((name) => !patterns.some((p) => p.test(name))),
        [],
        `undocumented in ${readme}`,
      );
    }
  });

  it('probe: every family it emits for http, https and tcp targets is documented', async () => {
    const readme = `${repoRoot}collectors/probe/README.md`;
    const patterns = documentedPatterns(readFileSync(readme, 'utf8'));
    const certs = makeCertificates();
    const https = await startHttpsServer(certs.serverCert, certs.serverKey);
    const dir = mkdtempSync(join(tmpdir(), 'spyglass-docs-'));
    const config = join(dir, 'probe.yml');
    const target = `https://localhost:${https.port}/?header=Last-Modified:Wed,%2021%20Oct%202015%2007:28:00%20GMT`;
    writeFileSync(
      config,
      [
        'collectors:',
        '  probe:',
        '    modules:',
        '      tls: {prober: http, http: {tls_config: {ca_file: ' + JSON.stringify(certs.caFile) + '}}}',
        '      tcp_tls: {prober: tcp, tcp: {tls: true, tls_config: {ca_file: ' + JSON.stringify(certs.caFile) + '}}}',
        '    targets:',
        `      - {target: ${JSON.stringify(target)}, module: tls}`,
        `      - {target: "localhost:${https.port}", module: tcp_tls}`,
      ].join('\n'),
    );
    const r = await runCli(['dump', `--config.file=${config}`, 'probe']);
    await https.close();
    certs.cleanup();
    assert.equal(r.code, 0, r.stderr);
    const emitted = [...parseExposition(r.stdout).keys()];
    assert.ok(emitted.includes('probe_http_last_modified_timestamp_seconds') && emitted.includes('probe_ssl_last_chain_info'), emitted.join(' '));
    assert.deepEqual(
      emitted.filter((name) => !patterns.some((p) => p.test(name))),
      [],
      `undocumented in ${readme}`,
    );
  });
});
