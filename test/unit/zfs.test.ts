import assert from 'node:assert/strict';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import zfs from '../../collectors/host/zfs.js';
import { parseNamedKstat, parseZpoolIo, parseZpoolState } from '../../src/parsers/zfs-kstat.js';
import { runCollector as run } from '../helpers/run-collector.js';
import { fixture } from '../helpers/spyglass.js';

const HEADER = '6 1 0x01 3 144 5266997922 97951858082072\nname                            type data\n';

const tmp = mkdtempSync(join(tmpdir(), 'spyglass-zfs-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('ZFS kstat parsers', () => {
  it('reads int64 and uint64 rows, keeps string rows whole and leaves other types out', () => {
    const r = parseNamedKstat(`${HEADER}hits 4 12\nmemory_available_bytes 3 -4096\ndataset_name 7 tank/a  b\nflag 1 5\nerpt-dropped 4 3\n`, 'arcstats');
    assert.ok(r.ok);
    assert.deepEqual(
      r.value.numbers.map((n) => [n.name, n.value]),
      [
        ['hits', 12],
        ['memory_available_bytes', -4096],
        ['erpt-dropped', 3],
      ],
    );
    assert.equal(r.value.strings.get('dataset_name'), 'tank/a  b');
    assert.deepEqual(r.value.bad, []);
  });

  it('reports truncated, garbled and repeated rows and keeps the rest', () => {
    const r = parseNamedKstat(`${HEADER}hits 4 12\nmisses 4\nsize 4 12x\nc 3 --1\nbad\u0000name 4 1\nc_max x 1\nhits 4 13\nc_min 4 7\n`, 'arcstats');
    assert.ok(r.ok);
    assert.deepEqual(
      r.value.numbers.map((n) => n.name),
      ['hits', 'c_min'],
    );
    assert.equal(r.value.bad.length, 6);
    assert.match(r.value.bad[0] as string, /^arcstats:4: /);
  });

  it('fails a file without the column line (empty, truncated, not a kstat)', () => {
    assert.equal(parseNamedKstat('', 'zil').ok, false);
    assert.equal(parseNamedKstat('6 1 0x01 91 4368 5266997922 9795185', 'zil').ok, false);
    assert.equal(parseNamedKstat('hits 4 12\n', 'zil').ok, false);
  });

  it("reads a pool's io kstat, and fails when values and columns do not line up", () => {
    const columns = 'nread nwritten reads writes wtime wlentime wupdate rtime rlentime rupdate wcnt rcnt';
    const ok = parseZpoolIo(`12 3 0x00 1 80 1 2\n${columns}\n1 2 3 4 5 6 7 8 9 10 11 12\n`, 'tank/io');
    assert.ok(ok.ok);
    assert.deepEqual(ok.value.values.map((v) => v.value).slice(-2), [11, 12]);
    const garbled = parseZpoolIo(`${columns}\n1 2 x 4 5 6 7 8 9 10 11 12\n`, 'tank/io');
    assert.ok(garbled.ok);
    assert.equal(garbled.value.values.length, 11);
    assert.equal(garbled.value.bad.length, 1);
    assert.equal(parseZpoolIo(`${columns}\n1 2 3 4 5\n`, 'tank/io').ok, false);
    assert.equal(parseZpoolIo(`${columns}\n`, 'tank/io').ok, false);
    assert.equal(parseZpoolIo('', 'tank/io').ok, false);
  });

  it("reads a pool's state", () => {
    assert.deepEqual(parseZpoolState('DEGRADED\n', 'state'), { ok: true, value: 'degraded' });
    assert.equal(parseZpoolState('\n', 'state').ok, false);
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        parseNamedKstat(s, 'f');
        parseNamedKstat(HEADER + s, 'f');
        parseZpoolIo(s, 'f');
        parseZpoolState(s, 'f');
      }),
    );
    const token = fc.constantFrom('name', 'type', 'data', 'nread', '4', '3', '7', '-1', 'x', 'valueOf', '__proto__', ' ', '\t', '\n');
    fc.assert(
      fc.property(fc.array(token), (a) => {
        parseNamedKstat(a.join(' '), 'f');
        parseZpoolIo(a.join(' '), 'f');
      }),
    );
  });
});

describe('zfs collector', () => {
  it('serves every kstat and a pool in each state from the fixture', async () => {
    const r = await run(zfs, { procfs: fixture('proc-zfs') });
    assert.deepEqual(r.skipped, []);
    assert.equal(r.value('node_zfs_arc_hits'), 48213095);
    assert.equal(r.value('node_zfs_arc_memory_available_bytes'), -268435456);
    assert.equal(r.value('node_zfs_fm_erpt_dropped'), 3);
    assert.equal(r.value('node_zfs_zpool_nwritten', { zpool: 'tank' }), 190840832);
    assert.equal(r.value('node_zfs_zpool_dataset_nread', { zpool: 'tank', dataset: 'tank/home/Photos  2024' }), 917504);
    assert.equal(r.families.find((f) => f.name === 'node_zfs_arc_hits')?.type, 'untyped');
    // vdev_cache_stats and xuio_stats are absent, as on OpenZFS 2.2: no series, no skip.
    assert.equal(r.families.filter((f) => /^node_zfs_(vdev_cache|xuio)_/.test(f.name)).length, 0);
    const state = r.families.find((f) => f.name === 'node_zfs_zpool_state');
    assert.equal(state?.type, 'gauge');
    assert.equal(state?.samples.length, 7 * 7);
    const active = Object.fromEntries(state!.samples.filter((s) => s.value === 1).map((s) => [s.labels!.zpool, s.labels!.state]));
    assert.deepEqual(active, {
      archive: 'offline',
      backup: 'degraded',
      iscsi: 'suspended',
      media: 'unavail',
      scratch: 'faulted',
      tank: 'online',
      usbpool: 'removed',
    });
  });

  it('emits nothing, and succeeds, without the zfs module', async () => {
    const r = await run(zfs, { procfs: tmp });
    assert.deepEqual(r.families, []);
    assert.deepEqual(r.skipped, []);
  });

  it('skips and counts truncated, garbled, oversized and unreadable kstats and serves the rest', async () => {
    const procfs = join(tmp, 'zfs-bad');
    const dir = join(procfs, 'spl/kstat/zfs');
    cpSync(join(fixture('proc-zfs'), 'spl/kstat/zfs'), dir, { recursive: true });
    writeFileSync(join(dir, 'arcstats'), `${HEADER}hits 4 12\nmisses 4 1x\nsize 4\n`);
    writeFileSync(join(dir, 'dmu_tx'), '3 1 0x01 13 624 2'); // truncated before the column line
    writeFileSync(join(dir, 'dbufstats'), HEADER + 'cache_count 4 1\n'.repeat(80_000)); // > 1 MiB
    writeFileSync(join(dir, 'tank/io'), 'nread nwritten reads writes wtime wlentime wupdate rtime rlentime rupdate wcnt rcnt\n1 2 3\n');
    writeFileSync(join(dir, 'tank/objset-0x101'), `${HEADER}writes 4 1\n`); // no dataset_name
    writeFileSync(join(dir, 'scratch/state'), '');
    writeFileSync(join(dir, 'media/state'), 'SPLIT\n');
    mkdirSync(join(dir, 'ghost')); // a pool being exported: its files are gone
    const root = process.getuid?.() === 0;
    if (!root) chmodSync(join(dir, 'zil'), 0);
    const r = await run(zfs, { procfs });
    const reasons = r.skipped.map(([reason, detail]) => `${reason} ${detail.replace(/^.*spl\/kstat\/zfs\//, '').split(/[:']/)[0]}`).sort();
    assert.deepEqual(
      reasons,
      [
        'malformed arcstats',
        'malformed arcstats',
        'malformed dmu_tx',
        'malformed media/state',
        'malformed scratch/state',
        'malformed tank/io',
        'malformed tank/objset-0x101',
        'oversized dbufstats',
        ...(root ? [] : ['unreadable zil']),
      ].sort(),
    );
    assert.equal(r.value('node_zfs_arc_hits'), 12);
    assert.equal(r.value('node_zfs_arc_misses'), undefined);
    assert.equal(r.value('node_zfs_dbuf_cache_count'), undefined);
    assert.equal(r.value('node_zfs_abd_linear_cnt'), 1201);
    assert.equal(r.value('node_zfs_zpool_nread', { zpool: 'tank' }), undefined);
    assert.equal(r.value('node_zfs_zpool_nread', { zpool: 'backup' }), 1048576);
    assert.equal(r.value('node_zfs_zpool_dataset_writes', { zpool: 'tank', dataset: 'tank/home' }), undefined);
    assert.equal(r.value('node_zfs_zpool_state', { zpool: 'scratch', state: 'faulted' }), undefined);
    // An unknown state: 0 for each known one, as node_exporter; counted.
    assert.equal(r.value('node_zfs_zpool_state', { zpool: 'media', state: 'unavail' }), 0);
    assert.equal(r.value('node_zfs_zpool_state', { zpool: 'tank', state: 'online' }), 1);
  });
});
