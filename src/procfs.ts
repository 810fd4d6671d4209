import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Reads a small pseudo-file under procfs or sysfs. Synchronous on purpose: these files are
 * memory-backed, and a sync read costs ~26 µs against ~190 µs through the threadpool
 * (shared/reference/nodelibs.md §2). Errors carry the full path.
 */
export function readPseudoFile(root: string, relative: string): string {
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
