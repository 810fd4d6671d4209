/**
 * What one read of each cgroup v1 file the container collector reads costs, on real cgroups: the
 * floor under a v1 collection run. Creates 1,000 containers' worth of empty cgroups (1,503, laid
 * out like bench/container-bench.ts) under this machine's /sys/fs/cgroup/<controller>, reads each
 * file of every cgroup five times through the same native batch reader, and removes them. Then the
 * alternative of holding every file open and reading it again from offset 0 (kernfs regenerates a
 * seq_file read at offset 0), against open/read/close through node:fs, with the kernel memory the
 * held files cost (Slab in /proc/meminfo). Root only.
 *
 *   node dist/bench/cgroup-file-cost.js
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmdirSync } from 'node:fs';
import { batchFs } from '../src/fs/batchfs.js';

const ROUNDS = 5;
const FILES: Record<string, string[]> = {
  cpuacct: ['cpuacct.usage', 'cpuacct.stat'],
  cpu: ['cpu.stat', 'cgroup.procs'],
  memory: ['memory.stat', 'memory.usage_in_bytes', 'memory.failcnt', 'memory.max_usage_in_bytes', 'memory.oom_control'],
  pids: ['pids.current'],
  blkio: ['blkio.throttle.io_service_bytes_recursive', 'blkio.throttle.io_serviced_recursive'],
};

const slabKiB = () => Number(/^Slab:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1]);

function heldFiles(files: string[]): void {
  const buffer = Buffer.alloc(65536);
  const opened = cpuOf(() =>
    files.forEach((file) => {
      const fd = openSync(file, 'r');
      readSync(fd, buffer, 0, buffer.length, null);
      closeSync(fd);
    }),
  );
  const slabBefore = slabKiB();
  const fds = files.map((file) => openSync(file, 'r'));
  try {
    const held = cpuOf(() => fds.forEach((fd) => readSync(fd, buffer, 0, buffer.length, 0)));
    const slabHeld = slabKiB();
    console.log(
      `${files.length} files through node:fs, CPU ms per round: open/read/close user ${opened.user.toFixed(1)} system ${opened.system.toFixed(1)}; held open, read at offset 0: user ${held.user.toFixed(1)} system ${held.system.toFixed(1)}`,
    );
    console.log(`kernel memory of the held files: Slab ${slabBefore} -> ${slabHeld} KiB (${((slabHeld - slabBefore) / files.length).toFixed(1)} KiB per file)`);
  } finally {
    fds.forEach((fd) => closeSync(fd));
  }
}

function cgroupPaths(top: string): string[] {
  const paths = [top, `${top}/kubepods`, `${top}/kubepods/burstable`];
  for (let p = 0; p < 500; p++) {
    const pod = `${top}/kubepods/burstable/pod${p}`;
    paths.push(pod, `${pod}/sandbox`, `${pod}/app`);
  }
  return paths;
}

/** CPU (user, system) in ms for `work`, per round. */
function cpuOf(work: () => void): { user: number; system: number } {
  const before = process.cpuUsage();
  for (let r = 0; r < ROUNDS; r++) work();
  const used = process.cpuUsage(before);
  return { user: used.user / 1000 / ROUNDS, system: used.system / 1000 / ROUNDS };
}

const paths = cgroupPaths(`/spyglass-file-cost-${process.pid}`);
const created: string[] = [];
try {
  for (const controller of Object.keys(FILES)) {
    for (const p of paths) {
      const dir = `/sys/fs/cgroup/${controller}${p}`;
      if (existsSync(dir)) continue;
      mkdirSync(dir);
      created.push(dir);
    }
  }
  console.log(`${paths.length} cgroups, ${ROUNDS} rounds; node ${process.version}; CPU ms per read of every cgroup's file`);
  console.log('| file | user ms | system ms | µs per file |');
  console.log('|---|---|---|---|');
  let total = 0;
  for (const [controller, names] of Object.entries(FILES)) {
    for (const name of names) {
      const cost = cpuOf(() => paths.forEach((p) => batchFs.readFilesAt(`/sys/fs/cgroup/${controller}${p}`, [name])));
      total += cost.user + cost.system;
      console.log(`| ${name} | ${cost.user.toFixed(1)} | ${cost.system.toFixed(1)} | ${(((cost.user + cost.system) / paths.length) * 1000).toFixed(1)} |`);
    }
  }
  console.log(`| all ${Object.values(FILES).flat().length} files | | | ${total.toFixed(1)} ms per run |`);
  const walk = cpuOf(() => Object.keys(FILES).forEach((c) => paths.forEach((p) => batchFs.subdirectories(`/sys/fs/cgroup/${c}${p}`))));
  console.log(`listing every directory of the ${Object.keys(FILES).length} hierarchies: user ${walk.user.toFixed(1)} ms, system ${walk.system.toFixed(1)} ms`);
  heldFiles(Object.entries(FILES).flatMap(([controller, names]) => paths.flatMap((p) => names.map((name) => `/sys/fs/cgroup/${controller}${p}/${name}`))));
} finally {
  for (const dir of created.reverse()) rmdirSync(dir);
}
