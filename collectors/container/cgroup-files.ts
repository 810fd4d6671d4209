import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ParseResult } from '../../src/parse.js';

/** Thrown when the cgroup directory itself went away mid-read: the whole container is skipped. */
export class CgroupVanished extends Error {}

/**
 * Reads the files of one cgroup. A file the kernel does not have (controller off, older kernel) is
 * `undefined` without fuss; an unreadable or garbled file is `undefined` and counted through `skip`,
 * so the container keeps its other series; a directory that vanished throws CgroupVanished.
 */
export class CgroupFiles {
  constructor(private readonly skip: (reason: string, detail: string) => void) {}

  text(dir: string, file: string): string | undefined {
    const path = join(dir, file);
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENODEV') {
        if (!exists(dir)) throw new CgroupVanished(`${dir} went away`);
        return undefined;
      }
      this.skip('unreadable', `${path}: ${(err as Error).message}`);
      return undefined;
    }
  }

  parsed<T>(dir: string, file: string, parse: (text: string, path: string) => ParseResult<T>): T | undefined {
    const text = this.text(dir, file);
    if (text === undefined) return undefined;
    const result = parse(text, join(dir, file));
    if (result.ok) return result.value;
    this.skip('malformed', result.error);
    return undefined;
  }
}

function exists(dir: string): boolean {
  try {
    statSync(dir);
    return true;
  } catch {
    return false;
  }
}
