import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import bonding from '../../collectors/host/bonding.js';
import { parseInterfaceList } from '../../src/parsers/sysfs-bonding.js';
import { collectHostOnce, valueOf } from '../helpers/host-collect.js';
import { fixture } from '../helpers/spyglass.js';

describe('bonding lists', () => {
  it('splits names and refuses words that cannot be interface names', () => {
    assert.deepEqual(parseInterfaceList('bond0 bond1\n'), { names: ['bond0', 'bond1'], invalid: [] });
    assert.deepEqual(parseInterfaceList('\n'), { names: [], invalid: [] });
    assert.deepEqual(parseInterfaceList(`../../etc a/b .. ${'x'.repeat(16)} ok\u0001 eth0`), {
      names: ['eth0'],
      invalid: ['../../etc', 'a/b', '..', 'x'.repeat(16), 'ok\u0001'],
    });
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => void parseInterfaceList(s)));
  });
});

describe('bonding collector', () => {
  it('counts configured and up slaves per bond, a down slave included', async () => {
    const { families, skipped } = await collectHostOnce(bonding, { sysfs: fixture('sys-bonding') });
    assert.deepEqual(skipped, []);
    assert.deepEqual(
      families.map((f) => `${f.name} ${f.type}`),
      ['node_bonding_active gauge', 'node_bonding_slaves gauge'],
    );
    const v = (name: string, master: string) => valueOf(families, name, { master });
    assert.deepEqual([v('node_bonding_slaves', 'bond1'), v('node_bonding_active', 'bond1')], [2, 1]);
    assert.deepEqual([v('node_bonding_slaves', 'bond2'), v('node_bonding_active', 'bond2')], [1, 1], 'slave_<iface> links');
    assert.deepEqual([v('node_bonding_slaves', 'bond3'), v('node_bonding_active', 'bond3')], [0, 0]);
  });

  it('without bonding_masters (driver not loaded) emits nothing and succeeds', async () => {
    assert.deepEqual(await collectHostOnce(bonding, { sysfs: fixture('sys-net') }), { families: [], skipped: [] });
  });

  it('skips and counts a bond it cannot read whole, serving the others', async () => {
    const sysfs = mkdtempSync(join(tmpdir(), 'spyglass-bonding-'));
    try {
      cpSync(fixture('sys-bonding'), sysfs, { recursive: true, verbatimSymlinks: true, filter: (src) => !src.endsWith('README.md') });
      const net = join(sysfs, 'class/net');
      writeFileSync(join(net, 'bonding_masters'), 'bond1 bond2 bond3 bond4 gone ../x\n');
      rmSync(join(net, 'ens2f0/bonding_slave/mii_status'));
      mkdirSync(join(net, 'ens2f0/bonding_slave/mii_status')); // EISDIR stands in for EACCES/EIO
      mkdirSync(join(net, 'bond4/bonding'), { recursive: true });
      writeFileSync(join(net, 'bond4/bonding/slaves'), 'eth0 ../../x\n');
      const { families, skipped } = await collectHostOnce(bonding, { sysfs });
      assert.deepEqual(
        skipped.map((s) => `${s.reason}: ${s.detail.split(':')[0]}`),
        [
          'invalid interface name: class/net/bonding_masters',
          'unreadable bond: class/net/bond2',
          'unreadable bond: class/net/bond4',
          'unreadable bond: class/net/gone',
        ],
      );
      assert.equal(valueOf(families, 'node_bonding_active', { master: 'bond1' }), 1);
      assert.equal(valueOf(families, 'node_bonding_slaves', { master: 'bond3' }), 0);
      assert.equal(valueOf(families, 'node_bonding_slaves', { master: 'bond2' }), undefined);
    } finally {
      rmSync(sysfs, { recursive: true, force: true });
    }
  });
});
