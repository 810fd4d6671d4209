import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { batchFs, nativeBatchFs, type BatchFs } from '../src/fs/batchfs.js';
import { DirectoryWatches } from '../src/fs/directory-watches.js';
import type { CgroupLayout } from '../collectors/container/cgroup-layout.js';
import { CgroupFiles } from '../collectors/container/cgroup-files.js';
import { CgroupWalker } from '../collectors/container/cgroup-walk.js';
import { cleanupsAfterAll, makeCgroup } from './helpers/real-cgroups.js';

const MAX_QUEUED_EVENTS = '/proc/sys/fs/inotify/max_queued_events';
const noYield = () => undefined;
const all = () => true;

/** A walker as the collector makes one, with `budget` watches (0: every directory listed each run). */
function walker(budget: number, watches = new DirectoryWatches(budget)) {
  return { walker: new CgroupWalker(watches), watches };
}

type Walker = ReturnType<typeof walker>;

/** Reads as the collector does: through the descriptors the walk holds. */
function filesOf(w: Walker): CgroupFiles {
  return new CgroupFiles((reason, detail) => assert.fail(`${reason}: ${detail}`), new Set(), w.walker.handles);
}

async function ids(w: Walker, layout: CgroupLayout): Promise<string[]> {
  return [...(await w.walker.walk(layout, all, noYield)).keys()].sort();
}

/** What a walker that never walked before finds: a full listing. */
async function listed(layout: CgroupLayout): Promise<string[]> {
  const fresh = walker(0);
  try {
    return await ids(fresh, layout);
  } finally {
    fresh.walker.close();
  }
}

/**
 * Each step changes the tree between two walks; every walker (watching all directories, a few, or
 * none) must then find what a full listing finds, tell a directory made again under an old name
 * by its `made`, and read it through a descriptor of the new one.
 */
async function checkSteps(hierarchy: string, writeMark: (dir: string, value: string) => void, readMark: (w: Walker, dir: string) => string | undefined) {
  const layout: CgroupLayout = { version: 2, unified: { dir: hierarchy, root: '/' } };
  const at = (path: string) => join(hierarchy, path);
  let bMark = '';
  const mark = (value: string) => {
    writeMark(at('b'), value);
    bMark = value;
  };
  const walkers = [walker(1000), walker(3), walker(0)];
  const bMade = new Map<Walker, number | undefined>();
  const steps: Array<[string, () => void]> = [
    ['first walk', () => {}],
    ['a cgroup made inside a leaf', () => mkdirSync(at('a/x/deep'))],
    [
      'one removed, one made beside it',
      () => {
        rmdirSync(at('a/y'));
        mkdirSync(at('c'));
      },
    ],
    [
      'removed and made again under its name',
      () => {
        rmSync(at('b'), { recursive: true }); // on tmpfs, with its mark file
        mkdirSync(at('b'));
        mark('2');
      },
    ],
    ['a cgroup made inside the one made again (its old watch is dead)', () => mkdirSync(at('b/inner'))],
    ['nothing changed', () => {}],
    [
      'a whole subtree removed',
      () => {
        for (const dir of ['a/x/deep', 'a/x', 'a']) rmdirSync(at(dir));
      },
    ],
  ];
  for (const dir of ['a', 'a/x', 'a/y', 'b']) mkdirSync(at(dir));
  mark('1');
  try {
    for (const [step, change] of steps) {
      change();
      const expected = await listed(layout);
      for (const w of walkers) {
        const found = await w.walker.walk(layout, all, noYield);
        assert.deepEqual([...found.keys()].sort(), expected, `${step}, ${w.watches.size} watches`);
        assert.equal(readMark(w, at('b')), bMark, `${step}: /b read through the descriptor held for it, ${w.watches.size} watches`);
        assert.equal(w.walker.handles.size, expected.length, `${step}: one descriptor per directory, none left over`);
        const made = found.get('/b')?.made;
        if (bMade.has(w))
          assert.equal(made !== bMade.get(w), step === 'removed and made again under its name', `${step}: /b made again, ${w.watches.size} watches`);
        bMade.set(w, made);
      }
      assert.equal(walkers[0]?.watches.size, expected.length, `${step}: every directory watched, and no watch left over`);
      assert.equal(walkers[1]?.watches.size, 3, `${step}: the budget`);
    }
  } finally {
    for (const w of walkers) w.walker.close();
  }
  assert.equal(walkers[0]?.watches.size, 0);
  assert.equal(walkers[0]?.walker.handles.size, 0);
}

describe('the cgroup walk, watched (inotify) and listed', () => {
  it('the addon is built here, so watching is what is tested', () => assert.ok(nativeBatchFs));

  it('tmpfs: every walker finds what a full listing finds after each change', async () => {
    const root = mkdtempSync(join('/dev/shm', 'spyglass-walk-'));
    after(() => rmSync(root, { recursive: true, force: true }));
    await checkSteps(
      root,
      (dir, value) => writeFileSync(join(dir, 'mark'), value),
      (w, dir) => {
        const [text] = filesOf(w).read(dir, ['mark']);
        return text;
      },
    );
  });

  const cleanups = cleanupsAfterAll();
  it('real cgroups (v1 memory hierarchy of this VM): mkdir and rmdir are seen, a cgroup made again is read afresh', async () => {
    const hierarchy = makeCgroup('/sys/fs/cgroup/memory', `spyglass-walk-${process.pid}`, cleanups);
    cleanups.push(() => {
      // Children first; rmSync would refuse every directory (EISDIR) and leave them all behind.
      for (const dir of ['b/inner', 'b', 'c', 'a/x/deep', 'a/x', 'a/y', 'a']) if (existsSync(join(hierarchy, dir))) rmdirSync(join(hierarchy, dir));
    });
    await checkSteps(
      hierarchy,
      (dir, value) => writeFileSync(join(dir, 'memory.limit_in_bytes'), String(Number(value) << 20)),
      (w, dir) => {
        const [text] = filesOf(w).read(dir, ['memory.limit_in_bytes']);
        return text === undefined ? undefined : String(Number(text) >> 20);
      },
    );
  });

  it('when the kernel drops events (its queue overflowed), the next walk lists everything again', async () => {
    const root = mkdtempSync(join('/dev/shm', 'spyglass-walk-'));
    after(() => rmSync(root, { recursive: true, force: true }));
    for (const dir of ['busy', 'quiet']) mkdirSync(join(root, dir));
    const layout: CgroupLayout = { version: 2, unified: { dir: root, root: '/' } };
    const w = walker(1000);
    const saved = readFileSync(MAX_QUEUED_EVENTS, 'utf8');
    // The limit is taken when an inotify instance is made: the walker's (made at its first walk) and a probe's.
    writeFileSync(MAX_QUEUED_EVENTS, '4');
    let probe = -1;
    try {
      assert.deepEqual(await ids(w, layout), ['/', '/busy', '/quiet']);
      probe = nativeBatchFs?.openWatches() ?? -1;
      assert.ok(probe >= 0 && (nativeBatchFs as BatchFs).watchDirectory(probe, join(root, 'busy')) >= 0);
    } finally {
      writeFileSync(MAX_QUEUED_EVENTS, saved);
    }
    // The queue fills with events of /busy; those of /quiet that follow are lost, so only the overflow tells of them.
    for (let i = 0; i < 8; i++) mkdirSync(join(root, 'busy', `c${i}`));
    mkdirSync(join(root, 'quiet', 'new'));
    assert.equal(nativeBatchFs?.changedDirectories(probe), null, 'the queue overflowed');
    nativeBatchFs?.closeWatches(probe);
    const expected = await listed(layout);
    assert.ok(expected.includes('/quiet/new'));
    assert.deepEqual(await ids(w, layout), expected);
    assert.equal(w.watches.size, expected.length);
    w.walker.close();
  });

  it('a cgroup made again under a parent that is not watched gets a watch of its own (real v1 cgroups)', async () => {
    const hierarchy = makeCgroup('/sys/fs/cgroup/memory', `spyglass-walk-unwatched-${process.pid}`, cleanups);
    cleanups.push(() => {
      for (const dir of ['p/b/inner', 'p/b', 'p']) if (existsSync(join(hierarchy, dir))) rmdirSync(join(hierarchy, dir));
    });
    mkdirSync(join(hierarchy, 'p/b'), { recursive: true });
    const layout: CgroupLayout = { version: 2, unified: { dir: hierarchy, root: '/' } };
    // /p is past the budget (its watch was refused when the user had none left), /b below it is not.
    class RefusingWatches extends DirectoryWatches {
      override watch(path: string): number | undefined {
        return path === join(hierarchy, 'p') ? undefined : super.watch(path);
      }
    }
    const w = walker(1000, new RefusingWatches(1000));
    try {
      const first = await w.walker.walk(layout, all, noYield);
      assert.deepEqual([...first.keys()].sort(), ['/', '/p', '/p/b']);
      assert.equal(w.watches.size, 2, '/ and /p/b watched');
      rmdirSync(join(hierarchy, 'p/b'));
      mkdirSync(join(hierarchy, 'p/b'));
      const second = await w.walker.walk(layout, all, noYield);
      assert.notEqual(second.get('/p/b')?.made, first.get('/p/b')?.made, 'told apart by its inode');
      // cgroupfs tells the old watch nothing of the new directory: only a watch of its own sees this.
      mkdirSync(join(hierarchy, 'p/b/inner'));
      assert.deepEqual(await ids(w, layout), ['/', '/p', '/p/b', '/p/b/inner']);
    } finally {
      w.walker.close();
    }
  });
  it('cgroups the filter leaves out are walked through, not returned or held open; a new filter takes effect at once', async () => {
    const hierarchy = makeCgroup('/sys/fs/cgroup/memory', `spyglass-walk-filter-${process.pid}`, cleanups);
    const dirs = ['system.slice', 'system.slice/a.mount', 'kubepods', 'kubepods/pod1', 'kubepods/pod1/c1'];
    cleanups.push(() => {
      for (const dir of [...dirs].reverse()) if (existsSync(join(hierarchy, dir))) rmdirSync(join(hierarchy, dir));
    });
    for (const dir of dirs) mkdirSync(join(hierarchy, dir));
    const layout: CgroupLayout = { version: 2, unified: { dir: hierarchy, root: '/' } };
    const w = walker(1000);
    try {
      // Only below /kubepods/pod1: / and /kubepods must be walked through to find it.
      const pods = await w.walker.walk(layout, (id) => id.startsWith('/kubepods/pod1'), noYield);
      assert.deepEqual([...pods.keys()].sort(), ['/kubepods/pod1', '/kubepods/pod1/c1']);
      assert.equal(w.walker.handles.size, 2, 'descriptors for the two taken, none for the rest');
      assert.equal(filesOf(w).read(join(hierarchy, 'kubepods/pod1'), ['memory.usage_in_bytes'])[0]?.trim().match(/^\d+$/)?.length, 1);
      const notMounts = await w.walker.walk(layout, (id) => !id.endsWith('.mount'), noYield);
      assert.deepEqual([...notMounts.keys()].sort(), ['/', '/kubepods', '/kubepods/pod1', '/kubepods/pod1/c1', '/system.slice']);
      assert.equal(w.walker.handles.size, 5);
      await w.walker.walk(layout, () => false, noYield);
      assert.equal(w.walker.handles.size, 0, 'released when the filter leaves them out');
    } finally {
      w.walker.close();
    }
  });
});

describe('DirectoryWatches', () => {
  /** A native stand-in that counts watches and says ENOSPC past `kernelLimit`, as inotify_add_watch does past fs.inotify.max_user_watches. */
  function countingFs(kernelLimit: number) {
    const live = new Map<string, number>();
    let next = 1;
    const calls = { add: 0 };
    const fs: BatchFs = {
      ...batchFs,
      openWatches: () => 100,
      closeWatches: () => live.clear(),
      watchDirectory: (_fd, path) => {
        calls.add++;
        const wd = live.get(path);
        if (wd !== undefined) return wd;
        if (live.size >= kernelLimit) return -28;
        live.set(path, next);
        return next++;
      },
      unwatchDirectory: (_fd, wd) => {
        for (const [path, w] of live) if (w === wd) live.delete(path);
      },
      changedDirectories: () => [],
    };
    return { fs, live, calls };
  }

  it('stops asking the kernel once it says the user has no watches left, and keeps within its own budget', () => {
    const kernel = countingFs(2);
    const watches = new DirectoryWatches(10, kernel.fs);
    assert.deepEqual(
      ['/a', '/b', '/c', '/d'].map((p) => watches.watch(p)),
      [1, 2, undefined, undefined],
    );
    assert.equal(kernel.calls.add, 3, 'not asked again after ENOSPC');
    watches.unwatch('/a');
    assert.equal(kernel.live.size, 1);
    const budgeted = new DirectoryWatches(1, countingFs(100).fs);
    assert.deepEqual(
      [budgeted.watch('/a'), budgeted.watch('/b'), budgeted.watch('/a')],
      [1, undefined, 1],
      'watching a watched path again is within the budget',
    );
  });

  it('the fs fallback watches nothing, so every directory is listed', () => {
    const watches = new DirectoryWatches(10, { ...batchFs, openWatches: () => -38 });
    assert.equal(watches.watch('/'), undefined);
    assert.deepEqual(watches.changed(), new Set());
  });
});
