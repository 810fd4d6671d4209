import { existsSync, mkdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

/** Creates a real cgroup (parents first) in a hierarchy; pushes its removal (children first, when run in reverse) onto `cleanups`. */
export function makeCgroup(hierarchy: string, path: string, cleanups: Array<() => void | Promise<void>>): string {
  const parts = path.split('/').filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const dir = join(hierarchy, ...parts.slice(0, i));
    if (!existsSync(dir)) {
      mkdirSync(dir);
      cleanups.push(() => {
        if (existsSync(dir)) rmdirSync(dir);
      });
    }
  }
  return join(hierarchy, ...parts);
}
