import assert from 'node:assert/strict';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import bcachefs from '../../collectors/host/bcachefs.js';
import {
  parseBcachefsHuman,
  parseBtreeWriteStats,
  parseCompressionStats,
  parseCounter,
  parseErrors,
  parseIoDone,
  parseIoErrors,
  sanitizeCounterName,
} from '../../src/parsers/bcachefs.js';
import { runCollector as run } from '../helpers/run-collector.js';
import { fixture } from '../helpers/spyglass.js';

const tmp = mkdtempSync(join(tmpdir(), 'spyglass-bcachefs-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const GOOD = '7d6e1c2a-0b3f-4e5d-9a8c-1f2e3d4c5b6a';
const ODD = 'c0ffee00-5a5a-4b4b-8c8c-0123456789ab';

describe('bcachefs parsers', () => {
  it('reads human-readable sizes as node_exporter: × 1024ⁿ, truncated', () => {
    assert.equal(parseBcachefsHuman('720'), 720);
    assert.equal(parseBcachefsHuman('28.2k'), 28876);
    assert.equal(parseBcachefsHuman('2.05G\n'), 2201170739);
    assert.equal(parseBcachefsHuman('2.00 M'), 2097152);
    assert.equal(parseBcachefsHuman('1e'), 2 ** 60);
    for (const bad of ['', 'M', '12.x', '-4', '1.2.3k', '4 KiB', '1Z']) assert.equal(parseBcachefsHuman(bad), undefined, bad);
  });

  it('reads compression_stats after its header and reports a garbled line', () => {
    const r = parseCompressionStats('typetype compressed uncompressed average extent size\nlz4  1.50G 3.25G 48.0k\nzstd 1x 2\nshort 1\ngzip 0 0 0\n');
    assert.deepEqual([...r.value.keys()], ['lz4', 'gzip']);
    assert.equal(r.value.get('lz4')?.uncompressedBytes, 3489660928);
    assert.equal(r.bad.length, 1);
    assert.match(r.bad[0]!.detail, /^compression_stats:3: /);
  });

  it('reads errors with and without a timestamp, and a u64 beyond 2^53', () => {
    const r = parseErrors('bset_bad_csum 2 1767112063\nsubvol_missing 194\nbroken x 1\nlonely\nbad_time 1 t\nhuge 18446744073709551615\n');
    assert.deepEqual(Object.fromEntries(r.value), { bset_bad_csum: 2, subvol_missing: 194, huge: 2 ** 64 });
    assert.equal(r.bad.length, 2);
  });

  it('reads a counter file; fails one with neither line or a garbled value', () => {
    assert.deepEqual(parseCounter('since mount:   1.20G\nsince filesystem creation:  8.44T\n'), {
      ok: true,
      value: { sinceMount: 1288490188, sinceCreation: 9279878138429 },
    });
    assert.deepEqual(parseCounter('since mount: 5\n'), { ok: true, value: { sinceMount: 5 } });
    assert.equal(parseCounter('').ok, false);
    assert.equal(parseCounter('nothing here\n').ok, false);
    assert.equal(parseCounter('since mount: 1\nsince filesystem creation: lots\n').ok, false);
  });

  it('reads btree_write_stats and io_done, reporting garbled lines', () => {
    const w = parseBtreeWriteStats('   nr size\ninitial: 3298401 100k\ninterior: 7 lots\n');
    assert.deepEqual(Object.fromEntries(w.value), { initial: { count: 3298401, averageSizeBytes: 102400 } });
    assert.equal(w.bad.length, 1);
    const d = parseIoDone('ignored: 1\nread:\nsb          :       86016\nuser        :1.0M\nwrite:\nsb          :      645120\nno colon\n');
    assert.deepEqual(
      [...d.value].map(([op, m]) => [op, Object.fromEntries(m)]),
      [
        ['read', { sb: 86016 }],
        ['write', { sb: 645120 }],
      ],
    );
    assert.equal(d.bad.length, 1);
    assert.match(d.bad[0]!.detail, /^io_done:4: /);
  });

  it('reads only the since-creation section of io_errors', () => {
    const r = parseIoErrors('IO errors since filesystem creation\n  read:    1204\n  write:   x\n  checksum:2\nIO errors since 41 m ago\n  read:    12\n');
    assert.deepEqual(Object.fromEntries(r.value), { read: 1204, checksum: 2 });
    assert.equal(r.bad.length, 1);
    assert.deepEqual(parseIoErrors('read: 3\n').value.size, 0);
  });

  it("sanitizes counter names as node_exporter's SanitizeMetricName", () => {
    assert.equal(sanitizeCounterName('io_read'), 'io_read');
    assert.equal(sanitizeCounterName('io-move_.write'), 'io_move_write');
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        parseBcachefsHuman(s);
        parseCompressionStats(s);
        parseErrors(s);
        parseCounter(s);
        parseBtreeWriteStats(s);
        parseIoDone(s);
        parseIoErrors(s);
      }),
    );
  });
});

describe('bcachefs collector', () => {
  it('serves the fixture tree and counts its odd items', async () => {
    const r = await run(bcachefs, { sysfs: fixture('sys-bcachefs') });
    assert.equal(r.value('node_bcachefs_info', { uuid: GOOD }), 1);
    assert.equal(r.value('node_bcachefs_info', { uuid: ODD }), 1);
    assert.equal(r.value('node_bcachefs_btree_cache_size_bytes', { uuid: GOOD }), 412 * 2 ** 20);
    assert.equal(r.value('node_bcachefs_btree_cache_size_bytes', { uuid: ODD }), undefined);
    assert.equal(r.value('node_bcachefs_compression_compressed_bytes', { uuid: GOOD, algorithm: 'zstd' }), 327155712);
    assert.equal(r.value('node_bcachefs_errors_total', { uuid: GOOD, error_type: 'journal_entry_bad_csum' }), 1);
    assert.equal(r.value('node_bcachefs_errors_total', { uuid: ODD, error_type: 'subvol_missing' }), 2);
    assert.equal(r.value('node_bcachefs_io_read_total', { uuid: GOOD }), 9279878138429);
    assert.equal(r.value('node_bcachefs_io_read_total', { uuid: ODD }), 4321);
    assert.equal(r.value('node_bcachefs_io_write_total', { uuid: ODD }), undefined);
    assert.equal(r.value('node_bcachefs_btree_node_read_total', { uuid: ODD }), undefined); // only "since mount:"
    assert.equal(r.value('node_bcachefs_btree_writes_total', { uuid: GOOD, type: 'journal_reclaim' }), 2210934);
    assert.equal(r.value('node_bcachefs_btree_write_average_size_bytes', { uuid: GOOD, type: 'init_next_bset' }), 14848);
    assert.equal(r.value('node_bcachefs_device_info', { uuid: GOOD, device: '1', label: 'hdd.bulk', state: 'rw [ro] evacuating spare' }), 1);
    assert.equal(r.value('node_bcachefs_device_durability', { uuid: GOOD, device: '1' }), 2);
    assert.equal(r.value('node_bcachefs_device_buckets', { uuid: ODD, device: '2' }), undefined); // missing file
    assert.equal(r.value('node_bcachefs_device_buckets', { uuid: ODD, device: '3' }), undefined); // garbled
    assert.equal(r.value('node_bcachefs_device_io_done_bytes_total', { uuid: GOOD, device: '1', operation: 'write', data_type: 'user' }), 4402118656000);
    assert.equal(r.value('node_bcachefs_device_io_done_bytes_total', { uuid: ODD, device: '2', operation: 'read', data_type: 'user' }), undefined);
    assert.equal(r.value('node_bcachefs_device_io_done_bytes_total', { uuid: ODD, device: '2', operation: 'write', data_type: 'user' }), 2097152);
    assert.equal(r.value('node_bcachefs_device_io_errors_total', { uuid: GOOD, device: '1', type: 'read' }), 1204);
    assert.equal(r.families.find((f) => f.name === 'node_bcachefs_errors_total')?.type, 'counter');
    assert.equal(r.families.find((f) => f.name === 'node_bcachefs_device_buckets')?.type, 'gauge');
    const where = r.skipped.map(([reason, detail]) => `${reason} ${detail.replace(/^.*c0ffee00-[^/]*\//, '').split(':')[0]}`).sort();
    assert.deepEqual(
      where,
      [
        'malformed btree_cache_size',
        'malformed btree_write_stats',
        'malformed counters/copygc',
        'malformed counters/io_write',
        'malformed dev-2/io_done',
        'malformed dev-3/bucket_size',
        'malformed dev-3/io_errors',
        'malformed dev-3/nbuckets',
        'malformed errors',
      ].sort(),
    );
  });

  it('emits nothing, and succeeds, without the bcachefs module', async () => {
    const r = await run(bcachefs, { sysfs: tmp });
    assert.deepEqual(r.families, []);
    assert.deepEqual(r.skipped, []);
  });

  it('skips and counts oversized, unreadable and colliding files and serves the rest', async () => {
    const sysfs = join(tmp, 'bad');
    const dir = join(sysfs, 'fs/bcachefs', GOOD);
    cpSync(join(fixture('sys-bcachefs'), 'fs/bcachefs', GOOD), dir, { recursive: true });
    writeFileSync(join(dir, 'errors'), 'btree_node_bad_seq 1 2\n'.repeat(4000)); // > one sysfs page
    writeFileSync(join(dir, 'counters/errors'), 'since mount: 1\nsince filesystem creation: 2\n');
    writeFileSync(join(dir, 'counters/io-move.write'), 'since mount: 1\nsince filesystem creation: 2k\n');
    writeFileSync(join(sysfs, 'fs/bcachefs/not-a-directory'), '');
    mkdirSync(join(dir, 'dev-9')); // a device being removed: its files are gone
    const root = process.getuid?.() === 0;
    if (!root) chmodSync(join(dir, 'btree_write_stats'), 0);
    const r = await run(bcachefs, { sysfs });
    const where = r.skipped.map(([reason, detail]) => `${reason} ${detail.replace(/^.*5b6a\//, '').split(':')[0]}`).sort();
    assert.deepEqual(where, ['name_collision counters/errors', 'oversized errors', ...(root ? [] : ['permission_denied btree_write_stats'])].sort());
    assert.equal(r.value('node_bcachefs_io_move_write_total', { uuid: GOOD }), 2048);
    assert.equal(
      r.families.find((f) => f.name === 'node_bcachefs_errors_total'),
      undefined,
    );
    assert.equal(r.value('node_bcachefs_device_info', { uuid: GOOD, device: '9', label: '', state: '' }), 1);
    assert.equal(r.value('node_bcachefs_device_buckets', { uuid: GOOD, device: '0' }), 1907712);
    assert.deepEqual(
      r.families.filter((f) => f.name === 'node_bcachefs_info').flatMap((f) => f.samples.map((s) => s.labels?.uuid)),
      [GOOD],
    );
  });
});
