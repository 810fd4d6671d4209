import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseConntrackStat } from '../collectors/host/conntrack.js';
import { deviceFilter } from '../collectors/host/device-filter.js';
import { parseFileNr } from '../collectors/host/filefd.js';
import { parseNetstatPairs, parseSnmp6 } from '../collectors/host/netstat.js';
import { parseOsRelease } from '../collectors/host/os-release.js';
import { parsePressure } from '../collectors/host/pressure.js';
import { parseKeyValueLines } from '../collectors/host/proc-keyvalue.js';
import { parseNetDev } from '../collectors/host/proc-netdev.js';
import { parseSockstat } from '../collectors/host/sockstat.js';
import { abbreviationFromRule, footerOf, zoneAbbreviation } from '../collectors/host/timezone.js';
import { fixture, runCli, sampleValue } from './helpers/spyglass.js';

const read = (p: string) => readFileSync(fixture(`proc-2cpu/${p}`), 'utf8');
const neverThrows = (f: (s: string) => unknown) => fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => void f(s)), { numRuns: 300 });

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
    const head = 'Inter-|   Receive                            |  Transmit\n face |bytes packets errs drop fifo frame compressed multicast|bytes packets errs drop fifo colls carrier compressed\n';
    const r = parseNetDev(`${head}eth0:18446744073709551615 1 0 0 0 0 0 0 2 3 0 0 0 0 0 0\n`);
    assert.ok(r.ok);
    assert.equal(r.value[0]?.stats.get('receive_bytes'), 18446744073709551615);
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

  it('no parser throws on arbitrary input', () => {
    neverThrows((s) => parseNetDev(s));
    neverThrows((s) => parseNetstatPairs(s, 'x'));
    neverThrows((s) => parseSnmp6(s));
    neverThrows((s) => parseSockstat(s, 'x'));
    neverThrows((s) => parseKeyValueLines(s, 'x'));
    neverThrows((s) => parseConntrackStat(s));
    neverThrows((s) => parsePressure(s, 'x'));
    neverThrows((s) => parseFileNr(s));
    neverThrows((s) => parseOsRelease(s));
    neverThrows((s) => abbreviationFromRule(s, 0));
  });
});

describe('host collectors through the CLI', () => {
  it('read the captured procfs exactly', async () => {
    const r = await runCli(['dump', `--path.procfs=${fixture('proc-2cpu')}`, 'stat', 'filefd', 'pressure', 'vmstat', 'netdev', 'sockstat']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sampleValue(r.stdout, 'node_context_switches_total'), Number(/^ctxt (\d+)/m.exec(read('stat'))?.[1]));
    assert.equal(sampleValue(r.stdout, 'node_filefd_maximum'), Number(read('sys/fs/file-nr').trim().split(/\s+/)[2]));
    assert.equal(sampleValue(r.stdout, 'node_pressure_cpu_waiting_seconds_total'), 146.892802);
    assert.equal(sampleValue(r.stdout, 'node_pressure_irq_stalled_seconds_total'), undefined, 'no irq file on this kernel: no series');
    assert.match(r.stdout, /^# TYPE node_vmstat_pgfault untyped$/m);
    assert.doesNotMatch(r.stdout, /node_vmstat_nr_free_pages/, 'default field filter');
    assert.notEqual(sampleValue(r.stdout, 'node_network_receive_bytes_total{device="lo"}'), undefined);
  });

  it('treat missing files (old kernels, no PSI, no IPv6, no conntrack) as no data, not failure', async () => {
    const r = await runCli(['dump', `--path.procfs=${fixture('proc-garbled')}`, 'pressure', 'sockstat', 'conntrack', 'entropy']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
  });

  it('apply node_exporter-style options from flags, and reject a bad regexp at load time', async () => {
    const r = await runCli(['dump', `--path.procfs=${fixture('proc-2cpu')}`, '--collector.netdev.device-exclude=^(lo|ifb.*)$', '--collector.vmstat.fields=^nr_free_pages$', 'netdev', 'vmstat']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /device="(lo|ifb0)"/);
    assert.match(r.stdout, /device="eth0"/);
    assert.match(r.stdout, /^node_vmstat_nr_free_pages /m);
    assert.doesNotMatch(r.stdout, /node_vmstat_pgfault/);
    const bad = await runCli(['dump', '--collector.netdev.device-exclude=(unclosed', 'netdev']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /collectors\.netdev\.device_exclude: must match format "regex"/);
  });
});
