import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runtimeFixture, writeJson, writeNode, writeProcess, type FakeNode } from './cgroup-tree.js';
import { containerdBundle } from './kube-node.js';

export const V2_POD = 'batch-5f6a7b-xyz12';
export const OUTSIDE_CONTAINER = 'nightly-backup';

/**
 * What the live Kubernetes node (test/helpers/kube-node.ts, cgroup v1) cannot show: a cgroup v2
 * node (systemd driver) from fixture files, with a containerd pod whose files have PSI, swap and
 * block I/O, and a plain Docker container outside Kubernetes. Counters stay still: rates are 0,
 * which is data.
 */
export function writeV2Node(): FakeNode & { remove(): void } {
  const uid = '7e1d2c3b-4a59-4687-9a0b-1c2d3e4f5a6b';
  const pod = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${uid.replaceAll('-', '_')}.slice`;
  const sandbox = 'e5'.repeat(32);
  const app = 'f6'.repeat(32);
  const docker = 'a7'.repeat(32);
  const node = writeNode(mkdtempSync(join(tmpdir(), 'spyglass-v2-node-')), 'v2', [
    { path: '/', cpuUsageNs: 9e12, pids: [1] },
    { path: '/kubepods.slice' },
    { path: '/kubepods.slice/kubepods-burstable.slice' },
    { path: pod, cpuUsageNs: 3e9, memoryUsage: 64e6 },
    { path: `${pod}/cri-containerd-${sandbox}.scope`, cpuUsageNs: 1e7, pids: [4242], threads: 1 },
    {
      path: `${pod}/cri-containerd-${app}.scope`,
      cpuUsageNs: 2.5e9,
      quotaUs: 50000,
      periods: 1000,
      throttledPeriods: 250,
      memoryUsage: 60e6,
      rss: 40e6,
      cache: 20e6,
      memoryLimit: 256 * 2 ** 20,
      pids: [4300],
      threads: 7,
      readBytes: 8192,
      writeBytes: 4096,
    },
    { path: '/system.slice' },
    { path: `/system.slice/docker-${docker}.scope`, cpuUsageNs: 4e9, memoryUsage: 30e6, pids: [5151], threads: 3 },
  ]);
  writeProcess(node, 4242, 4026532999, { eth0: [3000, 4000] });
  writeProcess(node, 4300, 4026532999, { eth0: [3000, 4000] });
  writeProcess(node, 5151, 4026533100, { eth0: [5000, 6000] });
  containerdBundle(node.rootfs, sandbox, 'containerd-sandbox.json', sandbox, V2_POD);
  containerdBundle(node.rootfs, app, 'containerd-container.json', sandbox, V2_POD);
  // A container Docker runs on its own: no Kubernetes labels, named by Docker.
  const config = runtimeFixture('docker-config.v2.json', { CONTAINER_ID: docker }) as { Name: string; Config: { Labels: Record<string, string> } };
  config.Name = `/${OUTSIDE_CONTAINER}`;
  config.Config.Labels = {};
  writeJson(node, `var/lib/docker/containers/${docker}/config.v2.json`, config);
  writeJson(node, `var/lib/docker/containers/${docker}/hostconfig.json`, { NetworkMode: 'bridge', PidMode: '', CpuShares: 0, Memory: 0 });
  return { ...node, remove: () => rmSync(node.root, { recursive: true, force: true }) };
}
