import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import xfs from '../../collectors/host/xfs.js';
import { parseXfsStats } from '../../src/parsers/xfs-stats.js';
import { runCollector as run } from '../helpers/run-collector.js';
import { fixture } from '../helpers/spyglass.js';

const tmp = mkdtempSync(join(tmpdir(), 'spyglass-xfs-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('XFS stats parser', () => {
  it('reads the groups it knows, with 7 or 8 vnode values, and leaves the others alone', () => {
    const r = parseXfsStats('extent_alloc 1 2 3 4\nrw 5 6\nvnodes 1 2 3 4 5 6 7\nabtb2 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\ndebug 0\n', 'stats');
    assert.ok(r.ok);
    assert.deepEqual([...r.value.groups.keys()], ['extent_alloc', 'rw', 'vnodes']);
    assert.deepEqual(r.value.bad, []);
  });

  it('reports truncated, garbled and repeated lines and keeps the rest', () => {
    const r = parseXfsStats('extent_alloc 1 2 3\nrw 5 x\nig 1 2 3 4 5 6 7\nig 1 2 3 4 5 6 7\nvnodes\ndir 1 2 3 4\n', 'stats');
    assert.ok(r.ok);
    assert.deepEqual([...r.value.groups.keys()], ['ig', 'dir']);
    assert.equal(r.value.bad.length, 4);
  });

  it('never throws on arbitrary input', () => {
    assert.deepEqual(parseXfsStats('valueOf 1\n__proto__ 1 2\nconstructor\n', 'f'), { ok: true, value: { groups: new Map(), bad: [] } });
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => void parseXfsStats(s, 'f')));
    fc.assert(fc.property(fc.array(fc.constantFrom('rw', 'vnodes', 'ig', 'valueOf', '1', 'x', ' ', '\n')), (a) => void parseXfsStats(a.join(' '), 'f')));
  });
});

describe('xfs collector', () => {
  it('serves each filesystem from the fixture, not the machine-wide file', async () => {
    const r = await run(xfs, { sysfs: fixture('sys-xfs') });
    assert.deepEqual(r.skipped, []);
    assert.equal(r.families.length, 39);
    assert.ok(r.families.every((f) => f.type === 'counter'));
    assert.deepEqual(
      r.families.find((f) => f.name === 'node_xfs_vnode_active_total')?.samples.map((s) => s.labels?.device),
      ['dm-0', 'sda1'],
    );
    // The kernel prints write calls, then read calls.
    assert.equal(r.value('node_xfs_write_calls_total', { device: 'sda1' }), 602117);
    assert.equal(r.value('node_xfs_read_calls_total', { device: 'sda1' }), 1408220);
    assert.equal(r.value('node_xfs_extent_allocation_blocks_allocated_total', { device: 'dm-0' }), 3201);
  });

  it('emits no series, and succeeds, without XFS', async () => {
    const r = await run(xfs, { sysfs: tmp });
    assert.ok(r.families.every((f) => f.samples.length === 0));
    assert.deepEqual(r.skipped, []);
  });

  it('skips and counts garbled lines and oversized files and serves the rest', async () => {
    const sysfs = join(tmp, 'xfs-bad');
    cpSync(fixture('sys-xfs'), sysfs, { recursive: true });
    writeFileSync(join(sysfs, 'fs/xfs/sda1/stats/stats'), 'extent_alloc 1 2 3 4\nrw 7 x\nig 1 2 3\n');
    writeFileSync(join(sysfs, 'fs/xfs/dm-0/stats/stats'), 'rw 1 2\n'.repeat(20_000));
    const r = await run(xfs, { sysfs });
    assert.deepEqual(r.skipped.map(([reason]) => reason).sort(), ['malformed', 'malformed', 'oversized']);
    assert.equal(r.value('node_xfs_extent_allocation_blocks_allocated_total', { device: 'sda1' }), 2);
    assert.equal(r.value('node_xfs_write_calls_total', { device: 'sda1' }), undefined);
    assert.equal(r.value('node_xfs_write_calls_total', { device: 'dm-0' }), undefined);
  });
});
