import { closeSync, openSync, readdirSync, readFileSync, readSync, statfsSync } from 'node:fs';
import { join } from 'node:path';

const PROC_SUPER_MAGIC = 0x9fa0;
const SYSFS_MAGIC = 0x62656572;
/** Open descriptors kept at most; the least recently read is closed first. */
const MAX_KEPT_OPEN = 512;

/**
 * procfs and sysfs files stay open between reads: a pread at offset 0 makes the kernel generate
 * the file afresh (sysfs re-runs show(), Documentation/filesystems/sysfs.rst; a seq_file restarts
 * at position 0, fs/seq_file.c; test/procfs.test.ts checks it), so one syscall replaces open +
 * read + read + close (measured on /proc/stat: 9 µs against 26 µs). Only pseudo-filesystems
 * qualify: a regular file replaced by rename would keep showing its old content through an old
 * descriptor.
 */
class KeptOpenFiles {
  private readonly fds = new Map<string, number>();
  private readonly regular = new Set<string>();

  read(path: string): string {
    if (this.regular.has(path)) return readFileSync(path, 'utf8');
    let fd = this.fds.get(path);
    if (fd === undefined) {
      fd = openSync(path, 'r');
      if (!isPseudoFilesystem(path)) {
        closeSync(fd);
        this.regular.add(path);
        return readFileSync(path, 'utf8');
      }
      this.keep(path, fd);
    } else {
      this.fds.delete(path); // re-insert below: most recently used last
      this.fds.set(path, fd);
    }
    try {
      return readWhole(fd);
    } catch (err) {
      // EINVAL and the like (the speed of a virtual link) come back on every read: keep the fd.
      if ((err as NodeJS.ErrnoException).code !== 'ENODEV') throw err;
      // The device behind a sysfs file went away, maybe to come back under the same name: drop
      // the old descriptor and read through a new one, which fails like readFileSync would.
      this.forget(path);
      const fresh = openSync(path, 'r');
      this.keep(path, fresh);
      return readWhole(fresh);
    }
  }

  private keep(path: string, fd: number): void {
    this.fds.set(path, fd);
    if (this.fds.size > MAX_KEPT_OPEN) this.forget(this.fds.keys().next().value as string);
  }

  private forget(path: string): void {
    const fd = this.fds.get(path);
    this.fds.delete(path);
    if (fd !== undefined) closeSync(fd);
  }
}

/** One buffer for every synchronous read: they never overlap. */
let buffer = Buffer.allocUnsafe(64 * 1024);

/** An open file's whole text, read with pread from offset 0 (so a kept-open pseudo-file is generated afresh). */
export function readWhole(fd: number): string {
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      const bigger = Buffer.allocUnsafe(buffer.length * 2);
      buffer.copy(bigger);
      buffer = bigger;
    }
    const n = readSync(fd, buffer, length, buffer.length - length, length);
    if (n === 0) return buffer.toString('utf8', 0, length);
    length += n;
  }
}

function isPseudoFilesystem(path: string): boolean {
  try {
    const type = Number(statfsSync(path).type);
    return type === PROC_SUPER_MAGIC || type === SYSFS_MAGIC;
  } catch {
    return false;
  }
}

const keptOpen = new KeptOpenFiles();

/**
 * Reads a small pseudo-file under procfs or sysfs. Synchronous on purpose: these files are
 * memory-backed, and a sync read costs ~26 µs against ~190 µs through the threadpool (measured
 * on /proc/stat; fs.promises makes open, read and close each a threadpool round trip,
 * https://nodejs.org/api/fs.html#threadpool-usage). Errors carry the full path.
 */
export function readPseudoFile(root: string, relative: string): string {
  return keptOpen.read(join(root, relative));
}

/** For files read once or per process (/proc/PID/*): no descriptor is kept. */
export function readPseudoFileOnce(root: string, relative: string): string {
  return readFileSync(join(root, relative), 'utf8');
}

/** Entries of a procfs/sysfs directory; empty when the kernel does not have it (ENOENT). */
export function readOptionalDir(root: string, relative: string): string[] {
  try {
    return readdirSync(join(root, relative));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Like readPseudoFile, but a file this kernel does not have (ENOENT) is `undefined`: no data, not an error. */
export function readOptionalPseudoFile(root: string, relative: string): string | undefined {
  try {
    return readPseudoFile(root, relative);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
