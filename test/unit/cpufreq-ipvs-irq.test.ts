import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { CollectContext, CollectorDefinition, MetricFamily } from '../../src/collector.js';
import { extractCollectorFlags } from '../../src/cli-flags.js';
import cpu from '../../collectors/host/cpu.js';
import cpufreq from '../../collectors/host/cpufreq.js';
import cpuVulnerabilities, { parseVulnerability } from '../../collectors/host/cpu-vulnerabilities.js';
import interrupts from '../../collectors/host/interrupts.js';
import ipvs from '../../collectors/host/ipvs.js';
import kernelHung from '../../collectors/host/kernel-hung.js';
import schedstat from '../../collectors/host/schedstat.js';
import softirqs from '../../collectors/host/softirqs.js';
import stat from '../../collectors/host/stat.js';
import { fixtureTree } from '../helpers/fixture-tree.js';
import { fixture } from '../helpers/spyglass.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** One run of a collector in-process: its families by name (with samples) and what it skipped. */
async function run<C>(def: CollectorDefinition<C>, config: C, paths: { procfs?: string; sysfs?: string }) {
  const skipped: string[] = [];
  const ctx = {
    config,
    paths: { procfs: paths.procfs ?? '/nonexistent/proc', sysfs: paths.sysfs ?? '/nonexistent/sys', rootfs: '/', udevData: '/nonexistent' },
    signal: new AbortController().signal,
    logger: quiet,
    runTimeMs: Date.now(),
    state: def.initialState?.(),
    once: true,
    skip: (reason: string) => skipped.push(reason),
    runSoon() {},
    servedElsewhere: () => undefined,
    maxSeries: undefined,
  } as unknown as CollectContext<C>;
  const families = await def.collect(ctx);
  return { families: new Map(families.filter((f) => f.samples.length).map((f) => [f.name, f])), skipped };
}

/** `{a="1",b="2"} value` lines of a family, sorted. */
function series(f: MetricFamily | undefined): string[] {
  return (f?.samples ?? [])
    .map((s) => {
      const labels = Object.entries((s as { labels?: Record<string, string> }).labels ?? {})
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',');
      return `{${labels}} ${(s as { value: number }).value}`;
    })
    .sort();
}

/** A temporary tree with these files (path → content). */
function tempTree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'spyglass-cpu-irq-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

const tree = fixtureTree();
const temps: string[] = [];
after(() => {
  tree.remove();
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});
const temp = (files: Record<string, string>) => {
  const t = tempTree(files);
  temps.push(t);
  return t;
};

describe('cpufreq collector', () => {
  it('reads online CPUs with a cpufreq directory; skips and counts a garbled value', async () => {
    const { families, skipped } = await run(cpufreq, {}, { sysfs: tree.sysfs });
    assert.deepEqual(series(families.get('node_cpu_frequency_hertz')), ['{cpu="0"} 2100000000']);
    assert.deepEqual(series(families.get('node_cpu_scaling_frequency_hertz')), ['{cpu="0"} 2099871000', '{cpu="2"} 1200000000']);
    assert.deepEqual(series(families.get('node_cpu_scaling_frequency_max_hertz')), ['{cpu="0"} 3500000000', '{cpu="1"} 3500000000', '{cpu="2"} 2400000000']);
    assert.deepEqual(series(families.get('node_cpu_scaling_governor')).slice(0, 2), ['{cpu="0",governor="performance"} 0', '{cpu="0",governor="powersave"} 1']);
    // cpu3 (offline) and cpu4 (no cpufreq) have no series.
    assert.ok(![...families.values()].some((f) => series(f).some((s) => /cpu="[34]"/.test(s))));
    assert.deepEqual(skipped, ['garbled file']);
  });

  it('leaves out an offline CPU that still has cpufreq files, and a root-only file it may not read', async () => {
    const sysfs = temp({
      'devices/system/cpu/offline': '1\n',
      'devices/system/cpu/cpu0/cpufreq/scaling_cur_freq': '1000\n',
      'devices/system/cpu/cpu0/cpufreq/cpuinfo_cur_freq': '1000\n',
      'devices/system/cpu/cpu1/cpufreq/scaling_cur_freq': '2000\n',
    });
    const rootOnly = join(sysfs, 'devices/system/cpu/cpu0/cpufreq/cpuinfo_cur_freq');
    chmodSync(rootOnly, 0);
    const { families, skipped } = await run(cpufreq, {}, { sysfs });
    assert.deepEqual(series(families.get('node_cpu_scaling_frequency_hertz')), ['{cpu="0"} 1000000']);
    // Root reads a mode-0 file anyway.
    assert.equal(families.has('node_cpu_frequency_hertz'), process.getuid?.() === 0);
    assert.deepEqual(skipped, []);
  });

  it('emits nothing without cpufreq', async () => {
    const { families, skipped } = await run(cpufreq, {}, { sysfs: fixture('sys-cpu') });
    assert.equal(families.size, 0);
    assert.deepEqual(skipped, []);
    assert.equal((await run(cpufreq, {}, {})).families.size, 0);
  });
});

describe('cpu_vulnerabilities collector', () => {
  it('reads state and mitigation of each file', async () => {
    const { families, skipped } = await run(cpuVulnerabilities, {}, { sysfs: tree.sysfs });
    assert.deepEqual(series(families.get('node_cpu_vulnerabilities_info')), [
      '{codename="gather_data_sampling",state="unknown",mitigation="Dependent on hypervisor status"} 1',
      '{codename="l1tf",state="not affected",mitigation=""} 1',
      '{codename="mds",state="vulnerable",mitigation="Clear CPU buffers attempted, no microcode; SMT vulnerable"} 1',
      '{codename="meltdown",state="mitigation",mitigation="PTI"} 1',
      '{codename="spectre_v1",state="mitigation",mitigation="usercopy/swapgs barriers and __user pointer sanitization"} 1',
      '{codename="srbds",state="unknown",mitigation="Processor vulnerable"} 1',
    ]);
    assert.deepEqual(skipped, []);
    assert.deepEqual(parseVulnerability('Vulnerable\n'), { state: 'vulnerable', mitigation: '' });
    assert.equal((await run(cpuVulnerabilities, {}, { sysfs: fixture('sys-cpu') })).families.size, 0);
  });

  it('skips and counts a file it cannot read', async () => {
    const sysfs = temp({ 'devices/system/cpu/vulnerabilities/mds': 'Not affected\n' });
    mkdirSync(join(sysfs, 'devices/system/cpu/vulnerabilities/odd'));
    const { families, skipped } = await run(cpuVulnerabilities, {}, { sysfs });
    assert.deepEqual(series(families.get('node_cpu_vulnerabilities_info')), ['{codename="mds",state="not affected",mitigation=""} 1']);
    assert.deepEqual(skipped, ['unreadable file']);
  });
});

describe('cpu collector --collector.cpu.info', () => {
  const options = { guest: true, info: true, info_flags_include: '^(aes|avx.?|constant_tsc)$', info_bugs_include: '^(spectre_.*|mds)$' };

  it('emits node_cpu_info and the first CPU’s chosen flags and bugs', async () => {
    const { families } = await run(cpu, options, { procfs: tree.procfs, sysfs: tree.sysfs });
    assert.deepEqual(series(families.get('node_cpu_info')), [
      '{package="0",core="0",cpu="0",vendor="AuthenticAMD",family="25",model="1",model_name="AMD EPYC 7B13",microcode="0xffffffff",stepping="0",cachesize="512 KB"} 1',
      '{package="0",core="0",cpu="1",vendor="AuthenticAMD",family="25",model="1",model_name="AMD EPYC 7B13",microcode="0xffffffff",stepping="0",cachesize="512 KB"} 1',
    ]);
    assert.deepEqual(series(families.get('node_cpu_flag_info')), ['{flag="aes"} 1', '{flag="avx"} 1', '{flag="avx2"} 1', '{flag="constant_tsc"} 1']);
    assert.deepEqual(series(families.get('node_cpu_bug_info')), ['{bug="spectre_v1"} 1', '{bug="spectre_v2"} 1']);
    // cpu0 has cpufreq/cpuinfo_cur_freq here: node_cpu_frequency_hertz is cpufreq's.
    assert.equal(families.has('node_cpu_frequency_hertz'), false);
    assert.ok(families.has('node_cpu_seconds_total'));
  });

  it('emits the /proc/cpuinfo frequency when sysfs has no cpuinfo_cur_freq, and is off by default', async () => {
    const on = await run(cpu, options, { procfs: tree.procfs, sysfs: fixture('sys-cpu') });
    assert.deepEqual(series(on.families.get('node_cpu_frequency_hertz')), [
      '{package="0",core="0",cpu="0"} 2450000000',
      '{package="0",core="0",cpu="1"} 2449998000',
    ]);
    const off = await run(cpu, { guest: true, info: false }, { procfs: tree.procfs, sysfs: fixture('sys-cpu') });
    assert.ok(!off.families.has('node_cpu_info') && !off.families.has('node_cpu_frequency_hertz'));
    const flagsOnly = await run(cpu, { guest: true, info: false, info_flags_include: '^aes$' }, { procfs: tree.procfs, sysfs: fixture('sys-cpu') });
    assert.ok(flagsOnly.families.has('node_cpu_info'));
    assert.deepEqual(series(flagsOnly.families.get('node_cpu_flag_info')), ['{flag="aes"} 1']);
    assert.equal(flagsOnly.families.has('node_cpu_bug_info'), false);
  });

  it('without /proc/cpuinfo counts it and still serves the rest', async () => {
    const { families, skipped } = await run(cpu, options, { procfs: fixture('proc-2cpu'), sysfs: fixture('sys-cpu') });
    assert.ok(families.has('node_cpu_seconds_total'));
    assert.ok(!families.has('node_cpu_info'));
    assert.deepEqual(skipped, ['missing file']);
  });

  it('takes node_exporter’s flags', () => {
    const r = extractCollectorFlags(['--collector.cpu.info.flags-include=^aes$', '--collector.cpu.info', '--collector.cpu.info.bugs-include', 'mds']);
    assert.ok(!('error' in r));
    assert.deepEqual(r.collectors.cpu, { info_flags_include: '^aes$', info: true, info_bugs_include: 'mds' });
  });
});

describe('ipvs collector', () => {
  it('serves totals and real servers, counting the garbled line', async () => {
    const { families, skipped } = await run(
      ipvs,
      { backend_labels: 'local_address,local_port,remote_address,remote_port,proto,local_mark' },
      { procfs: tree.procfs },
    );
    assert.deepEqual(series(families.get('node_ipvs_connections_total')), ['{} 14895']);
    assert.equal(series(families.get('node_ipvs_backend_weight')).length, 6);
    assert.deepEqual(skipped, ['garbled line']);
  });

  it('sums real servers the chosen labels do not tell apart; rejects unknown labels', async () => {
    const { families } = await run(ipvs, { backend_labels: 'proto' }, { procfs: tree.procfs });
    assert.deepEqual(series(families.get('node_ipvs_backend_connections_active')), ['{proto="FWM"} 4', '{proto="TCP"} 24', '{proto="UDP"} 0']);
    assert.deepEqual(ipvs.validate?.({ backend_labels: 'proto,nope' }), [
      {
        path: ['backend_labels'],
        message: 'unknown IPVS backend labels: nope (known: local_address, local_port, remote_address, remote_port, proto, local_mark)',
      },
    ]);
  });

  it('without the module emits nothing; a garbled totals line still serves the real servers', async () => {
    assert.equal((await run(ipvs, { backend_labels: 'proto' }, { procfs: fixture('proc-2cpu') })).families.size, 0);
    const procfs = temp({ 'net/ip_vs_stats': 'x\ny\n 1 2\n', 'net/ip_vs': 'TCP  0A000064:0050 rr\n  -> 0A00010B:1F90 Masq 1 2 3\n' });
    const { families, skipped } = await run(ipvs, { backend_labels: 'proto' }, { procfs });
    assert.ok(!families.has('node_ipvs_connections_total'));
    assert.deepEqual(series(families.get('node_ipvs_backend_connections_active')), ['{proto="TCP"} 2']);
    assert.deepEqual(skipped, ['garbled file']);
  });
});

describe('kernel_hung, schedstat, softirqs and interrupts collectors', () => {
  it('kernel_hung: the count, nothing without the file, a garbled file counted', async () => {
    assert.deepEqual(series((await run(kernelHung, {}, { procfs: tree.procfs })).families.get('node_kernel_hung_tasks_total')), ['{} 3']);
    assert.equal((await run(kernelHung, {}, { procfs: fixture('proc-2cpu') })).families.size, 0);
    const garbled = await run(kernelHung, {}, { procfs: temp({ 'sys/kernel/hung_task_detect_count': '-1\n' }) });
    assert.deepEqual([garbled.families.size, garbled.skipped], [0, ['garbled file']]);
  });

  it('schedstat: seconds from nanoseconds, the truncated line counted', async () => {
    const { families, skipped } = await run(schedstat, {}, { procfs: tree.procfs });
    assert.deepEqual(series(families.get('node_schedstat_running_seconds_total')), ['{cpu="0"} 81234.567890123', '{cpu="1"} 79876.543210987']);
    assert.deepEqual(series(families.get('node_schedstat_timeslices_total')), ['{cpu="0"} 1234567', '{cpu="1"} 2345678']);
    assert.deepEqual(skipped, ['garbled line']);
    assert.equal((await run(schedstat, {}, { procfs: fixture('proc-2cpu') })).families.size, 0);
  });

  it('softirqs: one series per CPU and type', async () => {
    const { families, skipped } = await run(softirqs, {}, { procfs: tree.procfs });
    const s = series(families.get('node_softirqs_functions_total'));
    assert.equal(s.length, 20);
    assert.ok(s.includes('{cpu="1",type="NET_RX"} 18230'));
    assert.deepEqual(skipped, []);
  });

  it('stat --collector.stat.softirq: node_softirqs_total per vector; a garbled softirq line counted, the rest served', async () => {
    const on = await run(stat, { softirq: true }, { procfs: fixture('proc-2cpu') });
    const s = series(on.families.get('node_softirqs_total'));
    assert.equal(s.length, 10);
    assert.ok(s[0]?.startsWith('{vector="block"} '));
    assert.equal((await run(stat, { softirq: false }, { procfs: fixture('proc-2cpu') })).families.has('node_softirqs_total'), false);
    const procfs = temp({ stat: 'cpu0 1 2 3 4\nintr 5 1 2\nsoftirq 10 1 2 x\nctxt 9\n' });
    const garbled = await run(stat, { softirq: true }, { procfs });
    assert.deepEqual(
      [garbled.families.has('node_softirqs_total'), garbled.families.has('node_context_switches_total'), garbled.skipped],
      [false, true, ['garbled line']],
    );
  });

  it('interrupts: filters by TYPE;INFO;DEVICES, leaves out zeros on request, counts the short line', async () => {
    const all = await run(interrupts, { include_zeros: true }, { procfs: tree.procfs });
    const s = series(all.families.get('node_interrupts_total'));
    assert.equal(s.length, 2 * 9);
    assert.ok(s.includes('{cpu="0",type="11",info="IO-APIC",devices="11-fasteoi virtio0, uhci_hcd:usb1"} 4102'));
    assert.ok(s.includes('{cpu="1",type="LOC",info="Local timer interrupts",devices=""} 790417'));
    assert.deepEqual(all.skipped, ['garbled line']);
    const some = await run(interrupts, { include_zeros: false, name_include: 'virtio', name_exclude: 'req' }, { procfs: tree.procfs });
    assert.deepEqual(series(some.families.get('node_interrupts_total')), [
      '{cpu="0",type="11",info="IO-APIC",devices="11-fasteoi virtio0, uhci_hcd:usb1"} 4102',
      '{cpu="1",type="11",info="IO-APIC",devices="11-fasteoi virtio0, uhci_hcd:usb1"} 3311',
    ]);
    const noZeros = series((await run(interrupts, { include_zeros: false }, { procfs: tree.procfs })).families.get('node_interrupts_total'));
    assert.ok(noZeros.every((l) => !l.endsWith(' 0')) && noZeros.length === 11);
  });

  it('a file without its header fails the run', async () => {
    const procfs = temp({ interrupts: 'garbage\n', softirqs: '' });
    await assert.rejects(async () => run(interrupts, { include_zeros: true }, { procfs }), /interrupts:1/);
    await assert.rejects(async () => run(softirqs, {}, { procfs }), /softirqs:1/);
  });
});
