import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';

/** What a capped read found: the text, or that the file holds more than the limit. */
export type CappedRead = { text: string } | { oversized: true };

/**
 * Reads a procfs/sysfs file of at most `limit` bytes, without keeping a descriptor. Reading stops
 * at `limit` + 1 bytes, so a file far larger than the kernel ever writes there (a bind-mounted or
 * corrupted tree) costs at most that much memory: the caller skips it and counts it. Errors
 * (ENOENT, EACCES, …) are thrown with the full path, as readFileSync's are.
 */
export function readCappedFile(root: string, relative: string, limit: number): CappedRead {
  const fd = openSync(join(root, relative), 'r');
  try {
    let buf = Buffer.allocUnsafe(Math.min(16 * 1024, limit + 1));
    let length = 0;
    for (;;) {
      if (length === buf.length) {
        if (length > limit) break;
        const bigger = Buffer.allocUnsafe(Math.min(2 * length, limit + 1));
        buf.copy(bigger, 0, 0, length);
        buf = bigger;
      }
      const n = readSync(fd, buf, length, buf.length - length, length);
      if (n === 0) break;
      length += n;
    }
    return length > limit ? { oversized: true } : { text: buf.toString('utf8', 0, length) };
  } finally {
    closeSync(fd);
  }
}
