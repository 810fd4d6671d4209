import { statfs } from 'node:fs/promises';
import { markReturned, markStuck } from '../../src/exit.js';

export type StatfsResult =
  { kind: 'ok'; size: number; free: number; avail: number; files: number; filesFree: number } | { kind: 'error'; message: string } | { kind: 'stuck' };

/**
 * statfs(2) with a deadline, for mounts that may hang (dead NFS, a stopped FUSE daemon).
 *
 * A call past its deadline cannot be cancelled: it keeps a libuv threadpool thread until the
 * kernel returns. So a mount whose call timed out is "stuck" and gets no new call until that one
 * returns: at most one blocked thread per dead mount, however many runs come by.
 */
export class StatfsGuard {
  private readonly pending = new Map<string, Promise<unknown>>();

  /** Mounts with a statfs still in the kernel past its deadline. */
  stuck(): string[] {
    return [...this.pending.keys()];
  }

  async stat(path: string, timeoutMs: number): Promise<StatfsResult> {
    if (this.pending.has(path)) return { kind: 'stuck' };
    const call = statfs(path);
    const settled = call.then(
      () => undefined,
      () => undefined,
    );
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const winner = await Promise.race([call, deadline]);
      if (winner === 'timeout') {
        this.pending.set(path, settled);
        markStuck(`statfs ${path}`);
        void settled.then(() => {
          this.pending.delete(path);
          markReturned(`statfs ${path}`);
        });
        return { kind: 'stuck' };
      }
      return {
        kind: 'ok',
        size: winner.blocks * winner.bsize,
        free: winner.bfree * winner.bsize,
        avail: winner.bavail * winner.bsize,
        files: winner.files,
        filesFree: winner.ffree,
      };
    } catch (err) {
      return { kind: 'error', message: goErrorText(err as NodeJS.ErrnoException) };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** node_exporter puts Go's error text in the device_error label ("permission denied"); libuv's matches it. */
function goErrorText(err: NodeJS.ErrnoException): string {
  const m = /^[A-Z0-9]+: ([^,]+),/.exec(err.message);
  return m ? (m[1] as string) : err.message;
}

/** Shared by every filesystem collector instance, so a reload does not issue a second call to a stuck mount. */
export const statfsGuard = new StatfsGuard();
