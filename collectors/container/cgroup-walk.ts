import { batchFs } from '../../src/fs/batchfs.js';
import type { DirectoryHandles } from '../../src/fs/directory-handles.js';
import { DirectoryWatches } from '../../src/fs/directory-watches.js';
import type { CgroupLayout, Controller } from './cgroup-layout.js';
import { hierarchies } from './cgroup-layout.js';
import type { CgroupDirs } from './cgroup-stats.js';

/** A directory of a hierarchy as the last walk found it; its strings are made once, not every run. */
interface Node {
  id: string;
  dir: string;
  /** From the parent's listing: a directory made again under the same name has another. */
  inode?: number;
  /** The subdirectories the last listing found, by name; empty for a leaf. */
  children: Map<string, Node>;
  /** The same names as an array, for re-checking them without a listing; undefined until listed. */
  childNames?: string[];
  /** The inotify watch, once the directory is watched: its listing then holds until the watch reports a change. */
  wd?: number;
}

/** The directories found below one, with whether each is a leaf when a check has just said so; undefined when it vanished. */
type Below = { children: Node[]; leaves?: boolean[] } | undefined;

/**
 * Every cgroup of the hierarchies (root `/` included) by its cgroup path (cAdvisor's `id`), with
 * the directories its files are in. The tree of the last walk is kept. A watched directory (see
 * DirectoryWatches) is listed again only when its watch reports a subdirectory made or removed, so
 * a run where no container came or went makes no calls for the walk at all. An unwatched one is
 * re-checked: one whose link count says it has no subdirectories (kernfs keeps it; on a Kubernetes
 * node two thirds of the cgroups are such leaves) is not listed, nor is one whose link count and
 * subdirectories are still the ones found last time. A directory that vanishes during the walk is
 * left out; `yieldNow` lets a long walk give the event loop a turn. Every directory of the tree is
 * held open in `handles` until it leaves the tree, for these checks and for the reads.
 */
export class CgroupWalker {
  private readonly roots = new Map<string, Node>();

  constructor(
    private readonly handles: DirectoryHandles,
    private readonly watches = new DirectoryWatches(),
  ) {}

  async walk(layout: CgroupLayout, yieldNow: () => Promise<void> | undefined): Promise<Map<string, CgroupDirs>> {
    const found = new Map<string, CgroupDirs>();
    const walked = hierarchies(layout);
    for (const [dir, root] of this.roots) {
      if (walked.some((h) => h.dir === dir)) continue;
      this.roots.delete(dir);
      this.forget(root);
    }
    const changed = this.watches.changed();
    for (const h of walked) {
      const controllers = layout.version === 1 ? [...layout.controllers].filter(([, hh]) => hh.dir === h.dir).map(([c]) => c) : [];
      let root = this.roots.get(h.dir);
      if (!root || root.id !== h.root) {
        if (root) this.forget(root);
        this.roots.set(h.dir, (root = this.node(h.root, h.dir)));
      }
      await this.walkTree(
        root,
        changed,
        (node) => {
          if (layout.version === 2) {
            found.set(node.id, { version: 2, dir: node.dir });
            return;
          }
          let entry = found.get(node.id) as { version: 1; dirs: Partial<Record<Controller, string>> } | undefined;
          if (!entry) found.set(node.id, (entry = { version: 1, dirs: {} }));
          for (const c of controllers) entry.dirs[c] = node.dir;
        },
        yieldNow,
      );
    }
    return found;
  }

  /** Lets go of every descriptor and watch the walk holds. */
  close(): void {
    for (const root of this.roots.values()) this.forget(root);
    this.roots.clear();
    this.watches.close();
  }

  /** `changed`: the wds with events since the last walk; undefined when events were lost, so no listing holds. */
  private async walkTree(root: Node, changed: Set<number> | undefined, visit: (node: Node) => void, yieldNow: () => Promise<void> | undefined): Promise<void> {
    const nodes: Node[] = [root];
    // Whether each node is a leaf, when its parent's check has just said so by its link count.
    const leaves: Array<boolean | undefined> = [undefined];
    while (nodes.length) {
      const node = nodes.pop() as Node;
      const leaf = leaves.pop();
      const below = this.below(node, changed, leaf);
      if (!below) continue; // removed while walking
      visit(node);
      for (let i = 0; i < below.children.length; i++) {
        nodes.push(below.children[i] as Node);
        leaves.push(below.leaves?.[i]);
      }
      const pending = yieldNow();
      if (pending) await pending;
    }
  }

  /**
   * A watched directory whose watch reported nothing since its listing has the children found then.
   * Any other is watched from now on and listed (the watch first, so nothing made in between is
   * missed), or re-checked when it cannot be watched.
   */
  private below(node: Node, changed: Set<number> | undefined, leaf: boolean | undefined): Below {
    if (node.wd !== undefined && node.childNames && changed && !changed.has(node.wd)) return { children: [...node.children.values()] };
    const wd = this.watches.watch(node.dir);
    if (wd === undefined) {
      node.wd = undefined;
      return this.recheck(node, leaf);
    }
    // Watched before under another wd: the path names another directory now, so the descriptor is renewed too.
    if (node.wd !== undefined && node.wd !== wd) this.handles.renew(node.dir);
    node.wd = wd;
    return this.listing(node);
  }

  /** An unwatched directory: a leaf by its parent's check, or re-checked by its link count and subdirectories, or listed. */
  private recheck(node: Node, leaf: boolean | undefined): Below {
    if (leaf) {
      for (const child of node.children.values()) this.forget(child);
      node.children.clear();
      node.childNames = undefined;
      return { children: [] };
    }
    const names = node.childNames ?? [];
    const known = batchFs.knownSubdirectories(this.handles.target(node.dir), names);
    if (typeof known === 'number') return undefined;
    if (known) return { children: names.map((name) => node.children.get(name) as Node), leaves: known };
    // Listed before and changed since: the held descriptor may name a directory made again under the same name.
    if (node.childNames) this.handles.renew(node.dir);
    return this.listing(node);
  }

  /**
   * The node's children as its directory lists them now. cgroupfs sends a removed directory's own
   * watch nothing, so one made again under the same name is told by its inode, and gets a node, a
   * descriptor and a watch of its own.
   */
  private listing(node: Node): Below {
    const listed = batchFs.subdirectories(node.dir);
    if (typeof listed === 'number') return undefined;
    const children = new Map<string, Node>();
    for (let i = 0; i < listed.names.length; i++) {
      const name = listed.names[i] as string;
      const inode = listed.inodes?.[i];
      let child = node.children.get(name);
      if (child && child.inode !== inode) {
        this.forget(child); // before its successor holds the same path
        child = undefined;
      }
      if (!child) {
        child = this.node(cgroupId(node.id, name), `${node.dir}/${name}`);
        child.inode = inode;
      }
      children.set(name, child);
    }
    for (const [name, gone] of node.children) if (!children.has(name)) this.forget(gone);
    node.children = children;
    node.childNames = listed.names;
    return { children: [...children.values()], leaves: listed.leaf };
  }

  private node(id: string, dir: string): Node {
    this.handles.hold(dir);
    return { id, dir, children: new Map() };
  }

  /** Lets go of a directory that left the tree, and of everything under it. */
  private forget(node: Node): void {
    this.handles.release(node.dir);
    this.watches.unwatch(node.dir);
    for (const child of node.children.values()) this.forget(child);
  }
}

/** The cgroup path cAdvisor reports as `id`: the parent's path joined with the directory's name. */
function cgroupId(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}
