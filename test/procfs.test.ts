import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readPseudoFile } from '../src/fs/procfs.js';

const openFds = () => readdirSync('/proc/self/fd').length;
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

describe('readPseudoFile keeps procfs/sysfs files open', () => {
  it('reads fresh values through a kept descriptor, and one fd per file however often it is read', () => {
    const first = readPseudoFile('/proc', 'stat');
    const fds = openFds();
    for (let i = 0; i < 50; i++) readPseudoFile('/proc', 'stat');
    assert.equal(openFds(), fds, 'no descriptor per read');
    const ctxt = (text: string) => Number(/^ctxt (\d+)/m.exec(text)?.[1]);
    assert.ok(ctxt(readPseudoFile('/proc', 'stat')) > ctxt(first), 'context switches moved on: the content is regenerated');
  });

  it('follows a network device that is deleted and created again under the same name', () => {
    ip('link', 'add', 'spyglassv0', 'mtu', '1400', 'type', 'veth', 'peer', 'name', 'spyglassv1');
    try {
      assert.equal(readPseudoFile('/sys', 'class/net/spyglassv0/mtu').trim(), '1400');
      ip('link', 'del', 'spyglassv0');
      assert.throws(() => readPseudoFile('/sys', 'class/net/spyglassv0/mtu'), { code: 'ENOENT' });
      ip('link', 'add', 'spyglassv0', 'mtu', '1300', 'type', 'veth', 'peer', 'name', 'spyglassv1');
      assert.equal(readPseudoFile('/sys', 'class/net/spyglassv0/mtu').trim(), '1300');
    } finally {
      execFileSync('sh', ['-c', 'ip link del spyglassv0 2>/dev/null || true']);
    }
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
