import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import mdadm from '../../collectors/host/mdadm.js';
import { parseMdstat, parseRaidDisks } from '../../src/parsers/proc-mdstat.js';
import { collectHostOnce, valueOf } from '../helpers/host-collect.js';
import { fixture } from '../helpers/spyglass.js';

const MDSTAT = readFileSync(fixture('md/proc/mdstat'), 'utf8');

describe('/proc/mdstat', () => {
  it('reads every kind of array in the fixture', () => {
    const { arrays, skipped } = parseMdstat(MDSTAT);
    assert.deepEqual(skipped, []);
    const by = new Map(arrays.map((a) => [a.device, a]));
    assert.deepEqual(
      arrays.map((a) => `${a.device} ${a.activity}`),
      [
        'md0 active',
        'md1 active',
        'md2 resyncing',
        'md3 recovering',
        'md4 checking',
        'md5 inactive',
        'md6 active',
        'md7 active',
        'md8 resyncing',
        'md9 reshaping',
      ],
    );
    assert.deepEqual(by.get('md1'), {
      device: 'md1',
      activity: 'active',
      disksActive: 3,
      disksRequired: 4,
      disksFailed: 1,
      disksSpare: 0,
      blocks: 2929890816,
      blocksSynced: 2929890816,
    });
    assert.equal(by.get('md2')!.blocksSynced, 344064000, 'resync line before the bitmap line');
    assert.equal(by.get('md3')!.disksActive, 1);
    assert.equal(by.get('md4')!.disksSpare, 1);
    assert.deepEqual([by.get('md5')!.disksRequired, by.get('md5')!.disksSpare], [0, 2]);
    assert.deepEqual([by.get('md6')!.disksActive, by.get('md6')!.disksRequired], [2, 2], 'raid0 counts its listed members');
    assert.equal(by.get('md7')!.disksRequired, 2, 'linear too');
    assert.equal(by.get('md8')!.blocksSynced, 0, 'resync=PENDING');
  });

  it('an empty file and one with no arrays have no arrays', () => {
    assert.deepEqual(parseMdstat(''), { arrays: [], skipped: [] });
    assert.deepEqual(parseMdstat('Personalities : \nunused devices: <none>\n'), { arrays: [], skipped: [] });
  });

  it('skips a truncated, garbled or oversized array and keeps the others', () => {
    const healthy = 'md0 : active raid1 sdb1[1] sda1[0]\n      1046528 blocks super 1.2 [2/2] [UU]\n      \n';
    const cases: Array<[string, RegExp]> = [
      ['md9 : active raid1 sdb1[1] sda1[0]\n      lots of blocks [2/2] [UU]\n      \n\n', /no block count/],
      ['md9 : active raid1 sdb1[1] sda1[0]\n      1046528 blocks super 1.2 [2/2] [UX]\n      \n\n', /no \[n\/m\]/],
      ['md9 : active raid1 sdb1[1] sda1[0]\n      99999999999999999999 blocks [2/2] [UU]\n      \n\n', /no block count/],
      [
        'md9 : active raid1 sdb1[1] sda1[0]\n      1046528 blocks [2/2] [UU]\n      [=>...]  recovery = 5.0% (garbled) finish=1.0min speed=1K/sec\n\n',
        /sync line/,
      ],
      ['md9 active\n\n\n\n', /not an array line/],
      [`md9 : ${'x'.repeat(200_000)}\n\n\n\n`, /no block count/],
    ];
    for (const [bad, reason] of cases) {
      const r = parseMdstat(`Personalities : [raid1]\n${healthy}\n${bad}${healthy.replace('md0', 'md10')}\nunused devices: <none>\n`);
      assert.deepEqual(
        r.arrays.map((a) => a.device),
        ['md0', 'md10'],
        bad.slice(0, 60),
      );
      assert.equal(r.skipped.length, 1, bad.slice(0, 60));
      assert.equal(r.skipped[0]!.device, 'md9');
      assert.match(r.skipped[0]!.reason, reason);
    }
  });

  it('skips an array cut off at the end of the file', () => {
    const r = parseMdstat(
      'md0 : active raid1 sdb1[1] sda1[0]\n      1046528 blocks super 1.2 [2/2] [UU]\n      \n\nmd9 : active raid1 sdd1[1] sdc1[0]\n      2093056 blocks',
    );
    assert.deepEqual(
      r.arrays.map((a) => a.device),
      ['md0'],
    );
    assert.match(r.skipped[0]!.reason, /truncated/);
  });

  it('never throws, whatever the bytes', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => void parseMdstat(s)));
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('md0 : active raid1 a[0]\n', '  1 blocks [1/1] [U]\n', '\n', 'bitmap\n', 'resync\n')),
        (ls) => void parseMdstat(ls.join('')),
      ),
    );
  });

  it('reads raid_disks, taking the new count during a reshape', () => {
    assert.equal(parseRaidDisks('4\n'), 4);
    assert.equal(parseRaidDisks('5 (4)\n'), 5);
    assert.equal(parseRaidDisks('\n'), undefined);
    assert.equal(parseRaidDisks('four'), undefined);
  });
});

describe('mdadm collector', () => {
  const paths = { procfs: fixture('md/proc'), sysfs: fixture('md/sys') };

  it("emits node_exporter's families over the fixture", async () => {
    const { families, skipped } = await collectHostOnce(mdadm, paths);
    assert.deepEqual(skipped, []);
    assert.deepEqual(
      families.map((f) => `${f.name} ${f.type}`),
      [
        'node_md_blocks gauge',
        'node_md_blocks_synced gauge',
        'node_md_degraded gauge',
        'node_md_disks gauge',
        'node_md_disks_required gauge',
        'node_md_raid_disks gauge',
        'node_md_state gauge',
      ],
    );
    const v = (name: string, labels: Record<string, string>) => valueOf(families, name, labels);
    assert.equal(v('node_md_disks', { device: 'md1', state: 'failed' }), 1);
    assert.equal(v('node_md_disks_required', { device: 'md1' }), 4);
    assert.equal(v('node_md_degraded', { device: 'md1' }), 1);
    assert.equal(v('node_md_state', { device: 'md2', state: 'resync' }), 1);
    assert.equal(v('node_md_state', { device: 'md2', state: 'active' }), 0);
    assert.equal(v('node_md_state', { device: 'md3', state: 'recovering' }), 1);
    assert.equal(v('node_md_state', { device: 'md4', state: 'check' }), 1);
    assert.equal(v('node_md_state', { device: 'md5', state: 'inactive' }), 1);
    assert.equal(v('node_md_state', { device: 'md8', state: 'resync' }), 1);
    for (const state of ['active', 'inactive', 'recovering', 'resync', 'check'])
      assert.equal(v('node_md_state', { device: 'md9', state }), 0, `a reshape is none of them (${state})`);
    assert.equal(v('node_md_blocks_synced', { device: 'md3' }), 61520384);
    assert.equal(v('node_md_raid_disks', { device: 'md9' }), 5);
    assert.equal(v('node_md_raid_disks', { device: 'md5' }), undefined, 'no level, no raid_disks');
    assert.equal(v('node_md_degraded', { device: 'md6' }), 0, 'raid0 has no md/degraded');
    assert.equal(v('node_md_degraded', { device: 'mdnotraid' }), undefined);
    const states = families.find((f) => f.name === 'node_md_state')!.samples;
    assert.equal(states.length, 50);
  });

  it('without /proc/mdstat (md not loaded) emits nothing and succeeds', async () => {
    const r = await collectHostOnce(mdadm, { procfs: '/nonexistent', sysfs: fixture('md/sys') });
    assert.deepEqual(r, { families: [], skipped: [] });
  });

  it('skips and counts an array whose sysfs files are garbled or unreadable, serving the others', async () => {
    const root = mkdtempSync(join(tmpdir(), 'spyglass-md-'));
    try {
      cpSync(fixture('md'), root, { recursive: true, filter: (src) => !src.endsWith('README.md') });
      writeFileSync(join(root, 'sys/block/md1/md/degraded'), 'garbage\n');
      rmSync(join(root, 'sys/block/md2/md/level'));
      mkdirSync(join(root, 'sys/block/md2/md/level')); // EISDIR stands in for EACCES/EIO, which root cannot provoke
      writeFileSync(join(root, 'proc/mdstat'), MDSTAT.replace('[2/1] [U_]', '[2/1] [U?]'));
      const r = await collectHostOnce(mdadm, { procfs: join(root, 'proc'), sysfs: join(root, 'sys') });
      assert.deepEqual(
        r.skipped.map((s) => `${s.reason}: ${s.detail.split(':')[0]}`),
        ['unparsable array: mdstat', 'unreadable array: block/md1/md', 'unreadable array: block/md2/md'],
      );
      assert.match(r.skipped[0]!.detail, /md3/);
      assert.equal(valueOf(r.families, 'node_md_disks', { device: 'md3', state: 'active' }), undefined);
      assert.equal(valueOf(r.families, 'node_md_disks', { device: 'md1', state: 'failed' }), 1, 'mdstat still has md1');
      assert.equal(valueOf(r.families, 'node_md_degraded', { device: 'md1' }), undefined);
      assert.equal(valueOf(r.families, 'node_md_raid_disks', { device: 'md1' }), undefined);
      assert.equal(valueOf(r.families, 'node_md_degraded', { device: 'md0' }), 0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
