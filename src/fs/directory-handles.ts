import { batchFs as defaultBatchFs, type BatchFs } from './batchfs.js';

/** Descriptors of a DirectoryHandles that nobody closed: closed when it is collected. */
const unclosed = new FinalizationRegistry(({ fds, fs }: { fds: Map<string, number>; fs: BatchFs }) => {
  for (const fd of fds.values()) fs.closeDirectory(fd);
});

/**
 * Directory descriptors by path, for a collector that reads the same directories on every run: a
 * read through a held descriptor skips the path walk and the open and close of the directory (a
 * cgroup v1 path has eight components and three mounts to cross; at 1,000 containers on v1 that
 * is 7,500 path walks per run, see docs/benchmarks.md). Past the thread's budget, or without the
 * native addon, a directory is simply read by path. A descriptor keeps naming the directory it was
 * opened on, so the holder must release it when the directory leaves (or is made again under the
 * same name) and hold the new one.
 */
export class DirectoryHandles {
  private readonly fds = new Map<string, number>();

  constructor(private readonly fs: BatchFs = defaultBatchFs) {
    unclosed.register(this, { fds: this.fds, fs }, this);
  }

  /** Holds a descriptor of `path` from now on, where the budget allows. */
  hold(path: string): void {
    if (this.fds.has(path)) return;
    const fd = this.fs.openDirectory(path);
    if (fd >= 0) this.fds.set(path, fd);
  }

  /** What to pass to batchFs for `path`: its descriptor when one is held, else the path. */
  target(path: string): string | number {
    return this.fds.get(path) ?? path;
  }

  release(path: string): void {
    const fd = this.fds.get(path);
    if (fd === undefined) return;
    this.fds.delete(path);
    this.fs.closeDirectory(fd);
  }

  get size(): number {
    return this.fds.size;
  }

  close(): void {
    for (const path of [...this.fds.keys()]) this.release(path);
    unclosed.unregister(this);
  }
}
