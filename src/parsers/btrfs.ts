/**
 * btrfs's sysfs files (fs/btrfs/sysfs.c, Documentation/ABI/testing/sysfs-fs-btrfs): the
 * `key value` lines of `commit_stats` (kernel 6.0+) and of `devinfo/<devid>/error_stats`
 * (kernel 5.14+).
 */
import type { ParseResult } from './parse-result.js';

/** `key value` lines with unsigned decimal values; a line of any other shape fails the file. */
export function parseBtrfsKeyValues(text: string, file: string): ParseResult<Map<string, number>> {
  const out = new Map<string, number>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    const fields = line.trim().split(/\s+/);
    if (fields.length !== 2 || !/^\d+$/.test(fields[1] as string))
      return { ok: false, error: `${file}:${i + 1}: expected "key value", got ${JSON.stringify(line.slice(0, 80))}` };
    out.set(fields[0] as string, Number(fields[1]));
  }
  return { ok: true, value: out };
}

export interface CommitStats {
  commits: number;
  lastCommitMs: number;
  maxCommitMs: number;
  totalCommitMs: number;
}

/** `commit_stats`: commits, last_commit_ms, max_commit_ms, total_commit_ms (others ignored; absent ones 0, as node_exporter). */
export function parseCommitStats(text: string): ParseResult<CommitStats> {
  const kv = parseBtrfsKeyValues(text, 'commit_stats');
  if (!kv.ok) return kv;
  const get = (k: string) => kv.value.get(k) ?? 0;
  return {
    ok: true,
    value: { commits: get('commits'), lastCommitMs: get('last_commit_ms'), maxCommitMs: get('max_commit_ms'), totalCommitMs: get('total_commit_ms') },
  };
}

/** The error types of BTRFS_IOC_GET_DEV_STATS, in node_exporter's order, and their error_stats keys. */
export const BTRFS_ERROR_TYPES: ReadonlyArray<[type: string, key: string]> = [
  ['write', 'write_errs'],
  ['read', 'read_errs'],
  ['flush', 'flush_errs'],
  ['corruption', 'corruption_errs'],
  ['generation', 'generation_errs'],
];

/**
 * What a block group of a profile costs on disk per byte stored (procfs' calcRatio, which node_exporter
 * exports): single/raid0 1, dup/raid1/raid10 2, raid1c3 3, raid1c4 4, raid5 n/(n-1), raid6 n/(n-2)
 * with n the number of devices; 0 for a profile it does not know.
 */
export function btrfsAllocationRatio(mode: string, devices: number): number {
  switch (mode) {
    case 'single':
    case 'raid0':
      return 1;
    case 'dup':
    case 'raid1':
    case 'raid10':
      return 2;
    case 'raid1c3':
      return 3;
    case 'raid1c4':
      return 4;
    case 'raid5':
      return devices / (devices - 1);
    case 'raid6':
      return devices / (devices - 2);
    default:
      return 0;
  }
}
