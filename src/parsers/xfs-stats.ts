import type { ParseResult } from './parse-result.js';

/**
 * XFS runtime statistics, /sys/fs/xfs/<dev>/stats/stats (per filesystem, Linux 4.4+) and
 * /proc/fs/xfs/stat (all of them): one line per group, `LABEL V1 V2 …` (fs/xfs/xfs_stats.c,
 * xfs_stats_format; the meaning of each value: fs/xfs/xfs_stats.h). Counts of the groups read
 * here; a kernel may print more groups, and they are left alone.
 */
const GROUP_SIZES: ReadonlyMap<string, readonly number[]> = new Map(
  Object.entries({
    extent_alloc: [4],
    abt: [4],
    blk_map: [7],
    bmbt: [4],
    dir: [4],
    trans: [3],
    ig: [7],
    log: [5],
    rw: [2],
    attr: [4],
    icluster: [3],
    // `free` came later: older kernels print 7.
    vnodes: [7, 8],
    buf: [9],
    xpc: [3],
  }),
);

export interface XfsStats {
  /** Values per group label, for the groups above that the file holds and that are well formed. */
  groups: Map<string, number[]>;
  /** Lines left out as truncated or garbled, each `FILE:LINE: reason`. */
  bad: string[];
}

/** Never fails: a bad line of a known group is reported in `bad`, and that group is left out. */
export function parseXfsStats(text: string, file: string): ParseResult<XfsStats> {
  const groups = new Map<string, number[]>();
  const bad: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const cells = (lines[i] as string).trim().split(/\s+/);
    const label = cells[0] as string;
    const sizes = GROUP_SIZES.get(label);
    if (!sizes) continue;
    const where = `${file}:${i + 1}: ${label}`;
    const values = cells.slice(1);
    if (!sizes.includes(values.length)) bad.push(`${where}: ${values.length} values, expected ${sizes.join(' or ')}`);
    else if (values.some((v) => !/^\d+$/.test(v))) bad.push(`${where}: not all unsigned integers`);
    else if (groups.has(label)) bad.push(`${where}: repeated`);
    else groups.set(label, values.map(Number));
  }
  return { ok: true, value: { groups, bad } };
}
