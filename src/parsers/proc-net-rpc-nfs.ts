/**
 * /proc/net/rpc/nfs (NFS client) and /proc/net/rpc/nfsd (NFS server): one line per section, a key
 * and unsigned counters (net/sunrpc/stats.c, fs/nfsd/stats.c). The `procN` lines start with the
 * number of counters that follow, one per procedure in the protocol's order. A line that is
 * garbled (not numbers, too few or too many of them, a count that does not match) is reported in
 * `skipped` and its section is left out; the other sections stand. A key this parser does not
 * know (a newer kernel's) is ignored.
 */

export interface RpcStatsFile<Sections> {
  /** The sections read, by key; a section absent from the file is absent here. */
  sections: Partial<Sections>;
  /** Lines left out: `FILE:LINE: reason`. */
  skipped: string[];
  /** Keys of sections whose line was left out (and that no good line gave). */
  garbled: Set<keyof Sections>;
}

/** Procedure names of the NFSv2 `proc2` line, counters 1… after the count (RFC 1094). */
export const NFS_V2_PROCEDURES = [
  'Null',
  'GetAttr',
  'SetAttr',
  'Root',
  'Lookup',
  'ReadLink',
  'Read',
  'WrCache',
  'Write',
  'Create',
  'Remove',
  'Rename',
  'Link',
  'SymLink',
  'MkDir',
  'RmDir',
  'ReadDir',
  'FsStat',
] as const;

/** Procedure names of the NFSv3 `proc3` line (RFC 1813). */
export const NFS_V3_PROCEDURES = [
  'Null',
  'GetAttr',
  'SetAttr',
  'Lookup',
  'Access',
  'ReadLink',
  'Read',
  'Write',
  'Create',
  'MkDir',
  'SymLink',
  'MkNod',
  'Remove',
  'RmDir',
  'Rename',
  'Link',
  'ReadDir',
  'ReadDirPlus',
  'FsStat',
  'FsInfo',
  'PathConf',
  'Commit',
] as const;

/**
 * The NFSv4 client's `proc4` line in the kernel's order (include/linux/nfs4.h, NFSPROC4_CLNT_*),
 * with node_exporter's method names; a kernel that prints fewer has zeros for the rest, more are
 * ignored.
 */
export const NFS_V4_CLIENT_PROCEDURES = [
  'Null',
  'Read',
  'Write',
  'Commit',
  'Open',
  'OpenConfirm',
  'OpenNoattr',
  'OpenDowngrade',
  'Close',
  'Setattr',
  'FsInfo',
  'Renew',
  'SetClientID',
  'SetClientIDConfirm',
  'Lock',
  'Lockt',
  'Locku',
  'Access',
  'Getattr',
  'Lookup',
  'LookupRoot',
  'Remove',
  'Rename',
  'Link',
  'Symlink',
  'Create',
  'Pathconf',
  'StatFs',
  'ReadLink',
  'ReadDir',
  'ServerCaps',
  'DelegReturn',
  'GetACL',
  'SetACL',
  'FsLocations',
  'ReleaseLockowner',
  'Secinfo',
  'FsidPresent',
  'ExchangeID',
  'CreateSession',
  'DestroySession',
  'Sequence',
  'GetLeaseTime',
  'ReclaimComplete',
  'GetDeviceInfo',
  'LayoutGet',
  'LayoutCommit',
  'LayoutReturn',
  'SecinfoNoName',
  'TestStateID',
  'FreeStateID',
  'GetDeviceList',
  'BindConnToSession',
  'DestroyClientID',
  'Seek',
  'Allocate',
  'DeAllocate',
  'LayoutStats',
  'Clone',
] as const;

/**
 * NFSv4 server operations of the `proc4ops` line (RFC 7530 operation numbers: counter N is
 * operation N) that node_exporter reports, with its method names. RELEASE_LOCKOWNER (39) is
 * missing from 2.5-era kernels, whose line stops at 38 (WRITE).
 */
export const NFS_V4_SERVER_OPERATIONS: ReadonlyArray<readonly [op: number, method: string]> = [
  [3, 'Access'],
  [4, 'Close'],
  [5, 'Commit'],
  [6, 'Create'],
  [7, 'DelegPurge'],
  [8, 'DelegReturn'],
  [9, 'GetAttr'],
  [10, 'GetFH'],
  [11, 'Link'],
  [12, 'Lock'],
  [13, 'Lockt'],
  [14, 'Locku'],
  [15, 'Lookup'],
  [16, 'LookupRoot'],
  [17, 'Nverify'],
  [18, 'Open'],
  [19, 'OpenAttr'],
  [20, 'OpenConfirm'],
  [21, 'OpenDgrd'],
  [22, 'PutFH'],
  [25, 'Read'],
  [26, 'ReadDir'],
  [27, 'ReadLink'],
  [28, 'Remove'],
  [29, 'Rename'],
  [30, 'Renew'],
  [31, 'RestoreFH'],
  [32, 'SaveFH'],
  [33, 'SecInfo'],
  [34, 'SetAttr'],
  [35, 'SetClientID'],
  [36, 'SetClientIDConfirm'],
  [37, 'Verify'],
  [38, 'Write'],
  [39, 'RelLockOwner'],
];

export interface NfsClientSections {
  /** `net`: packets in all, over UDP, over TCP, TCP connections. */
  net: number[];
  /** `rpc`: calls, retransmissions, credential refreshes. */
  rpc: number[];
  /** Counters per procedure, without the leading count; as many as the kernel prints. */
  proc2: number[];
  proc3: number[];
  proc4: number[];
}

export interface NfsServerSections {
  /** `rc`: reply cache hits, misses, nocache. */
  rc: number[];
  /** `fh`: stale, then four counters the kernel no longer updates. */
  fh: number[];
  /** `io`: bytes read, written. */
  io: number[];
  /** `th`: threads, times all were busy (the histogram after them is not read). */
  th: number[];
  /** `ra`: cache size, ten depth buckets, not found. */
  ra: number[];
  net: number[];
  /** `rpc`: calls, bad calls, bad format, bad auth, bad client. */
  rpc: number[];
  proc2: number[];
  proc3: number[];
  /** `proc4`: NULL and COMPOUND. */
  proc4: number[];
  /** `proc4ops`: one counter per operation number, from 0. */
  proc4ops: number[];
  wdeleg_getattr: number[];
}

/** Longest line read; anything longer is garbled (the longest real line, proc4ops, is under 400 bytes). */
const MAX_LINE = 4096;
/** 2^64 - 1: the kernel's counters are u64 at most. */
const U64_MAX = 18446744073709551615n;

/** An unsigned 64-bit decimal counter as a Number (rounded to the nearest double, as Go's float64(uint64)); undefined if it is not one. */
export function parseU64(field: string): number | undefined {
  if (!/^\d{1,20}$/.test(field)) return undefined;
  if (field.length === 20 && BigInt(field) > U64_MAX) return undefined;
  return Number(field);
}

type Check = (values: number[]) => string | undefined;

const exactly =
  (n: number): Check =>
  (v) =>
    v.length === n ? undefined : `${n} counters expected, ${v.length} found`;
const atLeast =
  (n: number): Check =>
  (v) =>
    v.length >= n ? undefined : `at least ${n} counters expected, ${v.length} found`;
/** A `procN` line: a count, then exactly that many counters, at least `min` of them. */
const counted =
  (min: number, max = Infinity): Check =>
  (v) => {
    const count = v[0] as number;
    if (v.length - 1 !== count) return `count says ${count} counters, ${v.length - 1} follow`;
    if (count < min || count > max) return `${count} counters, expected ${min === max ? min : max === Infinity ? `at least ${min}` : `${min} to ${max}`}`;
    return undefined;
  };

const CLIENT: Record<keyof NfsClientSections, Check> = {
  net: exactly(4),
  rpc: exactly(3),
  proc2: counted(NFS_V2_PROCEDURES.length),
  proc3: counted(NFS_V3_PROCEDURES.length),
  proc4: counted(0),
};

const SERVER: Record<keyof NfsServerSections, Check> = {
  rc: exactly(3),
  fh: exactly(5),
  io: exactly(2),
  th: atLeast(2),
  ra: exactly(12),
  net: exactly(4),
  rpc: exactly(5),
  proc2: counted(NFS_V2_PROCEDURES.length),
  proc3: counted(NFS_V3_PROCEDURES.length),
  proc4: counted(2, 2),
  proc4ops: counted(39),
  wdeleg_getattr: atLeast(1),
};

/** /proc/net/rpc/nfs. */
export function parseNfsClientStats(text: string, file = '/proc/net/rpc/nfs'): RpcStatsFile<NfsClientSections> {
  return parseSections<NfsClientSections>(text, file, CLIENT);
}

/** /proc/net/rpc/nfsd. */
export function parseNfsServerStats(text: string, file = '/proc/net/rpc/nfsd'): RpcStatsFile<NfsServerSections> {
  return parseSections<NfsServerSections>(text, file, SERVER);
}

function parseSections<S>(text: string, file: string, checks: Record<keyof S, Check>): RpcStatsFile<S> {
  const sections: Partial<S> = {};
  const skipped: string[] = [];
  const garbled = new Set<keyof S>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    const where = `${file}:${i + 1}`;
    if (line.length > MAX_LINE) {
      skipped.push(`${where}: line of ${line.length} bytes, longer than ${MAX_LINE}`);
      continue;
    }
    const fields = line.trim().split(/\s+/);
    const key = fields[0] as string;
    if (!Object.hasOwn(checks, key)) {
      // A section of a newer kernel is no error; a line that is no `key counters…` at all is.
      if (!/^[a-z][a-z0-9_]*$/.test(key) || fields.length < 2) skipped.push(`${where}: malformed line ${JSON.stringify(line.slice(0, 80))}`);
      continue;
    }
    if (fields.length < 2) {
      skipped.push(`${where}: ${key} has no counters`);
      garbled.add(key as keyof S);
      continue;
    }
    // The `th` line ends in a histogram of decimals (all 0.000 since Linux 2.6.36): only its first two counters are read.
    const raw = key === 'th' ? fields.slice(1, 3) : fields.slice(1);
    const values: number[] = [];
    let bad: string | undefined;
    for (const f of raw) {
      const n = parseU64(f);
      if (n === undefined) {
        bad = `${JSON.stringify(f.slice(0, 30))} is not a counter`;
        break;
      }
      values.push(n);
    }
    bad ??= (checks[key as keyof S] as Check)(values);
    if (bad) {
      skipped.push(`${where}: ${key}: ${bad}`);
      garbled.add(key as keyof S);
      continue;
    }
    if (Object.hasOwn(sections, key)) {
      skipped.push(`${where}: ${key} appears a second time`);
      continue;
    }
    (sections as Record<string, number[]>)[key] = key.startsWith('proc') ? values.slice(1) : values;
  }
  for (const key of Object.keys(sections)) garbled.delete(key as keyof S);
  return { sections, skipped, garbled };
}
