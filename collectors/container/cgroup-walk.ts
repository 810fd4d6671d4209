import { batchFs } from '../../src/fs/batchfs.js';
import { DirectoryHandles } from '../../src/fs/directory-handles.js';
import { DirectoryWatches } from '../../src/fs/directory-watches.js';
import type { CgroupLayout, Controller } from './cgroup-layout.js';
import { hierarchies } from './cgroup-layout.js';
import type { CgroupDirs } from './cgroup-stats.js';

/** A directory of a hierarchy as the last walk found it; its strings are made once, not every run. */
interface Node {
  id: string;
  dir: string;
  /** New for every node, so a directory made again under its name gets another (CgroupDirs.made). */
  serial: number;
  /** From the parent's listing: a directory made again under the same name has another. */
  inode?: number;
  /** The subdirectories the last listing found, by name; empty for a leaf. */
  children: Map<string, Node>;
  /** Whether the directory has been listed (a leaf by its parent's listing is not). */
  listed: boolean;
  /** The inotify watch, once the directory is watched: its listing then holds until the watch reports a change. */
  wd?: number;
}

/** The directories found below one, with whether each is a leaf when the listing has just said so; undefined when it vanished. */
type Below = { children: Node[]; leaves?: boolean[] } | undefined;

let lastSerial = 0;

/**
 * Every cgroup of the hierarchies (root `/` included) by its cgroup path (cAdvisor's `id`), with
 * the directories its files are in. The tree of the last walk is kept. A watched directory (see
 * DirectoryWatches) is listed again only when its watch reports a subdirectory made or removed, or
 * when events were lost, so a run where no container came or went makes no calls for the walk at
 * all. An unwatched one (past the watch budget, or without inotify) is listed on every run, unless
 * its parent's listing has just said by its link count that it has no subdirectories (kernfs keeps
 * it; on a Kubernetes node two thirds of the cgroups are such leaves). Every listing tells a
 * directory made again under the same name by its inode. Only the cgroups `accept` takes are
 * returned, and their directories are held open (`handles`) while they are in the tree; the others
 * are walked through, since a cgroup below one left out may be taken. A directory that vanishes
 * during the walk is left out; `yieldNow` lets a long walk give the event loop a turn.
 */
export class CgroupWalker {
  private readonly roots = new Map<string, Node>();

  constructor(
    private readonly watches = new DirectoryWatches(),
    /** A descriptor of each directory of the tree while it is in the tree, for the reads (see DirectoryHandles). */
    readonly handles = new DirectoryHandles(),
  ) {}

  async walk(layout: CgroupLayout, accept: (id: string) => boolean, yieldNow: () => Promise<void> | undefined): Promise<Map<string, CgroupDirs>> {
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
          if (!accept(node.id)) {
            this.handles.release(node.dir); // taken by an earlier filter
            return;
          }
          this.handles.hold(node.dir);
          if (layout.version === 2) {
            found.set(node.id, { version: 2, dir: node.dir, made: node.serial });
            return;
          }
          let entry = found.get(node.id) as ({ version: 1; dirs: Partial<Record<Controller, string>> } & { made: number }) | undefined;
          if (!entry) found.set(node.id, (entry = { version: 1, dirs: {}, made: node.serial }));
          // Serials only grow: the largest changes when any of the cgroup's directories is made again.
          entry.made = Math.max(entry.made, node.serial);
          for (const c of controllers) entry.dirs[c] = node.dir;
        },
        yieldNow,
      );
    }
    return found;
  }

  /** Lets go of every watch and descriptor the walk holds. */
  close(): void {
    this.roots.clear();
    this.watches.close();
    this.handles.close();
  }

  /** `changed`: the wds with events since the last walk; undefined when events were lost, so no listing holds. */
  private async walkTree(root: Node, changed: Set<number> | undefined, visit: (node: Node) => void, yieldNow: () => Promise<void> | undefined): Promise<void> {
    const nodes: Node[] = [root];
    // Whether each node is a leaf, when its parent's listing has just said so by its link count.
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
   * Any other is watched from now on where the budget allows (the watch first, so nothing made in
   * between is missed) and listed; an unwatched one that its parent's listing has just found to be
   * a leaf is not.
   */
  private below(node: Node, changed: Set<number> | undefined, leaf: boolean | undefined): Below {
    if (node.wd !== undefined && node.listed && changed && !changed.has(node.wd)) return { children: [...node.children.values()] };
    node.wd = this.watches.watch(node.dir);
    if (node.wd === undefined && leaf) {
      for (const child of node.children.values()) this.forget(child);
      node.children.clear();
      node.listed = false;
      return { children: [] };
    }
    return this.listing(node);
  }

  /**
   * The node's children as its directory lists them now. cgroupfs sends a removed directory's own
   * watch nothing, so one made again under the same name is told by its inode, and gets a node and
   * a watch of its own.
   */
  private listing(node: Node): Below {
    const listed = batchFs.subdirectories(node.dir);
    if (typeof listed === 'number') {
      this.forget(node);
      return undefined;
    }
    const children = new Map<string, Node>();
    for (let i = 0; i < listed.names.length; i++) {
      const name = listed.names[i] as string;
      const inode = listed.inodes[i];
      let child = node.children.get(name);
      if (child && child.inode !== inode) {
        this.forget(child); // before its successor holds and watches the same path
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
    node.listed = true;
    return { children: [...children.values()], leaves: listed.leaf };
  }

  private node(id: string, dir: string): Node {
    return { id, dir, serial: ++lastSerial, children: new Map(), listed: false };
  }

  /** Lets go of the watch and descriptor of a directory that left the tree, and of everything under it. */
  private forget(node: Node): void {
    this.handles.release(node.dir);
    if (node.wd !== undefined) this.watches.unwatch(node.dir);
    node.wd = undefined;
    node.listed = false;
    for (const child of node.children.values()) this.forget(child);
    node.children.clear();
  }
}

/** The cgroup path cAdvisor reports as `id`: the parent's path joined with the directory's name. */
function cgroupId(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}
