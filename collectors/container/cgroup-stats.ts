import { pickKeyValues } from '../../src/parsers/key-value-lines.js';
import { parsePressure, type PressureTotals } from '../../src/parsers/pressure.js';
import type { Controller } from './cgroup-layout.js';
import type { CgroupFiles } from './cgroup-files.js';
import {
  parseBlkio,
  parseCgroupValue,
  parseCpuMax,
  parseIoStat,
  parsePidList,
  specMemoryValue,
  weightToShares,
  type DeviceIo,
} from '../../src/parsers/cgroup.js';

/**
 * Where one cgroup's files are: per v1 controller, or the one v2 directory. `made` changes when one
 * of its directories is removed and made again under the same name (a restarted service).
 */
export type CgroupDirs = ({ version: 1; dirs: Partial<Record<Controller, string>> } | { version: 2; dir: string }) & { made: number };

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
  io: readonly DeviceIo[];
  pressure?: { cpu?: PressureTotals; memory?: PressureTotals; io?: PressureTotals };
}

/** What the reader keeps of one cgroup between runs. */
export interface CgroupMemo {
  /** Index in BLKIO_GROUPS of the v1 blkio files that last had entries. */
  blkioGroup?: number;
}

const NS = 1e9;
const US = 1e6;
/** cpuacct.stat is in USER_HZ ticks, which the kernel fixes at 100 for userspace. */
const USER_HZ = 100;

/** Every field present from the start: one allocation per cgroup per run, no shape changes while it is filled. */
function newUsage(): CgroupUsage {
  return {
    cpuUsage: undefined,
    cpuUsagePerCpu: undefined,
    cpuUser: undefined,
    cpuSystem: undefined,
    cfsPeriods: undefined,
    cfsThrottledPeriods: undefined,
    cfsThrottledSeconds: undefined,
    memoryUsage: undefined,
    memoryWorkingSet: undefined,
    memoryRss: undefined,
    memoryCache: undefined,
    memorySwap: undefined,
    memoryMappedFile: undefined,
    memoryFailcnt: undefined,
    memoryMaxUsage: undefined,
    oomKills: undefined,
    processes: undefined,
    firstPid: undefined,
    threads: undefined,
    io: NO_IO,
    pressure: undefined,
  };
}

const NO_IO: readonly DeviceIo[] = Object.freeze([]);

export function readCgroupSpec(files: CgroupFiles, where: CgroupDirs, isRoot: boolean): CgroupSpec {
  return where.version === 1 ? readV1Spec(files, where.dirs, isRoot) : readV2Spec(files, where.dir, isRoot);
}

/** `cfs`: the cgroup has a CPU quota, so its throttling counters are reported (v1 keeps them in a file of their own). */
export interface UsageOptions {
  perCpu: boolean;
  isRoot: boolean;
  cfs: boolean;
}

export function readCgroupUsage(files: CgroupFiles, where: CgroupDirs, memo: CgroupMemo, opts: UsageOptions): CgroupUsage {
  return where.version === 1 ? readV1Usage(files, where.dirs, memo, opts) : readV2Usage(files, where.dir, opts);
}

const V1_CPU_SPEC = ['cpu.cfs_quota_us', 'cpu.cfs_period_us', 'cpu.shares'];
const V1_MEMORY_SPEC = ['memory.limit_in_bytes', 'memory.memsw.limit_in_bytes', 'memory.soft_limit_in_bytes'];

function readV1Spec(files: CgroupFiles, dirs: Partial<Record<Controller, string>>, isRoot: boolean): CgroupSpec {
  const s: CgroupSpec = {};
  if (dirs.cpu) {
    const dir = dirs.cpu;
    const [quota, period, shares] = files.read(dir, V1_CPU_SPEC).map((text, i) => files.parse(dir, V1_CPU_SPEC[i] as string, text, parseCgroupValue));
    if (quota !== undefined && quota > 0) s.cpuQuota = quota;
    s.cpuPeriod = period;
    s.cpuShares = shares;
  }
  if (dirs.memory) {
    const dir = dirs.memory;
    const [memory, memsw, soft] = files
      .read(dir, V1_MEMORY_SPEC)
      .map((text, i) => limit(files.parse(dir, V1_MEMORY_SPEC[i] as string, text, parseCgroupValue)));
    s.memoryLimit = memory;
    s.memorySwapLimit = memsw;
    s.memoryReservation = soft;
  }
  if (dirs.pids && !isRoot) s.threadsMax = zeroIfUnlimited(files.parsed(dirs.pids, 'pids.max', parseCgroupValue));
  return s;
}

const V1_CPUACCT = ['cpuacct.usage', 'cpuacct.stat'];
const V1_CPUACCT_PERCPU = [...V1_CPUACCT, 'cpuacct.usage_percpu'];
// Without a quota nothing of cpu.stat is reported: one file less per cgroup (~6 µs each on v1).
const V1_CPU = ['cgroup.procs'];
const V1_CPU_CFS = ['cgroup.procs', 'cpu.stat'];
const V1_MEMORY = ['memory.stat', 'memory.usage_in_bytes', 'memory.failcnt', 'memory.max_usage_in_bytes', 'memory.oom_control'];
const CPUACCT_STAT_KEYS = ['user', 'system'];
const V1_CPU_STAT_KEYS = ['nr_periods', 'nr_throttled', 'throttled_time'];
/** Hierarchical totals where the kernel keeps them (use_hierarchy=1, the only mode since 5.16), else the cgroup's own. */
const V1_MEMORY_STAT_KEYS = [
  'total_inactive_file',
  'inactive_file',
  'total_rss',
  'rss',
  'total_cache',
  'cache',
  'total_swap',
  'swap',
  'total_mapped_file',
  'mapped_file',
];
const OOM_KEYS = ['oom_kill'];

function readV1Usage(files: CgroupFiles, dirs: Partial<Record<Controller, string>>, memo: CgroupMemo, opts: UsageOptions): CgroupUsage {
  const s = newUsage();
  const cpuacctNames = opts.perCpu ? V1_CPUACCT_PERCPU : V1_CPUACCT;
  const cpuNames = opts.cfs ? V1_CPU_CFS : V1_CPU;
  // cpu and cpuacct mounted together (`cpu,cpuacct`, systemd's layout) are one directory: one batch.
  const together = dirs.cpu !== undefined && dirs.cpu === dirs.cpuacct ? files.read(dirs.cpu, [...cpuacctNames, ...cpuNames]) : undefined;
  if (dirs.cpuacct) {
    const dir = dirs.cpuacct;
    const [usage, stat, perCpu] = together?.slice(0, cpuacctNames.length) ?? files.read(dir, cpuacctNames);
    const ns = files.parse(dir, 'cpuacct.usage', usage, parseCgroupValue);
    if (ns !== undefined) s.cpuUsage = ns / NS;
    const [user, system] = files.parse(dir, 'cpuacct.stat', stat, (t, p) => pickKeyValues(t, p, CPUACCT_STAT_KEYS)) ?? [];
    if (user !== undefined) s.cpuUser = user / USER_HZ;
    if (system !== undefined) s.cpuSystem = system / USER_HZ;
    const perCpuNs = files.parse(dir, 'cpuacct.usage_percpu', perCpu, parseNumberList);
    if (perCpuNs) s.cpuUsagePerCpu = perCpuNs.map((v) => v / NS);
  }
  if (dirs.cpu) {
    const dir = dirs.cpu;
    const [procs, stat] = together?.slice(cpuacctNames.length) ?? files.read(dir, cpuNames);
    const cpuStat = files.parse(dir, 'cpu.stat', stat, (t, p) => pickKeyValues(t, p, V1_CPU_STAT_KEYS));
    if (cpuStat) {
      const [periods, throttled, throttledNs] = cpuStat;
      s.cfsPeriods = periods;
      s.cfsThrottledPeriods = throttled;
      if (throttledNs !== undefined) s.cfsThrottledSeconds = throttledNs / NS;
    }
    readProcs(files, dir, procs, s);
  }
  if (dirs.memory) {
    const dir = dirs.memory;
    const [stat, usage, failcnt, maxUsage, oomControl] = files.read(dir, V1_MEMORY);
    const v = files.parse(dir, 'memory.stat', stat, (t, p) => pickKeyValues(t, p, V1_MEMORY_STAT_KEYS));
    const pick = (total: number) => (v ? (v[total] ?? v[total + 1]) : undefined);
    s.memoryUsage = files.parse(dir, 'memory.usage_in_bytes', usage, parseCgroupValue);
    if (s.memoryUsage !== undefined) s.memoryWorkingSet = Math.max(0, s.memoryUsage - (pick(0) ?? 0));
    s.memoryRss = pick(2);
    s.memoryCache = pick(4);
    s.memorySwap = pick(6);
    s.memoryMappedFile = pick(8);
    s.memoryFailcnt = files.parse(dir, 'memory.failcnt', failcnt, parseCgroupValue);
    s.memoryMaxUsage = files.parse(dir, 'memory.max_usage_in_bytes', maxUsage, parseCgroupValue);
    s.oomKills = files.parse(dir, 'memory.oom_control', oomControl, parseOomKills);
  }
  if (dirs.pids && !opts.isRoot) s.threads = files.parsed(dirs.pids, 'pids.current', parseCgroupValue);
  if (dirs.blkio) s.io = readBlkio(files, dirs.blkio, memo);
  return s;
}

function parseOomKills(text: string, path: string) {
  const kills = pickKeyValues(text, path, OOM_KEYS);
  return kills.ok ? { ok: true as const, value: kills.value[0] } : kills;
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
const FIRST_BYTES_FILES = BLKIO_GROUPS.slice(0, THROTTLE_RECURSIVE + 1).map(([bytes]) => bytes);

/** Reads the group that had entries last time first, so a busy cgroup costs two reads, not up to eight. */
function readBlkio(files: CgroupFiles, dir: string, memo: CgroupMemo): DeviceIo[] {
  const known = memo.blkioGroup;
  const batch: readonly string[] = known === undefined ? FIRST_BYTES_FILES : (BLKIO_GROUPS[known] ?? []);
  const texts = files.read(dir, batch);
  const fetched = (file: string) => {
    const i = batch.indexOf(file);
    return i >= 0 ? texts[i] : files.text(dir, file);
  };
  const order = known === undefined ? BLKIO_GROUPS.keys() : [known, ...[...BLKIO_GROUPS.keys()].filter((g) => g !== known)];
  for (const g of order) {
    const [bytesFile, opsFile] = BLKIO_GROUPS[g] as (typeof BLKIO_GROUPS)[number];
    const table = new Map<string, DeviceIo>();
    const bytes = files.parse(dir, bytesFile, fetched(bytesFile), (text, path) => parseBlkio(text, path, table, 'bytes'));
    if (bytes && bytes.size > 0) {
      memo.blkioGroup = g;
      files.parse(dir, opsFile, fetched(opsFile), (text, path) => parseBlkio(text, path, table, 'ops'));
      return [...table.values()];
    }
    // No I/O below this cgroup at all: the non-recursive files cannot have any either.
    if (bytes && g === THROTTLE_RECURSIVE) break;
  }
  delete memo.blkioGroup;
  return [];
}

const V2_SPEC_FILES = ['cpu.max', 'cpu.weight', 'memory.max', 'memory.swap.max', 'memory.min', 'pids.max'];
const V2_USAGE_FILES = [
  'cpu.stat',
  'memory.stat',
  'memory.current',
  'memory.swap.current',
  'memory.peak',
  'cgroup.procs',
  'pids.current',
  'io.stat',
  'cpu.pressure',
  'memory.pressure',
  'io.pressure',
  'memory.events',
];
const V2_CPU_STAT_KEYS = ['usage_usec', 'user_usec', 'system_usec', 'nr_periods', 'nr_throttled', 'throttled_usec'];
const V2_MEMORY_STAT_KEYS = ['anon', 'file', 'file_mapped', 'inactive_file'];

function readV2Spec(files: CgroupFiles, dir: string, isRoot: boolean): CgroupSpec {
  const s: CgroupSpec = {};
  const [max, weightText, memoryMax, swapMax, memoryMin, pidsMax] = files.read(dir, V2_SPEC_FILES);
  const value = (file: string, text: string | undefined) => files.parse(dir, file, text, parseCgroupValue);
  const cpuMax = files.parse(dir, 'cpu.max', max, parseCpuMax);
  if (cpuMax) {
    s.cpuPeriod = cpuMax.period;
    if (cpuMax.quota !== undefined && cpuMax.quota > 0) s.cpuQuota = cpuMax.quota;
  }
  const weight = value('cpu.weight', weightText);
  if (weight !== undefined) s.cpuShares = weightToShares(weight);
  s.memoryLimit = limit(value('memory.max', memoryMax));
  s.memorySwapLimit = limit(value('memory.swap.max', swapMax));
  s.memoryReservation = limit(value('memory.min', memoryMin));
  if (!isRoot) s.threadsMax = zeroIfUnlimited(value('pids.max', pidsMax));
  return s;
}

function readV2Usage(files: CgroupFiles, dir: string, opts: UsageOptions): CgroupUsage {
  const s = newUsage();
  const { isRoot } = opts;
  const [cpuStatText, memoryStatText, current, swap, peak, procs, pidsCurrent, ioStat, cpuPressure, memoryPressure, ioPressure, events] = files.read(
    dir,
    V2_USAGE_FILES,
  );
  const value = (file: string, text: string | undefined) => files.parse(dir, file, text, parseCgroupValue);

  const cpuStat = files.parse(dir, 'cpu.stat', cpuStatText, (t, p) => pickKeyValues(t, p, V2_CPU_STAT_KEYS));
  if (cpuStat) {
    const [usage, user, system, periods, throttled, throttledUs] = cpuStat;
    if (usage !== undefined) s.cpuUsage = usage / US;
    if (user !== undefined) s.cpuUser = user / US;
    if (system !== undefined) s.cpuSystem = system / US;
    s.cfsPeriods = periods;
    s.cfsThrottledPeriods = throttled;
    if (throttledUs !== undefined) s.cfsThrottledSeconds = throttledUs / US;
  }

  const memoryStat = files.parse(dir, 'memory.stat', memoryStatText, (t, p) => pickKeyValues(t, p, V2_MEMORY_STAT_KEYS));
  const [anon, file, fileMapped, inactiveFile] = memoryStat ?? [];
  // The root cgroup has no memory.current: usage is what its memory.stat accounts.
  s.memoryUsage = value('memory.current', current) ?? (isRoot && memoryStat ? (anon ?? 0) + (file ?? 0) : undefined);
  if (s.memoryUsage !== undefined) s.memoryWorkingSet = Math.max(0, s.memoryUsage - (inactiveFile ?? 0));
  s.memoryRss = anon;
  s.memoryCache = file;
  s.memoryMappedFile = fileMapped;
  s.memorySwap = value('memory.swap.current', swap);
  if (s.memoryUsage !== undefined) s.memoryFailcnt = 0; // v2 has no failcnt; cAdvisor reports 0
  s.memoryMaxUsage = value('memory.peak', peak) ?? (s.memoryUsage !== undefined ? 0 : undefined);
  s.oomKills = files.parse(dir, 'memory.events', events, parseOomKills);

  readProcs(files, dir, procs, s);
  if (!isRoot) s.threads = value('pids.current', pidsCurrent);
  const io = files.parse(dir, 'io.stat', ioStat, parseIoStat);
  if (io) s.io = [...io.values()];
  s.pressure = {
    cpu: files.parse(dir, 'cpu.pressure', cpuPressure, parsePressure),
    memory: files.parse(dir, 'memory.pressure', memoryPressure, parsePressure),
    io: files.parse(dir, 'io.pressure', ioPressure, parsePressure),
  };
  return s;
}

function readProcs(files: CgroupFiles, dir: string, text: string | undefined, s: CgroupUsage): void {
  const procs = files.parse(dir, 'cgroup.procs', text, parsePidList);
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
  return values.every((v) => Number.isFinite(v) && v >= 0)
    ? { ok: true as const, value: values }
    : { ok: false as const, error: `${file}:1: expected numbers` };
}
