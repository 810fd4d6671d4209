import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import netclass from '../../collectors/host/netclass.js';
import { parseSysfsNumber } from '../../src/parsers/sysfs-number.js';
import { collectHostOnce, valueOf } from '../helpers/host-collect.js';
import { fixture } from '../helpers/spyglass.js';

describe('netclass', () => {
  it('reads decimal and hex sysfs numbers', () => {
    assert.equal(parseSysfsNumber('0x1003'), 4099);
    assert.equal(parseSysfsNumber('-1'), -1);
    assert.equal(parseSysfsNumber(''), undefined);
    assert.equal(parseSysfsNumber('up'), undefined);
  });

  it("leaves out the bonding driver's bonding_masters file without counting it", async () => {
    const r = await collectHostOnce(netclass, { sysfs: fixture('sys-bonding') });
    assert.deepEqual(r.skipped, []);
    assert.equal(valueOf(r.families, 'node_network_up', { device: 'bond1' }), 1);
    assert.equal(valueOf(r.families, 'node_network_up', { device: 'ens1f1' }), 0);
    assert.equal(valueOf(r.families, 'node_network_mtu_bytes', { device: 'ens2f0' }), 9000);
    assert.equal(valueOf(r.families, 'node_network_up', { device: 'bonding_masters' }), undefined);
  });

  it('skips and counts any other non-directory entry and an unreadable interface, serving the rest', async () => {
    const sysfs = mkdtempSync(join(tmpdir(), 'spyglass-netclass-'));
    try {
      cpSync(fixture('sys-net'), sysfs, { recursive: true, filter: (src) => !src.endsWith('README.md') });
      const net = join(sysfs, 'class/net');
      writeFileSync(join(net, 'stray'), 'not an interface\n');
      symlinkSync('stray', join(net, 'link-to-file'));
      symlinkSync('nowhere', join(net, 'dangling'));
      // An attribute the kernel cannot give (EISDIR stands in for EIO/EACCES, which root cannot provoke).
      mkdirSync(join(net, 'eth9/operstate'), { recursive: true });
      writeFileSync(join(net, 'eth9/mtu'), '1500\n');
      const r = await collectHostOnce(netclass, { sysfs });
      assert.deepEqual(r.skipped.map((s) => [s.reason, s.detail.split(':')[0]]).sort(), [
        ['not a directory', 'class/net/link-to-file'],
        ['not a directory', 'class/net/stray'],
        ['unreadable', 'class/net/eth9'],
      ]);
      assert.equal(valueOf(r.families, 'node_network_up', { device: 'eth0' }), 1);
      assert.equal(valueOf(r.families, 'node_network_up', { device: 'bond0' }), 0);
      assert.equal(valueOf(r.families, 'node_network_mtu_bytes', { device: 'eth9' }), undefined, 'no half of an interface');
    } finally {
      rmSync(sysfs, { recursive: true, force: true });
    }
  });

  it('ignore_invalid_speed leaves out the -1 speed of virtual links', async () => {
    const sysfs = mkdtempSync(join(tmpdir(), 'spyglass-netclass-'));
    try {
      mkdirSync(join(sysfs, 'class/net/veth0'), { recursive: true });
      writeFileSync(join(sysfs, 'class/net/veth0/speed'), '-1\n');
      const asIs = await collectHostOnce(netclass, { sysfs });
      assert.equal(valueOf(asIs.families, 'node_network_speed_bytes', { device: 'veth0' }), -125000);
      const ignored = await collectHostOnce(netclass, { sysfs }, { ignore_invalid_speed: true });
      assert.equal(valueOf(ignored.families, 'node_network_speed_bytes', { device: 'veth0' }), undefined);
    } finally {
      rmSync(sysfs, { recursive: true, force: true });
    }
  });
});
