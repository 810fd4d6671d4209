import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * Reads a file an operator named (config, web config, certificates, modules file, file_sd,
 * textfiles, secrets) holding at most `limit` bytes. What is not a regular file is refused
 * before reading (a FIFO would block the read forever, /dev/zero never ends), and reading stops
 * at `limit` + 1 bytes, so a huge or growing file costs at most that much memory.
 * Throws an Error whose message says what is wrong, without the path (callers name it).
 */
export async function readBounded(path: string, limit: number): Promise<Buffer> {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
  const file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await file.stat();
    if (!info.isFile()) throw new Error('not a regular file');
    if (info.size > limit) throw new Error(`${info.size} bytes; the limit is ${limit}`);
    // Sized by stat, grown if the file is longer than it said (it grew, or it is a pseudo-file of size 0).
    let buf = Buffer.allocUnsafe(Math.min(info.size, limit) + 1);
    let length = 0;
    for (;;) {
      if (length === buf.length) {
        if (length > limit) throw new Error(`more than ${limit} bytes (it grew while being read); the limit is ${limit}`);
        const bigger = Buffer.allocUnsafe(Math.min(Math.max(2 * length, 4096), limit + 1));
        buf.copy(bigger, 0, 0, length);
        buf = bigger;
      }
      const { bytesRead } = await file.read(buf, length, buf.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > limit) throw new Error(`more than ${limit} bytes (it grew while being read); the limit is ${limit}`);
    return buf.subarray(0, length);
  } finally {
    await file.close();
  }
}
