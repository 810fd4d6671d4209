import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { getSystemErrorMap } from 'node:util';
import type { ParseResult } from '../../src/parsers/parse-result.js';
import { batchFs } from '../../src/fs/batchfs.js';
import type { DirectoryHandles } from '../../src/fs/directory-handles.js';

/** Thrown when the cgroup directory itself went away mid-read: the whole container is skipped. */
export class CgroupVanished extends Error {}

const ENOENT = 2;
const ENODEV = 19;

/**
 * Reads the files of one cgroup, a directory's files in one batch (one native call where the addon
 * is built). A file the kernel does not have (controller off, older kernel) is `undefined` without
 * fuss and remembered in `absent`, so later runs do not try it until the caller clears the set; an
 * unreadable or garbled file is `undefined` and counted through `skip`, so the container keeps its
 * other series; a directory that vanished throws CgroupVanished. Directories are read through the
 * descriptors the walk holds in `handles`.
 */
export class CgroupFiles {
  constructor(
    private readonly skip: (reason: string, detail: string) => void,
    private readonly absent: Set<string>,
    private readonly handles: DirectoryHandles,
  ) {}

  /** The text of each of `names` in `dir`, in order; `undefined` where there is none to parse. */
  read(dir: string, names: readonly string[]): Array<string | undefined> {
    const skipsSome = this.absent.size > 0 && names.some((f) => this.absent.has(f));
    const texts = batchFs.readFilesAt(this.handles.target(dir), skipsSome ? names.filter((f) => !this.absent.has(f)) : names) as Array<
      string | number | undefined
    >;
    // Put the absent files back in their places, as undefined.
    if (skipsSome) for (let i = 0; i < names.length; i++) if (this.absent.has(names[i] as string)) texts.splice(i, 0, undefined);
    for (let i = 0; i < texts.length; i++) {
      const content = texts[i];
      if (typeof content === 'number') texts[i] = this.failed(dir, names[i] as string, content);
    }
    return texts as Array<string | undefined>;
  }

  text(dir: string, file: string): string | undefined {
    return this.read(dir, [file])[0];
  }

  /** `text` parsed; a parse failure is counted as malformed and gives `undefined`. */
  parse<T>(dir: string, file: string, text: string | undefined, parse: (text: string, path: string) => ParseResult<T>): T | undefined {
    if (text === undefined) return undefined;
    const result = parse(text, `${dir}/${file}`);
    if (result.ok) return result.value;
    this.skip('malformed', result.error);
    return undefined;
  }

  parsed<T>(dir: string, file: string, parse: (text: string, path: string) => ParseResult<T>): T | undefined {
    return this.parse(dir, file, this.text(dir, file), parse);
  }

  private failed(dir: string, file: string, errno: number): undefined {
    if (errno === ENOENT || errno === ENODEV) {
      if (!existsSync(dir)) throw new CgroupVanished(`${dir} went away`);
      this.absent.add(file);
      return undefined;
    }
    const [code, message] = getSystemErrorMap().get(-errno) ?? [`errno ${errno}`, 'unknown error'];
    this.skip('unreadable', `${join(dir, file)}: ${code}: ${message}`);
    return undefined;
  }
}
