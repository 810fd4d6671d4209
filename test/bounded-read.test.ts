import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readBounded } from '../src/fs/bounded-read.js';
import { startSpyglass } from './helpers/spyglass.js';

const dir = mkdtempSync(join(tmpdir(), 'spyglass-bounded-'));
const fifo = join(dir, 'fifo');
execFileSync('mkfifo', [fifo]);

describe('reading files an operator names', () => {
  it('reads a regular file within the limit, and a pseudo-file whose size says 0', async () => {
    writeFileSync(join(dir, 'small'), 'hello\n');
    assert.equal((await readBounded(join(dir, 'small'), 6)).toString(), 'hello\n');
    const status = await readBounded('/proc/self/status', 1 << 20);
    assert.match(status.toString(), /^Name:/);
  });

  it('refuses devices and FIFOs at once, and files past the limit', async () => {
    await assert.rejects(readBounded('/dev/zero', 1024), /not a regular file/);
    await assert.rejects(readBounded(fifo, 1024), /not a regular file/, 'a FIFO without a writer does not block');
    writeFileSync(join(dir, 'big'), Buffer.alloc(2048, 'x'));
    await assert.rejects(readBounded(join(dir, 'big'), 1024), /2048 bytes; the limit is 1024/);
    await assert.rejects(readBounded('/proc/self/smaps', 64), /more than 64 bytes/, 'a pseudo-file longer than the limit');
  });

  it('a reload with the config pointing at /dev/zero, a FIFO or a 50 MB file fails fast, keeps the old config and costs no memory', async () => {
    const good = join(dir, 'good.yml');
    writeFileSync(good, 'collectors:\n  cpu: {enabled: true}\n');
    writeFileSync(join(dir, 'huge.yml'), Buffer.alloc(50 << 20, '#'));
    const link = join(dir, 'spyglass.yml');
    symlinkSync(good, link);
    const s = await startSpyglass([`--config.file=${link}`, '--collector.disable-defaults', '--collector.loadavg']);
    const rssKiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${s.proc.pid}/status`, 'utf8'))?.[1]);
    try {
      const before = rssKiB();
      for (const [target, reason] of [
        ['/dev/zero', /not a regular file/],
        [fifo, /not a regular file/],
        [join(dir, 'huge.yml'), /52428800 bytes; the limit is 1048576/],
      ] as const) {
        unlinkSync(link);
        symlinkSync(target, link);
        const started = performance.now();
        const res = await fetch(`${s.base}/-/reload`, { method: 'POST', signal: AbortSignal.timeout(5000) });
        assert.equal(res.status, 500, target);
        assert.match(await res.text(), reason);
        assert.ok(performance.now() - started < 2000, `${target}: answered after ${(performance.now() - started).toFixed(0)} ms`);
      }
      assert.ok(rssKiB() - before < 16 * 1024, `RSS grew by ${rssKiB() - before} KiB`);
      assert.match(await (await fetch(`${s.base}/metrics`)).text(), /^node_load1 /m, 'the old config still serves');
    } finally {
      await s.stop();
    }
  });
});
