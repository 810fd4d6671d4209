/**
 * Real cgroups on this machine (hybrid: v1 controllers plus cgroup2 at /sys/fs/cgroup/unified): the
 * test creates them, moves a real process that burns CPU and holds memory into them, and compares
 * what spyglass serves with what the kernel files say. Needs root, as the CI runs.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { containerRunner, valueOf } from './helpers/container-run.js';
import { cleanupsAfterAll, killed, makeCgroup } from './helpers/real-cgroups.js';
import { startSpyglass, waitFor, type Running } from './helpers/spyglass.js';

const V1 = '/sys/fs/cgroup';
const V1_CONTROLLERS = ['cpu', 'cpuacct', 'memory', 'pids', 'blkio'];
const UNIFIED = '/sys/fs/cgroup/unified';
const TOP = `/spyglass-test-${process.pid}`;
const POD = `${TOP}/kubepods/burstable/pod0b6c1a52-3f7e-4d2a-9a51-6b0e2c4d8f10`;
const CONTAINER = `${POD}/${'c0ffee'.repeat(10)}abcd`;
const MEMORY_BYTES = 96 << 20;

/**
 * A process that, once told on stdin (after it was moved into the cgroups, which v1 charges memory
 * to from then on), touches MEMORY_BYTES of memory and spins.
 */
function burner(): ChildProcess {
  const code = `process.stdin.once('data', () => { globalThis.b = Buffer.alloc(${MEMORY_BYTES}, 1); process.stdout.write('ready\\n'); for (;;) {} });`;
  return spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
}

async function go(p: ChildProcess): Promise<void> {
  p.stdin?.write('go\n');
  await once(p.stdout as NodeJS.ReadableStream, 'data');
}

function kernel(path: string): string {
  return readFileSync(path, 'utf8').trim();
}

function series(text: string, name: string, id: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`id="${id}"`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** How many of this process's descriptors name a directory whose path includes `part` (removed ones too). */
function descriptorsOf(part: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).includes(part);
    } catch {
      return false; // closed meanwhile (the one readdirSync listed with)
    }
  }).length;
}

const cleanups = cleanupsAfterAll();

describe('container collector on real cgroups', () => {
  it('v1 (this VM): CPU seconds and memory as the kernel counts them, throttling with a quota, series gone after removal', async () => {
    const dirs = Object.fromEntries(V1_CONTROLLERS.map((c) => [c, makeCgroup(join(V1, c), CONTAINER, cleanups)]));
    writeFileSync(join(dirs.cpu as string, 'cpu.cfs_quota_us'), '20000'); // 20% of one CPU
    writeFileSync(join(dirs.memory as string, 'memory.limit_in_bytes'), String(512 << 20));
    const proc = burner();
    cleanups.push(() => killed(proc));
    for (const c of V1_CONTROLLERS) writeFileSync(join(dirs[c] as string, 'cgroup.procs'), String(proc.pid));
    await go(proc);

    const spyglass: Running = await startSpyglass([
      '--collector.disable-defaults',
      '--collector.container',
      '--collector.container.interval=1s',
      `--collector.container.cgroup-include=${TOP}.*`,
    ]);
    cleanups.push(async () => void (await spyglass.stop()));
    const scrape = async () => (await fetch(`${spyglass.base}/metrics`)).text();
    await waitFor(async () => (series(await scrape(), 'container_cpu_usage_seconds_total', CONTAINER) ?? 0) > 0.3, 15000, 'CPU seconds to accumulate');

    // Freeze the process: from now on the kernel's counters stand still, so one more run must match them.
    proc.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 300));
    const usageNs = Number(kernel(join(dirs.cpuacct as string, 'cpuacct.usage')));
    const memoryUsage = Number(kernel(join(dirs.memory as string, 'memory.usage_in_bytes')));
    const periods = Number(/nr_throttled (\d+)/.exec(kernel(join(dirs.cpu as string, 'cpu.stat')))?.[1]);
    await new Promise((r) => setTimeout(r, 2200)); // two runs later
    const text = await scrape();
    const cpu = series(text, 'container_cpu_usage_seconds_total', CONTAINER) as number;
    assert.ok(Math.abs(cpu - usageNs / 1e9) < 0.002, `CPU ${cpu} s against cpuacct.usage ${usageNs / 1e9} s`);
    const memory = series(text, 'container_memory_usage_bytes', CONTAINER) as number;
    assert.ok(memory >= MEMORY_BYTES, `memory ${memory} holds the ${MEMORY_BYTES} bytes the process touched`);
    assert.ok(Math.abs(memory - memoryUsage) <= 1 << 20, `memory ${memory} against memory.usage_in_bytes ${memoryUsage}`);
    assert.ok((series(text, 'container_memory_working_set_bytes', CONTAINER) as number) >= MEMORY_BYTES);
    assert.ok((series(text, 'container_memory_rss', CONTAINER) as number) >= MEMORY_BYTES * 0.9);
    assert.equal(series(text, 'container_spec_cpu_quota', CONTAINER), 20000);
    assert.equal(series(text, 'container_spec_memory_limit_bytes', CONTAINER), 512 << 20);
    assert.equal(series(text, 'container_processes', CONTAINER), 1);
    assert.ok((series(text, 'container_threads', CONTAINER) as number) >= 7, 'a Node process has several threads');
    const throttled = series(text, 'container_cpu_cfs_throttled_periods_total', CONTAINER) as number;
    assert.ok(throttled > 0 && throttled === periods, `throttled periods ${throttled} against cpu.stat nr_throttled ${periods}`);
    const podMemory = series(text, 'container_memory_usage_bytes', POD) as number;
    assert.ok(Math.abs(podMemory - memoryUsage) <= 1 << 20, `the pod cgroup is charged for its children: ${podMemory} against ${memoryUsage}`);
    assert.ok(text.includes(`container_last_seen{container="",id="${POD}",image="",name="",namespace="",pod=""}`));

    await killed(proc);
    for (const c of V1_CONTROLLERS) rmdirSync(dirs[c] as string);
    await waitFor(async () => !(await scrape()).includes(`id="${CONTAINER}"`), 5000, 'the removed cgroup to be withdrawn');
    assert.ok((await scrape()).includes(`id="${POD}"`), 'its parent is still there');
    await spyglass.stop();
  });

  it('v1: a cgroup removed and made again under its name between runs (a restarted service) is read afresh, limits and start time too; removed ones are let go', async () => {
    const service = `${TOP}/system.slice/restarted.service`;
    const make = (limit: number) => {
      for (const c of V1_CONTROLLERS) makeCgroup(join(V1, c), service, cleanups);
      writeFileSync(join(V1, 'memory', service, 'memory.limit_in_bytes'), String(limit));
    };
    const removeService = () => {
      for (const c of V1_CONTROLLERS) rmdirSync(join(V1, c, service));
    };
    make(64 << 20);
    // In-process, on this machine's own /proc and /sys: the walk holds its directories open in this process.
    // Limits are kept for spec_interval (1m by default), the start time for good: both must be read again for the new cgroup.
    const run = await containerRunner({ procfs: '/proc', sysfs: '/sys', rootfs: '/' }, { cgroup_include: `${TOP}.*` });
    let started: number | undefined;
    const limit = async () => {
      const { families, skipped } = await run();
      started = valueOf(families, 'container_start_time_seconds', { id: service });
      return { limit: valueOf(families, 'container_spec_memory_limit_bytes', { id: service }), skipped };
    };
    assert.deepEqual(await limit(), { limit: 64 << 20, skipped: [] });
    const firstStart = started as number;
    assert.equal(descriptorsOf(service), V1_CONTROLLERS.length, 'one held descriptor per hierarchy');
    removeService();
    await new Promise((r) => setTimeout(r, 20));
    make(128 << 20);
    assert.deepEqual(await limit(), { limit: 128 << 20, skipped: [] }, 'the new directory, not the removed one');
    assert.ok((started as number) > firstStart, `start time ${started} of the new cgroup, after the first one's ${firstStart}`);
    assert.equal(descriptorsOf(service), V1_CONTROLLERS.length, "the removed directories' descriptors were replaced");
    removeService();
    assert.deepEqual(await limit(), { limit: undefined, skipped: [] });
    assert.equal(descriptorsOf(service), 0, 'nothing held of a cgroup that is gone');
  });

  it('v1: a real OOM kill is counted at the next run, and a cgroup made again under its name starts from its own count', async () => {
    const service = `${TOP}/system.slice/oom.service`;
    const dir = join(V1, 'memory', service);
    const make = () => {
      makeCgroup(join(V1, 'memory'), service, cleanups);
      writeFileSync(join(dir, 'memory.limit_in_bytes'), String(64 << 20));
    };
    make();
    const run = await containerRunner({ procfs: '/proc', sysfs: '/sys', rootfs: '/' }, { cgroup_include: `${TOP}.*` });
    const oomKills = async () => valueOf((await run()).families, 'container_oom_events_total', { id: service });
    assert.deepEqual([await oomKills(), await oomKills(), await oomKills()], [0, 0, 0]);
    const hog = spawn(process.execPath, ['-e', `process.stdin.once('data', () => { const held = []; for (;;) held.push(Buffer.alloc(${16 << 20}, 1)); });`], {
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    cleanups.push(() => killed(hog));
    writeFileSync(join(dir, 'cgroup.procs'), String(hog.pid));
    hog.stdin?.write('go\n');
    const [, signal] = await once(hog, 'exit');
    assert.equal(signal, 'SIGKILL', "the kernel's OOM killer ended the process past its 64 MiB");
    assert.match(kernel(join(dir, 'memory.oom_control')), /^oom_kill 1$/m);
    assert.deepEqual([await oomKills(), await oomKills(), await oomKills()], [1, 1, 1]);
    rmdirSync(dir);
    make();
    assert.equal(await oomKills(), 0, "the new cgroup's count, not the removed one's");
    rmdirSync(dir);
  });

  it('v1: pods made and removed run after run (churn) leave no series behind, and every live one is served', async () => {
    const churnTop = `${TOP}/churn/kubepods/burstable`;
    const podPaths = (n: number) => {
      const pod = `${churnTop}/pod00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
      return [pod, `${pod}/${'a'.repeat(63)}${n % 10}`, `${pod}/${'b'.repeat(63)}${n % 10}`];
    };
    const make = (n: number) => podPaths(n).forEach((p) => V1_CONTROLLERS.forEach((c) => mkdirSync(join(V1, c, p))));
    const remove = (n: number) => [...podPaths(n)].reverse().forEach((p) => V1_CONTROLLERS.forEach((c) => rmdirSync(join(V1, c, p))));
    for (const c of V1_CONTROLLERS) makeCgroup(join(V1, c), churnTop, cleanups);
    const live = new Set<number>();
    cleanups.push(() => live.forEach(remove));
    const spyglass: Running = await startSpyglass([
      '--collector.disable-defaults',
      '--collector.container',
      '--collector.container.interval=1s',
      `--collector.container.cgroup-include=${TOP}/churn.*`,
    ]);
    cleanups.push(async () => void (await spyglass.stop()));
    const served = async () => {
      const text = await (await fetch(`${spyglass.base}/metrics`)).text();
      const lines = text.split('\n').filter((l) => l.startsWith('container_'));
      return { ids: new Set(lines.filter((l) => l.startsWith('container_last_seen{')).map((l) => /id="([^"]*)"/.exec(l)?.[1])), series: lines.length };
    };
    const expected = () => new Set([`${TOP}/churn`, `${TOP}/churn/kubepods`, churnTop, ...[...live].flatMap(podPaths)]);
    const sameIds = async () => {
      const { ids } = await served();
      const want = expected();
      return ids.size === want.size && [...want].every((id) => ids.has(id));
    };
    await waitFor(sameIds, 10000, 'the empty tree');
    const empty = (await served()).series;
    let next = 0;
    for (let i = 0; i < 10; i++) {
      make(next);
      live.add(next++);
    }
    await waitFor(sameIds, 10000, 'ten pods');
    const withTen = (await served()).series;
    // Six steps of churn, each faster than the collector's 1 s runs: some pods live through no run at all.
    for (let step = 0; step < 6; step++) {
      for (let i = 0; i < 4; i++) {
        const oldest = Math.min(...live);
        remove(oldest);
        live.delete(oldest);
        make(next);
        live.add(next++);
      }
      await new Promise((r) => setTimeout(r, step % 2 ? 1500 : 300));
    }
    await waitFor(sameIds, 10000, 'the pods alive after the churn, and only those');
    assert.equal((await served()).series, withTen, 'as many series as ten pods had before');
    for (const n of live) remove(n);
    live.clear();
    await waitFor(sameIds, 10000, 'all pods gone');
    assert.equal((await served()).series, empty, 'the series of the empty tree only');
    await spyglass.stop();
  });

  it('v2 (the unified hierarchy of this VM, read as a v2 host): CPU seconds from cpu.stat, PSI', async () => {
    const dir = makeCgroup(UNIFIED, `${TOP}/app`, cleanups);
    const proc = burner();
    cleanups.push(() => killed(proc));
    writeFileSync(join(dir, 'cgroup.procs'), String(proc.pid));
    await go(proc);
    // A node whose /sys/fs/cgroup is cgroup2: its mount table, and /sys/fs/cgroup pointing at the real unified hierarchy.
    const root = mkdtempSync(join(tmpdir(), 'spyglass-v2-'));
    mkdirSync(join(root, 'proc/1'), { recursive: true });
    writeFileSync(join(root, 'proc/1/mountinfo'), '27 26 0:25 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw\n');
    copyFileSync('/proc/stat', join(root, 'proc/stat'));
    mkdirSync(join(root, 'sys/fs'), { recursive: true });
    symlinkSync(UNIFIED, join(root, 'sys/fs/cgroup'));
    const spyglass = await startSpyglass([
      '--collector.disable-defaults',
      '--collector.container',
      '--collector.container.interval=1s',
      `--collector.container.cgroup-include=${TOP}.*`,
      `--path.procfs=${root}/proc`,
      `--path.sysfs=${root}/sys`,
    ]);
    cleanups.push(async () => void (await spyglass.stop()));
    const id = `${TOP}/app`;
    const scrape = async () => (await fetch(`${spyglass.base}/metrics`)).text();
    await waitFor(async () => (series(await scrape(), 'container_cpu_usage_seconds_total', id) ?? 0) > 0.3, 15000, 'CPU seconds to accumulate');
    proc.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 300));
    const stat = kernel(join(dir, 'cpu.stat'));
    const usec = Number(/usage_usec (\d+)/.exec(stat)?.[1]);
    const pressure = Number(/some .*total=(\d+)/.exec(kernel(join(dir, 'cpu.pressure')))?.[1]);
    await new Promise((r) => setTimeout(r, 2200));
    const text = await scrape();
    assert.equal(series(text, 'container_cpu_usage_seconds_total', id), usec / 1e6);
    assert.equal(series(text, 'container_cpu_user_seconds_total', id), Number(/user_usec (\d+)/.exec(stat)?.[1]) / 1e6);
    assert.equal(series(text, 'container_pressure_cpu_waiting_seconds_total', id), pressure / 1e6);
    assert.equal(series(text, 'container_processes', id), 1);
    await killed(proc);
    rmdirSync(dir);
    await waitFor(async () => !(await scrape()).includes(`id="${id}"`), 5000, 'the removed cgroup to be withdrawn');
    await spyglass.stop();
  });
});
