import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { getSystemErrorMap } from 'node:util';
import type { ParseResult } from '../../src/parse.js';
import { batchFs } from '../../src/batchfs.js';

/** Thrown when the cgroup directory itself went away mid-read: the whole container is skipped. */
export class CgroupVanished extends Error {}

const ENOENT = 2;
const ENODEV = 19;

/**
 * Reads the files of one cgroup. `prefetch` reads a directory's files in one batch (one native call
 * where the addon is built) and `text` answers from it, reading anything else one by one. A file the
 * kernel does not have (controller off, older kernel) is `undefined` without fuss and remembered in
 * `absent`, so later runs do not try it until the caller clears the set; an unreadable or garbled
 * file is `undefined` and counted through `skip`, so the container keeps its other series; a
 * directory that vanished throws CgroupVanished.
 */
export class CgroupFiles {
  private readonly fetched = new Map<string, string | number>();

  constructor(
    private readonly skip: (reason: string, detail: string) => void,
    private readonly absent: Set<string>,
  ) {}

  prefetch(dir: string, files: readonly string[]): void {
    const wanted = files.filter((f) => !this.absent.has(f));
    batchFs.readFilesAt(dir, wanted).forEach((content, i) => this.fetched.set(wanted[i] as string, content));
  }

  text(dir: string, file: string): string | undefined {
    if (this.absent.has(file)) return undefined;
    const content = this.fetched.get(file) ?? (batchFs.readFilesAt(dir, [file])[0] as string | number);
    this.fetched.delete(file);
    if (typeof content === 'string') return content;
    if (content === ENOENT || content === ENODEV) {
      if (!existsSync(dir)) throw new CgroupVanished(`${dir} went away`);
      this.absent.add(file);
      return undefined;
    }
    const [code, message] = getSystemErrorMap().get(-content) ?? [`errno ${content}`, 'unknown error'];
    this.skip('unreadable', `${join(dir, file)}: ${code}: ${message}`);
    return undefined;
  }

  parsed<T>(dir: string, file: string, parse: (text: string, path: string) => ParseResult<T>): T | undefined {
    const text = this.text(dir, file);
    if (text === undefined) return undefined;
    const result = parse(text, `${dir}/${file}`);
    if (result.ok) return result.value;
    this.skip('malformed', result.error);
    return undefined;
  }
}

