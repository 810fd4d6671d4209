/**
 * Writes synthetic node trees (procfs, sysfs with cgroups, rootfs with runtime state) for the
 * container collector's fixture tests and benchmark. File formats follow the kernel's (cgroup v1
 * files as captured on this VM, v2 as Documentation/admin-guide/cgroup-v2.rst prints them).
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export type TreeVersion = 'v1' | 'hybrid' | 'v2';

export interface FakeCgroup {
  /** cgroup path, e.g. `/kubepods.slice/…/cri-containerd-<id>.scope`. */
  path: string;
  cpuUsageNs?: number;
  userTicks?: number;
  systemTicks?: number;
  quotaUs?: number;
  periods?: number;
  throttledPeriods?: number;
  throttledNs?: number;
  memoryUsage?: number;
  inactiveFile?: number;
  rss?: number;
  cache?: number;
  mappedFile?: number;
  memoryLimit?: number;
  oomKills?: number;
  pids?: number[];
  threads?: number;
  /** Bytes read/written on 8:0 (sda). */
  readBytes?: number;
  writeBytes?: number;
}

export interface FakeNode {
  root: string;
  procfs: string;
  sysfs: string;
  rootfs: string;
}

const UNLIMITED_V1 = 9223372036854771712;
/** The network namespace of pid 1, the host's. */
export const HOST_NETNS = 4026531840;

const MOUNTINFO: Record<TreeVersion, string> = {
  // Classic v1: cpu and cpuacct co-mounted.
  v1: [
    '25 30 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw',
    '31 25 0:28 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755',
    '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,cpu,cpuacct',
    '33 31 0:30 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,memory',
    '34 31 0:31 / /sys/fs/cgroup/blkio rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,blkio',
    '35 31 0:32 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,pids',
    '36 31 0:33 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,xattr,name=systemd',
  ].join('\n'),
  // This VM's layout: every controller on its own mount, cgroup2 at /sys/fs/cgroup/unified.
  hybrid: [
    '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
    '32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
    '33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct',
    '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
    '38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio',
    '39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
    '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
  ].join('\n'),
  v2: [
    '26 30 0:24 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw',
    '27 26 0:25 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:8 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot',
  ].join('\n'),
};

const V1_MOUNTS: Record<Exclude<TreeVersion, 'v2'>, Record<string, string>> = {
  v1: { cpu: 'cpu,cpuacct', cpuacct: 'cpu,cpuacct', memory: 'memory', blkio: 'blkio', pids: 'pids' },
  hybrid: { cpu: 'cpu', cpuacct: 'cpuacct', memory: 'memory', blkio: 'blkio', pids: 'pids' },
};

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

export function writeNode(root: string, version: TreeVersion, cgroups: readonly FakeCgroup[], bootTime = 1_700_000_000): FakeNode {
  const node = { root, procfs: join(root, 'proc'), sysfs: join(root, 'sys'), rootfs: join(root, 'rootfs') };
  mkdirSync(node.rootfs, { recursive: true });
  write(join(node.procfs, '1/mountinfo'), MOUNTINFO[version] + '\n');
  write(join(node.procfs, 'stat'), `cpu  1 2 3 4 5 6 7 0 0 0\nbtime ${bootTime}\n`);
  // The node's OOM kill count: trees written again into the same root keep the one there.
  if (!existsSync(join(node.procfs, 'vmstat'))) write(join(node.procfs, 'vmstat'), 'pgfault 4242\noom_kill 0\npgmajfault 42\n');
  write(
    join(node.procfs, 'diskstats'),
    '   8       0 sda 100 0 800 10 200 0 1600 20 0 30 30 0 0 0 0 0 0\n 253       0 dm-0 1 0 8 1 2 0 16 2 0 3 3 0 0 0 0 0 0\n',
  );
  for (const c of cgroups) {
    if (version === 'v2') writeV2(join(node.sysfs, 'fs/cgroup', c.path), c);
    else for (const [controller, mount] of Object.entries(V1_MOUNTS[version])) writeV1(join(node.sysfs, 'fs/cgroup', mount, c.path), controller, c);
  }
  if (cgroups.some((c) => c.path === '/')) writeProcess(node, 1, HOST_NETNS, { lo: [100, 100], eth0: [1e6, 2e6] });
  return node;
}

function writeV1(dir: string, controller: string, c: FakeCgroup): void {
  const f = (name: string, text: string) => write(join(dir, name), text);
  f('cgroup.procs', (c.pids ?? []).map((p) => `${p}\n`).join(''));
  f('cgroup.clone_children', '0\n');
  if (controller === 'cpuacct') {
    f('cpuacct.usage', `${c.cpuUsageNs ?? 0}\n`);
    f('cpuacct.stat', `user ${c.userTicks ?? 0}\nsystem ${c.systemTicks ?? 0}\n`);
    f('cpuacct.usage_percpu', `${Math.floor((c.cpuUsageNs ?? 0) * 0.75)} ${Math.ceil((c.cpuUsageNs ?? 0) * 0.25)} \n`);
  } else if (controller === 'cpu') {
    f('cpu.cfs_quota_us', `${c.quotaUs ?? -1}\n`);
    f('cpu.cfs_period_us', '100000\n');
    f('cpu.shares', '1024\n');
    f('cpu.stat', `nr_periods ${c.periods ?? 0}\nnr_throttled ${c.throttledPeriods ?? 0}\nthrottled_time ${c.throttledNs ?? 0}\nnr_bursts 0\nburst_time 0\n`);
  } else if (controller === 'memory') {
    const usage = c.memoryUsage ?? 0;
    f('memory.usage_in_bytes', `${usage}\n`);
    f('memory.max_usage_in_bytes', `${usage * 2}\n`);
    f('memory.failcnt', '3\n');
    f('memory.limit_in_bytes', `${c.memoryLimit ?? UNLIMITED_V1}\n`);
    f('memory.memsw.limit_in_bytes', `${UNLIMITED_V1}\n`);
    f('memory.soft_limit_in_bytes', `${UNLIMITED_V1}\n`);
    f('memory.use_hierarchy', '1\n');
    f('memory.oom_control', `oom_kill_disable 0\nunder_oom 0\noom_kill ${c.oomKills ?? 0}\n`);
    const rss = c.rss ?? 0;
    const cache = c.cache ?? 0;
    const inactive = c.inactiveFile ?? 0;
    const mapped = c.mappedFile ?? 0;
    const keys = {
      cache,
      rss,
      rss_huge: 0,
      shmem: 0,
      mapped_file: mapped,
      dirty: 0,
      writeback: 0,
      swap: 0,
      pgpgin: 100,
      pgpgout: 50,
      pgfault: 300,
      pgmajfault: 1,
      inactive_anon: 0,
      active_anon: rss,
      inactive_file: inactive,
      active_file: cache - inactive,
      unevictable: 0,
      hierarchical_memory_limit: c.memoryLimit ?? UNLIMITED_V1,
      hierarchical_memsw_limit: UNLIMITED_V1,
    };
    const lines = Object.entries(keys).map(([k, v]) => `${k} ${v}`);
    const totals = Object.entries(keys)
      .filter(([k]) => !k.startsWith('hierarchical'))
      .map(([k, v]) => `total_${k} ${v}`);
    f('memory.stat', [...lines, ...totals].join('\n') + '\n');
  } else if (controller === 'pids') {
    f('pids.current', `${c.threads ?? 0}\n`);
    f('pids.max', 'max\n');
  } else if (controller === 'blkio') {
    const bytes =
      c.readBytes === undefined
        ? 'Total 0\n'
        : `8:0 Read ${c.readBytes}\n8:0 Write ${c.writeBytes ?? 0}\n8:0 Sync ${c.writeBytes ?? 0}\n8:0 Async ${c.readBytes}\n8:0 Discard 0\n8:0 Total ${c.readBytes + (c.writeBytes ?? 0)}\nTotal ${c.readBytes + (c.writeBytes ?? 0)}\n`;
    const ops =
      c.readBytes === undefined
        ? 'Total 0\n'
        : `8:0 Read ${c.readBytes / 4096}\n8:0 Write ${(c.writeBytes ?? 0) / 4096}\n8:0 Sync 0\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 0\nTotal 0\n`;
    f('blkio.bfq.io_service_bytes_recursive', 'Total 0\n');
    f('blkio.bfq.io_serviced_recursive', 'Total 0\n');
    f('blkio.throttle.io_service_bytes_recursive', bytes);
    f('blkio.throttle.io_serviced_recursive', ops);
  }
}

function writeV2(dir: string, c: FakeCgroup): void {
  const f = (name: string, text: string) => write(join(dir, name), text);
  const usec = Math.floor((c.cpuUsageNs ?? 0) / 1000);
  f('cgroup.procs', (c.pids ?? []).map((p) => `${p}\n`).join(''));
  f('cgroup.events', 'populated 1\nfrozen 0\n');
  f(
    'cpu.stat',
    `usage_usec ${usec}\nuser_usec ${(c.userTicks ?? 0) * 10000}\nsystem_usec ${(c.systemTicks ?? 0) * 10000}\nnr_periods ${c.periods ?? 0}\nnr_throttled ${c.throttledPeriods ?? 0}\nthrottled_usec ${Math.floor((c.throttledNs ?? 0) / 1000)}\nnr_bursts 0\nburst_usec 0\n`,
  );
  f('cpu.pressure', 'some avg10=0.00 avg60=0.00 avg300=0.00 total=1500000\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=500000\n');
  f('memory.pressure', 'some avg10=0.00 avg60=0.00 avg300=0.00 total=250000\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=125000\n');
  f('io.pressure', 'some avg10=0.00 avg60=0.00 avg300=0.00 total=42\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=21\n');
  if (c.path === '/') {
    f('memory.stat', `anon ${c.rss ?? 0}\nfile ${c.cache ?? 0}\nfile_mapped ${c.mappedFile ?? 0}\ninactive_file ${c.inactiveFile ?? 0}\n`);
    f('io.stat', '');
    return; // the root cgroup has no cpu.max, memory.current, memory.max or pids files
  }
  f('cpu.max', `${c.quotaUs ?? 'max'} 100000\n`);
  f('cpu.weight', '100\n');
  f('memory.current', `${c.memoryUsage ?? 0}\n`);
  f('memory.peak', `${(c.memoryUsage ?? 0) * 2}\n`);
  f('memory.max', `${c.memoryLimit ?? 'max'}\n`);
  f('memory.swap.max', 'max\n');
  f('memory.swap.current', '0\n');
  f('memory.min', '0\n');
  f('memory.events', `low 0\nhigh 0\nmax 0\noom 0\noom_kill ${c.oomKills ?? 0}\noom_group_kill 0\n`);
  f(
    'memory.stat',
    `anon ${c.rss ?? 0}\nfile ${c.cache ?? 0}\nkernel 0\nsock 0\nshmem 0\nfile_mapped ${c.mappedFile ?? 0}\nfile_dirty 0\nfile_writeback 0\nswapcached 0\ninactive_anon 0\nactive_anon ${c.rss ?? 0}\ninactive_file ${c.inactiveFile ?? 0}\nactive_file ${(c.cache ?? 0) - (c.inactiveFile ?? 0)}\nunevictable 0\n`,
  );
  f('pids.current', `${c.threads ?? 0}\n`);
  f('pids.max', '4096\n');
  f(
    'io.stat',
    c.readBytes === undefined
      ? ''
      : `8:0 rbytes=${c.readBytes} wbytes=${c.writeBytes ?? 0} rios=${c.readBytes / 4096} wios=${(c.writeBytes ?? 0) / 4096} dbytes=0 dios=0\n`,
  );
}

/** A process of the node: its network namespace link and /proc/PID/net/dev. */
export function writeProcess(node: FakeNode, pid: number, netns: number, interfaces: Record<string, [rxBytes: number, txBytes: number]>): void {
  const dir = join(node.procfs, String(pid));
  mkdirSync(join(dir, 'ns'), { recursive: true });
  symlinkSync(`net:[${netns}]`, join(dir, 'ns/net'));
  const header =
    'Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';
  const lines = Object.entries(interfaces).map(([name, [rx, tx]]) => `${name.padStart(6)}: ${rx} ${rx / 100} 1 2 0 0 0 0 ${tx} ${tx / 100} 3 4 0 0 0 0`);
  write(join(dir, 'net/dev'), header + lines.join('\n') + '\n');
}

/** A reconstructed runtime file (see test/fixtures/container-runtime/README.md), placeholders replaced. */
export function runtimeFixture(name: string, replacements: Record<string, string>): unknown {
  let text = readFileSync(new URL(`../../../test/fixtures/container-runtime/${name}`, import.meta.url), 'utf8');
  for (const [k, v] of Object.entries(replacements)) text = text.replaceAll(k, v);
  return JSON.parse(text);
}

export function writeJson(node: Pick<FakeNode, 'rootfs'>, relative: string, value: unknown): void {
  write(join(node.rootfs, relative), typeof value === 'string' ? value : JSON.stringify(value, null, 2));
}
