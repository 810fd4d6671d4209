import { closeSync, lstatSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadNativeAddon } from '../native-addon.js';
import { readWhole } from './procfs.js';

/**
 * Batched reads for collectors that read many small pseudo-files in many directories (cgroups).
 * native/batchfs.c opens a directory once and reads each file with openat(2), which Node cannot
 * do, and lists only subdirectories without an object per entry; without the addon (no C compiler
 * at install) the same answers come from fs calls, a little slower.
 */
export interface BatchFs {
  /**
   * The text of each named file in `dir` (a path, or a descriptor from openDirectory), or its errno
   * (a positive number); a directory that cannot be opened gives its errno for every file.
   */
  readFilesAt(dir: string | number, names: readonly string[]): Array<string | number>;
  /**
   * The directories in `dir`, each with whether its link count says it has no subdirectories
   * (kernfs and tmpfs keep it at 2 plus their number; btrfs does not, and reports 1) and its inode
   * number; or `dir`'s errno.
   */
  subdirectories(dir: string): Subdirectories | number;
  /**
   * An O_PATH descriptor of `dir` to pass to readFilesAt instead of its path, which then neither
   * walks the path nor opens the directory; or -errno (-EMFILE past the thread's budget, half of
   * RLIMIT_NOFILE; -ENOSYS from the fs fallback, which reads by path). The thread's descriptors are
   * closed when it ends.
   */
  openDirectory(dir: string): number;
  /** Closes a descriptor from openDirectory (any other is refused with a TypeError). */
  closeDirectory(fd: number): void;
  /** An inotify instance for the calls below, or -errno (-ENOSYS from the fs fallback, which watches nothing). */
  openWatches(): number;
  closeWatches(watches: number): void;
  /**
   * A watch descriptor (wd) of `dir` that reports subdirectories made, removed or moved in it (and
   * `dir` itself removed, where the filesystem says so: tmpfs does, cgroupfs does not); the same wd
   * for a directory watched already; or -errno (-ENOSPC past fs.inotify.max_user_watches).
   */
  watchDirectory(watches: number, dir: string): number;
  unwatchDirectory(watches: number, wd: number): void;
  /** The wds with such events since the last call (one may repeat), or null when the kernel's queue overflowed and any may have. */
  changedDirectories(watches: number): number[] | null;
}

export interface Subdirectories {
  names: string[];
  leaf: boolean[];
  /** Each one's inode number, which tells a directory made again under the same name from the one before. */
  inodes: number[];
}

const ENOSYS = 38;

/** The fs fallback holds no descriptors: every call takes a path. */
function pathOnly(dir: string | number): string {
  if (typeof dir !== 'string') throw new TypeError('the fs fallback reads directories by path only');
  return dir;
}

export const fsBatchFs: BatchFs = {
  readFilesAt: (dir, names) =>
    names.map((name) => {
      try {
        return readSmallFile(join(pathOnly(dir), name));
      } catch (err) {
        return errnoOf(err);
      }
    }),
  subdirectories: (dir) => {
    try {
      const names = readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
      const stats = names.map((name) => lstatSync(join(dir, name), { throwIfNoEntry: false }));
      return { names, leaf: stats.map((st) => st?.nlink === 2), inodes: stats.map((st) => st?.ino ?? -1) };
    } catch (err) {
      return errnoOf(err);
    }
  },
  openDirectory: () => -ENOSYS,
  closeDirectory: (fd) => {
    throw new TypeError(`closeDirectory(${fd}): the fs fallback holds no descriptors`);
  },
  openWatches: () => -ENOSYS,
  closeWatches: noWatches,
  watchDirectory: noWatches,
  unwatchDirectory: noWatches,
  changedDirectories: noWatches,
};

function noWatches(watches: number): never {
  throw new TypeError(`${watches}: the fs fallback watches nothing`);
}

const addon = loadNativeAddon<BatchFs>('batchfs');
export const nativeBatchFs: BatchFs | undefined = addon instanceof Error ? undefined : addon;

export const batchFs: BatchFs = nativeBatchFs ?? fsBatchFs;

/** open, read to EOF, close into one shared buffer: readFileSync's fstat and per-call buffer cost a third more on cgroupfs. */
function readSmallFile(path: string): string {
  const fd = openSync(path, 'r');
  try {
    return readWhole(fd);
  } finally {
    closeSync(fd);
  }
}

/** libuv's errnos are negative; EIO when an error carries none. */
function errnoOf(err: unknown): number {
  const errno = (err as NodeJS.ErrnoException).errno;
  return typeof errno === 'number' ? -errno : 5;
}
