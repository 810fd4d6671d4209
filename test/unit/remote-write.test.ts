import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { builtinCollectors } from '../../collectors/index.js';
import { formatConfigError, loadConfig } from '../../src/config/load.js';
import { counter } from '../../src/metrics/model.js';
import { compileRelabel, hashmod, relabel } from '../../src/metrics/relabel.js';
import { SeriesEncoder } from '../../src/remote-write/series.js';
import { WriteAheadQueue, type DropReason } from '../../src/remote-write/wal.js';

const temps: string[] = [];
after(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** A temporary directory, removed when the file's tests are done. */
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

const record = (n: number, size = 100) => ({ shard: 0, samples: n, maxTimestampMs: 1000 + n, payload: Buffer.alloc(size, n) });

function openQueue(dir: string, maxBytes = 1 << 20) {
  const drops: Array<[DropReason, number]> = [];
  const q = new WriteAheadQueue({ dir, maxBytes, dropped: (reason, n) => drops.push([reason, n]) });
  return { q, drops };
}

function readAll(q: WriteAheadQueue): number[] {
  const out: number[] = [];
  for (let r = q.next(); r; r = q.next()) out.push(r.samples);
  return out;
}

describe('remote-write queue on disk', () => {
  it('replays in order after a restart, from the last record released', () => {
    const dir = tempDir('spyglass-wal-');
    const { q } = openQueue(dir);
    for (let i = 1; i <= 5; i++) q.append(record(i));
    const first = q.next();
    const second = q.next();
    assert.deepEqual([first?.samples, second?.samples], [1, 2]);
    q.release(first!);
    q.release(second!);
    q.close();
    const again = openQueue(dir).q;
    assert.deepEqual(readAll(again), [3, 4, 5]);
    assert.equal(again.pendingSamples, 12);
  });

  it('drops a torn last record and keeps the rest, then appends after it', () => {
    const dir = tempDir('spyglass-wal-');
    const { q } = openQueue(dir);
    for (let i = 1; i <= 3; i++) q.append(record(i));
    q.close();
    const seg = join(dir, readdirSync(dir).find((f) => f.endsWith('.seg')) as string);
    truncateSync(seg, statSync(seg).size - 40); // a crash in the middle of writing record 3
    const reopened = openQueue(dir);
    assert.deepEqual(readAll(reopened.q), [1, 2]);
    assert.deepEqual(reopened.drops, [['corrupt', 0]]);
    reopened.q.append(record(4));
    assert.deepEqual(readAll(reopened.q), [4]);
  });

  it('stops at a record whose checksum fails', () => {
    const dir = tempDir('spyglass-wal-');
    const { q } = openQueue(dir);
    for (let i = 1; i <= 3; i++) q.append(record(i));
    q.close();
    const seg = join(dir, readdirSync(dir).find((f) => f.endsWith('.seg')) as string);
    appendFileSync(seg, Buffer.from([1, 0, 0, 0, 9, 9, 9, 9, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7])); // a whole record with a wrong CRC
    assert.deepEqual(readAll(openQueue(dir).q), [1, 2, 3]);
  });

  it('when full, drops the oldest segment and counts its unsent samples', () => {
    const dir = tempDir('spyglass-wal-');
    const { q, drops } = openQueue(dir, 256 << 10); // segments of 64 KiB
    for (let i = 1; i <= 60; i++) q.append(record(i, 10_000));
    assert.ok(q.bytes <= 256 << 10, `${q.bytes} bytes`);
    const dropped = drops.filter(([r]) => r === 'queue_full').reduce((n, [, k]) => n + k, 0);
    const left = readAll(q);
    assert.equal(left[left.length - 1], 60, 'the newest stay');
    assert.equal(dropped + left.reduce((a, b) => a + b, 0), (60 * 61) / 2, 'every sample is either queued or counted as dropped');
    assert.deepEqual(
      left,
      [...left].sort((a, b) => a - b),
      'in order',
    );
  });

  it('ignores a garbled checkpoint and starts from the oldest segment', () => {
    const dir = tempDir('spyglass-wal-');
    const { q } = openQueue(dir);
    q.append(record(1));
    q.close();
    writeFileSync(join(dir, 'checkpoint'), '{not json');
    assert.deepEqual(readAll(openQueue(dir).q), [1]);
  });
});

describe('series sent', () => {
  it('adds external labels, applies write_relabel_configs, and marks vanished series stale', () => {
    const enc = new SeriesEncoder({
      externalLabels: [['cluster', 'eu1']],
      rules: [compileRelabel({ source_labels: ['__name__'], regex: 'drop_.*', action: 'drop' })],
      shards: 1,
      maxSamplesPerRecord: 1000,
    });
    const run1 = enc.encodeRun('c', [counter('a_total', 'h', [{ value: 1 }, { labels: { x: '1' }, value: 2 }]), counter('drop_me', 'h', [{ value: 3 }])], 5000);
    assert.equal(run1[0]?.samples, 2);
    assert.equal(enc.takeDropped(), 1);
    assert.ok(run1[0]?.payload.includes(Buffer.from('cluster')));
    const run2 = enc.encodeRun('c', [counter('a_total', 'h', [{ value: 1 }])], 6000);
    assert.equal(run2[0]?.samples, 2, 'one sample and one staleness marker');
    assert.ok(run2[0]?.payload.includes(Buffer.from([0x02, 0, 0, 0, 0, 0, 0xf0, 0x7f])), 'the stale NaN bits, little-endian');
    assert.equal(enc.encodeRun('c', [], 7000)[0]?.samples, 1, 'withdrawn: the last series goes stale');
  });
  it('relabels a series once while it is served, the dropped ones too', () => {
    class CountingRegExp extends RegExp {
      calls = 0;
      override exec(text: string) {
        this.calls++;
        return super.exec(text);
      }
    }
    const rule = compileRelabel({ source_labels: ['__name__'], regex: 'drop_.*', action: 'drop' });
    const regex = new CountingRegExp(rule.regex.source, rule.regex.flags);
    const enc = new SeriesEncoder({ externalLabels: [], rules: [{ ...rule, regex }], shards: 1, maxSamplesPerRecord: 1000 });
    const run = () => enc.encodeRun('c', [counter('a_total', 'h', [{ value: 1 }]), counter('drop_me', 'h', [{ value: 3 }])], 5000);
    assert.equal(run()[0]?.samples, 1);
    assert.equal(enc.takeDropped(), 1);
    const afterFirst = regex.calls;
    assert.ok(afterFirst >= 2, 'both series went through the rule');
    assert.equal(run()[0]?.samples, 1, 'no staleness marker for the dropped series');
    assert.equal(enc.takeDropped(), 1, 'still counted every run');
    assert.equal(regex.calls, afterFirst, 'neither relabelled again');
  });
});

describe('relabel', () => {
  const apply = (labels: Record<string, string>, ...raws: Parameters<typeof compileRelabel>[0][]) =>
    Object.fromEntries(relabel(new Map(Object.entries(labels)), raws.map(compileRelabel)) ?? []);

  it('follows Prometheus semantics', () => {
    assert.deepEqual(apply({ __name__: 'm', a: 'foo-bar' }, { source_labels: ['a'], regex: '(\\w+)-(\\w+)', target_label: 'b', replacement: '${2}_$1' }), {
      __name__: 'm',
      a: 'foo-bar',
      b: 'bar_foo',
    });
    assert.deepEqual(
      apply({ __name__: 'm', a: 'x' }, { source_labels: ['a'], regex: 'y', target_label: 'b' }),
      { __name__: 'm', a: 'x' },
      'no match, no change',
    );
    assert.deepEqual(apply({ __name__: 'm', a: 'foo' }, { source_labels: ['a'], regex: 'fo', action: 'keep' }), {}, 'anchored: fo does not match foo');
    assert.deepEqual(apply({ __name__: 'm', tmp_a: '1', b: '2' }, { regex: 'tmp_(.*)', action: 'labelmap' }, { regex: 'tmp_.*', action: 'labeldrop' }), {
      __name__: 'm',
      a: '1',
      b: '2',
    });
    assert.deepEqual(apply({ __name__: 'm', a: 'x' }, { source_labels: ['a'], target_label: 'a', replacement: '' }), { __name__: 'm' }, 'empty value removes');
  });

  it('hashmod matches Prometheus (md5, low 64 bits)', () => {
    // From Prometheus's relabel_test.go: "foo" mod 1000 is 523 … checked here against a hand computation.
    assert.equal(hashmod('foo', 1000), Number(BigInt('0x' + 'acbd18db4cc2f85cedef654fccc4a4d8'.slice(16)) % 1000n));
  });

  it('refuses rules Prometheus refuses', () => {
    assert.throws(() => compileRelabel({ action: 'hashmod', target_label: 'x' }), /modulus/);
    assert.throws(() => compileRelabel({ action: 'replace' }), /target_label/);
  });
});

describe('remote_write config', () => {
  const dir = tempDir('spyglass-rwconfig-');
  const load = async (text: string) => {
    const file = join(dir, `c${Math.random()}.yml`);
    writeFileSync(file, text);
    return loadConfig({ file, builtins: builtinCollectors });
  };

  it('reads Prometheus field names', async () => {
    const r = await load(`web: {listen_address: ""}
global: {external_labels: {site: a}}
remote_write:
  - url: https://rx.example/api/v1/write
    name: main
    remote_timeout: 10s
    headers: {X-Scope-OrgID: t1}
    authorization: {credentials: s3cret}
    write_relabel_configs: [{source_labels: [__name__], regex: "go_.*", action: drop}]
    queue_config: {max_shards: 2, max_samples_per_send: 1000, batch_send_deadline: 2s, min_backoff: 100ms, max_backoff: 10s}
`);
    assert.ok(r.ok, r.ok ? '' : r.errors.map(formatConfigError).join('\n'));
    const rw = r.config.remoteWrite!;
    assert.equal(r.config.web.listenAddress, '');
    assert.deepEqual(rw.externalLabels, [['site', 'a']]);
    const e = rw.endpoints[0]!;
    assert.equal(e.name, 'main');
    assert.equal(e.client.timeoutMs, 10_000);
    assert.deepEqual(e.client.authorization, { type: 'Bearer', credentials: 's3cret', credentialsFile: undefined });
    assert.deepEqual(e.queue, {
      capacity: 10000,
      maxShards: 2,
      minShards: 1,
      maxSamplesPerSend: 1000,
      batchSendDeadlineMs: 2000,
      minBackoffMs: 100,
      maxBackoffMs: 10_000,
      retryOnHttp429: true,
    });
  });

  it('refuses a URL that is not http(s)', async () => {
    const r = await load('remote_write:\n  - url: ftp://x\n');
    assert.match(r.ok ? '' : formatConfigError(r.errors[0]!), /remote_write.0.url: must be an http:\/\/ or https:\/\/ URL, not "ftp:\/\/x"/);
  });

  it('refuses credentials in the URL, which logs, metrics and the landing page show', async () => {
    const r = await load('remote_write:\n  - url: https://edge:s3cret@rx.example/api/v1/write\n');
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : formatConfigError(r.errors[0]!), /remote_write\[0\]\.url: credentials in the URL .*use basic_auth/);
  });

  it('refuses an empty listen address without remote_write', async () => {
    const r = await load('web: {listen_address: ""}\n');
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : formatConfigError(r.errors[0]!), /push-only\) needs a remote_write receiver/);
  });

  it('checks what the schema cannot', async () => {
    const r = await load(`remote_write:
  - url: http://a/w
    name: x
    basic_auth: {username: u, password: p, password_file: f}
    write_relabel_configs: [{action: hashmod, target_label: t}]
    queue_config: {min_shards: 3, max_shards: 2}
  - url: http://b/w
    name: x
    basic_auth: {username: u}
    authorization: {credentials: c}
`);
    const text = r.ok ? '' : r.errors.map(formatConfigError).join('\n');
    for (const want of [
      /password and password_file/,
      /modulus must be set/,
      /min_shards 3 is above max_shards 2/,
      /"x" is used by an earlier/,
      /basic_auth and authorization/,
    ]) {
      assert.match(text, want);
    }
  });
});
