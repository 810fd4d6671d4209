import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { readPseudoFile } from '../src/fs/procfs.js';

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

describe('readPseudoFile keeps procfs/sysfs files open', () => {
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
});
