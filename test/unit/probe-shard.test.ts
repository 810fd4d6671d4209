/**
 * Probe sharding's pure half: Prometheus's hashmod against digests computed apart from Node's
 * crypto (Python's hashlib.md5, last 8 bytes as a big-endian integer, modulo), the shard index
 * from a number or a StatefulSet pod name, and the config errors a wrong shard gets.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtinCollectors } from '../../collectors/index.js';
import { inShard, parseShardIndex } from '../../collectors/probe/shard.js';
import { hashmod } from '../../src/metrics/relabel.js';
import { formatConfigError, loadConfig } from '../../src/config/load.js';
import { overridesFrom } from '../../src/cli-flags.js';
import { repoRoot } from '../helpers/spyglass.js';

/** value → [mod 3, mod 4, mod 7, mod 1000003], from python3 hashlib (see the file comment). */
const VECTORS: Array<[string, number[]]> = [
  ['127.0.0.1:2', [1, 0, 1, 797647]],
  ['http://127.0.0.1:1/', [1, 2, 3, 107600]],
  ['', [1, 2, 1, 692820]],
  ['db.internal:5432', [1, 2, 6, 130350]],
  ['https://api.internal/health', [2, 0, 0, 306312]],
  ['ünïcode.example:443', [1, 2, 6, 859564]],
];

describe('probe sharding', () => {
  it("hashes as Prometheus's hashmod: md5, last 8 bytes big-endian, modulo (above 2^53 too)", () => {
    for (const [value, mods] of VECTORS)
      assert.deepEqual(
        [3, 4, 7, 1000003].map((m) => hashmod(value, m)),
        mods,
        value,
      );
  });

  it('keeps every target with one shard or none, and each target in exactly one of N', () => {
    assert.ok(inShard('x', undefined) && inShard('x', { index: 0, count: 1 }));
    for (const [value, mods] of VECTORS)
      assert.deepEqual(
        [0, 1, 2].filter((index) => inShard(value, { index, count: 3 })),
        [mods[0]],
      );
  });

  it('takes the index as a number or a StatefulSet pod name', () => {
    assert.equal(parseShardIndex(2), 2);
    assert.equal(parseShardIndex('2'), 2);
    assert.equal(parseShardIndex('prober-12'), 12);
    assert.equal(parseShardIndex('web-prober-0'), 0);
    for (const bad of ['prober', 'prober-', 'prober-02', 'Prober-1', '-1', '1.5']) assert.ok(typeof parseShardIndex(bad) !== 'number', bad);
  });

  const errors = async (collectors: Record<string, unknown>, flags = {}): Promise<any> => {
    const r = await loadConfig({ builtins: builtinCollectors, overrides: overridesFrom(flags, { probe: collectors }) });
    return r.ok ? { shard: r.config.collectors.find((c) => c.definition.name === 'probe')?.options.shard } : r.errors.map(formatConfigError);
  };

  it('says clearly what is wrong with a shard', async () => {
    assert.deepEqual(await errors({ shard: { index: 3, count: 3 } }), [
      'flags/environment: collectors.probe.shard.index: 3 must be below shard.count 3: shards are numbered 0 to 2',
    ]);
    assert.deepEqual(await errors({ shard: { index: 0, count: 0 } }), ['flags/environment: collectors.probe.shard.count: must be >= 1']);
    assert.match((await errors({ shard: { index: 1 } }))[0] as string, /collectors\.probe\.shard\.count: missing/);
    assert.match((await errors({ shard: { count: 2 } }))[0] as string, /collectors\.probe\.shard\.index: missing/);
    assert.match((await errors({ shard: { index: 'prober', count: 2 } }))[0] as string, /"prober" is neither a number nor a StatefulSet pod name/);
    assert.match((await errors({ shard: { index: 0, count: 2, seed: 1 } }))[0] as string, /shard\.seed/);
  });

  it('takes index and count from flags / environment over the config, a pod name included', async () => {
    assert.deepEqual(await errors({ shard: { count: 4 } }, { 'probe.shardIndex': 'prober-3' }), { shard: { count: 4, index: 'prober-3' } }); // resolved by the runner
    assert.deepEqual(await errors({}, { 'probe.shardIndex': '1', 'probe.shardCount': '2' }), { shard: { index: 1, count: 2 } });
    assert.deepEqual(await errors({ shard: { index: 0, count: 2 } }, { 'probe.shardCount': '5' }), { shard: { index: 0, count: 5 } });
  });

  it('loads examples/probe-shards.yml: shard 0 of 3 over file_sd and dns_sd', async () => {
    const r = await loadConfig({ file: `${repoRoot}examples/probe-shards.yml`, builtins: builtinCollectors });
    assert.ok(r.ok, r.ok ? '' : r.errors.map(formatConfigError).join('\n'));
    const probe = r.config.collectors.find((c) => c.definition.name === 'probe');
    assert.equal(probe?.enabled, true);
    assert.deepEqual(probe?.options.shard, { count: 3, index: 0 });
    assert.equal((probe?.options.file_sd as unknown[]).length, 1);
    assert.equal((probe?.options.dns_sd as unknown[]).length, 1);
  });
});
