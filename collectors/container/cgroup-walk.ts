import { batchFs } from '../../src/batchfs.js';
import type { DirectoryHandles } from '../../src/directory-handles.js';
import type { CgroupLayout, Controller } from './cgroup-layout.js';
import { hierarchies } from './cgroup-layout.js';
import type { CgroupDirs } from './cgroup-stats.js';

/** A directory of a hierarchy as the last walk found it; its strings are made once, not every run. */
interface Node {
  id: string;
  dir: string;
  /** The subdirectories the last listing found, by name; empty for a leaf. */
  children: Map<string, Node>;
  /** The same names as an array, for re-checking them without a listing; undefined until listed. */
  childNames?: string[];
}

/**
 * Every cgroup of the hierarchies (root `/` included) by its cgroup path (cAdvisor's `id`), with
 * the directories its files are in. The tree of the last walk is kept, and a directory whose link
 * count says it has no subdirectories (kernfs keeps it) is not listed: on a Kubernetes node two
 * thirds of the cgroups are such leaves. A listed directory whose link count and subdirectories
 * are still the ones found last time is not listed again either. A directory that vanishes during
 * the walk is left out; `yieldNow` lets a long walk give the event loop a turn. Every directory of
 * the tree is held open in `handles` until it leaves the tree, for these checks and for the reads.
 */
export class CgroupWalker {
  private readonly roots = new Map<string, Node>();

  constructor(private readonly handles: DirectoryHandles) {}

  async walk(layout: CgroupLayout, yieldNow: () => Promise<void> | undefined): Promise<Map<string, CgroupDirs>> {
    const found = new Map<string, CgroupDirs>();
    const walked = hierarchies(layout);
    for (const [dir, root] of this.roots) {
      if (walked.some((h) => h.dir === dir)) continue;
      this.roots.delete(dir);
      this.forget(root);
    }
    for (const h of walked) {
      const controllers = layout.version === 1 ? [...layout.controllers].filter(([, hh]) => hh.dir === h.dir).map(([c]) => c) : [];
      let root = this.roots.get(h.dir);
      if (!root || root.id !== h.root) {
        if (root) this.forget(root);
        this.roots.set(h.dir, (root = this.node(h.root, h.dir)));
      }
      await this.walkTree(root, (node) => {
        if (layout.version === 2) {
          found.set(node.id, { version: 2, dir: node.dir });
          return;
        }
        let entry = found.get(node.id) as { version: 1; dirs: Partial<Record<Controller, string>> } | undefined;
        if (!entry) found.set(node.id, (entry = { version: 1, dirs: {} }));
        for (const c of controllers) entry.dirs[c] = node.dir;
      }, yieldNow);
    }
    return found;
  }

  private async walkTree(root: Node, visit: (node: Node) => void, yieldNow: () => Promise<void> | undefined): Promise<void> {
    const nodes: Node[] = [root];
    const leaves: boolean[] = [false];
    while (nodes.length) {
      const node = nodes.pop() as Node;
      if (leaves.pop()) {
        for (const child of node.children.values()) this.forget(child);
        node.children.clear();
        node.childNames = undefined;
        visit(node);
        continue;
      }
      const known = node.childNames && batchFs.knownSubdirectories(this.handles.target(node.dir), node.childNames);
      if (typeof known === 'number') continue; // removed while walking
      if (known) {
        visit(node);
        for (let i = 0; i < known.length; i++) {
          nodes.push(node.children.get(node.childNames?.[i] as string) as Node);
          leaves.push(known[i] === true);
        }
      } else {
        // Listed before and changed since: the held descriptor may name a directory made again under the same name.
        if (node.childNames) this.handles.renew(node.dir);
        const listed = batchFs.subdirectories(node.dir);
        if (typeof listed === 'number') continue;
        visit(node);
        const children = new Map<string, Node>();
        for (let i = 0; i < listed.names.length; i++) {
          const name = listed.names[i] as string;
          const child = node.children.get(name) ?? this.node(cgroupId(node.id, name), `${node.dir}/${name}`);
          children.set(name, child);
          nodes.push(child);
          leaves.push(listed.leaf[i] === true);
        }
        for (const [name, gone] of node.children) if (!children.has(name)) this.forget(gone);
        node.children = children;
        node.childNames = listed.names;
      }
      await yieldNow();
    }
  }

  private node(id: string, dir: string): Node {
    this.handles.hold(dir);
    return { id, dir, children: new Map() };
  }

  /** Lets go of a directory that left the tree, and of everything under it. */
  private forget(node: Node): void {
    this.handles.release(node.dir);
    for (const child of node.children.values()) this.forget(child);
  }
}

/** The cgroup path cAdvisor reports as `id`: the parent's path joined with the directory's name. */
function cgroupId(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}
