/**
 * End to end: a real Prometheus loads the bundled rules and scrapes two real spyglass instances
 * (job "spyglass", as the rules' default selector expects): one with the host collectors and
 * probes of local HTTP, HTTPS, DNS (dnsmasq), gRPC and ICMP targets, one with the container
 * collector over real cgroups laid out like a Kubernetes node, and one for what this VM lacks: md
 * arrays, bonds, sensors, cpufreq, NFS, XFS and ZFS from the golden dump's fixture tree, and systemd's units from a real systemd in
 * a sandbox (test/helpers/systemd-sandbox.ts); a fourth reads a cgroup v2 node from fixture files
 * (PSI, swap, block I/O, a container outside Kubernetes: test/helpers/v2-node.ts). Then every dashboard variable and
 * panel query runs through Prometheus's HTTP API with "All" selected (a one-value variable at its
 * pinned value, else any value) and must return data (except
 * the panels listed in NO_DATA_HERE, each with its reason), every rule evaluates without error, and
 * every metric the dashboards and rules name exists in what spyglass served or in a collector's
 * README (for hardware this machine lacks).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { alertGroups, recordingGroups } from '../alerts/src/index.js';
import { dashboards } from '../dashboards/src/index.js';
import { DEFAULT_MIXIN_CONFIG } from '../src/mixin/config.js';
import { allDocumentedPatterns } from './helpers/collector-docs.js';
import { dashboardQueries, type DashboardJson, type VariableJson } from './helpers/dashboards.js';
import { startKubeNode } from './helpers/kube-node.js';
import { makeCertificates, startDnsmasq, startGrpcHealthServer, startHttpServer, startHttpsServer } from './helpers/probe-servers.js';
import { startPrometheus } from './helpers/prometheus.js';
import { prometheusReceiver } from './helpers/remote-write-receivers.js';
import { analysePromql, substituteGrafanaBuiltins } from './helpers/promql.js';
import { fixtureTree } from './helpers/fixture-tree.js';
import { KUBE_POD } from './helpers/kube-node.js';
import { cleanupsAfterAll, killed } from './helpers/real-cgroups.js';
import { repoRoot, startSpyglass, waitFor } from './helpers/spyglass.js';
import { startSystemdSandbox, systemdSandboxUnavailable } from './helpers/systemd-sandbox.js';
import { V2_POD, writeV2Node } from './helpers/v2-node.js';

const noSystemd = systemdSandboxUnavailable();
const swapTotal = Number(/^SwapTotal:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);

/** Panel queries that cannot have data on this machine, with the reason; each is checked to be empty indeed, and only then. */
const NO_DATA_HERE: Record<string, { reason: string; applies: boolean }> = {
  'spyglass-host.json "Swap used" A': {
    reason: 'no swap configured (SwapTotal 0): the query leaves hosts without swap out on purpose',
    applies: swapTotal === 0,
  },
  ...Object.fromEntries(
    [
      '"Pressure" A',
      '"Pressure" B',
      '"Pressure" C',
      '"Pressure stalls" A',
      '"Pressure stalls" B',
      '"Pressure stalls" C',
      '"Pressure stalls" D',
      '"Pressure stalls" E',
    ].map((p) => [`spyglass-host.json ${p}`, { reason: 'the kernel has no PSI (/proc/pressure)', applies: !existsSync('/proc/pressure') }]),
  ),
  'spyglass-host.json "Pressure stalls" F': {
    reason: 'the kernel has no IRQ pressure (/proc/pressure/irq: 6.1+ with CONFIG_IRQ_TIME_ACCOUNTING), nor the fixture tree',
    applies: !existsSync('/proc/pressure/irq'),
  },
  ...Object.fromEntries(
    ['"Failed units" A', '"Which units failed" A', '"Restarts" A'].map((p) => [
      `spyglass-host.json ${p}`,
      { reason: `no systemd sandbox here (${noSystemd})`, applies: noSystemd !== undefined },
    ]),
  ),
};

/** Prometheus scrapes this long before the queries run: rate windows and the rules fill up. */
const SCRAPE_FOR_MS = 120_000;
/** Grafana's built-ins for a 5-minute range at a 1 s scrape interval; variables as `pick` below. */
const ALL = { rateInterval: '20s', range: '5m' };
const cleanups = cleanupsAfterAll();

interface Result {
  metric: Record<string, string>;
  value?: [number, string];
  values?: Array<[number, string]>;
}

describe('dashboards and rules against a real Prometheus scraping real spyglass', () => {
  it('every panel query returns data, every rule evaluates, every named metric exists', { timeout: 300_000 }, async (t) => {
    // 102 shares: what the kubelet writes for a 100m CPU request.
    const node = startKubeNode(cleanups, { memoryLimitBytes: 256 << 20, cpuShares: 102, pidsMax: 64 });
    const certs = makeCertificates();
    cleanups.push(() => certs.cleanup());
    const http = await startHttpServer();
    const https = await startHttpsServer(certs.serverCert, certs.serverKey);
    const dnsmasq = await startDnsmasq(['--host-record=web.spyglass.test,127.0.0.1']);
    const grpc = await startGrpcHealthServer({ '': 'SERVING' });
    cleanups.push(
      () => http.close(),
      () => https.close(),
      () => dnsmasq.stop(),
      () => grpc.stop(),
    );
    // Disk traffic for the disk panels: direct I/O bypasses the page cache.
    const scratch = mkdtempSync(join('/var/tmp', 'spyglass-e2e-'));
    cleanups.push(() => rmSync(scratch, { recursive: true, force: true })); // runs after the writer below is killed
    const io = spawn(
      'sh',
      [
        '-c',
        `while :; do dd if=/dev/zero of=${scratch}/f bs=64k count=16 oflag=direct conv=fsync 2>/dev/null; dd if=${scratch}/f of=/dev/null bs=64k iflag=direct 2>/dev/null; sleep 0.5; done`,
      ],
      { stdio: 'ignore' },
    );
    cleanups.push(() => killed(io));

    // The host spyglass also pushes, so the remote-write row has data: a real receiver.
    const receiver = await prometheusReceiver();
    await receiver.start();
    cleanups.push(() => receiver.close());

    const dir = mkdtempSync(join(tmpdir(), 'spyglass-e2e-'));
    const config = join(dir, 'spyglass.yml');
    writeFileSync(
      config,
      [
        'scheduler: {interval: 1s, timeout: 900ms}',
        // A relabel drop as in examples/remote-write.yml, so the dropped-samples query has a series.
        `remote_write: [{url: '${receiver.writeUrl}', name: e2e, write_relabel_configs: [{source_labels: [__name__], regex: 'nodejs_.*', action: drop}]}]`,
        `remote_write_queue: {path: '${join(dir, 'remote-write')}'}`,
        'collectors:',
        '  probe:',
        '    probe_interval: 1s',
        '    modules:',
        `      https_ca: {prober: http, http: {tls_config: {ca_file: '${certs.caFile}'}}}`,
        '      dns_a: {prober: dns, dns: {query_name: web.spyglass.test, query_type: A}}',
        '    targets:',
        `      - http://127.0.0.1:${http.port}/`,
        `      - {target: 'https://127.0.0.1:${https.port}/', module: https_ca}`,
        `      - {target: '127.0.0.1:${dnsmasq.port}', module: dns_a}`,
        `      - {target: '127.0.0.1:${grpc.port}', module: grpc}`,
        '      - {target: 127.0.0.1, module: icmp}',
      ].join('\n'),
    );
    // processes is off by default; its panel reads this machine's /proc.
    const host = await startSpyglass([`--config.file=${config}`, '--no-collector.container', '--collector.processes']);
    const containers = await startSpyglass([
      '--collector.disable-defaults',
      '--collector.container',
      '--collector.container.interval=1s',
      `--collector.container.cgroup-include=${node.top}.*`,
      `--path.rootfs=${node.rootfs}`,
    ]);
    const tree = fixtureTree();
    cleanups.push(() => tree.remove());
    const v2 = writeV2Node();
    cleanups.push(() => v2.remove());
    const v2Node = await startSpyglass([
      '--collector.disable-defaults',
      '--collector.container',
      '--collector.container.interval=1s',
      `--path.procfs=${v2.procfs}`,
      `--path.sysfs=${v2.sysfs}`,
      `--path.rootfs=${v2.rootfs}`,
    ]);
    cleanups.push(async () => void (await v2Node.stop()));
    // kube-state-metrics needs an API server, which does not run here: its series for the live node's pod,
    // served by a textfile collector under its job, so that the kubeStateMetrics knob's panels (joins included) are queried.
    const ksmDir = mkdtempSync(join(tmpdir(), 'spyglass-e2e-ksm-'));
    cleanups.push(() => rmSync(ksmDir, { recursive: true, force: true }));
    // Both nodes' pods: the live node's collector can miss a run on a loaded machine, the fixture node's does not.
    const ksmSeries = (pod: string) => {
      const ksmPod = `namespace="shop",pod="${pod}"`;
      const ksmContainer = `${ksmPod},container="nginx"`;
      return [
        '# TYPE kube_pod_container_resource_requests gauge',
        `kube_pod_container_resource_requests{${ksmContainer},resource="cpu",unit="core"} 0.1`,
        `kube_pod_container_resource_requests{${ksmContainer},resource="memory",unit="byte"} 67108864`,
        '# TYPE kube_pod_container_resource_limits gauge',
        `kube_pod_container_resource_limits{${ksmContainer},resource="cpu",unit="core"} 0.1`,
        `kube_pod_container_resource_limits{${ksmContainer},resource="memory",unit="byte"} 268435456`,
        '# TYPE kube_pod_container_status_restarts_total counter',
        `kube_pod_container_status_restarts_total{${ksmContainer}} 2`,
        '# TYPE kube_pod_status_phase gauge',
        `kube_pod_status_phase{${ksmPod},phase="Running"} 1`,
        `kube_pod_status_phase{${ksmPod},phase="Pending"} 0`,
        '# TYPE kube_pod_owner gauge',
        `kube_pod_owner{${ksmPod},owner_kind="ReplicaSet",owner_name="${pod.replace(/-[^-]+$/, '')}",owner_is_controller="true"} 1`,
      ];
    };
    const [first, ...rest] = [ksmSeries(KUBE_POD), ksmSeries(V2_POD)];
    // One TYPE line per family: the families of the second pod go under the first's.
    const lines = (first as string[]).flatMap((l, i) => (l.startsWith('#') ? [l] : [l, ...rest.map((r) => r[i] as string)]));
    writeFileSync(join(ksmDir, 'kube-state-metrics.prom'), `${lines.join('\n')}\n`);
    const ksm = await startSpyglass(['--collector.disable-defaults', '--collector.textfile', `--collector.textfile.directory=${ksmDir}`]);
    cleanups.push(async () => void (await ksm.stop()));
    const systemd = noSystemd ? undefined : await startSystemdSandbox();
    if (systemd) cleanups.push(() => systemd.stop());
    const lacking = await startSpyglass([
      '--collector.disable-defaults',
      '--collector.mdadm',
      '--collector.bonding',
      // A host as the Host dashboard lists it (node_uname_info), with hardware and filesystems this VM
      // lacks (sensors, cpufreq, NFS, XFS, ZFS) and a link speed (virtio reports none).
      ...['uname', 'hwmon', 'cpufreq', 'nfs', 'nfsd', 'xfs', 'zfs', 'netclass', 'netdev'].map((c) => `--collector.${c}`),
      ...(systemd ? ['--collector.systemd', `--collector.systemd.address=${systemd.busAddress}`, '--collector.systemd.enable-restarts-metrics'] : []),
      ...tree.flags,
    ]);
    cleanups.push(
      async () => void (await host.stop()),
      async () => void (await containers.stop()),
      async () => void (await lacking.stop()),
    );

    const rulesDir = `${repoRoot}alerts`;
    const prometheus = await startPrometheus(
      `  - job_name: spyglass
    scrape_interval: 1s
    static_configs: [{ targets: ['127.0.0.1:${host.port}', '127.0.0.1:${containers.port}', '127.0.0.1:${lacking.port}', '127.0.0.1:${v2Node.port}'] }]
  - job_name: kube-state-metrics
    scrape_interval: 1s
    static_configs: [{ targets: ['127.0.0.1:${ksm.port}'] }]
`,
      { ruleFiles: [`${rulesDir}/spyglass-alerts.yaml`, `${rulesDir}/spyglass-rules.yaml`], evaluationInterval: '1s' },
    );
    cleanups.push(() => prometheus.stop());
    const api = (path: string, params: Record<string, string>) => prometheus.api(path, params);

    const all = Object.entries(dashboards(DEFAULT_MIXIN_CONFIG)) as unknown as Array<[string, DashboardJson]>;
    const queries = dashboardQueries(all);
    assert.ok(queries.length > 0, 'no queries to run');
    // "All" where a variable has it; a one-value variable ($job, Host's $instance) takes its pinned value, else any value (.+).
    const pick = (v: VariableJson) => v.allValue ?? (typeof v.current?.value === 'string' ? v.current.value : '.+');
    const allValues = new Map(all.flatMap(([, d]) => d.templating.list.filter((v) => v.type === 'query').map((v) => [v.name, pick(v)] as const)));
    const fill = (expr: string) => substituteGrafanaBuiltins(expr, ALL).replace(/\$([a-z]+)/g, (whole, name: string) => allValues.get(name) ?? whole);
    const hasData = async (q: { expr: string; instant: boolean }) => {
      const now = Date.now() / 1000;
      const expr = fill(q.expr);
      const run = async () =>
        (
          (q.instant
            ? await api('query', { query: expr })
            : await api('query_range', { query: expr, start: String(now - 60), end: String(now), step: '5' })) as { result: Result[] }
        ).result.length;
      // An instant query sees only the last scrape: on a loaded machine a collector that timed out in it
      // leaves its series stale for that one scrape, so an empty instant answer is asked again, twice.
      let found = await run();
      for (let retry = 0; q.instant && found === 0 && retry < 2; retry++) {
        await new Promise((r) => setTimeout(r, 2000));
        found = await run();
      }
      return found > 0;
    };
    const empty = async () => {
      const missing: string[] = [];
      for (const q of queries) if (!(await hasData(q))) missing.push(`${q.dashboard} "${q.panel}" ${q.refId}`);
      return missing;
    };
    await new Promise((r) => setTimeout(r, SCRAPE_FOR_MS));
    const missing = await empty();
    const unexplained = missing.filter((m) => !NO_DATA_HERE[m]);
    assert.deepEqual(
      unexplained,
      [],
      `panels without data:\n${unexplained.map((m) => `${m}: ${fill(queries.find((q) => `${q.dashboard} "${q.panel}" ${q.refId}` === m)?.expr ?? '')}`).join('\n')}`,
    );
    for (const [panel, { reason, applies }] of Object.entries(NO_DATA_HERE)) {
      assert.equal(
        missing.includes(panel),
        applies,
        `${panel} is listed as empty here because ${reason}; that ${applies ? 'applies, yet it has data' : 'does not apply, yet it is empty'}`,
      );
    }
    t.diagnostic(`${queries.length - missing.length} of ${queries.length} panel queries returned data; empty as listed: ${missing.join(', ')}`);

    // The kubeStateMetrics knob's panels: the queries it adds return data too.
    const withKsm = dashboardQueries(
      Object.entries(dashboards({ ...DEFAULT_MIXIN_CONFIG, kubeStateMetrics: true })) as unknown as Array<[string, DashboardJson]>,
    );
    const key = (q: { dashboard: string; panel: string; refId: string }) => `${q.dashboard} "${q.panel}" ${q.refId}`;
    const defaultKeys = new Set(queries.map(key));
    const added = withKsm.filter((q) => !defaultKeys.has(key(q)));
    assert.ok(added.length >= 8, `${added.length} kube-state-metrics queries`);
    const ksmEmpty: string[] = [];
    for (const q of added) if (!(await hasData(q))) ksmEmpty.push(`${key(q)}: ${fill(q.expr)}`);
    assert.deepEqual(ksmEmpty, [], 'kube-state-metrics panels without data');

    // Values, not only presence: the pod dashboard's request from cpu.shares and threads_max of the live node's app.
    const pod = Object.fromEntries(
      queries
        .filter((q) => q.dashboard === 'spyglass-containers-pod.json' && q.panel === 'Quota by container')
        .map((q) => [q.refId, fill(q.expr).replace(/pod=~"\.\+"/g, `pod="${KUBE_POD}"`)]),
    );
    const value = async (expr: string) => {
      await hasData({ expr, instant: true }); // waits out a missed run of the live node's collector
      return Number(((await api('query', { query: expr })) as { result: Result[] }).result[0]?.value?.[1]);
    };
    assert.equal(await value(pod.B as string), 102 / 1024, 'CPU request: 102 shares are 100m (shares / 1024 cores)');
    assert.equal(await value(pod.D as string), 0.1, 'CPU limit: quota 10000 / period 100000');
    assert.equal(await value(pod.J as string), 64, 'threads max: pids.max');

    // Variables: label_values(selector, label) with the earlier variables at "All".
    for (const [name, d] of all) {
      for (const v of d.templating.list.filter((x) => x.type === 'query')) {
        const [, selector, label] = /^label_values\((.+), (\w+)\)$/.exec(v.query.query) as RegExpExecArray;
        const values = (await api(`label/${label}/values`, { 'match[]': fill(selector as string) })) as string[];
        assert.ok(values.length > 0, `${name} $${v.name}: ${v.query.query} has no values`);
      }
    }

    // Rules: all evaluated, none failing; the test certificate (valid 20 days) trips the 21-day warning.
    await waitFor(
      async () =>
        ((await api('rules', {})) as { groups: Array<{ rules: Array<{ health: string }> }> }).groups.every((g) => g.rules.every((r) => r.health !== 'unknown')),
      20_000,
      'rules evaluated',
    );
    const groups = (await api('rules', {})) as { groups: Array<{ name: string; rules: Array<{ name: string; health: string; lastError?: string }> }> };
    assert.equal(groups.groups.length, alertGroups(DEFAULT_MIXIN_CONFIG).length + recordingGroups(DEFAULT_MIXIN_CONFIG).length);
    assert.deepEqual(
      groups.groups.flatMap((g) => g.rules.filter((r) => r.health !== 'ok').map((r) => `${g.name}/${r.name}: ${r.health} ${r.lastError}`)),
      [],
    );
    const firing = (await api('alerts', {})) as { alerts: Array<{ labels: Record<string, string>; state: string }> };
    assert.ok(
      firing.alerts.some(
        (a) =>
          a.labels.alertname === 'ProbeCertificateExpiringSoon' &&
          a.labels.severity === 'warning' &&
          a.labels.target === `https://127.0.0.1:${https.port}/` &&
          a.state === 'firing',
      ),
      JSON.stringify(firing.alerts.map((a) => a.labels.alertname)),
    );
    const slo = (await api('query', { query: `target:spyglass_probe_errors:ratio_rate5m{target="http://127.0.0.1:${http.port}/"}` })) as { result: Result[] };
    assert.equal(slo.result[0]?.value?.[1], '0', 'the healthy HTTP target has no errors');

    // Metric names: served by spyglass here, or documented by a collector for hardware this machine lacks.
    const served = new Set((await api('label/__name__/values', {})) as string[]);
    const documented = allDocumentedPatterns();
    const records = new Set(recordingGroups(DEFAULT_MIXIN_CONFIG).flatMap((g) => g.rules.map((r) => r.record)));
    const exprs = [
      ...queries.map((q) => q.expr),
      ...alertGroups(DEFAULT_MIXIN_CONFIG).flatMap((g) => g.rules.map((r) => r.expr)),
      ...recordingGroups(DEFAULT_MIXIN_CONFIG).flatMap((g) => g.rules.map((r) => r.expr)),
    ];
    const named = new Set(exprs.flatMap((e) => analysePromql(substituteGrafanaBuiltins(e)).selectors.map((s) => s.metric)));
    const base = (m: string) => m.replace(/_(bucket|sum|count)$/, '');
    const unknown = [...named].filter((m) => !served.has(m) && !records.has(m) && !documented.some((p) => p.test(m) || p.test(base(m))));
    assert.deepEqual(unknown, [], 'metrics named by dashboards or rules that spyglass neither served nor documents');
    assert.ok(
      [...named].filter((m) => served.has(m)).length >= named.size - 5,
      `most named metrics were served here: ${[...named].filter((m) => !served.has(m) && !records.has(m)).join(', ')}`,
    );
  });
});
