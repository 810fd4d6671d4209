import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseBcacheHuman, parseBcacheHumanSigned, parsePriorityStats, parseWritebackRateDebug } from '../../src/parsers/bcache.js';
import { btrfsAllocationRatio, parseBtrfsKeyValues, parseCommitStats } from '../../src/parsers/btrfs.js';
import { sanitizeMetricName } from '../../collectors/host/rapl.js';

describe('bcache values', () => {
  it('reads bch_hprint sizes back as node_exporter does (fraction ÷ 10.24, truncated)', () => {
    assert.equal(parseBcacheHuman('0'), 0);
    assert.equal(parseBcacheHuman('512\n'), 512);
    assert.equal(parseBcacheHuman('1.1M'), 1150976);
    assert.equal(parseBcacheHuman('20.4G'), 21894266880);
    assert.equal(parseBcacheHuman('427.5k'), 437748);
    assert.equal(parseBcacheHuman('1.5'), 1);
    assert.equal(parseBcacheHumanSigned('-12.3k'), -12588);
    assert.equal(parseBcacheHumanSigned('790.0k'), 808960);
  });

  it('rejects garbled values', () => {
    for (const bad of ['', '12.x', 'k', '1.2.3M', '1Q', '-', 'nan', '0x10']) assert.equal(parseBcacheHuman(bad), undefined, bad);
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => void parseBcacheHumanSigned(s)));
  });

  it('parses writeback_rate_debug, signed terms included, and fails a garbled known line', () => {
    const r = parseWritebackRateDebug(
      'rate:\t\t1.1M/sec\ndirty:\t\t20.4G\ntarget:\t\t20.4G\nproportional:\t-427.5k\nintegral:\t790.0k\nchange:\t\t321.5k/sec\nnext io:\t17ms\n',
    );
    assert.ok(r.ok);
    assert.deepEqual(r.value, { rate: 1150976, dirty: 21894266880, target: 21894266880, proportional: -437748, integral: 808960, change: 329204 });
    const short = parseWritebackRateDebug('rate:\t\t1.1M/sec\n'); // lines the kernel did not print: 0
    assert.ok(short.ok && short.value.dirty === 0 && short.value.target === 0);
    assert.equal(parseWritebackRateDebug('rate:\t\t1.1M/sec\ndirty:\t').ok, false); // truncated in a value
    const garbled = parseWritebackRateDebug('rate: fast/sec\n');
    assert.ok(!garbled.ok);
    assert.match(garbled.error, /writeback_rate_debug:1: rate/);
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => void parseWritebackRateDebug(s)));
  });

  it('parses priority_stats and needs both of its percentages', () => {
    const r = parsePriorityStats('Unused:\t\t99%\nClean:\t\t0%\nMetadata:\t0%\nAverage:\t10473\nQuantiles:\t[0 0 20946]\n');
    assert.deepEqual(r, { ok: true, value: { unusedPercent: 99, metadataPercent: 0 } });
    assert.equal(parsePriorityStats('Unused:\t\tlots\nMetadata:\t0%\n').ok, false);
    assert.equal(parsePriorityStats('Unused:\t\t99%\n').ok, false);
    assert.equal(parsePriorityStats('x'.repeat(100_000)).ok, false);
  });
});

describe('btrfs values', () => {
  it('parses commit_stats; absent keys are 0, unknown keys ignored', () => {
    const r = parseCommitStats('commits 258051\ncur_commit_ms 0\nlast_commit_ms 1000\nmax_commit_ms 51462\ntotal_commit_ms 47836090\n');
    assert.deepEqual(r, { ok: true, value: { commits: 258051, lastCommitMs: 1000, maxCommitMs: 51462, totalCommitMs: 47836090 } });
    assert.deepEqual(parseCommitStats(''), { ok: true, value: { commits: 0, lastCommitMs: 0, maxCommitMs: 0, totalCommitMs: 0 } });
  });

  it('fails garbled and truncated key value lines', () => {
    assert.equal(parseBtrfsKeyValues('write_errs 0\nread_errs oops\n', 'error_stats').ok, false);
    assert.equal(parseBtrfsKeyValues('write_errs\n', 'error_stats').ok, false);
    assert.equal(parseBtrfsKeyValues('a 1 2\n', 'error_stats').ok, false);
    assert.equal(parseBtrfsKeyValues('invalid\n', 'error_stats').ok, false);
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => void parseBtrfsKeyValues(s, 'x')));
  });

  it('gives each profile its allocation ratio', () => {
    assert.deepEqual(
      ['single', 'raid0', 'dup', 'raid1', 'raid10', 'raid1c3', 'raid1c4', 'mystery'].map((m) => btrfsAllocationRatio(m, 4)),
      [1, 1, 2, 2, 2, 3, 4, 0],
    );
    assert.equal(btrfsAllocationRatio('raid5', 4), 4 / 3);
    assert.equal(btrfsAllocationRatio('raid6', 4), 2);
  });
});

describe('rapl names', () => {
  it("sanitizes zone names as node_exporter's SanitizeMetricName", () => {
    assert.equal(sanitizeMetricName('package'), 'package');
    assert.equal(sanitizeMetricName('psys-x.y'), 'psys_x_y');
    assert.equal(sanitizeMetricName('a__-__b'), 'a_b');
  });
});
