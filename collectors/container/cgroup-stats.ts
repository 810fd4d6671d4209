import { parseKeyValueLines } from '../host/proc-keyvalue.js';
import { parsePressure, type PressureTotals } from '../host/pressure.js';
import type { Controller } from './cgroup-layout.js';
import type { CgroupFiles } from './cgroup-files.js';
import { parseBlkio, parseCgroupValue, parseCpuMax, parseIoStat, parsePidList, specMemoryValue, weightToShares, type DeviceIo } from './cgroup-parsers.js';

/** Where one cgroup's files are: per v1 controller, or the one v2 directory. */
export type CgroupDirs = { version: 1; dirs: Partial<Record<Controller, string>> } | { version: 2; dir: string };

/** The limits a cgroup is configured with: they change rarely, so they are read less often than the usage. */
export interface CgroupSpec {
  cpuQuota?: number;
  cpuPeriod?: number;
  cpuShares?: number;
  memoryLimit?: number;
  memorySwapLimit?: number;
  memoryReservation?: number;
  threadsMax?: number;
}

/** What cAdvisor derives from a cgroup's usage files, in base units (seconds, bytes); absent where the kernel has no source. */
export interface CgroupUsage {
  cpuUsage?: number;
  /** Seconds per CPU (v1 `cpuacct.usage_percpu`), read only when per-CPU series are on. */
  cpuUsagePerCpu?: number[];
  cpuUser?: number;
  cpuSystem?: number;
  cfsPeriods?: number;
  cfsThrottledPeriods?: number;
  cfsThrottledSeconds?: number;
  memoryUsage?: number;
  memoryWorkingSet?: number;
  memoryRss?: number;
  memoryCache?: number;
  memorySwap?: number;
  memoryMappedFile?: number;
  memoryFailcnt?: number;
  memoryMaxUsage?: number;
  oomKills?: number;
  processes?: number;
  /** A pid in the cgroup, for its network namespace. */
  firstPid?: number;
  threads?: number;
  io: DeviceIo[];
  pressure?: { cpu?: PressureTotals; memory?: PressureTotals; io?: PressureTotals };
}

export type CgroupStats = CgroupUsage & CgroupSpec;

/** What the reader keeps of one cgroup between runs. */
export interface CgroupMemo {
  /** Index in BLKIO_GROUPS of the v1 blkio files that last had entries. */
  blkioGroup?: number;
}

const NS = 1e9;
const US = 1e6;
/** cpuacct.stat is in USER_HZ ticks, which the kernel fixes at 100 for userspace. */
const USER_HZ = 100;

export function readCgroupSpec(files: CgroupFiles, where: CgroupDirs, isRoot: boolean): CgroupSpec {
  return where.version === 1 ? readV1Spec(files, where.dirs, isRoot) : readV2Spec(files, where.dir, isRoot);
}

export function readCgroupUsage(files: CgroupFiles, where: CgroupDirs, memo: CgroupMemo, opts: { perCpu: boolean; isRoot: boolean }): CgroupUsage {
  return where.version === 1 ? readV1Usage(files, where.dirs, memo, opts) : readV2Usage(files, where.dir, opts.isRoot);
}

function readV1Spec(files: CgroupFiles, dirs: Partial<Record<Controller, string>>, isRoot: boolean): CgroupSpec {
  const s: CgroupSpec = {};
  const value = (dir: string, file: string) => files.parsed(dir, file, parseCgroupValue);
  if (dirs.cpu) {
    files.prefetch(dirs.cpu, ['cpu.cfs_quota_us', 'cpu.cfs_period_us', 'cpu.shares']);
    const quota = value(dirs.cpu, 'cpu.cfs_quota_us');
    if (quota !== undefined && quota > 0) s.cpuQuota = quota;
    s.cpuPeriod = value(dirs.cpu, 'cpu.cfs_period_us');
    s.cpuShares = value(dirs.cpu, 'cpu.shares');
  }
  if (dirs.memory) {
    files.prefetch(dirs.memory, ['memory.limit_in_bytes', 'memory.memsw.limit_in_bytes', 'memory.soft_limit_in_bytes']);
    s.memoryLimit = limit(value(dirs.memory, 'memory.limit_in_bytes'));
    s.memorySwapLimit = limit(value(dirs.memory, 'memory.memsw.limit_in_bytes'));
    s.memoryReservation = limit(value(dirs.memory, 'memory.soft_limit_in_bytes'));
  }
  if (dirs.pids && !isRoot) s.threadsMax = zeroIfUnlimited(value(dirs.pids, 'pids.max'));
  return s;
}

function readV1Usage(files: CgroupFiles, dirs: Partial<Record<Controller, string>>, memo: CgroupMemo, opts: { perCpu: boolean; isRoot: boolean }): CgroupUsage {
  const s: CgroupUsage = { io: [] };
  const value = (dir: string, file: string) => files.parsed(dir, file, parseCgroupValue);
  const keyed = (dir: string, file: string) => files.parsed(dir, file, parseKeyValueLines);

  if (dirs.cpuacct) {
    files.prefetch(dirs.cpuacct, opts.perCpu ? ['cpuacct.usage', 'cpuacct.stat', 'cpuacct.usage_percpu'] : ['cpuacct.usage', 'cpuacct.stat']);
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
    files.prefetch(dirs.cpu, ['cpu.stat', 'cgroup.procs']);
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
    files.prefetch(dir, ['memory.stat', 'memory.usage_in_bytes', 'memory.failcnt', 'memory.max_usage_in_bytes', 'memory.oom_control']);
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
    s.oomKills = keyed(dir, 'memory.oom_control')?.get('oom_kill');
  }
  if (dirs.pids && !opts.isRoot) s.threads = value(dirs.pids, 'pids.current');
  if (dirs.blkio) s.io = readBlkio(files, dirs.blkio, memo);
  return s;
}

/**
 * The first group of blkio files that has entries, in the order runc tries them: BFQ's (only
 * filled under the BFQ scheduler), CFQ's (kernels before 5.0), then the throttle layer's, which
 * sees all I/O. The non-recursive throttle files are for kernels without the recursive ones.
 */
const BLKIO_GROUPS = [
  ['blkio.bfq.io_service_bytes_recursive', 'blkio.bfq.io_serviced_recursive'],
  ['blkio.io_service_bytes_recursive', 'blkio.io_serviced_recursive'],
  ['blkio.throttle.io_service_bytes_recursive', 'blkio.throttle.io_serviced_recursive'],
  ['blkio.throttle.io_service_bytes', 'blkio.throttle.io_serviced'],
] as const;
const THROTTLE_RECURSIVE = 2;

/** Reads the group that had entries last time first, so a busy cgroup costs two reads, not up to eight. */
function readBlkio(files: CgroupFiles, dir: string, memo: CgroupMemo): DeviceIo[] {
  const known = memo.blkioGroup;
  files.prefetch(dir, known === undefined ? BLKIO_GROUPS.slice(0, THROTTLE_RECURSIVE + 1).map(([bytes]) => bytes) : BLKIO_GROUPS[known] ?? []);
  const order = known === undefined ? BLKIO_GROUPS.keys() : [known, ...[...BLKIO_GROUPS.keys()].filter((g) => g !== known)];
  for (const g of order) {
    const [bytesFile, opsFile] = BLKIO_GROUPS[g] as (typeof BLKIO_GROUPS)[number];
    const table = new Map<string, DeviceIo>();
    const bytes = files.parsed(dir, bytesFile, (text, path) => parseBlkio(text, path, table, 'bytes'));
    if (bytes && bytes.size > 0) {
      memo.blkioGroup = g;
      files.parsed(dir, opsFile, (text, path) => parseBlkio(text, path, table, 'ops'));
      return [...table.values()];
    }
    // No I/O below this cgroup at all: the non-recursive files cannot have any either.
    if (bytes && g === THROTTLE_RECURSIVE) break;
  }
  delete memo.blkioGroup;
  return [];
}

const V2_SPEC_FILES = ['cpu.max', 'cpu.weight', 'memory.max', 'memory.swap.max', 'memory.min', 'pids.max'];
const V2_USAGE_FILES = ['cpu.stat', 'memory.stat', 'memory.current', 'memory.swap.current', 'memory.peak', 'memory.events', 'cgroup.procs', 'pids.current', 'io.stat', 'cpu.pressure', 'memory.pressure', 'io.pressure'];

function readV2Spec(files: CgroupFiles, dir: string, isRoot: boolean): CgroupSpec {
  const s: CgroupSpec = {};
  files.prefetch(dir, V2_SPEC_FILES);
  const value = (file: string) => files.parsed(dir, file, parseCgroupValue);
  const cpuMax = files.parsed(dir, 'cpu.max', parseCpuMax);
  if (cpuMax) {
    s.cpuPeriod = cpuMax.period;
    if (cpuMax.quota !== undefined && cpuMax.quota > 0) s.cpuQuota = cpuMax.quota;
  }
  const weight = value('cpu.weight');
  if (weight !== undefined) s.cpuShares = weightToShares(weight);
  s.memoryLimit = limit(value('memory.max'));
  s.memorySwapLimit = limit(value('memory.swap.max'));
  s.memoryReservation = limit(value('memory.min'));
  if (!isRoot) s.threadsMax = zeroIfUnlimited(value('pids.max'));
  return s;
}

function readV2Usage(files: CgroupFiles, dir: string, isRoot: boolean): CgroupUsage {
  const s: CgroupUsage = { io: [] };
  files.prefetch(dir, V2_USAGE_FILES);
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
  s.oomKills = keyed('memory.events')?.get('oom_kill');

  readProcs(files, dir, s);
  if (!isRoot) s.threads = value('pids.current');
  s.io = [...(files.parsed(dir, 'io.stat', parseIoStat)?.values() ?? [])];
  const pressure = (resource: string) => files.parsed(dir, `${resource}.pressure`, parsePressure);
  s.pressure = { cpu: pressure('cpu'), memory: pressure('memory'), io: pressure('io') };
  return s;
}

function readProcs(files: CgroupFiles, dir: string, s: CgroupUsage): void {
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
