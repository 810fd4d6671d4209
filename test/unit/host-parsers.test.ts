import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseArpEntriesPerDevice } from '../../src/parsers/proc-net-arp.js';
import { parseConntrackStat } from '../../src/parsers/proc-net-conntrack.js';
import { parseCpuList } from '../../src/parsers/sysfs-cpulist.js';
import { deviceFilter } from '../../collectors/host/device-filter.js';
import { parseFileNr } from '../../src/parsers/proc-file-nr.js';
import { parseNetstatPairs, parseSnmp6 } from '../../src/parsers/proc-net-netstat.js';
import { parseOsRelease } from '../../src/parsers/os-release.js';
import { parsePressure } from '../../src/parsers/pressure.js';
import { parseKeyValueLines, pickKeyValues } from '../../src/parsers/key-value-lines.js';
import { parseNetDev } from '../../src/parsers/proc-net-dev.js';
import { parseSelinuxConfigMode } from '../../src/parsers/selinux-config.js';
import { parseSockstat } from '../../src/parsers/proc-net-sockstat.js';
import { parseSoftnetStat } from '../../src/parsers/proc-net-softnet.js';
import { timexFamilies } from '../../collectors/host/timex.js';
import { parseUdpQueues } from '../../src/parsers/proc-net-udp.js';
import { abbreviationFromRule, footerOf, zoneAbbreviation } from '../../collectors/host/timezone.js';
import { fixture } from '../helpers/spyglass.js';

const read = (p: string) => readFileSync(fixture(`proc-2cpu/${p}`), 'utf8');
const neverThrows = (f: (s: string) => unknown) =>
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (s) => void f(s)),
    { numRuns: 300 },
  );

describe('host parsers on captured files', () => {
  it('/proc/net/dev: every interface with 16 named columns', () => {
    const r = parseNetDev(read('net/dev'));
    assert.ok(r.ok);
    assert.deepEqual(r.value.map((d) => d.device).sort(), ['eth0', 'ifb0', 'ifb1', 'lo']);
    const lo = r.value.find((d) => d.device === 'lo');
    assert.equal(lo?.stats.size, 16);
    assert.ok(lo?.stats.has('receive_bytes') && lo.stats.has('transmit_colls') && lo.stats.has('receive_multicast'));
  });

  it('/proc/net/netstat, snmp and snmp6 into Proto_Field keys', () => {
    const netstat = parseNetstatPairs(read('net/netstat'), '/proc/net/netstat');
    assert.ok(netstat.ok);
    assert.ok(netstat.value.has('TcpExt_SyncookiesSent') && netstat.value.has('IpExt_InOctets'));
    const snmp = parseNetstatPairs(read('net/snmp'), '/proc/net/snmp');
    assert.ok(snmp.ok);
    assert.ok(snmp.value.has('Tcp_InSegs') && snmp.value.has('Udp_NoPorts') && snmp.value.has('Icmp_InMsgs'));
    const six = parseSnmp6(read('net/snmp6'));
    assert.ok(six.ok);
    assert.ok(six.value.has('Ip6_InOctets') && six.value.has('Udp6_InDatagrams') && six.value.has('UdpLite6_InErrors'));
  });

  it('/proc/net/sockstat(6), /proc/vmstat, file-nr, nf_conntrack stat, pressure', () => {
    const sock = parseSockstat(read('net/sockstat'), '/proc/net/sockstat');
    assert.ok(sock.ok);
    assert.ok(sock.value.get('sockets')?.has('used'));
    assert.deepEqual([...(sock.value.get('TCP')?.keys() ?? [])], ['inuse', 'orphan', 'tw', 'alloc', 'mem']);
    assert.ok(parseSockstat(read('net/sockstat6'), '/proc/net/sockstat6').ok);
    const vm = parseKeyValueLines(read('vmstat'), '/proc/vmstat');
    assert.ok(vm.ok && vm.value.has('pgfault') && vm.value.has('oom_kill'));
    assert.ok(parseFileNr(read('sys/fs/file-nr')).ok);
    const ct = parseConntrackStat(read('net/stat/nf_conntrack'));
    assert.ok(ct.ok && ct.value.has('search_restart'));
    assert.deepEqual(parsePressure(read('pressure/cpu'), '/proc/pressure/cpu'), { ok: true, value: { some: 146.892802, full: 0 } });
  });
});

describe('host parsers on synthetic input', () => {
  it('sums hex conntrack counters over CPUs', () => {
    const r = parseConntrackStat('entries found drop\n0000000a 00000001 000000ff\n0000000a 00000002 00000001\n');
    assert.deepEqual(r.ok && Object.fromEntries(r.value), { entries: 20, found: 3, drop: 256 });
    assert.equal(parseConntrackStat('entries found\n0000000a\n').ok, false, 'short row');
    assert.equal(parseConntrackStat('entries found\n0000000a zz\n').ok, false, 'not hex');
  });

  it('reads netdev lines whose counters touch the colon, and rejects truncated ones', () => {
    const head =
      'Inter-|   Receive                            |  Transmit\n face |bytes packets errs drop fifo frame compressed multicast|bytes packets errs drop fifo colls carrier compressed\n';
    const r = parseNetDev(`${head}eth0:18446744073709551615 1 0 0 0 0 0 0 2 3 0 0 0 0 0 0\n`);
    assert.ok(r.ok);
    assert.equal(r.value[0]?.stats.get('receive_bytes'), 2 ** 64); // 18446744073709551615 as the nearest double
    assert.equal(parseNetDev(`${head}eth0: 1 2 3\n`).ok, false);
    assert.equal(parseNetDev('garbage').ok, false);
  });

  it('pressure without the full line (old kernels report cpu "some" only) and garbled lines', () => {
    assert.deepEqual(parsePressure('some avg10=0.00 avg60=0.00 avg300=0.00 total=1000000\n', 'x'), { ok: true, value: { some: 1 } });
    assert.equal(parsePressure('some avg10=0.00\n', 'x').ok, false);
  });

  it('netstat pairs must match protocol and count', () => {
    assert.equal(parseNetstatPairs('Tcp: A B\nTcp: 1\n', 'x').ok, false);
    assert.equal(parseNetstatPairs('Tcp: A\nUdp: 1\n', 'x').ok, false);
    assert.equal(parseNetstatPairs('Tcp: A\n', 'x').ok, false);
    const neg = parseNetstatPairs('Tcp: MaxConn\nTcp: -1\n', 'x');
    assert.deepEqual(neg.ok && Object.fromEntries(neg.value), { Tcp_MaxConn: -1 });
  });

  it('os-release quoting', () => {
    const r = parseOsRelease('NAME="Debian GNU/Linux"\nID=debian\n# comment\nVERSION=\'12 (bookworm)\'\nX="a \\"q\\""\n');
    assert.deepEqual(r.ok && Object.fromEntries(r.value), { NAME: 'Debian GNU/Linux', ID: 'debian', VERSION: '12 (bookworm)', X: 'a "q"' });
    assert.equal(parseOsRelease('not a line\n').ok, false);
  });

  it('time zone abbreviations from POSIX rules, as Go names them', () => {
    assert.equal(abbreviationFromRule('CET-1CEST,M3.5.0,M10.5.0/3', 3600), 'CET');
    assert.equal(abbreviationFromRule('CET-1CEST,M3.5.0,M10.5.0/3', 7200), 'CEST');
    assert.equal(abbreviationFromRule('<+0530>-5:30', 19800), '+0530');
    assert.equal(abbreviationFromRule('EST5EDT,M3.2.0,M11.1.0', -18000), 'EST');
    assert.equal(abbreviationFromRule('UTC0', 0), 'UTC');
    assert.equal(footerOf('TZif2....\nPST8PDT,M3.2.0,M11.1.0\n'), 'PST8PDT,M3.2.0,M11.1.0');
    assert.equal(zoneAbbreviation(0, { TZ: '' }), 'UTC');
    assert.equal(zoneAbbreviation(3600, { TZ: 'CET-1CEST,M3.5.0,M10.5.0/3' }), 'CET');
  });

  it('device filters follow node_exporter: include replaces the default exclude, both at once is an error', () => {
    assert.equal(deviceFilter({}, '^lo$')('lo'), false);
    assert.equal(deviceFilter({ device_include: '^lo$' }, '^lo$')('lo'), true);
    assert.equal(deviceFilter({ device_include: '^lo$' }, '')('eth0'), false);
    assert.equal(deviceFilter({ device_exclude: 'veth' }, '')('vethabc'), false);
    assert.throws(() => deviceFilter({ device_include: 'a', device_exclude: 'b' }, ''), /mutually exclusive/);
  });

  it('name-value files: every value as Number() reads it, whatever the spacing; anything else names its line', () => {
    const name = fc.stringMatching(/^[a-z_][a-z0-9_]{0,20}$/);
    const value = fc.oneof(
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
      fc.integer({ min: -1000, max: 1000 }).map(String),
      fc.double({ min: 0, max: 1e6, noNaN: true }).map((d) => d.toFixed(3)),
    );
    const space = fc.constantFrom(' ', '  ', '\t', ' \t');
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(name, value, space), { selector: ([n]) => n, maxLength: 30 }), fc.boolean(), (lines, trailingNewline) => {
        const text = lines.map(([n, v, s]) => `${n}${s}${v}`).join('\n') + (trailingNewline ? '\n' : '');
        const parsed = parseKeyValueLines(text, 'x');
        assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
        assert.deepEqual(
          [...parsed.value],
          lines.map(([n, v]) => [n, Number(v)]),
        );
      }),
      { numRuns: 300 },
    );
    assert.deepEqual(parseKeyValueLines('a 1\nb 2 3\n', 'f'), { ok: false, error: 'f:2: expected "name value", got "b 2 3"' });
    assert.deepEqual(
      pickKeyValues('a 1\nb 2 3\n', 'f', ['a']),
      { ok: false, error: 'f:2: expected "name value", got "b 2 3"' },
      'lines not asked for are checked too',
    );
    assert.deepEqual(parseKeyValueLines('a 1\n\nc x', 'f'), { ok: false, error: 'f:3: expected "name value", got "c x"' });
  });

  it('picking keys from a name-value file gives what the whole table has, undefined for keys it lacks', () => {
    const name = fc.stringMatching(/^[a-z_][a-z0-9_]{0,12}$/);
    const value = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String), fc.integer({ min: -1000, max: 1000 }).map(String));
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(name, value), { selector: ([n]) => n, maxLength: 40 }),
        fc.array(name, { maxLength: 8 }),
        fc.constantFrom(' ', '  '),
        (lines, asked, space) => {
          const text = lines.map(([n, v]) => `${n}${space}${v}\n`).join('');
          const table = parseKeyValueLines(text, 'x');
          const picked = pickKeyValues(text, 'x', asked);
          assert.ok(table.ok && picked.ok);
          assert.deepEqual(
            picked.value,
            asked.map((k) => table.value.get(k)),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('pressure lines read by position agree with the full pattern, whatever the spacing', () => {
    const micros = fc.bigInt({ min: 0n, max: 2n ** 53n }).map(String);
    fc.assert(
      fc.property(micros, micros, fc.constantFrom(' ', '  ', '\t'), fc.boolean(), (some, full, gap, trailing) => {
        const text = `some avg10=0.00${gap}avg60=1.50 avg300=0.00 total=${some}${trailing ? ' ' : ''}\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=${full}\n`;
        assert.deepEqual(parsePressure(text, 'x'), { ok: true, value: { some: Number(some) / 1e6, full: Number(full) / 1e6 } });
      }),
    );
    assert.deepEqual(parsePressure('some avg10=0.00 total=12x\n', 'f'), { ok: false, error: 'f:1: malformed line "some avg10=0.00 total=12x"' });
    assert.equal(parsePressure('other avg10=0.00 total=12\n', 'f').ok, false);
  });

  it('no parser throws on arbitrary input', () => {
    neverThrows((s) => parseNetDev(s));
    neverThrows((s) => parseNetstatPairs(s, 'x'));
    neverThrows((s) => parseSnmp6(s));
    neverThrows((s) => parseSockstat(s, 'x'));
    neverThrows((s) => parseKeyValueLines(s, 'x'));
    neverThrows((s) => pickKeyValues(s, 'x', ['a', 'total']));
    neverThrows((s) => parseConntrackStat(s));
    neverThrows((s) => parsePressure(s, 'x'));
    neverThrows((s) => parseFileNr(s));
    neverThrows((s) => parseOsRelease(s));
    neverThrows((s) => abbreviationFromRule(s, 0));
  });
});

describe('softnet, arp, udp_queues, cpu sysfs, selinux, timex', () => {
  it('parse captured softnet_stat, arp and udp files', () => {
    const softnet = parseSoftnetStat(read('net/softnet_stat'));
    assert.ok(softnet.ok);
    assert.deepEqual(
      softnet.value.map((r) => r.cpu),
      ['0', '1'],
    );
    assert.equal(softnet.value[0]?.processed, parseInt(read('net/softnet_stat').split(/\s+/)[0] as string, 16));
    const arp = parseArpEntriesPerDevice(read('net/arp'));
    assert.ok(arp.ok);
    assert.deepEqual([...arp.value], [['eth0', 1]]);
    assert.deepEqual(parseUdpQueues(read('net/udp'), 'udp'), { ok: true, value: { tx: 0, rx: 0xe00 } });
    assert.deepEqual(parseUdpQueues(read('net/udp6'), 'udp6'), { ok: true, value: { tx: 0, rx: 0x500 } });
  });

  it('softnet_stat of older kernels: the line number is the CPU, absent columns are absent', () => {
    const eleven = parseSoftnetStat('00000010 00000001 00000002 00000000 00000000 00000000 00000000 00000000 00000003 00000004 00000005\n'.repeat(2));
    assert.ok(eleven.ok);
    assert.deepEqual(eleven.value[1], {
      cpu: '1',
      processed: 16,
      dropped: 1,
      times_squeezed: 2,
      cpu_collision: 3,
      received_rps: 4,
      flow_limit_count: 5,
      backlog_len: undefined,
    });
    const nine = parseSoftnetStat('0000000a 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000\n');
    assert.ok(nine.ok && nine.value[0]?.received_rps === undefined);
    // Offline CPUs are skipped by the kernel, so column 13 (not the line number) names the CPU.
    const gap = parseSoftnetStat(`${'00000001 '.repeat(12)}00000000\n${'00000001 '.repeat(12)}00000003\n`);
    assert.ok(gap.ok);
    assert.deepEqual(
      gap.value.map((r) => r.cpu),
      ['0', '3'],
    );
  });

  it('reject garbled and truncated lines with file and line', () => {
    assert.deepEqual(parseSoftnetStat('00000001 00000002\n'), { ok: false, error: '/proc/net/softnet_stat:1: expected at least 9 columns, got 2' });
    assert.match((parseSoftnetStat(`${'0000000g '.repeat(9)}\n`) as { error: string }).error, /column 1 is not hex/);
    assert.match(
      (parseArpEntriesPerDevice('IP address HW type\n10.0.0.1 0x1 0x2\n') as { error: string }).error,
      /^\/proc\/net\/arp:2: expected 6 fields, got 3/,
    );
    assert.match(
      (parseUdpQueues('header\n 1: 0100007F:C78B 00000000:0000 07 zz:00\n', '/proc/net/udp') as { error: string }).error,
      /^\/proc\/net\/udp:2: expected tx_queue:rx_queue/,
    );
    neverThrows((s) => parseSoftnetStat(s));
    neverThrows((s) => parseArpEntriesPerDevice(s));
    neverThrows((s) => parseUdpQueues(s, 'f'));
    neverThrows((s) => parseCpuList(s));
    neverThrows((s) => parseSelinuxConfigMode(s));
  });

  it('cpulist ranges: property check against the expanded set', () => {
    assert.deepEqual(parseCpuList('0-2,5,7-8\n'), [0, 1, 2, 5, 7, 8]);
    assert.deepEqual(parseCpuList('\n'), []);
    assert.equal(parseCpuList('3-1'), undefined);
    assert.equal(parseCpuList('0,a'), undefined);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 4095 }), { maxLength: 64 }), (cpus) => {
        const sorted = [...cpus].sort((a, b) => a - b);
        assert.deepEqual(parseCpuList(sorted.join(',')), sorted);
      }),
    );
  });

  it('timex conversions follow adjtimex(2): ns or µs by STA_NANO, 16-bit ppm fractions', () => {
    const raw = {
      state: 0,
      offset: 1500,
      freq: 65536 * 10,
      maxerror: 16000,
      esterror: 500,
      status: 0x2001,
      constant: 7,
      tick: 10000,
      ppsfreq: 65536,
      jitter: 2000,
      shift: 3,
      stabil: 65536 * 2,
      jitcnt: 1,
      calcnt: 2,
      errcnt: 3,
      stbcnt: 4,
      tai: 37,
    };
    const v = (name: string, t = raw) => (timexFamilies(t).find((f) => f.name === `node_timex_${name}`)?.samples[0] as { value: number } | undefined)?.value;
    assert.equal(v('sync_status'), 1);
    assert.equal(v('offset_seconds'), 1.5e-6, 'STA_NANO set: offset in ns');
    assert.equal(v('offset_seconds', { ...raw, status: 1 }), 1.5e-3, 'STA_NANO clear: offset in µs');
    assert.equal(v('frequency_adjustment_ratio'), 1.00001);
    assert.equal(v('maxerror_seconds'), 0.016);
    assert.equal(v('tick_seconds'), 0.01);
    assert.equal(v('pps_frequency_hertz'), 1e-6);
    assert.equal(v('pps_stability_hertz'), 2e-6);
    assert.equal(v('tai_offset_seconds'), 37);
    assert.equal(v('sync_status', { ...raw, state: 5 }), 0, 'TIME_ERROR');
  });
});
