import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseCpuinfo } from '../../src/parsers/proc-cpuinfo.js';
import { parseInterrupts } from '../../src/parsers/proc-interrupts.js';
import { formatIpv6, parseIpvsAddress, parseIpvsBackends, parseIpvsStats } from '../../src/parsers/proc-net-ipvs.js';
import { parseSchedstat } from '../../src/parsers/proc-schedstat.js';
import { parseSoftirqs } from '../../src/parsers/proc-softirqs.js';
import { fixture } from '../helpers/spyglass.js';

const read = (rel: string) => readFileSync(fixture(rel), 'utf8');
const neverThrows = (parse: (s: string) => unknown) => fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => void parse(s)));

describe('/proc/schedstat', () => {
  it('reads fields 7 to 9 of each cpu line and skips the truncated one', () => {
    const r = parseSchedstat(read('proc-sched-irq/schedstat'));
    assert.ok(r.ok);
    assert.deepEqual(r.value.cpus[0], { cpu: '0', runningNanoseconds: 81234567890123, waitingNanoseconds: 4567890123, timeslices: 1234567 });
    assert.deepEqual(
      r.value.cpus.map((c) => c.cpu),
      ['0', '1'],
    );
    assert.equal(r.value.skipped.length, 1);
    assert.match(r.value.skipped[0]!.detail, /schedstat:7: .*cpu2/);
  });

  it('rejects a file without a version line, skips garbled counters', () => {
    assert.equal(parseSchedstat('').ok, false);
    assert.equal(parseSchedstat('cpu0 1 2 3 4 5 6 7 8 9\n').ok, false);
    const r = parseSchedstat('version 15\ncpu0 1 2 3 4 5 6 x 8 9\ncpu1 1 2 3 4 5 6 7 8 9\n');
    assert.ok(r.ok);
    assert.deepEqual(
      r.value.cpus.map((c) => c.cpu),
      ['1'],
    );
    assert.equal(r.value.skipped.length, 1);
    neverThrows(parseSchedstat);
  });
});

describe('/proc/softirqs', () => {
  it('reads one count per header CPU', () => {
    const r = parseSoftirqs(read('proc-sched-irq/softirqs'));
    assert.ok(r.ok);
    assert.deepEqual(r.value.cpus, ['0', '1']);
    assert.equal(r.value.softirqs.length, 10);
    assert.deepEqual(r.value.softirqs[1], { type: 'TIMER', counts: [152304, 141187] });
    assert.deepEqual(r.value.skipped, []);
  });

  it('skips lines whose count of numbers differs from the header, rejects a missing header', () => {
    const r = parseSoftirqs('   CPU0   CPU1\n  HI:  1\n  TIMER:  2 3\n  NET_TX: 4 x\n');
    assert.ok(r.ok);
    assert.deepEqual(
      r.value.softirqs.map((s) => s.type),
      ['TIMER'],
    );
    assert.equal(r.value.skipped.length, 2);
    assert.equal(parseSoftirqs('').ok, false);
    assert.equal(parseSoftirqs('HI: 1 2\n').ok, false);
    neverThrows(parseSoftirqs);
  });
});

describe('/proc/interrupts', () => {
  it('splits chip and devices of numbered IRQs, leaves out ERR and MIS, skips a line with too few counts', () => {
    const r = parseInterrupts(read('proc-sched-irq/interrupts'));
    assert.ok(r.ok);
    const { cpus, interrupts, skipped } = r.value;
    assert.deepEqual(cpus, ['0', '1']);
    assert.deepEqual(interrupts[3], { type: '11', info: 'IO-APIC', devices: '11-fasteoi virtio0, uhci_hcd:usb1', counts: [4102, 3311] });
    assert.deepEqual(
      interrupts.find((i) => i.type === 'LOC'),
      { type: 'LOC', info: 'Local timer interrupts', devices: '', counts: [811220, 790417] },
    );
    assert.ok(!interrupts.some((i) => ['ERR', 'MIS', '25'].includes(i.type)));
    assert.equal(skipped.length, 1);
    assert.match(skipped[0]!.detail, /interrupts:7: expected a name and 2 counts/);
  });

  it('keeps the header CPU numbers when a CPU is offline; aarch64 lines without a space after the colon', () => {
    const r = parseInterrupts('           CPU0       CPU2\n 11:5 6 GICv3 27 Level arch_timer\nIPI0:1 2 Rescheduling interrupts\n');
    assert.ok(r.ok);
    assert.deepEqual(r.value.cpus, ['0', '2']);
    assert.deepEqual(r.value.interrupts[0], { type: '11', info: 'GICv3', devices: '27 Level arch_timer', counts: [5, 6] });
    assert.deepEqual(r.value.interrupts[1]?.counts, [1, 2]);
  });

  it('skips garbled counts, rejects a file without the header, and copes with a large machine', () => {
    const r = parseInterrupts('  CPU0 CPU1\n  0: 1 zz IO-APIC timer\n  1: 1 2 IO-APIC i8042\n no colon here\n');
    assert.ok(r.ok);
    assert.equal(r.value.interrupts.length, 1);
    assert.equal(r.value.skipped.length, 2);
    assert.equal(parseInterrupts('').ok, false);
    neverThrows(parseInterrupts);
    const cpus = 512;
    const header = Array.from({ length: cpus }, (_, i) => `CPU${i}`).join(' ');
    const lines = Array.from({ length: 300 }, (_, irq) => `${irq}: ${Array.from({ length: cpus }, () => '7').join(' ')} PCI-MSI ${irq}-edge dev${irq}`);
    const big = parseInterrupts([header, ...lines].join('\n'));
    assert.ok(big.ok);
    assert.equal(big.value.interrupts.length, 300);
    assert.equal(big.value.interrupts[299]?.counts.length, cpus);
  });
});

describe('/proc/net/ip_vs', () => {
  it('reads services and real servers, skips a garbled real server', () => {
    const { backends, skipped } = parseIpvsBackends(read('proc-ipvs/net/ip_vs'));
    assert.equal(backends.length, 6);
    assert.deepEqual(backends[0], {
      proto: 'TCP',
      localAddress: '10.0.0.100',
      localPort: 80,
      localMark: '',
      remoteAddress: '10.0.1.11',
      remotePort: 8080,
      weight: 1,
      activeConnections: 12,
      inactiveConnections: 40,
    });
    assert.deepEqual(
      backends.map((b) => [b.proto, b.localAddress, b.localMark, b.remoteAddress]),
      [
        ['TCP', '10.0.0.100', '', '10.0.1.11'],
        ['TCP', '10.0.0.100', '', '10.0.1.12'],
        ['UDP', '10.0.0.100', '', '10.0.2.1'],
        ['TCP', '2001:db8::64', '', '2001:db8:0:1::b'],
        ['FWM', '', '0000002A', '10.0.3.11'],
        ['FWM', '', '0000002A', '10.0.3.12'],
      ],
    );
    assert.equal(skipped.length, 1);
    assert.match(skipped[0]!.detail, /ip_vs:7: bad real server/);
  });

  it('skips the real servers of a garbled service and unknown lines', () => {
    const { backends, skipped } = parseIpvsBackends(
      'TCP  0A00006:0050 rr\n  -> 0A00010B:1F90 Masq 1 2 3\nTCP  0A000064:0050 rr\n  -> 0A00010B:1F90 Masq 1 2\nbogus\n  -> 0A00010B:1F90 Masq 1 2 3\n',
    );
    assert.deepEqual(backends, []);
    assert.equal(skipped.length, 5);
    neverThrows((s) => parseIpvsBackends(s));
  });

  it('formats addresses as Go does', () => {
    assert.deepEqual(parseIpvsAddress('C0A80016:0CEA'), { address: '192.168.0.22', port: 3306 });
    assert.deepEqual(parseIpvsAddress('[0000:0000:0000:0000:0000:ffff:c0a8:0001]:0050'), { address: '192.168.0.1', port: 80 });
    assert.equal(parseIpvsAddress('C0A80016:CEA'), undefined);
    assert.equal(formatIpv6([0, 0, 0, 0, 0, 0, 0, 1]), '::1');
    assert.equal(formatIpv6([0, 0, 0, 0, 0, 0, 0, 0]), '::');
    assert.equal(formatIpv6([0x2001, 0xdb8, 0, 1, 0, 0, 0, 1]), '2001:db8:0:1::1');
    assert.equal(formatIpv6([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1]), '2001:db8::1:0:0:1');
    assert.equal(formatIpv6([1, 2, 3, 4, 5, 6, 7, 8]), '1:2:3:4:5:6:7:8');
  });

  it('reads the hexadecimal totals of ip_vs_stats and rejects a truncated or garbled file', () => {
    const r = parseIpvsStats(read('proc-ipvs/net/ip_vs_stats'));
    assert.ok(r.ok);
    assert.deepEqual(r.value, { connections: 0x3a2f, incomingPackets: 0x1c9e04, outgoingPackets: 0, incomingBytes: 0xb7e2d1a4, outgoingBytes: 0 });
    assert.equal(parseIpvsStats('a\nb\n').ok, false);
    assert.equal(parseIpvsStats('a\nb\n 1 2 3 4\n').ok, false);
    assert.equal(parseIpvsStats('a\nb\n 1 2 3 4 G\n').ok, false);
    neverThrows(parseIpvsStats);
  });
});

describe('/proc/cpuinfo', () => {
  it('reads each processor block', () => {
    const { cpus, skipped } = parseCpuinfo(read('proc-sched-irq/cpuinfo'));
    assert.deepEqual(skipped, []);
    assert.equal(cpus.length, 2);
    assert.equal(cpus[1]?.processor, '1');
    assert.equal(cpus[0]?.modelName, 'AMD EPYC 7B13');
    assert.equal(cpus[0]?.cacheSize, '512 KB');
    assert.equal(cpus[1]?.mhz, 2449.998);
    assert.ok(cpus[0]?.flags.includes('avx2'));
    assert.deepEqual(cpus[0]?.bugs, ['sysret_ss_attrs', 'spectre_v1', 'spectre_v2', 'spec_store_bypass', 'srso']);
  });

  it('skips a block without a processor number; other architectures leave fields empty', () => {
    const { cpus, skipped } = parseCpuinfo('processor\t: x\nvendor_id\t: A\n\nprocessor\t: 1\nFeatures\t: fp asimd\n\nHardware\t: BCM2835\n');
    assert.deepEqual(
      cpus.map((c) => [c.processor, c.vendor, c.flags, c.mhz]),
      [['1', '', ['fp', 'asimd'], undefined]],
    );
    assert.equal(skipped.length, 1);
    neverThrows((s) => parseCpuinfo(s));
  });
});

describe('oversized files', () => {
  it('a machine with 4096 CPUs and a balancer with 20,000 real servers', () => {
    const cpus = 4096;
    const schedstat = ['version 15', 'timestamp 1', ...Array.from({ length: cpus }, (_, i) => `cpu${i} 0 0 0 0 0 0 ${i} ${i} ${i}`)].join('\n');
    const s = parseSchedstat(schedstat);
    assert.ok(s.ok);
    assert.equal(s.value.cpus.length, cpus);
    const header = Array.from({ length: cpus }, (_, i) => `CPU${i}`).join(' ');
    const row = Array.from({ length: cpus }, () => '1').join(' ');
    const soft = parseSoftirqs([header, `HI: ${row}`, `TIMER: ${row}`].join('\n'));
    assert.ok(soft.ok);
    assert.equal(soft.value.softirqs[1]?.counts.length, cpus);
    const servers = Array.from(
      { length: 20000 },
      (_, i) => `  -> 0A${(i >> 8).toString(16).padStart(2, '0').toUpperCase()}${(i & 0xff).toString(16).padStart(2, '0').toUpperCase()}01:0050 Route 1 ${i} 0`,
    );
    const ipvs = parseIpvsBackends(['IP Virtual Server version 1.2.1 (size=4096)', 'TCP  0A000064:0050 rr', ...servers].join('\n'));
    assert.equal(ipvs.backends.length, 20000);
    assert.equal(ipvs.skipped.length, 0);
    assert.equal(ipvs.backends[19999]?.activeConnections, 19999);
  });
});
