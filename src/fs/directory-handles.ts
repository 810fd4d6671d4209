import { batchFs as defaultBatchFs, type BatchFs } from './batchfs.js';

/** Descriptors of a DirectoryHandles that nobody closed: closed when it is collected. */
const unclosed = new FinalizationRegistry(({ fds, fs }: { fds: Map<string, number>; fs: BatchFs }) => {
  for (const fd of fds.values()) fs.closeDirectory(fd);
});

/**
 * Directory descriptors by path, for a collector that reads the same directories on every run: a
 * read through a held descriptor skips the path walk and the open and close of the directory (a
 * cgroup v1 path has eight components and four mounts to cross). Past the thread's budget, or
 * without the native addon, a directory is simply read by path.
 *
 * A descriptor keeps naming the directory it was opened on: one removed and made again under the
 * same name (a restarted systemd service) answers ENOENT through the old one, and the caller then
 * renews it. Each opening has a serial of its own, so a caller that keeps what it read of a
 * directory can tell whether the directory is still the one it read.
 */
export class DirectoryHandles {
  private readonly fds = new Map<string, number>();
  private readonly serials = new Map<string, number>();
  private lastSerial = 0;

  constructor(private readonly fs: BatchFs = defaultBatchFs) {
    unclosed.register(this, { fds: this.fds, fs }, this);
  }

  /** Holds a descriptor of `path` from now on, where the budget allows. */
  hold(path: string): void {
    if (this.fds.has(path)) return;
    const fd = this.fs.openDirectory(path);
    if (fd < 0) return;
    this.fds.set(path, fd);
    this.serials.set(path, ++this.lastSerial);
  }

  /** The serial of the descriptor held of `path`, new with every opening; undefined when none is held. */
  opening(path: string): number | undefined {
    return this.serials.get(path);
  }

  /** What to pass to batchFs for `path`: its descriptor when one is held, else the path. */
  target(path: string): string | number {
    return this.fds.get(path) ?? path;
  }

  /** Closes the descriptor of a directory that left the tree. */
  release(path: string): void {
    const fd = this.fds.get(path);
    if (fd === undefined) return;
    this.fds.delete(path);
    this.serials.delete(path);
    this.fs.closeDirectory(fd);
  }

  /** Opens `path` afresh when a descriptor of it is held (it may name a removed directory); false when none was. */
  renew(path: string): boolean {
    if (!this.fds.has(path)) return false;
    this.release(path);
    this.hold(path);
    return true;
  }

  get size(): number {
    return this.fds.size;
  }

  close(): void {
    for (const path of [...this.fds.keys()]) this.release(path);
    unclosed.unregister(this);
  }
}
