import { join } from 'node:path';
import { batchFs } from '../../src/batchfs.js';
import type { CgroupLayout, Controller, Hierarchy } from './cgroup-layout.js';
import { hierarchies } from './cgroup-layout.js';
import type { CgroupDirs } from './cgroup-stats.js';

/**
 * Every cgroup of the hierarchies (root `/` included) by its cgroup path (cAdvisor's `id`), with
 * the directories its files are in. A directory that vanishes during the walk is left out;
 * `yieldNow` lets a long walk give the event loop a turn.
 */
export async function walkCgroups(layout: CgroupLayout, yieldNow: () => Promise<void> | undefined): Promise<Map<string, CgroupDirs>> {
  const found = new Map<string, CgroupDirs>();
  for (const h of hierarchies(layout)) {
    const controllers = layout.version === 1 ? [...layout.controllers].filter(([, hh]) => hh.dir === h.dir).map(([c]) => c) : [];
    await walk(h, (id, dir) => {
      if (layout.version === 2) {
        found.set(id, { version: 2, dir });
        return;
      }
      let entry = found.get(id) as { version: 1; dirs: Partial<Record<Controller, string>> } | undefined;
      if (!entry) found.set(id, (entry = { version: 1, dirs: {} }));
      for (const c of controllers) entry.dirs[c] = dir;
    }, yieldNow);
  }
  return found;
}

async function walk(h: Hierarchy, visit: (id: string, dir: string) => void, yieldNow: () => Promise<void> | undefined): Promise<void> {
  const stack = [''];
  while (stack.length) {
    const rel = stack.pop() as string;
    const dir = rel ? join(h.dir, rel) : h.dir;
    const children = batchFs.subdirectories(dir);
    if (typeof children === 'number') continue; // removed while walking
    visit(cgroupId(h.root, rel), dir);
    for (const name of children) stack.push(rel ? `${rel}/${name}` : name);
    await yieldNow();
  }
}

/** The cgroup path cAdvisor reports as `id`: the mount's root joined with the path below the mount. */
function cgroupId(root: string, rel: string): string {
  if (!rel) return root;
  return root === '/' ? `/${rel}` : `${root}/${rel}`;
}
