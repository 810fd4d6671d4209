import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { fsBatchFs, nativeBatchFs, type BatchFs, type Subdirectories } from '../src/fs/batchfs.js';
import { cleanupsAfterAll, makeCgroup } from './helpers/real-cgroups.js';

const ENOENT = 2;
const ENOTDIR = 20;
const EISDIR = 21;
const EMFILE = 24;
const ENOSYS = 38;

describe('batched directory reads (native/batchfs.c and its fs fallback)', () => {
  const root = mkdtempSync(join(tmpdir(), 'spyglass-batchfs-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const big = 'x'.repeat(100_000) + '\n'; // larger than either reader's first buffer
  writeFileSync(join(root, 'small'), 'usage_usec 42\n');
  writeFileSync(join(root, 'empty'), '');
  writeFileSync(join(root, 'big'), big);
  writeFileSync(join(root, 'utf8'), 'naïve ☃\n');
  mkdirSync(join(root, 'child.scope'));
  mkdirSync(join(root, 'other/inner'), { recursive: true });

  it('the addon is built here (npm ci compiles it), so the fast path is the one tested', () => {
    assert.ok(nativeBatchFs, 'build/Release/batchfs.node did not load');
  });

  for (const [name, fs] of [
    ['native', nativeBatchFs],
    ['fs fallback', fsBatchFs],
  ] as const) {
    it(`${name}: contents, errnos per file, a directory that cannot be opened, subdirectories only and which are leaves`, () => {
      assert.ok(fs);
      assert.deepEqual(fs.readFilesAt(root, ['small', 'empty', 'big', 'utf8', 'missing', 'other']), ['usage_usec 42\n', '', big, 'naïve ☃\n', ENOENT, EISDIR]);
      assert.deepEqual(fs.readFilesAt(join(root, 'gone'), ['small', 'big']), [ENOENT, ENOENT]);
      assert.deepEqual(fs.readFilesAt(join(root, 'small'), ['x']), [ENOTDIR]);
      assert.deepEqual(fs.readFilesAt(root, []), []);
      const listed = fs.subdirectories(root) as Subdirectories;
      const leaves = Object.fromEntries(listed.names.map((n, i) => [n, listed.leaf[i]]));
      // tmpfs keeps a directory's link count, so the addon sees which subdirectory has none of its own.
      assert.deepEqual(leaves, name === 'native' ? { 'child.scope': true, other: false } : { 'child.scope': false, other: false });
      assert.equal(fs.subdirectories(join(root, 'gone')), ENOENT);
      assert.equal(fs.subdirectories(join(root, 'small')), ENOTDIR);
    });
  }

  it('native: re-checks known subdirectories without listing, and says when the set may have changed', () => {
    const dir = join(root, 'pod');
    mkdirSync(join(dir, 'a'), { recursive: true });
    mkdirSync(join(dir, 'b/nested'), { recursive: true });
    writeFileSync(join(dir, 'memory.stat'), '');
    const known = (names: string[]) => nativeBatchFs?.knownSubdirectories(dir, names);
    assert.deepEqual(known(['a', 'b']), [true, false]);
    assert.deepEqual(known(['b', 'a']), [false, true], 'in the order asked');
    assert.equal(known(['a']), null, 'one more subdirectory than known');
    assert.equal(known(['a', 'b', 'c']), null, 'one fewer');
    assert.equal(known(['a', 'memory.stat']), null, 'a file is not a subdirectory');
    // One removed and another made between two runs: the count is the same, the names are not.
    rmdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'c'));
    assert.equal(known(['a', 'b']), null);
    assert.deepEqual(known(['c', 'b']), [true, false]);
    rmdirSync(join(dir, 'b/nested'));
    assert.deepEqual(known(['c', 'b']), [true, true], 'b became a leaf');
    assert.equal(known(['../pod']), null, 'names are single path components');
    assert.equal(nativeBatchFs?.knownSubdirectories(join(root, 'gone'), []), ENOENT);
    assert.equal(fsBatchFs.knownSubdirectories(dir, ['c', 'b']), null, 'the fallback always lists');
  });

  it('native: a held directory descriptor reads as its path does, and keeps naming the directory it was opened on', () => {
    const native = nativeBatchFs as BatchFs;
    const dir = join(root, 'held');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'memory.current'), '4096\n');
    const fd = native.openDirectory(dir);
    assert.ok(fd >= 0, `openDirectory gave ${fd}`);
    assert.deepEqual(native.readFilesAt(fd, ['memory.current', 'missing', 'sub']), native.readFilesAt(dir, ['memory.current', 'missing', 'sub']));
    assert.deepEqual(native.readFilesAt(fd, ['memory.current']), ['4096\n']);
    assert.deepEqual(native.knownSubdirectories(fd, ['sub']), [true]);
    // Removed and made again under the same name, as a restarted service's cgroup is.
    rmSync(dir, { recursive: true });
    mkdirSync(dir);
    writeFileSync(join(dir, 'memory.current'), '8192\n');
    assert.deepEqual(native.readFilesAt(fd, ['memory.current']), [ENOENT], 'the old directory has no files left');
    assert.deepEqual(native.readFilesAt(dir, ['memory.current']), ['8192\n']);
    native.closeDirectory(fd);
    assert.throws(() => native.closeDirectory(fd), TypeError, 'closed already');
    assert.throws(() => native.readFilesAt(fd, ['memory.current']), TypeError, 'a closed descriptor is not read through');
    assert.throws(() => native.closeDirectory(0), TypeError, 'stdin is not one of its descriptors');
    assert.throws(() => native.knownSubdirectories(1, []), TypeError);
    assert.equal(native.openDirectory(join(root, 'gone')), -ENOENT);
    assert.equal(native.openDirectory(join(root, 'small')), -ENOTDIR);
    assert.equal(fsBatchFs.openDirectory(dir), -ENOSYS, 'the fallback reads by path');
  });

  it('native: holds at most half of RLIMIT_NOFILE, then answers EMFILE', () => {
    const script = `const a = require(${JSON.stringify(fileURLToPath(new URL('../../build/Release/batchfs.node', import.meta.url)))}); const fds = []; for (;;) { const fd = a.openDirectory(${JSON.stringify(root)}); if (fd < 0) { console.log(fds.length, fd); break; } fds.push(fd); }`;
    const out = execFileSync('prlimit', ['--nofile=200:200', process.execPath, '-e', script], { encoding: 'utf8' });
    assert.equal(out.trim(), `100 ${-EMFILE}`);
  });

  const cleanups = cleanupsAfterAll();
  it('reads the files the kernel generates in a real cgroup exactly as fs does', () => {
    const top = `spyglass-batchfs-${process.pid}`;
    makeCgroup('/sys/fs/cgroup/memory', `${top}/child/grandchild`, cleanups);
    makeCgroup('/sys/fs/cgroup/memory', `${top}/leaf`, cleanups);
    const cgroup = join('/sys/fs/cgroup/memory', top);
    const files = ['memory.limit_in_bytes', 'memory.soft_limit_in_bytes', 'cgroup.procs', 'memory.no_such_file'];
    assert.deepEqual(nativeBatchFs?.readFilesAt(cgroup, files), fsBatchFs.readFilesAt(cgroup, files));
    assert.equal(fsBatchFs.readFilesAt(cgroup, files)[3], ENOENT);
    const listed = nativeBatchFs?.subdirectories(cgroup) as Subdirectories;
    assert.deepEqual(Object.fromEntries(listed.names.map((n, i) => [n, listed.leaf[i]])), { child: false, leaf: true }, 'kernfs link counts tell leaves');
    assert.deepEqual(nativeBatchFs?.knownSubdirectories(cgroup, ['leaf', 'child']), [true, false]);
    const native = nativeBatchFs as BatchFs;
    const held = native.openDirectory(join(cgroup, 'leaf'));
    assert.deepEqual(native.readFilesAt(held, files), native.readFilesAt(join(cgroup, 'leaf'), files));
    rmdirSync(join(cgroup, 'leaf'));
    assert.deepEqual(
      native.readFilesAt(held, files),
      files.map(() => ENOENT),
      'kernfs: a removed cgroup has no files left',
    );
    native.closeDirectory(held);
    makeCgroup('/sys/fs/cgroup/memory', `${top}/new`, cleanups);
    assert.equal(nativeBatchFs?.knownSubdirectories(cgroup, ['leaf', 'child']), null, 'kernfs: same count, another name');
    assert.deepEqual(nativeBatchFs?.knownSubdirectories(cgroup, ['new', 'child']), [true, false]);
  });

  it('reads a kernel file longer than one page to its end (the seq_file returns it a page at a time)', async () => {
    const cgroup = makeCgroup('/sys/fs/cgroup/pids', `spyglass-batchfs-${process.pid}/many`, cleanups);
    // 1,000 processes: cgroup.procs is 5-6 KB of pids, more than the kernel's one-page seq_file buffer.
    const shell = spawn('bash', ['-c', `echo $$ > ${cgroup}/cgroup.procs; for i in $(seq 1000); do sleep 60 & done; echo started; wait`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    // The sleeps are killed one by one so the shell's `wait` reaps them (killing the shell would leave them to pid 1).
    const stop = async () => {
      for (const pid of readFileSync(join(cgroup, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number))
        if (pid !== shell.pid) process.kill(pid, 'SIGKILL');
      if (shell.exitCode === null) await once(shell, 'exit');
    };
    cleanups.push(stop);
    await once(shell.stdout, 'data');
    const [native] = nativeBatchFs?.readFilesAt(cgroup, ['cgroup.procs']) ?? [];
    const [viaFs] = fsBatchFs.readFilesAt(cgroup, ['cgroup.procs']);
    assert.ok(typeof native === 'string' && native.length > 4096, `${String(native).length} bytes`);
    assert.equal(native.split('\n').filter(Boolean).length, 1001);
    assert.equal(native, viaFs);
    await stop();
  });
});
