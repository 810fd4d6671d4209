/**
 * A Kubernetes node in miniature, with real cgroups (cgroup v1, cgroupfs driver): one pod with a
 * containerd sandbox whose network namespace carries UDP traffic over a veth pair, and an app
 * container burning CPU under a 10% quota while holding 32 MiB. The runtime metadata (containerd
 * bundles, with containerd's modes) lives in a synthetic rootfs; test/container-runtimes.test.ts
 * has the real runtimes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runtimeFixture, writeJson } from './cgroup-tree.js';
import { killed, makeCgroup, type Cleanups } from './real-cgroups.js';

export const KUBE_POD_UID = '0b6c1a52-3f7e-4d2a-9a51-6b0e2c4d8f10';
export const KUBE_POD = 'web-7d4b9c-abcde';
export const KUBE_SANDBOX = 'a1'.repeat(32);
export const KUBE_APP = 'b2'.repeat(32);
const CONTROLLERS = ['cpu', 'cpuacct', 'memory', 'pids', 'blkio'];

export interface KubeNode {
  rootfs: string;
  /** Top of the node's cgroups: pass `--collector.container.cgroup-include=<top>.*`. */
  top: string;
}

export function containerdBundle(rootfs: string, id: string, file: string, sandboxId: string, pod = KUBE_POD): void {
  writeJson(
    { rootfs },
    `run/containerd/io.containerd.runtime.v2.task/k8s.io/${id}/config.json`,
    runtimeFixture(file, { SANDBOX_ID: sandboxId, CONTAINER_ID: id, 'web-7d4b9c-abcde': pod }),
  );
}

/**
 * `cpuShares`: the app's cpu.shares, as the kubelet writes a CPU request (millicores × 1024 / 1000);
 * `pidsMax`: its pids.max (threads_max).
 */
export function startKubeNode(cleanups: Cleanups, opts: { memoryLimitBytes?: number; cpuShares?: number; pidsMax?: number } = {}): KubeNode {
  const track = (p: ChildProcess) => {
    cleanups.push(() => killed(p));
    return p;
  };
  const top = `/spyglass-node-${process.pid}-${Date.now()}`;
  const podPath = `${top}/kubepods/burstable/pod${KUBE_POD_UID}`;
  const rootfs = mkdtempSync(join(tmpdir(), 'spyglass-node-root-'));
  containerdBundle(rootfs, KUBE_SANDBOX, 'containerd-sandbox.json', KUBE_SANDBOX);
  containerdBundle(rootfs, KUBE_APP, 'containerd-container.json', KUBE_SANDBOX);
  mkdirSync(join(rootfs, `var/log/pods/shop_${KUBE_POD}_${KUBE_POD_UID}`), { recursive: true });
  // The modes a node has: / open, containerd's bundle directories root-only (as containerd 1.6
  // makes them), so only a reader with CAP_DAC_READ_SEARCH (the DaemonSet) gets the image.
  chmodSync(rootfs, 0o755);
  for (const id of [KUBE_SANDBOX, KUBE_APP]) chmodSync(join(rootfs, 'run/containerd/io.containerd.runtime.v2.task/k8s.io', id), 0o700);
  const sandboxDirs = CONTROLLERS.map((c) => makeCgroup(`/sys/fs/cgroup/${c}`, `${podPath}/${KUBE_SANDBOX}`, cleanups));
  const appDirs = CONTROLLERS.map((c) => makeCgroup(`/sys/fs/cgroup/${c}`, `${podPath}/${KUBE_APP}`, cleanups));
  writeFileSync(join(`/sys/fs/cgroup/cpu${podPath}/${KUBE_APP}`, 'cpu.cfs_quota_us'), '10000'); // 10% of a CPU: throttled
  if (opts.cpuShares) writeFileSync(join(`/sys/fs/cgroup/cpu${podPath}/${KUBE_APP}`, 'cpu.shares'), String(opts.cpuShares));
  if (opts.pidsMax) writeFileSync(join(`/sys/fs/cgroup/pids${podPath}/${KUBE_APP}`, 'pids.max'), String(opts.pidsMax));
  if (opts.memoryLimitBytes) writeFileSync(join(`/sys/fs/cgroup/memory${podPath}/${KUBE_APP}`, 'memory.limit_in_bytes'), String(opts.memoryLimitBytes));

  // The pod's network namespace: a new one with a veth pair (eth0, peer0) and a UDP sender on eth0; 10.99.0.0/24 exists only in there.
  const sender = "const s = require('dgram').createSocket('udp4'); setInterval(() => s.send(Buffer.alloc(512), 9, '10.99.0.2'), 20);";
  const sandbox = track(
    spawn(
      'unshare',
      [
        '-n',
        'sh',
        '-c',
        `ip link add eth0 type veth peer name peer0 && ip link set eth0 up && ip link set peer0 up && ip addr add 10.99.0.1/24 dev eth0 && ip neigh add 10.99.0.2 lladdr 02:00:00:00:00:02 dev eth0 && exec ${JSON.stringify(process.execPath)} -e ${JSON.stringify(sender)}`,
      ],
      { stdio: 'inherit' },
    ),
  );
  for (const d of sandboxDirs) writeFileSync(join(d, 'cgroup.procs'), String(sandbox.pid));
  const app = track(spawn(process.execPath, ['-e', 'globalThis.b = Buffer.alloc(32 << 20, 1); for (;;) {}'], { stdio: 'inherit' }));
  for (const d of appDirs) writeFileSync(join(d, 'cgroup.procs'), String(app.pid));
  return { rootfs, top };
}
