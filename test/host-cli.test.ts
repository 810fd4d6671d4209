import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fixture, runCli, sampleValue } from './helpers/spyglass.js';

const read = (p: string) => readFileSync(fixture(`proc-2cpu/${p}`), 'utf8');

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
    const r = await runCli([
      'dump',
      `--path.procfs=${fixture('proc-2cpu')}`,
      '--collector.netdev.device-exclude=^(lo|ifb.*)$',
      '--collector.vmstat.fields=^nr_free_pages$',
      'netdev',
      'vmstat',
    ]);
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

describe('cpu sysfs, selinux, softnet, arp, udp_queues and netdev through the CLI', () => {
  it('cpu reads throttles once per core and package, isolated and online CPUs from sysfs', async () => {
    const r = await runCli(['dump', `--path.procfs=${fixture('proc-2cpu')}`, `--path.sysfs=${fixture('sys-cpu')}`, 'cpu']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sampleValue(r.stdout, 'node_cpu_core_throttles_total{core="0",package="0"}'), 100);
    assert.equal(sampleValue(r.stdout, 'node_cpu_core_throttles_total{core="1",package="0"}'), 101);
    assert.equal(r.stdout.match(/^node_cpu_core_throttles_total/gm)?.length, 2, 'hyperthreads share their core counter');
    assert.equal(sampleValue(r.stdout, 'node_cpu_package_throttles_total{package="0"}'), 7);
    assert.equal(sampleValue(r.stdout, 'node_cpu_package_throttles_total{package="1"}'), undefined, 'cpu4 lacks core_id: skipped');
    assert.deepEqual(r.stdout.match(/^node_cpu_isolated\{cpu="\d"\} 1$/gm), ['node_cpu_isolated{cpu="2"} 1', 'node_cpu_isolated{cpu="3"} 1']);
    assert.equal(sampleValue(r.stdout, 'node_cpu_online{cpu="2"}'), 1);
    assert.equal(sampleValue(r.stdout, 'node_cpu_online{cpu="3"}'), 0);
  });

  it('selinux: enabled with modes on an SELinux host, 0 without selinuxfs', async () => {
    const s = fixture('selinux');
    const on = await runCli(['dump', `--path.sysfs=${s}/sys`, `--path.procfs=${s}/proc`, `--path.rootfs=${s}/root`, 'selinux']);
    assert.equal(on.code, 0, on.stderr);
    assert.equal(sampleValue(on.stdout, 'node_selinux_enabled'), 1);
    assert.equal(sampleValue(on.stdout, 'node_selinux_current_mode'), 1);
    assert.equal(sampleValue(on.stdout, 'node_selinux_config_mode'), 0);
    const off = await runCli(['dump', `--path.sysfs=${fixture('sys-cpu')}`, 'selinux']);
    assert.equal(off.code, 0, off.stderr);
    assert.equal(sampleValue(off.stdout, 'node_selinux_enabled'), 0);
    assert.equal(sampleValue(off.stdout, 'node_selinux_current_mode'), undefined);
  });

  it('softnet, arp, udp_queues and netdev nohandler from the captured procfs', async () => {
    const r = await runCli([
      'dump',
      `--path.procfs=${fixture('proc-2cpu')}`,
      `--path.sysfs=${fixture('sys-net')}`,
      '--collector.arp.device-exclude=^eth',
      'softnet',
      'arp',
      'udp_queues',
      'netdev',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sampleValue(r.stdout, 'node_udp_queues{ip="v4",queue="rx"}'), 0xe00);
    assert.equal(sampleValue(r.stdout, 'node_udp_queues{ip="v6",queue="rx"}'), 0x500);
    assert.equal(sampleValue(r.stdout, 'node_softnet_times_squeezed_total{cpu="1"}'), 5);
    assert.doesNotMatch(r.stdout, /node_arp_entries\{/, 'device filter applies');
    assert.equal(sampleValue(r.stdout, 'node_network_receive_nohandler_total{device="eth0"}'), 42);
    assert.equal(sampleValue(r.stdout, 'node_network_receive_nohandler_total{device="lo"}'), undefined, 'no statistics directory: no sample');
  });
});
