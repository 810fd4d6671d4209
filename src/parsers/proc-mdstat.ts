/**
 * /proc/mdstat (drivers/md/md.c, md_seq_show; Documentation/admin-guide/md.rst), read the way
 * node_exporter's procfs library reads it, so the numbers agree. One array takes two to four lines:
 *
 *   md1 : active raid5 sdd1[3](F) sdc1[2] sdb1[1] sda1[0]
 *         1953258496 blocks super 1.2 level 5, 512k chunk, algorithm 2 [4/3] [UUU_]
 *         [==>..................]  recovery = 12.6% (82088960/976629248) finish=80.1min speed=186000K/sec
 *         bitmap: 2/8 pages [8KB], 65536KB chunk
 *
 * An array whose lines do not parse is reported in `skipped` and the others are kept.
 */

/** What the sync line says the array is doing, or what the first line says it is. */
export type MdActivity = 'active' | 'inactive' | 'recovering' | 'resyncing' | 'checking' | 'reshaping' | string;

export interface MdStat {
  /** Kernel name of the array (md0, md127). */
  device: string;
  /** `active`, `inactive` (the first line's third word), or what a sync line says: recovering, resyncing, checking, reshaping. */
  activity: MdActivity;
  /** Component devices in use (the second number of `[n/m]`; every listed one for raid0 and linear). */
  disksActive: number;
  /** Devices the array needs (the first number of `[n/m]`). */
  disksRequired: number;
  /** Components marked `(F)`. */
  disksFailed: number;
  /** Components marked `(S)`. */
  disksSpare: number;
  /** Size in 1 KiB blocks. */
  blocks: number;
  /** Blocks in sync: `blocks` unless a sync runs (its done count) or waits (PENDING, DELAYED: 0). */
  blocksSynced: number;
}

export interface MdStatParse {
  arrays: MdStat[];
  skipped: Array<{ device: string; line: number; reason: string }>;
}

const STATUS_LINE = /(\d+) blocks .*\[(\d+)\/(\d+)\] \[([U_]+)\]/;
const SYNC_BLOCKS = /\((\d+)\/(\d+)\)/;

function count(text: string, what: string): number {
  return text.split(what).length - 1;
}

function integer(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

type Status = { disksActive: number; disksRequired: number; blocks: number } | string;

function statusLine(deviceLine: string, line: string): Status {
  const blocks = integer(line.trim().split(/\s+/)[0]);
  if (blocks === undefined) return `no block count in ${JSON.stringify(line.trim().slice(0, 80))}`;
  // raid0 and linear print no [n/m]: each component is listed with its [index].
  if (deviceLine.includes('raid0') || deviceLine.includes('linear')) {
    const n = count(deviceLine, '[');
    return { disksActive: n, disksRequired: n, blocks };
  }
  if (deviceLine.includes('inactive')) return { disksActive: 0, disksRequired: 0, blocks };
  const m = STATUS_LINE.exec(line);
  const required = integer(m?.[2]);
  const active = integer(m?.[3]);
  if (required === undefined || active === undefined) return `no [n/m] [U_] in ${JSON.stringify(line.trim().slice(0, 80))}`;
  return { disksActive: active, disksRequired: required, blocks };
}

export function parseMdstat(text: string): MdStatParse {
  const lines = text.split('\n');
  const arrays: MdStat[] = [];
  const skipped: MdStatParse['skipped'] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '' || line[0] === ' ' || line[0] === '\t' || line.startsWith('Personalities') || line.startsWith('unused')) continue;
    const fields = line.trim().split(/\s+/);
    const device = fields[0]!;
    const bad = (reason: string) => skipped.push({ device, line: i + 1, reason });
    if (fields.length < 3 || fields[1] !== ':') {
      bad('not an array line ("mdN : state ...")');
      continue;
    }
    if (lines.length <= i + 3) {
      bad('truncated: the array has no status line');
      continue;
    }
    const status = statusLine(line, lines[i + 1]!);
    if (typeof status === 'string') {
      bad(status);
      continue;
    }
    const syncLine = lines[lines[i + 2]!.includes('bitmap') ? i + 3 : i + 2]!;
    let activity: MdActivity = fields[2]!;
    let blocksSynced = status.blocks;
    const recovering = syncLine.includes('recovery');
    const reshaping = syncLine.includes('reshape');
    const resyncing = syncLine.includes('resync');
    const checking = syncLine.includes('check');
    if (recovering || reshaping || resyncing || checking) {
      activity = recovering ? 'recovering' : reshaping ? 'reshaping' : checking ? 'checking' : 'resyncing';
      if (syncLine.includes('PENDING') || syncLine.includes('DELAYED')) blocksSynced = 0;
      else {
        const done = integer(SYNC_BLOCKS.exec(syncLine)?.[1]);
        if (done === undefined) {
          bad(`no (done/total) in the sync line ${JSON.stringify(syncLine.trim().slice(0, 80))}`);
          continue;
        }
        blocksSynced = done;
      }
    }
    arrays.push({
      device,
      activity,
      disksActive: status.disksActive,
      disksRequired: status.disksRequired,
      disksFailed: count(line, '(F)'),
      disksSpare: count(line, '(S)'),
      blocks: status.blocks,
      blocksSynced,
    });
  }
  return { arrays, skipped };
}

/**
 * /sys/block/mdN/md/raid_disks: devices in a complete array; during a reshape "new (old)", of
 * which the new count is taken. undefined for an empty or garbled file.
 */
export function parseRaidDisks(text: string): number | undefined {
  const t = text.trim();
  return integer(t) ?? (/^\d+ \(\d+\)$/.test(t) ? integer(t.split(' ')[0]) : undefined);
}
