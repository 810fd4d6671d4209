import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CollectContext } from '../../src/collector.js';
import { readPseudoFile } from '../../src/fs/procfs.js';
import { MAX_ATTRIBUTE_BYTES } from '../../src/parsers/sysfs-class.js';

/**
 * What reading one sysfs attribute gave: its trimmed text; `absent` when the kernel does not have
 * it or refuses it for this device (ENOENT, EINVAL, EOPNOTSUPP, ENODEV, ENODATA: no data, not an
 * error); `failed` for anything else (EACCES, EIO, a directory, an oversized value), which the
 * caller skips and counts.
 */
export type Attribute = { kind: 'value'; text: string } | { kind: 'absent' } | { kind: 'failed'; reason: 'unreadable' | 'malformed'; detail: string };

const ABSENT = new Set(['ENOENT', 'EINVAL', 'EOPNOTSUPP', 'ENOTSUP', 'ENODEV', 'ENODATA', 'ENXIO']);

export function readAttribute(sysfs: string, relative: string, decode?: (bytes: Buffer) => string): Attribute {
  let text: string;
  try {
    // Decoded by the caller: read afresh (a kept-open descriptor serves text only).
    text = decode ? decode(readFileSync(join(sysfs, relative))) : readPseudoFile(sysfs, relative);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code && ABSENT.has(e.code)) return { kind: 'absent' };
    return { kind: 'failed', reason: 'unreadable', detail: `${join(sysfs, relative)}: ${e.code ?? e.message}` };
  }
  if (text.length > MAX_ATTRIBUTE_BYTES)
    return { kind: 'failed', reason: 'malformed', detail: `${join(sysfs, relative)}: ${text.length} bytes, more than a sysfs attribute holds` };
  return { kind: 'value', text: text.trim() };
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
