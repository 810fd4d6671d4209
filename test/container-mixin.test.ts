/**
 * The kubernetes-mixin queries that use cAdvisor metrics, run by a real Prometheus scraping a real
 * spyglass over real cgroups laid out like a Kubernetes node (systemd-free cgroupfs driver,
 * containerd bundles with containerd's modes in a synthetic rootfs), spyglass running with the
 * DaemonSet's command, uid, groups and capabilities, without which the image!="" rules are empty. kube_pod_info normally comes from kube-state-metrics;
 * here spyglass's textfile collector serves it under job="kube-state-metrics". This VM's kernel does
 * not account block I/O in blkio (direct I/O to vda or a loop device leaves `Total 0`), so the
 * storage panel runs against a second spyglass reading a fixture tree with blkio data.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { writeNode } from './helpers/cgroup-tree.js';
import { containerdBundle, KUBE_APP, KUBE_POD, KUBE_POD_UID, startKubeNode } from './helpers/kube-node.js';
import { startPrometheus } from './helpers/prometheus.js';
import { cleanupsAfterAll } from './helpers/real-cgroups.js';
import { cliPath, startSpyglass, waitFor } from './helpers/spyglass.js';
import { daemonSet } from '../deploy/src/kubernetes.js';
import { ambientCapsWrapper, daemonSetContexts, localCommand, setprivArgs } from './helpers/daemonset-privileges.js';

const UID = KUBE_POD_UID;
const POD = KUBE_POD;
const SELECTOR = 'job="cadvisor"';
const DISK_DEVICES = '(/dev.+)|mmcblk.p.+|nvme.+|rbd.+|sd.+|vd.+|xvd.+|dm-.+|dasd.+';
const POD_JOIN =
  'on (cluster, namespace, pod) group_left(node) topk by (cluster, namespace, pod) (1, max by (cluster, namespace, pod, node) (kube_pod_info{job="kube-state-metrics", node!=""}))';

/** The mixin's container recording rules (rules/apps.libsonnet), with its default selectors. */
const RECORDING_RULES = `
  - name: k8s.rules.container
    interval: 1s
    rules:
      - record: node_namespace_pod_container:container_cpu_usage_seconds_total:sum_rate5m
        expr: sum by (cluster, namespace, pod, container) (rate(container_cpu_usage_seconds_total{${SELECTOR}, image!=""}[5m])) * ${POD_JOIN}
      - record: node_namespace_pod_container:container_cpu_usage_seconds_total:sum_irate
        expr: sum by (cluster, namespace, pod, container) (irate(container_cpu_usage_seconds_total{${SELECTOR}, image!=""}[5m])) * ${POD_JOIN}
${['working_set_bytes', 'rss', 'cache', 'swap']
  .map((m) => `      - record: node_namespace_pod_container:container_memory_${m}\n        expr: container_memory_${m}{${SELECTOR}, image!=""} * ${POD_JOIN}`)
  .join('\n')}
`;

/** CPUThrottlingHigh (alerts/resource_alerts.libsonnet), the one mixin alert on cAdvisor metrics; threshold 25%. */
const CPU_THROTTLING_HIGH = `sum without (id, metrics_path, name, image, endpoint, job, node) (topk by (cluster, namespace, pod, container, instance) (1, increase(container_cpu_cfs_throttled_periods_total{container!="", ${SELECTOR}}[5m])))
  / on (cluster, namespace, pod, container, instance) group_left
  sum without (id, metrics_path, name, image, endpoint, job, node) (topk by (cluster, namespace, pod, container, instance) (1, increase(container_cpu_cfs_periods_total{${SELECTOR}}[5m])))
  > (25 / 100)`;

const podSel = (pod = POD) => `${SELECTOR}, namespace="shop", pod="${pod}"`;
/** The "Compute Resources / Pod" dashboard's panel queries (dashboards/resources/queries/pod.libsonnet). */
const POD_PANELS: Record<string, string> = {
  'CPU usage': `sum(node_namespace_pod_container:container_cpu_usage_seconds_total:sum_irate{namespace="shop", pod="${POD}", container!=""}) by (container)`,
  'CPU throttling': `sum(increase(container_cpu_cfs_throttled_periods_total{${podSel()}, container!=""}[5m])) by (container) / sum(increase(container_cpu_cfs_periods_total{${podSel()}, container!=""}[5m])) by (container)`,
  'Memory usage (WSS)': `sum(container_memory_working_set_bytes{${podSel()}, container!="", image!=""}) by (container)`,
  'Memory RSS': `sum(container_memory_rss{${podSel()}, container!="", container!="POD"}) by (container)`,
  'Memory cache': `sum(container_memory_cache{${podSel()}, container!="", container!="POD"}) by (container)`,
  'Memory swap': `sum(container_memory_swap{${podSel()}, container!="", container!="POD"}) by (container)`,
  'Receive bandwidth': `sum(irate(container_network_receive_bytes_total{${podSel()}}[5m])) by (pod)`,
  'Transmit bandwidth': `sum(irate(container_network_transmit_bytes_total{${podSel()}}[5m])) by (pod)`,
  'Rate of received packets': `sum(irate(container_network_receive_packets_total{${podSel()}}[5m])) by (pod)`,
  'Rate of transmitted packets': `sum(irate(container_network_transmit_packets_total{${podSel()}}[5m])) by (pod)`,
  'Rate of received packets dropped': `sum(irate(container_network_receive_packets_dropped_total{${podSel()}}[5m])) by (pod)`,
  'Rate of transmitted packets dropped': `sum(irate(container_network_transmit_packets_dropped_total{${podSel()}}[5m])) by (pod)`,
  'IOPS (reads + writes)': `ceil(sum by (pod) (rate(container_fs_reads_total{container!="", device=~"${DISK_DEVICES}", ${podSel('disk-0')}}[5m]) + rate(container_fs_writes_total{container!="", device=~"${DISK_DEVICES}", ${podSel('disk-0')}}[5m])))`,
  'Throughput (read + write)': `sum by (pod) (rate(container_fs_reads_bytes_total{container!="", device=~"${DISK_DEVICES}", ${podSel('disk-0')}}[5m]) + rate(container_fs_writes_bytes_total{container!="", device=~"${DISK_DEVICES}", ${podSel('disk-0')}}[5m]))`,
};

const cleanups = cleanupsAfterAll();

describe('kubernetes-mixin queries on cAdvisor metrics, against a real Prometheus', () => {
  it('recording rules, CPUThrottlingHigh and the Compute Resources / Pod panels return data', async () => {
    const { rootfs, top } = startKubeNode(cleanups);

    const textfiles = mkdtempSync(join(tmpdir(), 'spyglass-mixin-ksm-'));
    chmodSync(textfiles, 0o755);
    writeFileSync(
      join(textfiles, 'kube_pod_info.prom'),
      `kube_pod_info{namespace="shop",pod="${POD}",uid="${UID}",node="node-1"} 1\nkube_pod_info{namespace="shop",pod="disk-0",uid="x",node="node-1"} 1\n`,
    );
    // As the DaemonSet runs it: its command (through ambient-caps), uid, groups and capabilities.
    const ds = daemonSet();
    const wrapperDir = mkdtempSync(join(tmpdir(), 'spyglass-mixin-caps-'));
    chmodSync(wrapperDir, 0o755);
    cleanups.push(() => rmSync(wrapperDir, { recursive: true, force: true }));
    const command = localCommand(ds.spec?.template.spec?.containers[0]?.command ?? [], ambientCapsWrapper(wrapperDir), cliPath);
    const contexts = daemonSetContexts(ds as any);
    const liveArgs = [
      '--collector.disable-defaults',
      '--collector.container',
      '--collector.textfile',
      `--collector.textfile.directory=${textfiles}`,
      '--collector.container.interval=1s',
      `--collector.container.cgroup-include=${top}.*`,
      `--path.rootfs=${rootfs}`,
    ];
    const live = await startSpyglass(liveArgs, { launcher: ['setpriv', ...setprivArgs(contexts), ...command] });
    cleanups.push(async () => void (await live.stop()));
    // The same without the capability (the DaemonSet before it had it): no image, so every image!="" rule below would be empty.
    const uncapped = await startSpyglass(liveArgs, {
      launcher: ['setpriv', ...setprivArgs({ ...contexts, container: { ...contexts.container, capabilities: { drop: ['ALL'] } } }), ...command],
    });
    let uncappedText = '';
    await waitFor(
      async () =>
        new RegExp(`^container_cpu_usage_seconds_total\\{[^}]*id="[^"]*/${KUBE_APP}"`, 'm').test(
          (uncappedText = await (await fetch(`${uncapped.base}/metrics`)).text()),
        ),
      60_000,
      'the app container',
    );
    assert.doesNotMatch(uncappedText, /image="[^"]/, 'without CAP_DAC_READ_SEARCH no image is known');
    await uncapped.stop();

    // The second node, for the storage panel: a fixture tree whose blkio counters move.
    const disk = 'c3'.repeat(32);
    const diskPod = `/kubepods/besteffort/pod5f3e2d1c-0b9a-4877-a665-5443c2b1a0f9`;
    const node = writeNode(mkdtempSync(join(tmpdir(), 'spyglass-mixin-fixture-')), 'v1', [
      { path: '/' },
      { path: '/kubepods' },
      { path: '/kubepods/besteffort' },
      { path: diskPod },
      { path: `${diskPod}/${disk}`, readBytes: 4096, writeBytes: 4096 },
    ]);
    containerdBundle(node.rootfs, disk, 'containerd-container.json', 'd4'.repeat(32), 'disk-0');
    const fixtureNode = await startSpyglass([
      '--collector.disable-defaults',
      '--collector.container',
      '--collector.container.interval=1s',
      `--path.procfs=${node.procfs}`,
      `--path.sysfs=${node.sysfs}`,
      `--path.rootfs=${node.rootfs}`,
    ]);
    cleanups.push(async () => void (await fixtureNode.stop()));
    let io = 4096;
    const blkio = join(node.sysfs, 'fs/cgroup/blkio', diskPod, disk);
    const tick = setInterval(() => {
      io += 4096 * 10;
      writeFileSync(join(blkio, 'blkio.throttle.io_service_bytes_recursive'), `8:0 Read ${io}\n8:0 Write ${io}\n8:0 Total ${2 * io}\nTotal ${2 * io}\n`);
      writeFileSync(
        join(blkio, 'blkio.throttle.io_serviced_recursive'),
        `8:0 Read ${io / 4096}\n8:0 Write ${io / 4096}\n8:0 Total ${(2 * io) / 4096}\nTotal ${(2 * io) / 4096}\n`,
      );
    }, 500);
    cleanups.push(() => clearInterval(tick));

    const target = (r: { port: number }) => `127.0.0.1:${r.port}`;
    const prometheus = await startPrometheus(
      `  - job_name: cadvisor
    scrape_interval: 1s
    honor_timestamps: false
    params: { 'collect[]': [container] }
    static_configs: [{ targets: ['${target(live)}', '${target(fixtureNode)}'] }]
  - job_name: kube-state-metrics
    scrape_interval: 1s
    params: { 'collect[]': [textfile] }
    static_configs: [{ targets: ['${target(live)}'] }]
`,
      { ruleGroups: RECORDING_RULES, evaluationInterval: '1s' },
    );
    cleanups.push(() => prometheus.stop());

    const results = async (query: string) =>
      (await prometheus.api<{ result: Array<{ metric: Record<string, string>; value: [number, string] }> }>('query', { query })).result.map((r) => ({
        metric: r.metric,
        value: Number(r.value[1]),
      }));
    const byLabel = async (query: string, label = 'container') => new Map((await results(query)).map((r) => [r.metric[label] ?? '', r.value]));
    await waitFor(
      async () =>
        (await results(POD_PANELS['Transmit bandwidth'] as string)).some((r) => r.value > 0) &&
        (await results(POD_PANELS['IOPS (reads + writes)'] as string)).length > 0 &&
        (await results(POD_PANELS['CPU usage'] as string)).length > 0,
      30000,
      'rates over a few scrapes',
    );

    const cpuRule = await byLabel('node_namespace_pod_container:container_cpu_usage_seconds_total:sum_rate5m{namespace="shop"}');
    assert.deepEqual(
      [...cpuRule.keys()].sort(),
      ['', 'nginx'],
      'image!="" drops the pod cgroup; the sandbox (container="", image=pause) stays, as with the kubelet on containerd',
    );
    assert.ok((cpuRule.get('nginx') as number) > 0, 'rate over 5m of a few seconds of data: small, but there');
    const irate = (await byLabel('node_namespace_pod_container:container_cpu_usage_seconds_total:sum_irate{container="nginx"}')).get('nginx') as number;
    assert.ok(irate > 0.03 && irate < 0.2, `app CPU ${irate} cores under a 0.1-core quota`);
    const rule = await results('node_namespace_pod_container:container_cpu_usage_seconds_total:sum_rate5m{container="nginx"}');
    assert.equal(rule[0]?.metric.node, 'node-1', 'joined with kube_pod_info');
    for (const m of ['working_set_bytes', 'rss', 'cache', 'swap']) {
      const got = await byLabel(`node_namespace_pod_container:container_memory_${m}{namespace="shop", pod="${POD}"}`);
      assert.ok(got.has('nginx'), `container_memory_${m} rule has the app: ${JSON.stringify([...got])}`);
    }
    assert.ok(((await byLabel(`node_namespace_pod_container:container_memory_working_set_bytes{container="nginx"}`)).get('nginx') as number) >= 32 << 20);

    const throttling = await results(CPU_THROTTLING_HIGH);
    assert.deepEqual(
      throttling.map((r) => `${r.metric.namespace}/${r.metric.pod}/${r.metric.container}`),
      [`shop/${POD}/nginx`],
      'CPUThrottlingHigh fires for the throttled container only',
    );
    assert.ok((throttling[0]?.value as number) > 0.5);

    for (const [panel, query] of Object.entries(POD_PANELS)) {
      const got = await results(query);
      assert.ok(got.length > 0, `panel "${panel}" has no data: ${query}`);
    }
    assert.ok(((await byLabel(POD_PANELS['Transmit bandwidth'] as string, 'pod')).get(POD) as number) > 1000, "the sandbox's eth0 carries the pod's traffic");
  });
});
