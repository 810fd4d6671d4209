/**
 * Probe sharding with real processes: three `spyglass serve` on examples/probe-shards.yml over one
 * file_sd file of 3,000 targets plus 40 SRV records from dnsmasq, their shard index set by the
 * config file, by a flag and by the environment (a StatefulSet pod name). Each process's targets are read from its /metrics
 * (`probe_success{target=…}`; every target is a closed port on 127/8, so probes fail at once).
 * Checked: every target is probed by exactly one process; the split is the one a real Prometheus
 * makes with `hashmod` + `keep` relabel rules over the same file; changing the target list moves
 * no target that stays in it; going from 3 to 4 shards moves exactly the targets whose
 * hash mod 3 differs from their hash mod 4 (the rest, h mod 12 in {0, 1, 2}, stay put).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashmod } from '../src/metrics/relabel.js';
import { startDnsmasq, type Dnsmasq } from './helpers/probe-servers.js';
import { startPrometheus, type PrometheusServer } from './helpers/prometheus.js';
import { repoRoot, sampleValue, startSpyglass, waitFor, type Running } from './helpers/spyglass.js';

const FILE_TARGETS = 3000;
const SRV_TARGETS = 40;
const SRV_NAME = '_probe._tcp.shard.test';

/** Port 9 (discard) is closed here: tcp and http probes fail with ECONNREFUSED at once. */
function fileTarget(i: number): string {
  const host = `127.1.${i >> 8}.${i & 255}`;
  return i % 10 === 0 ? `http://${host}:9/health` : `${host}:9`;
}

/** SRV records answer `127.0.0.1:<port>`; with scheme/path the target is a URL, the hashed address host:port. */
const srvAddress = (i: number) => `127.0.0.1:${20000 + i}`;
const srvTarget = (i: number) => `http://${srvAddress(i)}/healthz`;

/** target as probed → address hashed, for every target of the run. */
function universe(fileTargets: string[]): Map<string, string> {
  const m = new Map<string, string>(fileTargets.map((t) => [t, t]));
  for (let i = 0; i < SRV_TARGETS; i++) m.set(srvTarget(i), srvAddress(i));
  return m;
}

function writeTargets(file: string, targets: string[]): void {
  writeFileSync(file, JSON.stringify([{ targets, labels: { team: 'probes' } }]));
}

/** The targets a process probes, once every target of its shard has a result. */
async function probedTargets(s: Running, expected: number): Promise<Set<string>> {
  let found = new Set<string>();
  // Seconds when the machine is idle; the margin is for a loaded CI runner.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const text = await (await fetch(`${s.base}/metrics`)).text().catch(() => '');
    found = new Set([...text.matchAll(/^probe_success\{[^}]*target="([^"]+)"/gm)].map((m) => m[1] as string));
    if (found.size === expected && sampleValue(text, 'spyglass_probe_shard_targets{state="kept"}') !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${expected} probed targets on ${s.base} (have ${found.size})\n${s.logs().slice(-2000)}`);
    // Each body holds every target's series: polling it fast would load the machine more than the probes do.
    await new Promise((r) => setTimeout(r, 400));
  }
}

describe('probe sharding across real spyglass processes', () => {
  let dir: string;
  let targetsFile: string;
  let dnsmasq: Dnsmasq;
  const running: Running[] = [];
  let fileTargets: string[];

  /**
   * examples/probe-shards.yml as shipped (shard 0 of 3), pointed at this run's targets file and
   * dnsmasq, publishing every second; `count` rewrites its shard count. One copy per process.
   */
  const exampleConfig = (copy: number, count = 3) => {
    const file = join(dir, `probe-shards-${copy}.yml`);
    const example = readFileSync(join(repoRoot, 'examples/probe-shards.yml'), 'utf8');
    const text = example
      .replace('/etc/spyglass/targets/', `${dirname(targetsFile)}/`)
      .replace('_http._tcp.web.service.consul]', `${SRV_NAME}]\n        server: "127.0.0.1:${dnsmasq.port}"`)
      .replace(/^ {2}probe:\n/m, '  probe:\n    interval: 1s\n')
      .replace(/count: 3 /, `count: ${count} `);
    assert.notEqual(text, example);
    writeFileSync(file, text);
    return file;
  };
  const start = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    // One histogram bucket: smaller bodies to render and read (the split is under test, not latency).
    startSpyglass(['--collector.disable-defaults', '--collector.probe', '--collector.probe.buckets=1', '--log.level=error', ...args], {
      env,
      waitReady: false,
      startTimeoutMs: 60_000, // a loaded CI runner; seconds when idle
    }).then((s) => {
      running.push(s);
      return s;
    });
  /** Who probes what: target → shard index; fails on a target probed twice. */
  const assignment = (sets: Set<string>[]) => {
    const owner = new Map<string, number>();
    sets.forEach((set, index) => {
      for (const t of set) {
        assert.ok(!owner.has(t), `${t} is probed by shards ${owner.get(t)} and ${index}`);
        owner.set(t, index);
      }
    });
    return owner;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spyglass-shard-'));
    mkdirSync(join(dir, 'targets'));
    targetsFile = join(dir, 'targets', 'shared.yaml'); // JSON is YAML, for spyglass and Prometheus alike
    fileTargets = Array.from({ length: FILE_TARGETS }, (_, i) => fileTarget(i));
    writeTargets(targetsFile, fileTargets);
    dnsmasq = await startDnsmasq(Array.from({ length: SRV_TARGETS }, (_, i) => `--srv-host=${SRV_NAME},127.0.0.1,${20000 + i}`));
  });
  after(async () => {
    await Promise.all(running.map((s) => s.stop('SIGKILL')));
    await dnsmasq?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  let shards3: Running[] = [];
  let owner3: Map<string, number>;

  it('three processes (shard from config, flags, pod name in the environment) probe each target exactly once', async () => {
    shards3 = await Promise.all([
      start([`--config.file=${exampleConfig(0)}`]),
      start([`--config.file=${exampleConfig(1)}`, '--probe.shard-index=1']),
      start([`--config.file=${exampleConfig(2)}`], { SPYGLASS_PROBE_SHARD_INDEX: 'prober-2' }),
    ]);
    const all = universe(fileTargets);
    const expected = [0, 1, 2].map((i) => [...all].filter(([, address]) => hashmod(address, 3) === i).map(([t]) => t));
    const sets = await Promise.all(shards3.map((s, i) => probedTargets(s, (expected[i] as string[]).length)));
    owner3 = assignment(sets);
    assert.equal(owner3.size, all.size, 'every target is probed');
    for (const [i, set] of sets.entries()) {
      assert.deepEqual([...set].sort(), [...(expected[i] as string[])].sort(), `shard ${i} = hashmod(address, 3) == ${i}`);
      assert.ok(set.size > 900 && set.size < 1150, `shard ${i} holds ${set.size} of ${all.size}`);
    }
    // The SRV targets are split by host:port, not by the URL made of it: the two differ for some.
    assert.ok([...Array(SRV_TARGETS).keys()].some((i) => hashmod(srvTarget(i), 3) !== hashmod(srvAddress(i), 3)));
    for (const [i, s] of shards3.entries()) {
      const text = await (await fetch(`${s.base}/metrics`)).text();
      assert.equal(sampleValue(text, `spyglass_probe_shard_info{shard="${i}",shards="3"}`), 1);
      assert.equal(sampleValue(text, 'spyglass_probe_shard_targets{state="kept"}'), sets[i]?.size);
      assert.equal(sampleValue(text, 'spyglass_probe_shard_targets{state="left_out"}'), all.size - (sets[i]?.size ?? 0));
      assert.match(await (await fetch(`${s.base}/`)).text(), new RegExp(`shard ${i} of 3 \\(0 to 2\\), ${sets[i]?.size} kept`));
    }
  });

  it("splits the file's targets as a real Prometheus does with hashmod + keep on __address__", async () => {
    assert.ok(owner3, 'needs the previous test');
    const job = (i: number) => `
  - job_name: shard${i}
    scrape_interval: 1h
    file_sd_configs: [{files: [${JSON.stringify(targetsFile)}]}]
    relabel_configs:
      - {source_labels: [__address__], modulus: 3, target_label: __tmp_shard, action: hashmod}
      - {source_labels: [__tmp_shard], regex: "${i}", action: keep}
      - {source_labels: [__address__], target_label: __param_target}
      - {source_labels: [__param_target], target_label: instance}
      - {target_label: __address__, replacement: "127.0.0.1:9"}
`;
    let prometheus: PrometheusServer | undefined;
    try {
      prometheus = await startPrometheus([0, 1, 2].map(job).join(''));
      type Targets = { activeTargets: Array<{ scrapePool: string; discoveredLabels: Record<string, string> }> };
      let active: Targets['activeTargets'] = [];
      await waitFor(
        async () => (active = (await (prometheus as PrometheusServer).api<Targets>('targets', { state: 'active' })).activeTargets).length === FILE_TARGETS,
        30_000,
        `prometheus to hold ${FILE_TARGETS} active targets (has ${active.length})`,
      );
      const byPrometheus = new Map(active.map((t) => [t.discoveredLabels.__address__ as string, Number(t.scrapePool.slice('shard'.length))]));
      assert.equal(byPrometheus.size, FILE_TARGETS);
      const mismatched = fileTargets.filter((t) => byPrometheus.get(t) !== owner3.get(t));
      assert.deepEqual(mismatched, [], 'targets Prometheus puts in another shard than spyglass');
    } finally {
      await prometheus?.stop();
    }
  });

  it('a changed target list moves no target that stays in it', async () => {
    // Drop the first 300, add 300 new ones; the watched file_sd file is re-read within a second.
    fileTargets = [...fileTargets.slice(300), ...Array.from({ length: 300 }, (_, i) => fileTarget(FILE_TARGETS + i))];
    writeTargets(targetsFile, fileTargets);
    const all = universe(fileTargets);
    const expectedSizes = [0, 1, 2].map((i) => [...all.values()].filter((a) => hashmod(a, 3) === i).length);
    const sets = await Promise.all(shards3.map((s, i) => probedTargets(s, expectedSizes[i] as number)));
    const owner = assignment(sets);
    assert.equal(owner.size, all.size);
    let kept = 0;
    for (const [t, shard] of owner)
      if (owner3.has(t)) {
        kept++;
        assert.equal(shard, owner3.get(t), `${t} moved although it stayed in the list`);
      } else assert.equal(shard, hashmod(all.get(t) as string, 3), `new target ${t}`);
    assert.equal(kept, all.size - 300);
    owner3 = owner;
  });

  it('going from 3 to 4 shards moves exactly the targets whose hash mod 3 and mod 4 differ', async () => {
    // Shard 0 reloads its changed config (SIGHUP); 1 and 2 restart with the new count, as pods of a
    // StatefulSet whose environment changed do; shard 3 is new.
    const zero = shards3[0] as Running;
    exampleConfig(0, 4);
    await Promise.all(shards3.slice(1).map((s) => s.stop()));
    zero.proc.kill('SIGHUP');
    const shards4 = [
      zero,
      ...(await Promise.all([
        start([`--config.file=${exampleConfig(1)}`, '--probe.shard-index=1', '--probe.shard-count=4']),
        start([`--config.file=${exampleConfig(2)}`], { SPYGLASS_PROBE_SHARD_INDEX: 'prober-2', SPYGLASS_PROBE_SHARD_COUNT: '4' }),
        start([`--config.file=${exampleConfig(3)}`], { SPYGLASS_PROBE_SHARD_INDEX: 'prober-3', SPYGLASS_PROBE_SHARD_COUNT: '4' }),
      ])),
    ];
    const all = universe(fileTargets);
    const expectedSizes = [0, 1, 2, 3].map((i) => [...all.values()].filter((a) => hashmod(a, 4) === i).length);
    const owner4 = assignment(await Promise.all(shards4.map((s, i) => probedTargets(s, expectedSizes[i] as number))));
    assert.equal(owner4.size, all.size, 'every target is probed');
    const moved = [...all.keys()].filter((t) => owner4.get(t) !== owner3.get(t));
    const mustMove = [...all].filter(([, a]) => hashmod(a, 3) !== hashmod(a, 4)).map(([t]) => t);
    assert.deepEqual(moved.sort(), mustMove.sort());
    // Modulo sharding, N → N+1: a target stays iff h mod N(N+1) < N, so 1/(N+1) of them (here 1/4) stay.
    const stayed = all.size - moved.length;
    assert.ok(stayed > all.size * 0.2 && stayed < all.size * 0.3, `${stayed} of ${all.size} stayed`);
  });
});
