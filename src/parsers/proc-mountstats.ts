/**
 * /proc/PID/mountstats (fs/proc_namespace.c, NFS's part in fs/nfs/super.c nfs_show_stats and
 * net/sunrpc/xprtsock.c): a `device D mounted on M with fstype T` line per mount; NFS mounts add
 * `statvers=1.x` and an indented block (opts, age, events, bytes, xprt, per-op statistics) that
 * ends at a blank line. Counters are u64 and kept as BigInt, as some are reduced modulo 2^53 by
 * the collector the way node_exporter does.
 */
import { parseU64 } from './proc-net-rpc-nfs.js';

export interface NfsTransport {
  protocol: string;
  port: bigint;
  bind: bigint;
  connect: bigint;
  connectIdleTime: bigint;
  idleTimeSeconds: bigint;
  sends: bigint;
  receives: bigint;
  badTransactionIds: bigint;
  cumulativeActiveRequests: bigint;
  cumulativeBacklog: bigint;
  /** statvers 1.1 on: 0 on 1.0. */
  maximumRpcSlotsUsed: bigint;
  cumulativeSendingQueue: bigint;
  cumulativePendingQueue: bigint;
}

export interface NfsOperation {
  name: string;
  requests: bigint;
  transmissions: bigint;
  majorTimeouts: bigint;
  bytesSent: bigint;
  bytesReceived: bigint;
  queueMilliseconds: bigint;
  responseMilliseconds: bigint;
  requestMilliseconds: bigint;
}

export interface NfsMount {
  /** Position of its `device` line among all of them: mountinfo lists the same mounts in the same order. */
  index: number;
  /** As the kernel prints them (spaces escaped as `\040`). */
  device: string;
  mountPoint: string;
  fsType: string;
  statVersion: string;
  ageSeconds: bigint;
  /** The 8 counters of `bytes:` (normal read/write, direct read/write, server read/write, pages read/written). */
  bytes: bigint[];
  /** The 27 counters of `events:`. */
  events: bigint[];
  transports: NfsTransport[];
  operations: NfsOperation[];
}

export interface MountstatsFile {
  /** NFS mounts with statistics; other mounts only take up an index. */
  nfs: NfsMount[];
  /** Mounts left out: `FILE:LINE: reason`. */
  skipped: string[];
}

export const NFS_BYTES_FIELDS = 8;
export const NFS_EVENTS_FIELDS = 27;
const OP_MIN_FIELDS = 8;
const MAX_LINE = 64 * 1024;

/** Counters after the protocol on an `xprt:` line, by statvers and protocol (rdma: at least). */
const XPRT_LENGTHS: Record<string, Record<string, number>> = {
  '1.0': { tcp: 10, udp: 7 },
  '1.1': { tcp: 13, udp: 10, rdma: 20 },
};

class Malformed extends Error {}

function counters(fields: string[], what: string): bigint[] {
  return fields.map((f) => {
    if (parseU64(f) === undefined) throw new Malformed(`${what}: ${JSON.stringify(f.slice(0, 30))} is not a counter`);
    return BigInt(f);
  });
}

export function parseMountstats(text: string, file = '/proc/self/mountstats'): MountstatsFile {
  const lines = text.split('\n');
  const nfs: NfsMount[] = [];
  const skipped: string[] = [];
  let index = -1;
  let i = 0;
  while (i < lines.length) {
    const fields = (lines[i] as string).trim().split(/\s+/);
    if (fields[0] !== 'device') {
      i++;
      continue;
    }
    index++;
    const start = i;
    // The mount's block: the lines up to a blank one or the next `device` line.
    let end = i + 1;
    while (end < lines.length && (lines[end] as string).trim() !== '' && !(lines[end] as string).trimStart().startsWith('device ')) end++;
    i = end;
    const where = `${file}:${start + 1}`;
    if (fields.length < 8 || fields[2] !== 'mounted' || fields[3] !== 'on' || fields[5] !== 'with' || fields[6] !== 'fstype') {
      skipped.push(`${where}: malformed device line ${JSON.stringify((lines[start] as string).slice(0, 80))}`);
      continue;
    }
    const [device, mountPoint, fsType] = [fields[1], fields[4], fields[7]] as [string, string, string];
    // Only NFS (v2/v3 as `nfs`, v4 as `nfs4`) prints statistics.
    if (fields.length === 8 || (fsType !== 'nfs' && fsType !== 'nfs4')) continue;
    const statVersion = (fields[8] as string).replace(/^statvers=/, '');
    try {
      nfs.push({ index, device, mountPoint, fsType, ...parseBlock(lines.slice(start + 1, end), statVersion, start + 2), statVersion });
    } catch (err) {
      if (!(err instanceof Malformed)) throw err;
      skipped.push(`${where}: NFS mount ${mountPoint}: ${err.message}`);
    }
  }
  return { nfs, skipped };
}

function parseBlock(lines: string[], statVersion: string, firstLine: number): Pick<NfsMount, 'ageSeconds' | 'bytes' | 'events' | 'transports' | 'operations'> {
  const block = {
    ageSeconds: 0n,
    bytes: new Array<bigint>(NFS_BYTES_FIELDS).fill(0n),
    events: new Array<bigint>(NFS_EVENTS_FIELDS).fill(0n),
    transports: [] as NfsTransport[],
    operations: [] as NfsOperation[],
  };
  let perOp = false;
  for (let j = 0; j < lines.length; j++) {
    const line = lines[j] as string;
    const at = `line ${firstLine + j}`;
    if (line.length > MAX_LINE) throw new Malformed(`${at}: line of ${line.length} bytes`);
    const fields = line.trim().split(/\s+/);
    const key = fields[0] as string;
    if (perOp) {
      if (fields.length < OP_MIN_FIELDS + 1 || !key.endsWith(':'))
        throw new Malformed(`${at}: malformed per-op line ${JSON.stringify(line.trim().slice(0, 80))}`);
      const n = counters(fields.slice(1), `${at}: ${key}`);
      block.operations.push({
        name: key.slice(0, -1),
        requests: n[0]!,
        transmissions: n[1]!,
        majorTimeouts: n[2]!,
        bytesSent: n[3]!,
        bytesReceived: n[4]!,
        queueMilliseconds: n[5]!,
        responseMilliseconds: n[6]!,
        requestMilliseconds: n[7]!,
      });
      continue;
    }
    switch (key) {
      case 'age:':
        if (fields.length < 2) throw new Malformed(`${at}: age without a value`);
        block.ageSeconds = counters(fields.slice(1, 2), `${at}: age`)[0]!;
        break;
      case 'bytes:':
        if (fields.length - 1 !== NFS_BYTES_FIELDS) throw new Malformed(`${at}: bytes: ${NFS_BYTES_FIELDS} counters expected, ${fields.length - 1} found`);
        block.bytes = counters(fields.slice(1), `${at}: bytes`);
        break;
      case 'events:':
        if (fields.length - 1 !== NFS_EVENTS_FIELDS) throw new Malformed(`${at}: events: ${NFS_EVENTS_FIELDS} counters expected, ${fields.length - 1} found`);
        block.events = counters(fields.slice(1), `${at}: events`);
        break;
      case 'xprt:':
        block.transports.push(parseTransport(fields.slice(1), statVersion, at));
        break;
      case 'per-op':
        perOp = true;
        break;
      default:
      // opts:, caps:, nfsv4:, sec:, RPC iostats…, fsc: and what newer kernels add: not reported.
    }
  }
  return block;
}

function parseTransport(fields: string[], statVersion: string, at: string): NfsTransport {
  const protocol = fields[0] ?? '';
  const lengths = XPRT_LENGTHS[statVersion];
  if (!lengths) throw new Malformed(`${at}: unknown statvers ${JSON.stringify(statVersion)}`);
  const expected = lengths[protocol];
  if (expected === undefined) throw new Malformed(`${at}: unknown transport ${JSON.stringify(protocol)} for statvers ${statVersion}`);
  const got = fields.length - 1;
  if (protocol === 'rdma' ? got < expected : got !== expected) throw new Malformed(`${at}: xprt ${protocol}: ${expected} counters expected, ${got} found`);
  let n = counters(fields.slice(1), `${at}: xprt`);
  // UDP has no connect count, connect idle time nor idle time: zeros in their place.
  if (protocol === 'udp') n = [...n.slice(0, 2), 0n, 0n, 0n, ...n.slice(2)];
  // RDMA on 1.1 has no slot or queue counters after the 10 common ones.
  if (protocol === 'rdma') n = [...n.slice(0, 10), 0n, 0n, 0n];
  const at_ = (k: number) => n[k] ?? 0n;
  return {
    protocol,
    port: at_(0),
    bind: at_(1),
    connect: at_(2),
    connectIdleTime: at_(3),
    idleTimeSeconds: at_(4),
    sends: at_(5),
    receives: at_(6),
    badTransactionIds: at_(7),
    cumulativeActiveRequests: at_(8),
    cumulativeBacklog: at_(9),
    maximumRpcSlotsUsed: at_(10),
    cumulativeSendingQueue: at_(11),
    cumulativePendingQueue: at_(12),
  };
}

/**
 * The `addr=` super option of each /proc/PID/mountinfo line, by position (blank lines not
 * counted); '' where there is none or the line is garbled.
 */
export function mountinfoAddresses(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const fields = line.trim().split(' ');
      const dash = fields.indexOf('-', 6);
      if (dash === -1) return '';
      const superOptions = (fields[dash + 3] ?? '').split(',');
      const addr = superOptions.find((o) => o.startsWith('addr='));
      return addr === undefined ? '' : addr.slice('addr='.length);
    });
}
