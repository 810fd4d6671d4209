import { parseKeyValueLines } from '../host/proc-keyvalue.js';
import { parsePressure, type PressureTotals } from '../host/pressure.js';
import type { Controller } from './cgroup-layout.js';
import type { CgroupFiles } from './cgroup-files.js';
import { parseBlkio, parseCgroupValue, parseCpuMax, parseIoStat, parsePidList, specMemoryValue, weightToShares, type DeviceIo } from './cgroup-parsers.js';

/** Where one cgroup's files are: per v1 controller, or the one v2 directory. */
export type CgroupDirs = { version: 1; dirs: Partial<Record<Controller, string>> } | { version: 2; dir: string };

/** What cAdvisor derives from a cgroup, in base units (seconds, bytes); absent where the kernel has no source. */
export interface CgroupStats {
  cpuUsage?: number;
  /** Seconds per CPU (v1 `cpuacct.usage_percpu`), read only when per-CPU series are on. */
  cpuUsagePerCpu?: number[];
  cpuUser?: number;
  cpuSystem?: number;
  cfsPeriods?: number;
  cfsThrottledPeriods?: number;
  cfsThrottledSeconds?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  cpuShares?: number;
  memoryUsage?: number;
  memoryWorkingSet?: number;
  memoryRss?: number;
  memoryCache?: number;
  memorySwap?: number;
  memoryMappedFile?: number;
  memoryFailcnt?: number;
  memoryMaxUsage?: number;
  memoryLimit?: number;
  memorySwapLimit?: number;
  memoryReservation?: number;
  oomKills?: number;
  processes?: number;
  /** A pid in the cgroup, for its network namespace. */
  firstPid?: number;
  threads?: number;
  threadsMax?: number;
  io: DeviceIo[];
  pressure?: { cpu?: PressureTotals; memory?: PressureTotals; io?: PressureTotals };
}

const NS = 1e9;
const US = 1e6;
/** cpuacct.stat is in USER_HZ ticks, which the kernel fixes at 100 for userspace. */
const USER_HZ = 100;

export function readCgroupStats(files: CgroupFiles, where: CgroupDirs, opts: { perCpu: boolean; isRoot: boolean }): CgroupStats {
  return where.version === 1 ? readV1(files, where.dirs, opts) : readV2(files, where.dir, opts.isRoot);
}

function readV1(files: CgroupFiles, dirs: Partial<Record<Controller, string>>, opts: { perCpu: boolean; isRoot: boolean }): CgroupStats {
  const s: CgroupStats = { io: [] };
  const value = (dir: string, file: string) => files.parsed(dir, file, parseCgroupValue);
  const keyed = (dir: string, file: string) => files.parsed(dir, file, parseKeyValueLines);

  if (dirs.cpuacct) {
    const usage = value(dirs.cpuacct, 'cpuacct.usage');
    if (usage !== undefined) s.cpuUsage = usage / NS;
    const ticks = keyed(dirs.cpuacct, 'cpuacct.stat');
    if (ticks?.has('user')) s.cpuUser = (ticks.get('user') as number) / USER_HZ;
    if (ticks?.has('system')) s.cpuSystem = (ticks.get('system') as number) / USER_HZ;
    if (opts.perCpu) {
      const perCpu = files.parsed(dirs.cpuacct, 'cpuacct.usage_percpu', parseNumberList);
      if (perCpu) s.cpuUsagePerCpu = perCpu.map((ns) => ns / NS);
    }
  }
  if (dirs.cpu) {
    const quota = value(dirs.cpu, 'cpu.cfs_quota_us');
    if (quota !== undefined && quota > 0) s.cpuQuota = quota;
    s.cpuPeriod = value(dirs.cpu, 'cpu.cfs_period_us');
    s.cpuShares = value(dirs.cpu, 'cpu.shares');
    const cpuStat = keyed(dirs.cpu, 'cpu.stat');
    if (cpuStat) {
      s.cfsPeriods = cpuStat.get('nr_periods');
      s.cfsThrottledPeriods = cpuStat.get('nr_throttled');
      const throttled = cpuStat.get('throttled_time');
      if (throttled !== undefined) s.cfsThrottledSeconds = throttled / NS;
    }
    readProcs(files, dirs.cpu, s);
  }
  if (dirs.memory) {
    const dir = dirs.memory;
    const stat = keyed(dir, 'memory.stat');
    // Hierarchical totals where the kernel keeps them (use_hierarchy=1, the only mode since 5.16).
    const pick = (key: string) => stat?.get(`total_${key}`) ?? stat?.get(key);
    s.memoryUsage = value(dir, 'memory.usage_in_bytes');
    if (s.memoryUsage !== undefined) s.memoryWorkingSet = Math.max(0, s.memoryUsage - (pick('inactive_file') ?? 0));
    s.memoryRss = pick('rss');
    s.memoryCache = pick('cache');
    s.memorySwap = pick('swap');
    s.memoryMappedFile = pick('mapped_file');
    s.memoryFailcnt = value(dir, 'memory.failcnt');
    s.memoryMaxUsage = value(dir, 'memory.max_usage_in_bytes');
    s.memoryLimit = limit(value(dir, 'memory.limit_in_bytes'));
    s.memorySwapLimit = limit(value(dir, 'memory.memsw.limit_in_bytes'));
    s.memoryReservation = limit(value(dir, 'memory.soft_limit_in_bytes'));
    s.oomKills = keyed(dir, 'memory.oom_control')?.get('oom_kill');
  }
  if (dirs.pids && !opts.isRoot) {
    s.threads = value(dirs.pids, 'pids.current');
    s.threadsMax = zeroIfUnlimited(value(dirs.pids, 'pids.max'));
  }
  if (dirs.blkio) s.io = readBlkio(files, dirs.blkio);
  return s;
}

/** The first group of blkio files that exists and has entries, in the order runc tries them. */
const BLKIO_GROUPS = [
  ['blkio.bfq.io_service_bytes_recursive', 'blkio.bfq.io_serviced_recursive'],
  ['blkio.io_service_bytes_recursive', 'blkio.io_serviced_recursive'],
  ['blkio.throttle.io_service_bytes_recursive', 'blkio.throttle.io_serviced_recursive'],
  ['blkio.throttle.io_service_bytes', 'blkio.throttle.io_serviced'],
] as const;

function readBlkio(files: CgroupFiles, dir: string): DeviceIo[] {
  for (const [bytesFile, opsFile] of BLKIO_GROUPS) {
    const table = new Map<string, DeviceIo>();
    const bytes = files.parsed(dir, bytesFile, (text, path) => parseBlkio(text, path, table, 'bytes'));
    if (!bytes || bytes.size === 0) continue;
    files.parsed(dir, opsFile, (text, path) => parseBlkio(text, path, table, 'ops'));
    return [...table.values()];
  }
  return [];
}

function readV2(files: CgroupFiles, dir: string, isRoot: boolean): CgroupStats {
  const s: CgroupStats = { io: [] };
  const value = (file: string) => files.parsed(dir, file, parseCgroupValue);
  const keyed = (file: string) => files.parsed(dir, file, parseKeyValueLines);

  const cpuStat = keyed('cpu.stat');
  if (cpuStat) {
    const us = (key: string) => (cpuStat.has(key) ? (cpuStat.get(key) as number) / US : undefined);
    s.cpuUsage = us('usage_usec');
    s.cpuUser = us('user_usec');
    s.cpuSystem = us('system_usec');
    s.cfsPeriods = cpuStat.get('nr_periods');
    s.cfsThrottledPeriods = cpuStat.get('nr_throttled');
    s.cfsThrottledSeconds = us('throttled_usec');
  }
  const cpuMax = files.parsed(dir, 'cpu.max', parseCpuMax);
  if (cpuMax) {
    s.cpuPeriod = cpuMax.period;
    if (cpuMax.quota !== undefined && cpuMax.quota > 0) s.cpuQuota = cpuMax.quota;
  }
  const weight = value('cpu.weight');
  if (weight !== undefined) s.cpuShares = weightToShares(weight);

  const stat = keyed('memory.stat');
  // The root cgroup has no memory.current: usage is what its memory.stat accounts.
  s.memoryUsage = value('memory.current') ?? (isRoot && stat ? (stat.get('anon') ?? 0) + (stat.get('file') ?? 0) : undefined);
  if (s.memoryUsage !== undefined) s.memoryWorkingSet = Math.max(0, s.memoryUsage - (stat?.get('inactive_file') ?? 0));
  s.memoryRss = stat?.get('anon');
  s.memoryCache = stat?.get('file');
  s.memoryMappedFile = stat?.get('file_mapped');
  s.memorySwap = value('memory.swap.current');
  if (s.memoryUsage !== undefined) s.memoryFailcnt = 0; // v2 has no failcnt; cAdvisor reports 0
  s.memoryMaxUsage = value('memory.peak') ?? (s.memoryUsage !== undefined ? 0 : undefined);
  s.memoryLimit = limit(value('memory.max'));
  s.memorySwapLimit = limit(value('memory.swap.max'));
  s.memoryReservation = limit(value('memory.min'));
  s.oomKills = keyed('memory.events')?.get('oom_kill');

  readProcs(files, dir, s);
  const threads = value('pids.current');
  if (threads !== undefined && !isRoot) {
    s.threads = threads;
    s.threadsMax = zeroIfUnlimited(value('pids.max'));
  }
  s.io = [...(files.parsed(dir, 'io.stat', parseIoStat)?.values() ?? [])];
  const pressure = (resource: string) => files.parsed(dir, `${resource}.pressure`, parsePressure);
  s.pressure = { cpu: pressure('cpu'), memory: pressure('memory'), io: pressure('io') };
  return s;
}

function readProcs(files: CgroupFiles, dir: string, s: CgroupStats): void {
  const procs = files.parsed(dir, 'cgroup.procs', parsePidList);
  if (!procs) return;
  s.processes = procs.count;
  if (procs.first !== undefined) s.firstPid = procs.first;
}

function limit(bytes: number | undefined): number | undefined {
  return bytes === undefined ? undefined : specMemoryValue(bytes);
}

function zeroIfUnlimited(n: number | undefined): number | undefined {
  return n === Infinity ? 0 : n;
}

function parseNumberList(text: string, file: string) {
  const values = text.trim().split(/\s+/).map(Number);
  return values.every((v) => Number.isFinite(v) && v >= 0) ? { ok: true as const, value: values } : { ok: false as const, error: `${file}:1: expected numbers` };
}
