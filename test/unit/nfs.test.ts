import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import meminfoNuma from '../../collectors/host/meminfo-numa.js';
import mountstats from '../../collectors/host/mountstats.js';
import nfs from '../../collectors/host/nfs.js';
import nfsd from '../../collectors/host/nfsd.js';
import type { CollectContext, CollectorDefinition, MetricFamily } from '../../src/collector.js';
import { validateFamilies } from '../../src/metrics/validate.js';
import { mountinfoAddresses, parseMountstats } from '../../src/parsers/proc-mountstats.js';
import { parseNfsClientStats, parseNfsServerStats, parseU64 } from '../../src/parsers/proc-net-rpc-nfs.js';
import { parseNodeMeminfo, parseNumastat } from '../../src/parsers/sysfs-node-meminfo.js';
import { fixture } from '../helpers/spyglass.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** One in-process run of a collector over fixture directories, with what it skipped. */
async function run(c: CollectorDefinition, paths: { procfs?: string; sysfs?: string }) {
  const skipped: Array<{ reason: string; detail: string }> = [];
  const ctx = {
    config: {},
    paths: { procfs: paths.procfs ?? '/nonexistent', sysfs: paths.sysfs ?? '/nonexistent', rootfs: '/nonexistent', udevData: '/nonexistent' },
    signal: new AbortController().signal,
    logger: quiet,
    runTimeMs: Date.now(),
    state: undefined,
    once: true,
    skip: (reason: string, detail: string) => skipped.push({ reason, detail }),
    runSoon() {},
    servedElsewhere: () => undefined,
    maxSeries: undefined,
  } as unknown as CollectContext;
  const families = await c.collect(ctx);
  return { families, skipped };
}

function value(families: MetricFamily[], name: string, labels: Record<string, string> = {}): number | undefined {
  const f = families.find((x) => x.name === name);
  if (!f || f.type === 'histogram' || f.type === 'summary') return undefined;
  const found = f.samples.filter((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
  assert.ok(found.length <= 1, `${name} ${JSON.stringify(labels)} matches ${found.length} series`);
  return found[0]?.value;
}

const names = (families: MetricFamily[]) => families.map((f) => f.name);
const neverThrows = (f: (s: string) => unknown) =>
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (s) => void f(s)),
    { numRuns: 300 },
  );

describe('/proc/net/rpc/nfs and nfsd parsers', () => {
  it('u64 counters: up to 2^64-1, nothing else', () => {
    assert.equal(parseU64('18446744073709551615'), 2 ** 64);
    assert.equal(parseU64('18446744073709551616'), undefined);
    assert.equal(parseU64('-1'), undefined);
    assert.equal(parseU64('1.5'), undefined);
    assert.equal(parseU64(''), undefined);
  });

  it('reads every section of a server file', () => {
    const r = parseNfsServerStats(readFileSync(fixture('nfs/net/rpc/nfsd'), 'utf8'));
    assert.deepEqual(r.skipped, []);
    assert.deepEqual(Object.keys(r.sections).sort(), ['fh', 'io', 'net', 'proc2', 'proc3', 'proc4', 'proc4ops', 'ra', 'rc', 'rpc', 'th', 'wdeleg_getattr']);
    assert.deepEqual(r.sections.th, [16, 0], 'th: the histogram after the two counters is not read');
    assert.equal(r.sections.proc4ops?.length, 77, 'the count is dropped');
  });

  it('garbled lines are skipped and named; unknown keys are ignored; the rest stands', () => {
    const client = parseNfsClientStats(readFileSync(fixture('nfs-odd/garbled/net/rpc/nfs'), 'utf8'));
    assert.deepEqual([...client.garbled].sort(), ['proc3', 'proc4']);
    assert.equal(client.skipped.length, 2);
    assert.match(client.skipped[0]!, /nfs:3: proc3: "x4" is not a counter/);
    assert.match(client.skipped[1]!, /nfs:4: proc4: count says 59 counters, 5 follow/);
    assert.deepEqual(client.sections.rpc, [1190, 2, 1190]);

    const server = parseNfsServerStats(readFileSync(fixture('nfs-odd/garbled/net/rpc/nfsd'), 'utf8'));
    assert.deepEqual([...server.garbled].sort(), ['rc', 'wdeleg_getattr']);
    assert.equal(server.skipped.length, 3, server.skipped.join('\n'));
    assert.ok(server.skipped.some((s) => s.includes('malformed line "@@@@ garbage"')));
    assert.ok(!server.skipped.some((s) => s.includes('futurekey')));
  });

  it('truncated, oversized and repeated lines', () => {
    assert.deepEqual(parseNfsClientStats('net 1 2').garbled, new Set(['net']));
    assert.deepEqual(parseNfsClientStats('rpc').garbled, new Set(['rpc']));
    assert.deepEqual(parseNfsClientStats('proc3 22 1 2 3').garbled, new Set(['proc3']));
    assert.deepEqual(parseNfsClientStats(`net ${'1 '.repeat(5000)}`).skipped.length, 1);
    const twice = parseNfsServerStats('io 1 2\nio 3 4\n');
    assert.deepEqual(twice.sections.io, [1, 2]);
    assert.equal(twice.skipped.length, 1);
    assert.deepEqual(parseNfsServerStats('proc4 3 1 2 3').garbled, new Set(['proc4']), 'proc4 of the server has exactly 2');
    assert.deepEqual(parseNfsServerStats(`proc4ops 38 ${'0 '.repeat(38)}`).garbled, new Set(['proc4ops']), 'at least 39 operations');
  });

  it('never throw', () => {
    neverThrows(parseNfsClientStats);
    neverThrows(parseNfsServerStats);
    neverThrows(parseMountstats);
    neverThrows(mountinfoAddresses);
    neverThrows((s) => parseNodeMeminfo(s, 'meminfo'));
    neverThrows((s) => parseNumastat(s, 'numastat', '0'));
  });
});

describe('nfs collector', () => {
  it('client counters with node_exporter labels; a missing proc2 is zeros', async () => {
    const { families, skipped } = await run(nfs, { procfs: fixture('nfs') });
    assert.deepEqual(skipped, []);
    assert.deepEqual(validateFamilies(families), []);
    assert.equal(value(families, 'node_nfs_packets_total', { protocol: 'tcp' }), 184522);
    assert.equal(value(families, 'node_nfs_connections_total'), 312);
    assert.equal(value(families, 'node_nfs_rpc_retransmissions_total'), 17);
    assert.equal(value(families, 'node_nfs_requests_total', { proto: '3', method: 'Commit' }), 4120);
    assert.equal(value(families, 'node_nfs_requests_total', { proto: '2', method: 'Null' }), 0);
    // proc4: counter 45 is GETDEVICEINFO and 46 LAYOUTGET (the kernel's order), 59 CLONE; more are ignored.
    assert.equal(value(families, 'node_nfs_requests_total', { proto: '4', method: 'GetDeviceInfo' }), 163);
    assert.equal(value(families, 'node_nfs_requests_total', { proto: '4', method: 'LayoutGet' }), 449);
    assert.equal(value(families, 'node_nfs_requests_total', { proto: '4', method: 'Clone' }), 171);
    const requests = families.find((f) => f.name === 'node_nfs_requests_total')!;
    assert.equal(requests.samples.length, 18 + 22 + 59);
  });

  it('a garbled line: its section gives no series, counted; the rest is served', async () => {
    const { families, skipped } = await run(nfs, { procfs: fixture('nfs-odd/garbled') });
    assert.deepEqual(
      skipped.map((s) => s.reason),
      ['malformed', 'malformed'],
    );
    assert.equal(value(families, 'node_nfs_rpcs_total'), 1190);
    assert.equal(value(families, 'node_nfs_requests_total', { proto: '3', method: 'Null' }), undefined);
    assert.equal(value(families, 'node_nfs_requests_total', { proto: '4', method: 'Read' }), undefined);
    assert.equal(value(families, 'node_nfs_requests_total', { proto: '2', method: 'Read' }), 0);
  });

  it('no /proc/net/rpc/nfs: no series, no failure', async () => {
    const { families, skipped } = await run(nfs, { procfs: fixture('proc-2cpu') });
    assert.deepEqual(families, []);
    assert.deepEqual(skipped, []);
  });
});

describe('nfsd collector', () => {
  it('server counters with node_exporter labels and units', async () => {
    const { families, skipped } = await run(nfsd, { procfs: fixture('nfs') });
    assert.deepEqual(skipped, []);
    assert.deepEqual(validateFamilies(families), []);
    assert.equal(value(families, 'node_nfsd_reply_cache_misses_total'), 48213);
    assert.equal(value(families, 'node_nfsd_file_handles_stale_total'), 3);
    assert.equal(value(families, 'node_nfsd_disk_bytes_read_total'), 734003200);
    assert.equal(value(families, 'node_nfsd_server_threads'), 16);
    assert.equal(value(families, 'node_nfsd_read_ahead_cache_size_blocks'), 32);
    assert.equal(value(families, 'node_nfsd_packets_total', { proto: 'tcp' }), 49305);
    assert.equal(value(families, 'node_nfsd_rpc_errors_total', { error: 'fmt' }), 1);
    assert.equal(value(families, 'node_nfsd_rpc_errors_total', { error: 'cInt' }), 0);
    assert.equal(value(families, 'node_nfsd_server_rpcs_total'), 49305);
    assert.equal(value(families, 'node_nfsd_requests_total', { proto: '3', method: 'Null' }), undefined, 'NULL is not reported');
    assert.equal(value(families, 'node_nfsd_requests_total', { proto: '4', method: 'Access' }), 1085, 'operation 3');
    assert.equal(value(families, 'node_nfsd_requests_total', { proto: '4', method: 'RelLockOwner' }), 16112, 'operation 39');
    assert.equal(value(families, 'node_nfsd_requests_total', { proto: '4', method: 'WdelegGetattr' }), 4);
    assert.equal(families.find((f) => f.name === 'node_nfsd_requests_total')!.samples.length, 17 + 21 + 35 + 1);
  });

  it('a server with zero counters: every series, all 0 but the thread count', async () => {
    const { families, skipped } = await run(nfsd, { procfs: fixture('nfs-odd/zero-server') });
    assert.deepEqual(skipped, []);
    assert.equal(families.length, 14);
    const nonzero = families.flatMap((f) => (f.type === 'histogram' || f.type === 'summary' ? [] : f.samples.filter((s) => s.value !== 0).map(() => f.name)));
    assert.deepEqual(nonzero, ['node_nfsd_server_threads', 'node_nfsd_read_ahead_cache_size_blocks']);
  });

  it('a v4-only server: v2 and v3 are zeros (as node_exporter), v4 counts', async () => {
    const { families, skipped } = await run(nfsd, { procfs: fixture('nfs-odd/v4-only-server') });
    assert.deepEqual(skipped, []);
    assert.equal(value(families, 'node_nfsd_requests_total', { proto: '3', method: 'Read' }), 0);
    assert.equal(value(families, 'node_nfsd_requests_total', { proto: '4', method: 'GetAttr' }), 988);
    assert.equal(value(families, 'node_nfsd_requests_total', { proto: '4', method: 'PutFH' }), 1402);
    assert.equal(value(families, 'node_nfsd_read_ahead_cache_size_blocks'), 0, 'no ra line');
    assert.equal(value(families, 'node_nfsd_server_threads'), 32);
  });

  it('garbled lines are skipped and counted, the rest is served', async () => {
    const { families, skipped } = await run(nfsd, { procfs: fixture('nfs-odd/garbled') });
    assert.equal(skipped.length, 3);
    assert.ok(skipped.every((s) => s.reason === 'malformed'));
    assert.ok(!names(families).includes('node_nfsd_reply_cache_hits_total'));
    assert.equal(value(families, 'node_nfsd_requests_total', { proto: '4', method: 'WdelegGetattr' }), undefined);
    assert.equal(value(families, 'node_nfsd_server_threads'), 4);
    assert.equal(value(families, 'node_nfsd_server_rpcs_total'), 100);
  });
});

describe('mountstats', () => {
  it('parses statvers 1.0 and 1.1 transports (udp padded with zeros) and per-op lines with and without errors', () => {
    const text = [
      'device s:/x mounted on /x with fstype nfs statvers=1.0',
      '\tage:\t5',
      '\txprt:\tudp 700 1 20 19 0 40 2',
      '\txprt:\ttcp 701 1 3 4 5 6 7 8 9 10',
      '\tper-op statistics',
      '\t        NULL: 1 2 3 4 5 6 7 8',
      '\t        READ: 1 2 3 4 5 6 7 8 9',
      '',
    ].join('\n');
    const r = parseMountstats(text);
    assert.deepEqual(r.skipped, []);
    const m = r.nfs[0]!;
    assert.equal(m.ageSeconds, 5n);
    assert.deepEqual(
      [m.transports[0]!.bind, m.transports[0]!.connect, m.transports[0]!.sends, m.transports[0]!.cumulativeBacklog, m.transports[0]!.maximumRpcSlotsUsed],
      [1n, 0n, 20n, 2n, 0n],
    );
    assert.equal(m.transports[1]!.idleTimeSeconds, 5n);
    assert.deepEqual(
      m.operations.map((o) => o.name),
      ['NULL', 'READ'],
    );
    assert.equal(m.bytes.length, 8, 'no bytes line: zeros');
  });

  it('a mount with an unknown statvers or transport is skipped', () => {
    const block = (head: string, xprt: string) => `device s:/x mounted on /x with fstype nfs4 ${head}\n\txprt:\t${xprt}\n\tper-op statistics\n\n`;
    assert.equal(parseMountstats(block('statvers=2.0', 'tcp 1 2 3 4 5 6 7 8 9 10 11 12 13')).skipped.length, 1);
    assert.equal(parseMountstats(block('statvers=1.1', 'sctp 1 2 3')).skipped.length, 1);
    assert.equal(parseMountstats(block('statvers=1.1', 'tcp 1 2 3')).skipped.length, 1);
    assert.deepEqual(parseMountstats(block('statvers=1.1', `rdma ${'1 '.repeat(28)}`)).skipped, []);
  });

  it('mountinfo addresses by position', () => {
    assert.deepEqual(mountinfoAddresses(readFileSync(fixture('nfs-odd/garbled/self/mountinfo'), 'utf8')), ['10.1.1.1', '', '10.1.1.1', '10.1.1.3']);
  });

  it('per export, protocol and server, with a mountpoint_info per mount point (nconnect: two transports)', async () => {
    const { families, skipped } = await run(mountstats, { procfs: fixture('nfs') });
    assert.deepEqual(skipped, []);
    assert.deepEqual(validateFamilies(families), []);
    const home = { export: 'files.example.net:/export/home', protocol: 'tcp', mountaddr: '10.0.4.7' };
    const archive = { export: 'backup.example.net:/srv/archive', protocol: 'udp', mountaddr: '10.0.4.9' };
    assert.deepEqual(
      families
        .find((f) => f.name === 'node_mountstats_nfs_mountpoint_info')!
        .samples.map((s) => s.labels?.mountpoint)
        .sort(),
      ['/home', '/home2', '/mnt/archive'],
    );
    assert.equal(families.find((f) => f.name === 'node_mountstats_nfs_age_seconds_total')!.samples.length, 2, '/home2 repeats /home');
    assert.equal(value(families, 'node_mountstats_nfs_age_seconds_total', home), 86400);
    assert.equal(value(families, 'node_mountstats_nfs_total_read_bytes_total', home), 2630549312);
    assert.equal(value(families, 'node_mountstats_nfs_transport_connect_total', { ...home, transport: '1' }), 1);
    assert.equal(value(families, 'node_mountstats_nfs_transport_idle_time_seconds', { ...home, transport: '1' }), 30);
    assert.equal(value(families, 'node_mountstats_nfs_transport_maximum_rpc_slots', { ...archive, transport: '0' }), 8);
    assert.equal(value(families, 'node_mountstats_nfs_transport_connect_total', { ...archive, transport: '0' }), 0);
    assert.equal(value(families, 'node_mountstats_nfs_operations_request_time_seconds_total', { ...home, operation: 'READ' }), 48.93);
    assert.equal(value(families, 'node_mountstats_nfs_operations_major_timeouts_total', { ...archive, operation: 'READ' }), 4);
    assert.equal(value(families, 'node_mountstats_nfs_event_vfs_access_total', home), 40127);
    assert.equal(value(families, 'node_mountstats_nfs_event_truncation_total', home), 8, 'events field 20 (19 is not reported)');
  });

  it('times past 2^53 ms are reported modulo 2^53, as node_exporter', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spyglass-mountstats-'));
    try {
      const { writeFileSync, mkdirSync } = await import('node:fs');
      mkdirSync(join(dir, 'self'));
      writeFileSync(
        join(dir, 'self/mountstats'),
        'device s:/x mounted on /x with fstype nfs statvers=1.1\n\txprt:\ttcp 0 0 1 0 0 1 1 0 1 0 1 1 1\n\tper-op statistics\n\t  ACCESS: 1 1 0 1 1 18446743919241604546 1 1\n\n',
      );
      const { families } = await run(mountstats, { procfs: dir });
      assert.equal(value(families, 'node_mountstats_nfs_operations_queue_time_seconds_total', { operation: 'ACCESS' }), 9007044786793.922);
      assert.equal(value(families, 'node_mountstats_nfs_transport_idle_time_seconds', {}), 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('garbled mounts are skipped and counted; mountinfo stays aligned', async () => {
    const { families, skipped } = await run(mountstats, { procfs: fixture('nfs-odd/garbled') });
    assert.equal(skipped.length, 3, JSON.stringify(skipped));
    assert.ok(skipped.every((s) => s.reason === 'malformed'));
    assert.deepEqual(
      families.find((f) => f.name === 'node_mountstats_nfs_mountpoint_info')!.samples.map((s) => s.labels),
      [{ export: 'nas:/c', protocol: 'tcp', mountaddr: '10.1.1.3', mountpoint: '/c' }],
    );
  });

  it('no mountstats: no series', async () => {
    assert.deepEqual((await run(mountstats, { procfs: fixture('proc-2cpu') })).families, []);
  });
});

describe('meminfo_numa', () => {
  it('per node, kB as bytes, numastat as counters', async () => {
    const { families, skipped } = await run(meminfoNuma, { sysfs: fixture('sys-numa') });
    assert.deepEqual(skipped, []);
    assert.deepEqual(validateFamilies(families), []);
    assert.equal(value(families, 'node_memory_numa_MemTotal', { node: '1' }), 16511404 * 1024);
    assert.equal(value(families, 'node_memory_numa_Active_anon', { node: '0' }), 1402100 * 1024);
    assert.equal(value(families, 'node_memory_numa_HugePages_Total', { node: '1' }), 4);
    assert.equal(families.find((f) => f.name === 'node_memory_numa_numa_hit_total')?.type, 'counter');
    assert.equal(value(families, 'node_memory_numa_other_node_total', { node: '1' }), 14200);
  });

  it('garbled lines and unreadable files are skipped and counted', async () => {
    const { families, skipped } = await run(meminfoNuma, { sysfs: fixture('nfs-odd/sys-numa-garbled') });
    assert.deepEqual(skipped.map((s) => s.reason).sort(), ['malformed', 'malformed', 'unreadable']);
    assert.equal(value(families, 'node_memory_numa_MemTotal', { node: '1' }), 2048 * 1024);
    assert.equal(value(families, 'node_memory_numa_MemFree', { node: '0' }), undefined);
    assert.equal(value(families, 'node_memory_numa_numa_hit_total', { node: '0' }), 10);
  });

  it('oversized and odd lines', () => {
    assert.equal(parseNodeMeminfo(`Node 0 MemTotal: ${'9'.repeat(5000)} kB`, 'm').skipped.length, 1);
    assert.equal(parseNodeMeminfo('Node 0 MemTotal: 1 MB', 'm').skipped.length, 1);
    assert.equal(parseNodeMeminfo('Node 0 MemTotal: 1 kB\nNode 0 MemTotal: 2 kB', 'm').skipped.length, 1);
    assert.equal(parseNumastat('numa_hit 1 2', 'n', '0').skipped.length, 1);
  });

  it('no NUMA in sysfs: no series', async () => {
    assert.deepEqual((await run(meminfoNuma, { sysfs: fixture('sys-net') })).families, []);
  });
});
