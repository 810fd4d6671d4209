import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, sep } from 'node:path';

const META = /[*?[\\]/;

/**
 * One path segment of a Go filepath.Match pattern as a RegExp: `*` any run of non-separators,
 * `?` one character, `[a-z]`/`[^a-z]` classes, `\x` a literal x. Undefined when malformed
 * (unclosed class), which Go reports as ErrBadPattern.
 */
export function globSegmentToRegExp(segment: string): RegExp | undefined {
  let re = '^';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      if (i + 1 >= segment.length) return undefined;
      re += escape(segment[++i] as string);
    } else if (c === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end === -1) return undefined;
      let body = segment.slice(i + 1, end);
      const negate = body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/[\]\\]/g, '\\$&')}]`;
      i = end;
    } else re += escape(c);
  }
  try {
    return new RegExp(`${re}$`, 's');
  } catch {
    return undefined;
  }
}

const escape = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * The directories a textfile `directory` entry names: itself when it has no glob characters or
 * matches nothing (node_exporter then reports it unreadable), else every match, sorted.
 */
export async function expandDirectoryGlob(pattern: string): Promise<string[]> {
  if (!META.test(pattern)) return [pattern];
  const segments = pattern.split(sep);
  let bases = [isAbsolute(pattern) ? sep : '.'];
  for (const segment of segments) {
    if (segment === '') continue;
    const isGlob = META.test(segment);
    const matcher = isGlob ? globSegmentToRegExp(segment) : undefined;
    if (isGlob && !matcher) return [pattern];
    const next: string[] = [];
    for (const base of bases) {
      if (!matcher) {
        next.push(join(base, segment));
        continue;
      }
      const names = await readdir(base).catch(() => [] as string[]);
      for (const name of names.sort()) if (matcher.test(name)) next.push(join(base, name));
    }
    bases = next;
  }
  const dirs: string[] = [];
  for (const b of bases)
    if (
      await stat(b).then(
        (s) => s.isDirectory(),
        () => false,
      )
    )
      dirs.push(b);
  return dirs.length ? dirs : [pattern];
}
