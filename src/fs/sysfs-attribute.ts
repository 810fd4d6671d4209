import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readPseudoFile } from './procfs.js';

/** Larger than any sysfs attribute (one page, 64 KiB on the largest page size Linux has). */
export const MAX_SYSFS_ATTRIBUTE = 64 * 1024;

/** Errors that mean "this kernel or device has no such attribute": no data, not a problem. */
const ABSENT = new Set(['ENOENT', 'ENODEV', 'EINVAL', 'ENOTSUP', 'EOPNOTSUPP', 'ENXIO']);

export type SkipFn = (reason: string, detail: string) => void;

/**
 * One sysfs attribute's text, for collectors that serve what they can: `undefined` when the kernel
 * lacks it (ENOENT and the like, no count) and when it cannot be used, which is counted through
 * `skip`: `permission_denied` (EACCES, EPERM: files only root may read), `unreadable` (any other
 * error, a directory where a file was expected) or `oversized` (larger than a sysfs page).
 */
export function readSysfsAttribute(sysfs: string, relative: string, skip: SkipFn): string | undefined {
  let text: string;
  try {
    text = readPseudoFile(sysfs, relative);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code !== undefined && ABSENT.has(e.code)) return undefined;
    const reason = e.code === 'EACCES' || e.code === 'EPERM' ? 'permission_denied' : 'unreadable';
    skip(reason, `${join(sysfs, relative)}: ${e.message}`);
    return undefined;
  }
  if (text.length > MAX_SYSFS_ATTRIBUTE) {
    skip('oversized', `${join(sysfs, relative)}: ${text.length} bytes`);
    return undefined;
  }
  return text;
}

/** An unsigned decimal attribute; garbled text is counted as `malformed`. */
export function readSysfsUint(sysfs: string, relative: string, skip: SkipFn): number | undefined {
  const text = readSysfsAttribute(sysfs, relative, skip);
  if (text === undefined) return undefined;
  const t = text.trim();
  if (!/^\d+$/.test(t)) {
    skip('malformed', `${join(sysfs, relative)}: not an unsigned integer: ${JSON.stringify(t.slice(0, 40))}`);
    return undefined;
  }
  return Number(t);
}

/** Entries of a sysfs directory that are directories themselves, sorted; none when it is missing, and an unreadable one is counted. */
export function readSubdirectories(sysfs: string, relative: string, skip: SkipFn): string[] {
  try {
    return readdirSync(join(sysfs, relative), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') skip('unreadable', `${join(sysfs, relative)}: ${(err as Error).message}`);
    return [];
  }
}
