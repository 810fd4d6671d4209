import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CollectContext } from '../collector.js';
import { readPseudoFile } from './procfs.js';

/**
 * Reading sysfs attributes for collectors that serve what they can: an attribute the kernel or
 * device lacks is no data; one that cannot be used is skipped and counted; the rest is served.
 */

/** Larger than any sysfs attribute (one page, 64 KiB on the largest page size Linux has). */
export const MAX_SYSFS_ATTRIBUTE = 64 * 1024;

/** Errors that mean "this kernel or device has no such attribute": no data, not a problem. */
const ABSENT = new Set(['ENOENT', 'ENODEV', 'ENODATA', 'EINVAL', 'ENOTSUP', 'EOPNOTSUPP', 'ENXIO']);

export type SkipFn = (reason: string, detail: string) => void;

/** Why an attribute that is there could not be used, as counted in spyglass_collector_skipped_total. */
export type UnusableReason = 'permission_denied' | 'unreadable' | 'oversized';

/**
 * What reading one sysfs attribute gave: its text; `absent` when the kernel does not have it or
 * refuses it for this device; `failed` when it cannot be used (EACCES or EPERM: files only root may
 * read; any other error, a directory where a file was expected; larger than a sysfs page), which
 * the caller skips and counts.
 */
export type Attribute = { kind: 'value'; text: string } | { kind: 'absent' } | { kind: 'failed'; reason: UnusableReason; detail: string };

function readRaw(sysfs: string, relative: string, decode?: (bytes: Buffer) => string): Attribute {
  const path = join(sysfs, relative);
  let text: string;
  try {
    // Decoded by the caller: read afresh (a kept-open descriptor serves text only).
    text = decode ? decode(readFileSync(path)) : readPseudoFile(sysfs, relative);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code !== undefined && ABSENT.has(e.code)) return { kind: 'absent' };
    const reason = e.code === 'EACCES' || e.code === 'EPERM' ? 'permission_denied' : 'unreadable';
    return { kind: 'failed', reason, detail: `${path}: ${e.code ?? e.message}` };
  }
  if (text.length > MAX_SYSFS_ATTRIBUTE)
    return { kind: 'failed', reason: 'oversized', detail: `${path}: ${text.length} bytes, more than a sysfs attribute holds` };
  return { kind: 'value', text };
}

/** One attribute, its text trimmed (see Attribute). */
export function readAttribute(sysfs: string, relative: string, decode?: (bytes: Buffer) => string): Attribute {
  const a = readRaw(sysfs, relative, decode);
  return a.kind === 'value' ? { kind: 'value', text: a.text.trim() } : a;
}

/** One attribute's text as the kernel wrote it, or undefined when it is absent or unusable (then counted through `skip`). */
export function readSysfsAttribute(sysfs: string, relative: string, skip: SkipFn): string | undefined {
  const a = readRaw(sysfs, relative);
  if (a.kind === 'failed') skip(a.reason, a.detail);
  return a.kind === 'value' ? a.text : undefined;
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

/**
 * The attribute's text, or undefined when it is absent; a failed read is counted with ctx.skip
 * (and is undefined too).
 */
export function attributeText(ctx: Pick<CollectContext, 'skip'>, sysfs: string, relative: string): string | undefined {
  const a = readAttribute(sysfs, relative);
  if (a.kind === 'value') return a.text;
  if (a.kind === 'failed') ctx.skip(a.reason, a.detail);
  return undefined;
}

/** Counts a value that is there but does not parse, and gives undefined. */
export function malformed(ctx: Pick<CollectContext, 'skip'>, sysfs: string, relative: string, text: string): undefined {
  ctx.skip('malformed', `${join(sysfs, relative)}: ${JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text)}`);
  return undefined;
}

/**
 * Entries of a directory under sysfs, sorted; undefined when it does not exist. Other errors
 * (EACCES, not a directory) are counted with ctx.skip and give undefined.
 */
export function listDir(ctx: Pick<CollectContext, 'skip'>, sysfs: string, relative: string, filesOnly = false): string[] | undefined {
  try {
    if (!filesOnly) return readdirSync(join(sysfs, relative)).sort();
    return readdirSync(join(sysfs, relative), { withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => d.name)
      .sort();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') return undefined;
    ctx.skip('unreadable', `${join(sysfs, relative)}: ${e.code ?? e.message}`);
    return undefined;
  }
}

/**
 * Devices of /sys/class/<name> (its entries that are directories, or symlinks to one), sorted;
 * [] without the class (module not loaded). An entry that is no directory (a control file such as
 * net's bonding_masters, a dangling link) is skipped and counted. Errors listing the class itself
 * (EACCES) fail the run: nothing can be read.
 */
export function listClass(ctx: Pick<CollectContext, 'skip'>, sysfs: string, name: string): string[] {
  const dir = join(sysfs, 'class', name);
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return entries.filter((entry) => {
    try {
      if (statSync(join(dir, entry)).isDirectory()) return true;
      ctx.skip('malformed', `${join(dir, entry)}: not a directory`);
    } catch (err) {
      ctx.skip('unreadable', `${join(dir, entry)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    return false;
  });
}
