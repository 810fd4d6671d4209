import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readPseudoFile } from '../../src/fs/procfs.js';

const openFds = () => readdirSync('/proc/self/fd').length;

describe('readPseudoFile keeps procfs/sysfs files open', () => {
  it('reads fresh values through a kept descriptor, and one fd per file however often it is read', () => {
    const first = readPseudoFile('/proc', 'stat');
    const fds = openFds();
    for (let i = 0; i < 50; i++) readPseudoFile('/proc', 'stat');
    assert.equal(openFds(), fds, 'no descriptor per read');
    const ctxt = (text: string) => Number(/^ctxt (\d+)/m.exec(text)?.[1]);
    assert.ok(ctxt(readPseudoFile('/proc', 'stat')) > ctxt(first), 'context switches moved on: the content is regenerated');
  });

  it('does not keep regular files open: a file replaced by rename is read anew', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spyglass-regular-'));
    writeFileSync(join(dir, 'os-release'), 'ID=one\n');
    assert.equal(readPseudoFile(dir, 'os-release'), 'ID=one\n');
    writeFileSync(join(dir, 'next'), 'ID=two\n');
    renameSync(join(dir, 'next'), join(dir, 'os-release'));
    assert.equal(readPseudoFile(dir, 'os-release'), 'ID=two\n');
  });

  it('reads files larger than its buffer completely', () => {
    const viaKept = readPseudoFile('/proc', 'self/smaps');
    assert.ok(viaKept.length > 64 * 1024, `smaps is ${viaKept.length} bytes`);
    assert.match(viaKept, /VmFlags[^\n]*\n$/);
  });
});
