import { readFileSync } from 'node:fs';
import { batchFs as defaultBatchFs, type BatchFs } from './batchfs.js';

const ENOSPC = 28;

/** An inotify instance nobody closed: closed when its DirectoryWatches is collected. */
const unclosed = new FinalizationRegistry(({ instance, fs }: { instance: { fd: number }; fs: BatchFs }) => {
  if (instance.fd >= 0) fs.closeWatches(instance.fd);
});

/**
 * inotify watches on directories whose subdirectories a walk keeps (cgroups: made with mkdir, gone
 * with rmdir, which notify on cgroupfs as anywhere), so a walk of thousands of directories asks
 * once per run which of them changed instead of re-checking each. The watches count against
 * fs.inotify.max_user_watches, which every process of the user shares (on kernels before 5.11 its
 * default is 8,192, and kubelet, systemd and container runtimes watch too), so at most a quarter of
 * it is used, and none once the kernel says it is used up. A directory left unwatched (past the
 * budget, or without inotify or the native addon) is for the caller to re-check itself.
 */
export class DirectoryWatches {
  private readonly instance = { fd: -1 };
  private readonly wdOf = new Map<string, number>();
  /** How many watched paths share each wd (one directory reached by two paths has one watch). */
  private readonly paths = new Map<number, number>();
  private unavailable = false;

  constructor(
    private budget = defaultBudget(),
    private readonly fs: BatchFs = defaultBatchFs,
  ) {
    unclosed.register(this, { instance: this.instance, fs }, this);
  }

  /** Watches `path` from now on (again, if it was: a directory made anew under the name gets a new wd); its wd, or undefined when it is not watched. */
  watch(path: string): number | undefined {
    const old = this.wdOf.get(path);
    if ((old === undefined && this.paths.size >= this.budget) || !this.open()) return undefined;
    const wd = this.fs.watchDirectory(this.instance.fd, path);
    if (wd === old) return wd;
    if (old !== undefined) this.release(path, old);
    if (wd < 0) {
      if (wd === -ENOSPC) this.budget = this.paths.size;
      return undefined;
    }
    this.wdOf.set(path, wd);
    this.paths.set(wd, (this.paths.get(wd) ?? 0) + 1);
    return wd;
  }

  unwatch(path: string): void {
    const wd = this.wdOf.get(path);
    if (wd !== undefined) this.release(path, wd);
  }

  /** The wds with subdirectories made or removed since the last call; undefined when events were lost (the queue overflowed), so any may have. */
  changed(): Set<number> | undefined {
    if (this.instance.fd < 0) return new Set();
    const wds = this.fs.changedDirectories(this.instance.fd);
    return wds ? new Set(wds) : undefined;
  }

  get size(): number {
    return this.paths.size;
  }

  close(): void {
    if (this.instance.fd >= 0) this.fs.closeWatches(this.instance.fd);
    this.instance.fd = -1;
    this.wdOf.clear();
    this.paths.clear();
    unclosed.unregister(this);
  }

  private open(): boolean {
    if (this.instance.fd >= 0) return true;
    if (this.unavailable) return false;
    const fd = this.fs.openWatches();
    if (fd < 0) this.unavailable = true;
    else this.instance.fd = fd;
    return fd >= 0;
  }

  private release(path: string, wd: number): void {
    this.wdOf.delete(path);
    const others = (this.paths.get(wd) ?? 1) - 1;
    if (others > 0) {
      this.paths.set(wd, others);
      return;
    }
    this.paths.delete(wd);
    this.fs.unwatchDirectory(this.instance.fd, wd);
  }
}

function defaultBudget(): number {
  try {
    return Math.floor(Number(readFileSync('/proc/sys/fs/inotify/max_user_watches', 'utf8')) / 4) || 0;
  } catch {
    return 8192 / 4;
  }
}
