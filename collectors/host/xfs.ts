import { join } from 'node:path';
import { counter, defineCollector, type MetricFamily, type Sample } from '../../src/collector.js';
import { readOptionalDir } from '../../src/fs/procfs.js';
import { readCappedFile } from '../../src/fs/read-capped.js';
import { parseXfsStats } from '../../src/parsers/xfs-stats.js';

/** The stats file is about 1.5 KiB; far more is not XFS's. */
const MAX_BYTES = 64 * 1024;

/** node_exporter's counters: [group, index in the group's line, metric name after `node_xfs_`, help]. */
const COUNTERS: ReadonlyArray<readonly [group: string, index: number, name: string, help: string]> = [
  ['extent_alloc', 0, 'extent_allocation_extents_allocated_total', 'Number of extents allocated for a filesystem.'],
  ['extent_alloc', 1, 'extent_allocation_blocks_allocated_total', 'Number of blocks allocated for a filesystem.'],
  ['extent_alloc', 2, 'extent_allocation_extents_freed_total', 'Number of extents freed for a filesystem.'],
  ['extent_alloc', 3, 'extent_allocation_blocks_freed_total', 'Number of blocks freed for a filesystem.'],
  ['abt', 0, 'allocation_btree_lookups_total', 'Number of allocation B-tree lookups for a filesystem.'],
  ['abt', 1, 'allocation_btree_compares_total', 'Number of allocation B-tree compares for a filesystem.'],
  ['abt', 2, 'allocation_btree_records_inserted_total', 'Number of allocation B-tree records inserted for a filesystem.'],
  ['abt', 3, 'allocation_btree_records_deleted_total', 'Number of allocation B-tree records deleted for a filesystem.'],
  ['blk_map', 0, 'block_mapping_reads_total', 'Number of block map read operations for a filesystem.'],
  ['blk_map', 1, 'block_mapping_writes_total', 'Number of block map write operations for a filesystem.'],
  ['blk_map', 2, 'block_mapping_unmaps_total', 'Number of block unmaps (deletes) for a filesystem.'],
  ['blk_map', 3, 'block_mapping_extent_list_insertions_total', 'Number of extent list insertions for a filesystem.'],
  ['blk_map', 4, 'block_mapping_extent_list_deletions_total', 'Number of extent list deletions for a filesystem.'],
  ['blk_map', 5, 'block_mapping_extent_list_lookups_total', 'Number of extent list lookups for a filesystem.'],
  ['blk_map', 6, 'block_mapping_extent_list_compares_total', 'Number of extent list compares for a filesystem.'],
  ['bmbt', 0, 'block_map_btree_lookups_total', 'Number of block map B-tree lookups for a filesystem.'],
  ['bmbt', 1, 'block_map_btree_compares_total', 'Number of block map B-tree compares for a filesystem.'],
  ['bmbt', 2, 'block_map_btree_records_inserted_total', 'Number of block map B-tree records inserted for a filesystem.'],
  ['bmbt', 3, 'block_map_btree_records_deleted_total', 'Number of block map B-tree records deleted for a filesystem.'],
  ['dir', 0, 'directory_operation_lookup_total', 'Number of directory name lookups that missed the directory name lookup cache.'],
  ['dir', 1, 'directory_operation_create_total', 'Number of directory entries created for a filesystem.'],
  ['dir', 2, 'directory_operation_remove_total', 'Number of directory entries removed for a filesystem.'],
  ['dir', 3, 'directory_operation_getdents_total', 'Number of getdents operations on directories of a filesystem.'],
  ['ig', 0, 'inode_operation_attempts_total', 'Number of lookups of an XFS inode in the inode cache.'],
  ['ig', 1, 'inode_operation_found_total', 'Number of lookups that found the XFS inode in the inode cache.'],
  ['ig', 2, 'inode_operation_recycled_total', 'Number of lookups that found the XFS inode in the cache but being recycled.'],
  ['ig', 3, 'inode_operation_missed_total', 'Number of lookups that did not find the XFS inode in the inode cache.'],
  ['ig', 4, 'inode_operation_duplicates_total', 'Number of missing XFS inodes added to the cache that another process had added first.'],
  ['ig', 5, 'inode_operation_reclaims_total', 'Number of XFS inodes reclaimed from the inode cache to free memory.'],
  ['ig', 6, 'inode_operation_attribute_changes_total', 'Number of explicit changes to the attributes of an XFS inode.'],
  // The kernel prints write calls first (xs_write_calls, then xs_read_calls: fs/xfs/xfs_stats.h).
  ['rw', 1, 'read_calls_total', 'Number of read(2) system calls on files of a filesystem.'],
  ['rw', 0, 'write_calls_total', 'Number of write(2) system calls on files of a filesystem.'],
  ['vnodes', 0, 'vnode_active_total', 'Number of vnodes not on free lists for a filesystem.'],
  ['vnodes', 1, 'vnode_allocate_total', 'Number of times vn_alloc was called for a filesystem.'],
  ['vnodes', 2, 'vnode_get_total', 'Number of times vn_get was called for a filesystem.'],
  ['vnodes', 3, 'vnode_hold_total', 'Number of times vn_hold was called for a filesystem.'],
  ['vnodes', 4, 'vnode_release_total', 'Number of times vn_rele was called for a filesystem.'],
  ['vnodes', 5, 'vnode_reclaim_total', 'Number of times vn_reclaim was called for a filesystem.'],
  ['vnodes', 6, 'vnode_remove_total', 'Number of times vn_remove was called for a filesystem.'],
];

export default defineCollector({
  name: 'xfs',
  description: 'XFS runtime statistics per filesystem from /sys/fs/xfs/<dev>/stats/stats (node_xfs_*)',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    const samples = new Map<string, Sample[]>(COUNTERS.map(([, , name]) => [name, []]));
    // /sys/fs/xfs holds one directory per mounted XFS filesystem, plus `stats/` (all of them together).
    for (const device of readOptionalDir(ctx.paths.sysfs, 'fs/xfs').sort()) {
      const relative = join('fs/xfs', device, 'stats/stats');
      let read;
      try {
        read = readCappedFile(ctx.paths.sysfs, relative, MAX_BYTES);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') continue; // not a filesystem's directory, or unmounted meanwhile
        ctx.skip('unreadable', `${relative}: ${(err as Error).message}`);
        continue;
      }
      if ('oversized' in read) {
        ctx.skip('oversized', `${relative}: more than ${MAX_BYTES} bytes`);
        continue;
      }
      const parsed = parseXfsStats(read.text, relative);
      if (!parsed.ok) continue; // never fails
      for (const bad of parsed.value.bad) ctx.skip('malformed', bad);
      const labels = { device };
      for (const [group, index, name] of COUNTERS) {
        const values = parsed.value.groups.get(group);
        if (values) samples.get(name)!.push({ labels, value: values[index] as number });
      }
    }
    const families: MetricFamily[] = [];
    for (const [, , name, help] of COUNTERS) families.push(counter(`node_xfs_${name}`, help, samples.get(name)!));
    return families;
  },
});
