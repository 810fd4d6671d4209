import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { HOST_NETNS, runtimeFixture, writeJson, writeNode, writeProcess, type FakeCgroup, type FakeNode } from './helpers/cgroup-tree.js';
import { collectContainersOnce, containerRunner, samplesOf, valueOf } from './helpers/container-run.js';
import type { MetricFamily } from '../src/collector.js';

const hex = (c: string) => c.repeat(64);
const SANDBOX = hex('a');
const APP = hex('b');
const POD_UID = '0b6c1a52-3f7e-4d2a-9a51-6b0e2c4d8f10';
const POD_SLICE = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_UID.replaceAll('-', '_')}.slice`;

function tempNode(version: 'v1' | 'v2' | 'hybrid', cgroups: FakeCgroup[]): FakeNode {
  return writeNode(mkdtempSync(join(tmpdir(), `spyglass-cg-${version}-`)), version, cgroups);
}

describe('container collector on fixture trees', () => {
  it('cgroup v2, systemd driver, containerd: identity, labels, network once per pod, values', async () => {
    const node = tempNode('v2', [
      { path: '/', cpuUsageNs: 9e12, rss: 500e6, cache: 300e6, inactiveFile: 100e6, pids: [1] },
      { path: '/kubepods.slice' },
      { path: '/kubepods.slice/kubepods-burstable.slice' },
      { path: POD_SLICE, cpuUsageNs: 3e9, memoryUsage: 64e6 },
      { path: `${POD_SLICE}/cri-containerd-${SANDBOX}.scope`, cpuUsageNs: 1e7, pids: [4242], threads: 1 },
      {
        path: `${POD_SLICE}/cri-containerd-${APP}.scope`,
        cpuUsageNs: 2_500_000_000,
        userTicks: 150,
        systemTicks: 50,
        quotaUs: 50000,
        periods: 1000,
        throttledPeriods: 250,
        throttledNs: 7.5e9,
        memoryUsage: 60e6,
        inactiveFile: 10e6,
        rss: 40e6,
        cache: 20e6,
        mappedFile: 5e6,
        memoryLimit: 256 * 2 ** 20,
        oomKills: 2,
        pids: [4300, 4301],
        threads: 7,
        readBytes: 8192,
        writeBytes: 4096,
      },
      { path: '/system.slice' },
      { path: '/system.slice/containerd.service', cpuUsageNs: 5e9, pids: [800] },
      { path: '/system.slice/var-lib-kubelet.mount' },
    ]);
    writeProcess(node, 4242, 4026532999, { lo: [100, 100], eth0: [3000, 4000], veth1234: [1, 1] });
    writeProcess(node, 4300, 4026532999, { lo: [100, 100], eth0: [3000, 4000] }); // the app shares the sandbox's netns
    writeProcess(node, 800, HOST_NETNS, { lo: [100, 100], eth0: [1e6, 2e6] });
    const task = 'run/containerd/io.containerd.runtime.v2.task/k8s.io';
    writeJson(node, `${task}/${SANDBOX}/config.json`, runtimeFixture('containerd-sandbox.json', { SANDBOX_ID: SANDBOX }));
    writeJson(node, `${task}/${APP}/config.json`, runtimeFixture('containerd-container.json', { SANDBOX_ID: SANDBOX, CONTAINER_ID: APP }));
    mkdirSync(join(node.rootfs, `var/log/pods/shop_web-7d4b9c-abcde_${POD_UID}/nginx`), { recursive: true });

    const { families, skipped } = await collectContainersOnce(node);
    assert.deepEqual(skipped, []);
    const ids = new Set(samplesOf(families, 'container_last_seen').map((s) => s.labels.id));
    assert.ok(ids.has('/') && ids.has(POD_SLICE) && ids.has('/system.slice/containerd.service'));
    assert.ok(!ids.has('/system.slice/var-lib-kubelet.mount'), 'systemd mount units are left out, as cAdvisor does');
    const app = `${POD_SLICE}/cri-containerd-${APP}.scope`;
    const sandbox = `${POD_SLICE}/cri-containerd-${SANDBOX}.scope`;
    const last = (id: string) => samplesOf(families, 'container_last_seen', { id })[0]?.labels;
    assert.deepEqual(last(app), {
      id: app,
      name: APP,
      image: 'docker.io/library/nginx:1.25.3',
      pod: 'web-7d4b9c-abcde',
      namespace: 'shop',
      container: 'nginx',
    });
    assert.deepEqual(last(sandbox), {
      id: sandbox,
      name: SANDBOX,
      image: 'registry.k8s.io/pause:3.9',
      pod: 'web-7d4b9c-abcde',
      namespace: 'shop',
      container: '',
    });
    assert.deepEqual(
      last(POD_SLICE),
      { id: POD_SLICE, name: '', image: '', pod: 'web-7d4b9c-abcde', namespace: 'shop', container: '' },
      'pod level: image="" like the kubelet',
    );
    assert.deepEqual(last('/kubepods.slice'), { id: '/kubepods.slice', name: '', image: '', pod: '', namespace: '', container: '' });

    const a = { id: app };
    assert.equal(valueOf(families, 'container_cpu_usage_seconds_total', { ...a, cpu: 'total' }), 2.5);
    assert.equal(valueOf(families, 'container_cpu_user_seconds_total', a), 1.5);
    assert.equal(valueOf(families, 'container_cpu_system_seconds_total', a), 0.5);
    assert.equal(valueOf(families, 'container_cpu_cfs_periods_total', a), 1000);
    assert.equal(valueOf(families, 'container_cpu_cfs_throttled_periods_total', a), 250);
    assert.equal(valueOf(families, 'container_cpu_cfs_throttled_seconds_total', a), 7.5);
    assert.equal(valueOf(families, 'container_spec_cpu_quota', a), 50000);
    assert.equal(valueOf(families, 'container_spec_cpu_period', a), 100000);
    assert.equal(valueOf(families, 'container_spec_cpu_shares', a), 2597, 'cpu.weight 100 → 2 + (99 × 262142) / 9999');
    assert.equal(valueOf(families, 'container_memory_usage_bytes', a), 60e6);
    assert.equal(valueOf(families, 'container_memory_working_set_bytes', a), 50e6);
    assert.equal(valueOf(families, 'container_memory_rss', a), 40e6);
    assert.equal(valueOf(families, 'container_memory_cache', a), 20e6);
    assert.equal(valueOf(families, 'container_memory_mapped_file', a), 5e6);
    assert.equal(valueOf(families, 'container_memory_failcnt', a), 0);
    assert.equal(valueOf(families, 'container_memory_max_usage_bytes', a), 120e6);
    assert.equal(valueOf(families, 'container_spec_memory_limit_bytes', a), 256 * 2 ** 20);
    assert.equal(valueOf(families, 'container_spec_memory_swap_limit_bytes', a), 0, '"max" is reported as 0');
    assert.equal(valueOf(families, 'container_oom_events_total', a), 2);
    assert.equal(valueOf(families, 'container_processes', a), 2);
    assert.equal(valueOf(families, 'container_threads', a), 7);
    assert.equal(valueOf(families, 'container_threads_max', a), 4096);
    assert.equal(valueOf(families, 'container_fs_reads_bytes_total', { ...a, device: '/dev/sda' }), 8192);
    assert.equal(valueOf(families, 'container_fs_writes_total', { ...a, device: '/dev/sda' }), 1);
    assert.deepEqual(
      samplesOf(families, 'container_blkio_device_usage_total', a)
        .map((s) => s.labels.operation)
        .sort(),
      ['Read', 'Write'],
    );
    assert.equal(valueOf(families, 'container_pressure_cpu_waiting_seconds_total', a), 1.5);
    assert.equal(valueOf(families, 'container_pressure_memory_stalled_seconds_total', a), 0.125);
    assert.equal(samplesOf(families, 'container_cpu_cfs_periods_total', { id: '/system.slice/containerd.service' }).length, 0, 'no cfs series without a quota');
    assert.equal(samplesOf(families, 'container_spec_cpu_quota', { id: '/system.slice/containerd.service' }).length, 0);
    // The root cgroup on v2 has no memory.current: anon + file.
    assert.equal(valueOf(families, 'container_memory_usage_bytes', { id: '/' }), 800e6);
    assert.equal(valueOf(families, 'container_memory_working_set_bytes', { id: '/' }), 700e6);

    const rx = samplesOf(families, 'container_network_receive_bytes_total');
    assert.deepEqual(
      rx.map((s) => `${s.labels.id} ${s.labels.interface} ${s.value}`).sort(),
      [`/ eth0 1000000`, `${sandbox} eth0 3000`].sort(),
      'network once per netns: root and the sandbox; lo and veth left out',
    );
    assert.equal(valueOf(families, 'container_network_transmit_packets_dropped_total', { id: sandbox, interface: 'eth0' }), 4);
  });

  it('cgroup v1 (cpu,cpuacct co-mounted), cgroupfs driver, CRI-O: labels, allow-listed runtime labels, blkio operations', async () => {
    const uid = '5f3e2d1c-0b9a-4877-a665-5443c2b1a0f9';
    const sandbox = hex('c');
    const db = hex('d');
    const pod = `/kubepods/besteffort/pod${uid}`;
    const node = tempNode('v1', [
      { path: '/', cpuUsageNs: 1e12, memoryUsage: 2e9, pids: [1] },
      { path: '/kubepods' },
      { path: '/kubepods/besteffort' },
      { path: pod },
      { path: `${pod}/crio-${sandbox}`, pids: [7000] },
      {
        path: `${pod}/crio-${db}`,
        cpuUsageNs: 4e9,
        userTicks: 300,
        systemTicks: 80,
        memoryUsage: 300e6,
        inactiveFile: 120e6,
        rss: 100e6,
        cache: 200e6,
        memoryLimit: 512 * 2 ** 20,
        oomKills: 1,
        pids: [7100],
        threads: 12,
        readBytes: 4096 * 3,
        writeBytes: 4096 * 5,
      },
      { path: `${pod}/crio-conmon-${db}`, cpuUsageNs: 1e6 },
    ]);
    writeProcess(node, 7000, 4026533001, { eth0: [555, 666] });
    const store = 'run/containers/storage/overlay-containers';
    writeJson(node, `${store}/${sandbox}/userdata/config.json`, runtimeFixture('crio-sandbox.json', {}));
    writeJson(node, `${store}/${db}/userdata/config.json`, runtimeFixture('crio-container.json', {}));

    const { families, skipped } = await collectContainersOnce(node, { container_labels: ['app', 'io.kubernetes.pod.uid'] });
    assert.deepEqual(skipped, []);
    const d = { id: `${pod}/crio-${db}` };
    assert.deepEqual(samplesOf(families, 'container_last_seen', d)[0]?.labels, {
      ...d,
      name: `k8s_postgres_db-0_data_${uid}_1`,
      image: 'docker.io/library/postgres:16',
      pod: 'db-0',
      namespace: 'data',
      container: 'postgres',
      container_label_app: 'db',
      container_label_io_kubernetes_pod_uid: uid,
    });
    assert.equal(samplesOf(families, 'container_last_seen', { id: `${pod}/crio-${sandbox}` })[0]?.labels.container, 'POD');
    assert.equal(samplesOf(families, 'container_last_seen', { id: `${pod}/crio-conmon-${db}` })[0]?.labels.name, '', 'conmon is a raw cgroup');
    assert.equal(valueOf(families, 'container_cpu_usage_seconds_total', { ...d, cpu: 'total' }), 4);
    assert.equal(valueOf(families, 'container_cpu_user_seconds_total', d), 3, 'USER_HZ ticks / 100');
    assert.equal(valueOf(families, 'container_memory_working_set_bytes', d), 180e6, 'usage − total_inactive_file');
    assert.equal(valueOf(families, 'container_memory_failcnt', d), 3);
    assert.equal(valueOf(families, 'container_spec_memory_limit_bytes', d), 512 * 2 ** 20);
    assert.equal(valueOf(families, 'container_spec_memory_limit_bytes', { id: '/' }), 0, '9223372036854771712 (unlimited) is 0');
    assert.equal(valueOf(families, 'container_oom_events_total', d), 1);
    assert.equal(valueOf(families, 'container_threads_max', d), 0, 'pids.max "max" is 0');
    assert.equal(samplesOf(families, 'container_threads', { id: '/' }).length, 0, 'no pids data for the root cgroup');
    assert.deepEqual(
      samplesOf(families, 'container_blkio_device_usage_total', d)
        .map((s) => `${s.labels.device} ${s.labels.major}:${s.labels.minor} ${s.labels.operation} ${s.value}`)
        .sort(),
      ['/dev/sda 8:0 Async 12288', '/dev/sda 8:0 Discard 0', '/dev/sda 8:0 Read 12288', '/dev/sda 8:0 Sync 20480', '/dev/sda 8:0 Write 20480'],
    );
    assert.equal(valueOf(families, 'container_fs_reads_total', { ...d, device: '/dev/sda' }), 3);
    assert.equal(samplesOf(families, 'container_pressure_cpu_waiting_seconds_total').length, 0, 'no PSI on v1');
    assert.deepEqual(
      samplesOf(families, 'container_network_receive_bytes_total')
        .map((s) => `${s.labels.id} ${s.value}`)
        .sort(),
      ['/ 1000000', `${pod}/crio-${sandbox} 555`],
    );
  });

  it("hybrid (this VM's layout), cgroupfs driver, Docker: files on disk, the Engine API, kubelet log names", async () => {
    const uid = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
    const api = hex('e');
    const logsOnly = hex('f');
    const plain = '0123456789abcdef'.repeat(4);
    const pod = `/kubepods/pod${uid}`;
    const node = tempNode('hybrid', [
      { path: '/', cpuUsageNs: 1e12, memoryUsage: 2e9 },
      { path: '/kubepods' },
      { path: pod },
      { path: `${pod}/${api}`, cpuUsageNs: 1e9, pids: [5151] },
      { path: `${pod}/${logsOnly}`, cpuUsageNs: 2e9 },
      { path: '/docker' },
      { path: `/docker/${plain}`, cpuUsageNs: 3e9, pids: [6161] },
    ]);
    writeProcess(node, 5151, 4026533100, { eth0: [1, 1] });
    writeProcess(node, 6161, 4026533200, { eth0: [7777, 8888] });
    writeJson(node, `var/lib/docker/containers/${api}/config.v2.json`, runtimeFixture('docker-config.v2.json', { CONTAINER_ID: api }));
    writeJson(node, `var/lib/docker/containers/${api}/hostconfig.json`, runtimeFixture('docker-hostconfig.json', { SANDBOX_ID: hex('9') }));
    mkdirSync(join(node.rootfs, 'var/log/containers'), { recursive: true });
    symlinkSync('/var/log/pods/x/y/0.log', join(node.rootfs, `var/log/containers/api-5c9d8-xyz12_backend_sidecar-${logsOnly}.log`));
    const socket = join(node.root, 'docker.sock');
    const inspect = runtimeFixture('docker-inspect.json', { CONTAINER_ID: plain });
    const server = http.createServer((req, res) => {
      if (req.url === `/containers/${plain}/json`) res.end(JSON.stringify(inspect));
      else res.writeHead(404).end('{"message":"No such container"}');
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      const { families, skipped } = await collectContainersOnce(node, { docker_host: `unix://${socket}`, container_labels: ['team'] });
      assert.deepEqual(skipped, []);
      const label = (id: string) => samplesOf(families, 'container_last_seen', { id })[0]?.labels;
      assert.deepEqual(label(`${pod}/${api}`), {
        id: `${pod}/${api}`,
        name: `k8s_api_api-5c9d8-xyz12_backend_${uid}_0`,
        image: 'registry.example.com/api:2.4.1',
        pod: 'api-5c9d8-xyz12',
        namespace: 'backend',
        container: 'api',
        container_label_team: 'payments',
      });
      assert.deepEqual(label(`/docker/${plain}`), {
        id: `/docker/${plain}`,
        name: 'cache',
        image: 'redis:7-alpine',
        pod: '',
        namespace: '',
        container: '',
        container_label_team: 'platform',
      });
      assert.deepEqual(label(`${pod}/${logsOnly}`), {
        id: `${pod}/${logsOnly}`,
        name: '',
        image: '',
        pod: 'api-5c9d8-xyz12',
        namespace: 'backend',
        container: 'sidecar',
        container_label_team: '',
      });
      assert.equal(
        valueOf(families, 'container_start_time_seconds', { id: `/docker/${plain}` }),
        Date.parse('2026-11-19T10:00:01.5Z') / 1000,
        "Docker's StartedAt",
      );
      assert.equal((valueOf(families, 'container_start_time_seconds', { id: `${pod}/${logsOnly}` }) as number) >= 1_700_000_000, true);
      const rx = samplesOf(families, 'container_network_receive_bytes_total')
        .map((s) => s.labels.id)
        .filter((id) => id !== '/');
      assert.deepEqual(rx, [`/docker/${plain}`], "a container on another container's network (NetworkMode container:) has none");
    } finally {
      server.close();
    }
  });

  it('garbled, unreadable and unexpected input: that field or container is skipped and counted, the rest served', async () => {
    const good = hex('1');
    const badMeta = hex('2');
    const node = tempNode('v2', [
      { path: '/', cpuUsageNs: 1e9 },
      { path: '/system.slice' },
      { path: `/system.slice/docker-${good}.scope`, cpuUsageNs: 1e9, memoryUsage: 10e6 },
      { path: `/system.slice/docker-${badMeta}.scope`, cpuUsageNs: 2e9, memoryUsage: 20e6 },
    ]);
    const dir = join(node.sysfs, 'fs/cgroup/system.slice', `docker-${good}.scope`);
    writeFileSync(join(dir, 'memory.stat'), 'anon 1\nfile\x00garbage\n'); // half-written
    writeFileSync(join(dir, 'cpu.max'), 'fifty 100000\n');
    rmSync(join(dir, 'pids.current'));
    mkdirSync(join(dir, 'pids.current')); // EISDIR: unreadable (root ignores permission bits, so a mode 000 file would read fine)
    writeJson(node, `var/lib/docker/containers/${badMeta}/config.v2.json`, '["not", "a", "container"]');
    writeJson(node, `var/lib/docker/containers/${good}/config.v2.json`, '{"Name": "/half-writ');
    const { families, skipped } = await collectContainersOnce(node);
    const reasons = skipped.map((s) => s.reason).sort();
    assert.deepEqual(reasons, ['malformed', 'malformed', 'metadata', 'metadata', 'unreadable'], JSON.stringify(skipped));
    assert.ok(skipped.some((s) => s.detail.includes('memory.stat')) && skipped.some((s) => s.detail.includes('cpu.max')));
    const g = { id: `/system.slice/docker-${good}.scope` };
    assert.equal(valueOf(families, 'container_memory_usage_bytes', g), 10e6, 'memory.current still served');
    assert.equal(samplesOf(families, 'container_memory_rss', g).length, 0, 'the garbled memory.stat field is left out');
    assert.equal(samplesOf(families, 'container_spec_cpu_quota', g).length, 0);
    assert.equal(valueOf(families, 'container_cpu_usage_seconds_total', { id: `/system.slice/docker-${badMeta}.scope`, cpu: 'total' }), 2);
    assert.equal(
      samplesOf(families, 'container_last_seen', { id: `/system.slice/docker-${badMeta}.scope` })[0]?.labels.name,
      '',
      'falls back to the raw cgroup, id only',
    );
  });

  it('a Docker socket that never answers costs one timeout per run, and the rest is served', async () => {
    const ids = [hex('3'), hex('4'), hex('5')];
    const node = tempNode('v2', [{ path: '/', cpuUsageNs: 1e9 }, { path: '/docker' }, ...ids.map((id) => ({ path: `/docker/${id}`, cpuUsageNs: 1e9 }))]);
    const socket = join(node.root, 'hung.sock');
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => sockets.push(s)); // accepts, never answers
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      const started = performance.now();
      const { families, skipped } = await collectContainersOnce(node, { docker_host: `unix://${socket}`, docker_timeout: '300ms' });
      const ms = performance.now() - started;
      assert.ok(ms < 1000, `one timeout, not one per container: ${ms.toFixed(0)} ms`);
      assert.deepEqual(
        skipped.map((s) => s.reason),
        ['metadata'],
      );
      assert.match(skipped[0]?.detail ?? '', /no answer within 300 ms/);
      assert.equal(samplesOf(families, 'container_cpu_usage_seconds_total').length, 4);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });

  it('withdraws a container that disappears at the next run and shows a new one within one run', async () => {
    const node = tempNode('v2', [{ path: '/' }, { path: '/docker' }, { path: `/docker/${hex('6')}`, cpuUsageNs: 1e9 }]);
    const run = await containerRunner(node);
    const ids = async () => new Set(samplesOf((await run()).families, 'container_last_seen').map((s) => s.labels.id));
    assert.ok((await ids()).has(`/docker/${hex('6')}`));
    // One gone and one new between two runs: /docker has as many subdirectories as before, not the same ones.
    rmSync(join(node.sysfs, `fs/cgroup/docker/${hex('6')}`), { recursive: true });
    writeNode(node.root, 'v2', [{ path: `/docker/${hex('7')}`, cpuUsageNs: 1e9 }]);
    const next = await ids();
    assert.ok(!next.has(`/docker/${hex('6')}`) && next.has(`/docker/${hex('7')}`));
    // A cgroup made inside what was a leaf (the walk skips listing leaves by their link count).
    const nested = `/docker/${hex('7')}/init.scope`;
    writeNode(node.root, 'v2', [{ path: nested, cpuUsageNs: 1e9 }]);
    assert.ok((await ids()).has(nested));
    rmSync(join(node.sysfs, `fs/cgroup${nested}`), { recursive: true });
    assert.deepEqual([...(await ids())].sort(), ['/', '/docker', `/docker/${hex('7')}`]);
  });

  it('past the descriptor budget (a low RLIMIT_NOFILE) the rest of the tree is read by path, with the same results', () => {
    const containers: FakeCgroup[] = Array.from({ length: 40 }, (_, i) => ({
      path: `/docker/${String(i).padStart(64, '0')}`,
      cpuUsageNs: 1e9 + i,
      memoryUsage: 1e6 * (i + 1),
      pids: [1000 + i],
    }));
    const cgroups = [{ path: '/', cpuUsageNs: 9e12 }, { path: '/docker' }, ...containers];
    // Three runs in a process of its own (the later ones keep the watched directories' listings), one container gone and one new before the last;
    // the tree of each process is written anew, so the times (last seen, start from the directory's ctime) are left out.
    const script = `
      import { readdirSync, readlinkSync, rmSync } from 'node:fs';
      import { writeNode } from ${JSON.stringify(new URL('./helpers/cgroup-tree.js', import.meta.url).href)};
      import { containerRunner } from ${JSON.stringify(new URL('./helpers/container-run.js', import.meta.url).href)};
      const node = JSON.parse(process.argv[1]);
      const run = await containerRunner(node);
      await run();
      await run();
      for (const hierarchy of readdirSync(node.sysfs + '/fs/cgroup')) rmSync(node.sysfs + '/fs/cgroup/' + hierarchy + ${JSON.stringify(containers[0]?.path)}, { recursive: true });
      writeNode(node.root, 'v1', [{ path: '/docker/${'f'.repeat(64)}', cpuUsageNs: 5e9 }]);
      const { families, skipped } = await run();
      const held = readdirSync('/proc/self/fd').filter((fd) => { try { return readlinkSync('/proc/self/fd/' + fd).startsWith(node.sysfs); } catch { return false; } }).length;
      console.log(JSON.stringify({ families: families.filter((f) => !['container_last_seen', 'container_start_time_seconds'].includes(f.name)), skipped, held }));`;
    const runs = (nofile?: number) => {
      const node = tempNode('v1', cgroups);
      const [command, ...args] = nofile ? ['prlimit', `--nofile=${nofile}:${nofile}`, process.execPath] : [process.execPath];
      const out = execFileSync(command as string, [...args, '--input-type=module', '-e', script, JSON.stringify(node)], { encoding: 'utf8' });
      rmSync(node.root, { recursive: true, force: true });
      return JSON.parse(out) as { families: MetricFamily[]; skipped: unknown[]; held: number };
    };
    const unlimited = runs();
    // 128 descriptors: the addon holds at most 64, one of them the walk's inotify instance, of the 4 hierarchies' 42 directories each.
    const limited = runs(128);
    assert.equal(unlimited.held, 4 * 42, 'every directory held without a limit');
    assert.equal(limited.held, 63);
    assert.deepEqual(limited.skipped, []);
    assert.deepEqual(limited.families, unlimited.families);
    const ids = samplesOf(limited.families, 'container_cpu_usage_seconds_total').map((x) => x.labels.id);
    assert.ok(ids.includes(`/docker/${'f'.repeat(64)}`) && !ids.includes(containers[0]?.path as string) && ids.length === 41, ids.join(' '));
  });

  it('limits are read again after spec_interval, usage every run; a file that appears is found with the next spec read', async () => {
    const id = `/docker/${hex('8')}`;
    const node = tempNode('v2', [{ path: '/' }, { path: '/docker' }, { path: id, cpuUsageNs: 1e9, memoryLimit: 2 ** 30 }]);
    const dir = join(node.sysfs, `fs/cgroup${id}`);
    rmSync(join(dir, 'memory.peak'));
    const cached = await containerRunner(node, { spec_interval: '1h' });
    const everyRun = await containerRunner(node, { spec_interval: '0s' });
    for (const run of [cached, everyRun]) assert.equal(valueOf((await run()).families, 'container_spec_memory_limit_bytes', { id }), 2 ** 30);
    writeFileSync(join(dir, 'memory.max'), `${2 ** 29}\n`);
    writeFileSync(join(dir, 'memory.current'), '5000\n');
    writeFileSync(join(dir, 'memory.peak'), '9000\n');
    const later = (await cached()).families;
    assert.equal(valueOf(later, 'container_spec_memory_limit_bytes', { id }), 2 ** 30, 'within spec_interval the limit read first stays');
    assert.equal(valueOf(later, 'container_memory_usage_bytes', { id }), 5000, 'usage is read every run');
    assert.equal(valueOf(later, 'container_memory_max_usage_bytes', { id }), 0, 'memory.peak was absent at the last spec read');
    const fresh = (await everyRun()).families;
    assert.equal(valueOf(fresh, 'container_spec_memory_limit_bytes', { id }), 2 ** 29);
    assert.equal(valueOf(fresh, 'container_memory_max_usage_bytes', { id }), 9000);
  });

  it('the OOM count is read on every run, and a cgroup made again under its name has a count of its own', async () => {
    for (const version of ['v1', 'v2'] as const) {
      const id = `/docker/${hex('5')}`;
      const node = tempNode(version, [{ path: '/' }, { path: '/docker' }, { path: id, oomKills: 1 }]);
      const hierarchies = join(node.sysfs, 'fs/cgroup');
      const file = version === 'v1' ? join(hierarchies, 'memory', id, 'memory.oom_control') : join(hierarchies, id, 'memory.events');
      const setFile = (kills: number) =>
        writeFileSync(
          file,
          version === 'v1' ? `oom_kill_disable 0\nunder_oom 0\noom_kill ${kills}\n` : `low 0\nhigh 0\nmax 0\noom 0\noom_kill ${kills}\noom_group_kill 0\n`,
        );
      const run = await containerRunner(node);
      const oomKills = async () => valueOf((await run()).families, 'container_oom_events_total', { id });
      assert.deepEqual([await oomKills(), await oomKills()], [1, 1], version);
      setFile(2);
      assert.equal(await oomKills(), 2, version);
      for (const hierarchy of version === 'v1' ? readdirSync(hierarchies) : ['']) rmSync(join(hierarchies, hierarchy, id), { recursive: true, force: true });
      writeNode(node.root, version, [{ path: id, oomKills: 0 }]);
      assert.equal(await oomKills(), 0, `${version}: a cgroup made again under its name has a count of its own`);
      rmSync(node.root, { recursive: true, force: true });
    }
  });

  it('cgroup_include narrows the walk; percpu adds per-CPU series on v1', async () => {
    const node = tempNode('hybrid', [{ path: '/', cpuUsageNs: 8e9 }, { path: '/kubepods' }, { path: '/system.slice' }]);
    const { families } = await collectContainersOnce(node, { cgroup_include: '/kubepods.*', percpu: true });
    assert.deepEqual(
      samplesOf(families, 'container_last_seen').map((s) => s.labels.id),
      ['/kubepods'],
    );
    const all = await collectContainersOnce(node, { percpu: true });
    assert.deepEqual(
      samplesOf(all.families, 'container_cpu_usage_seconds_total', { id: '/' }).map((s) => `${s.labels.cpu} ${s.value}`),
      ['cpu00 6', 'cpu01 2'],
    );
  });
});
