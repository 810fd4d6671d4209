import assert from 'node:assert/strict';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import fibrechannel from '../../collectors/host/fibrechannel.js';
import infiniband from '../../collectors/host/infiniband.js';
import nvme from '../../collectors/host/nvme.js';
import powersupplyclass from '../../collectors/host/powersupplyclass.js';
import tapestats from '../../collectors/host/tapestats.js';
import watchdog from '../../collectors/host/watchdog.js';
import { extractCollectorFlags } from '../../src/cli-flags.js';
import type { CollectContext, CollectorDefinition, MetricFamily } from '../../src/collector.js';
import { formatConfigError, loadConfig } from '../../src/config/load.js';
import {
  goValidUtf8,
  parseDecimalUint64,
  parseGoInt64,
  parseGoUint64,
  parseInfiniBandRate,
  parseInfiniBandState,
  wrapUint64,
} from '../../src/parsers/sysfs-class.js';
import { samplesOf, valueOf } from '../helpers/container-run.js';
import { fixture } from '../helpers/spyglass.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

interface Run {
  families: MetricFamily[];
  skipped: Array<{ reason: string; detail: string }>;
}

/** One in-process run of a collector over a sysfs tree, its options through the config loader (defaults applied). */
async function run(def: CollectorDefinition, sysfs: string, options: Record<string, unknown> = {}): Promise<Run> {
  const loaded = await loadConfig({ builtins: [def], overrides: { collectors: { [def.name]: options } } });
  if (!loaded.ok) throw new Error(loaded.errors.map(formatConfigError).join('; '));
  const skipped: Run['skipped'] = [];
  const ctx = {
    config: loaded.config.collectors[0]!.options,
    paths: { procfs: '/nonexistent', sysfs, rootfs: '/nonexistent', udevData: '/nonexistent' },
    signal: new AbortController().signal,
    logger: quiet,
    runTimeMs: Date.now(),
    state: undefined,
    skip: (reason: string, detail: string) => skipped.push({ reason, detail }),
  } as unknown as CollectContext<any, any>;
  return { families: await def.collect(ctx), skipped };
}

const SYS = fixture('sys-class');
const skippedFiles = (r: Run) => r.skipped.map((s) => `${s.reason} ${s.detail.replace(/^.*\/class\//, '').replace(/:.*$/, '')}`).sort();

/** A scratch copy of the fixture tree, for odd cases written on top of it. */
function scratch(): { sysfs: string; write(rel: string, text: string): void; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), 'spyglass-sysclass-'));
  cpSync(SYS, root, { recursive: true, filter: (src) => !src.endsWith('README.md') });
  return {
    sysfs: root,
    write(rel, text) {
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      writeFileSync(join(root, rel), text);
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

const isRoot = process.getuid?.() === 0;

describe('sysfs class values', () => {
  it("reads integers as Go's base-0 ParseUint/ParseInt", () => {
    assert.equal(parseGoUint64('42'), 42n);
    assert.equal(parseGoUint64('0x10'), 16n);
    assert.equal(parseGoUint64('0X1f'), 31n);
    assert.equal(parseGoUint64('010'), 8n);
    assert.equal(parseGoUint64('0o17'), 15n);
    assert.equal(parseGoUint64('0b101'), 5n);
    assert.equal(parseGoUint64('0x_ff'), 255n);
    assert.equal(parseGoUint64('0'), 0n);
    assert.equal(parseGoUint64('0xffffffffffffffff'), (1n << 64n) - 1n);
    for (const bad of ['', '-1', '+1', '08', '1_000', '0x', '12x', 'N/A (no PMA)', '0x10000000000000000', '18446744073709551616', ' 1'])
      assert.equal(parseGoUint64(bad), undefined, bad);
    assert.equal(parseGoInt64('-5'), -5n);
    assert.equal(parseGoInt64('+5'), 5n);
    assert.equal(parseGoInt64('-0x10'), -16n);
    assert.equal(parseGoInt64('9223372036854775807'), (1n << 63n) - 1n);
    for (const bad of ['9223372036854775808', '--1', '-', 'soon', '1.5']) assert.equal(parseGoInt64(bad), undefined, bad);
    assert.equal(parseDecimalUint64('0x10'), undefined);
    assert.equal(parseDecimalUint64('512'), 512n);
    assert.equal(wrapUint64(1n << 62n) * 4n, 1n << 64n);
    assert.equal(wrapUint64((1n << 62n) * 4n), 0n);
  });

  it('reads InfiniBand states and rates', () => {
    assert.deepEqual(parseInfiniBandState('4: ACTIVE\n'), { id: 4, name: 'ACTIVE' });
    assert.deepEqual(parseInfiniBandState('5: LinkUp'), { id: 5, name: 'LinkUp' });
    assert.equal(parseInfiniBandState('ACTIVE'), undefined);
    assert.equal(parseInfiniBandState('4: ACTIVE: again'), undefined);
    assert.equal(parseInfiniBandState('x: ACTIVE'), undefined);
    assert.equal(parseInfiniBandState('4294967296: BIG'), undefined);
    assert.equal(parseInfiniBandRate('40 Gb/sec (4X QDR)\n'), 5_000_000_000);
    assert.equal(parseInfiniBandRate('2.5 Gb/sec (1X SDR)'), 312_500_000);
    assert.equal(parseInfiniBandRate('100 Gb/sec (4X EDR)'), 12_500_000_000);
    assert.equal(parseInfiniBandRate('fast Gb/sec'), undefined);
    assert.equal(parseInfiniBandRate('40'), undefined);
    assert.equal(parseInfiniBandRate(''), undefined);
  });

  it("replaces each run of invalid UTF-8 with one U+FFFD, as Go's strings.ToValidUTF8", () => {
    const bytes = (...b: number[]) => Uint8Array.from(b);
    assert.equal(goValidUtf8(Buffer.from('LNV-45N1')), 'LNV-45N1');
    assert.equal(goValidUtf8(bytes(0x41, 0xff, 0xfe, 0x42)), 'A\uFFFDB');
    assert.equal(goValidUtf8(bytes(0x41, 0xe2, 0x82, 0x42)), 'A\uFFFDB'); // truncated sequence
    assert.equal(goValidUtf8(bytes(0xc0, 0xaf)), '\uFFFD'); // overlong
    assert.equal(goValidUtf8(bytes(0xed, 0xa0, 0x80)), '\uFFFD'); // surrogate
    assert.equal(goValidUtf8(bytes(0xf4, 0x90, 0x80, 0x80)), '\uFFFD'); // above U+10FFFF
    assert.equal(goValidUtf8(Buffer.from('é€😀\uFFFD')), 'é€😀\uFFFD'); // valid, a real U+FFFD kept
    assert.equal(goValidUtf8(bytes(0xff, 0x41, 0xff)), '\uFFFDA\uFFFD');
    fc.assert(
      fc.property(fc.uint8Array(), (b) => {
        const s = goValidUtf8(b);
        assert.equal(Buffer.from(s, 'utf8').toString('utf8'), s);
      }),
    );
    fc.assert(fc.property(fc.string(), (s) => assert.equal(goValidUtf8(Buffer.from(s, 'utf8')), Buffer.from(s, 'utf8').toString('utf8'))));
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        parseGoUint64(s);
        parseGoInt64(s);
        parseDecimalUint64(s);
        parseInfiniBandState(s);
        parseInfiniBandRate(s);
      }),
    );
  });
});

describe('infiniband', () => {
  it('reads ports, counters, counters_ext and hw_counters; skips and counts what is bad', async () => {
    const r = await run(infiniband, SYS);
    const f = r.families;
    assert.deepEqual(
      samplesOf(f, 'node_infiniband_info').map((s) => s.labels.device),
      ['mlx4_1', 'mlx5_0', 'qib0'],
    );
    assert.equal(valueOf(f, 'node_infiniband_state_id', { device: 'mlx4_1', port: '2' }), 1); // down
    assert.equal(valueOf(f, 'node_infiniband_physical_state_id', { device: 'mlx4_1', port: '2' }), 3);
    assert.equal(valueOf(f, 'node_infiniband_rate_bytes_per_second', { device: 'mlx5_0', port: '1' }), 12_500_000_000);
    // Data counters count 4-octet words; 2^62 words wrap to 0 in uint64 as in node_exporter.
    assert.equal(valueOf(f, 'node_infiniband_port_data_received_bytes_total', { device: 'mlx5_0', port: '1' }), 6_000_000);
    assert.equal(valueOf(f, 'node_infiniband_port_data_received_bytes_total', { device: 'mlx4_1', port: '1' }), 0);
    assert.equal(valueOf(f, 'node_infiniband_legacy_data_received_bytes_total', { device: 'mlx4_1', port: '1' }), 1000);
    assert.equal(valueOf(f, 'node_infiniband_port_errors_received_total', { device: 'mlx5_0', port: '1' }), 16); // 0x10
    assert.equal(valueOf(f, 'node_infiniband_lifespan_seconds', { device: 'mlx5_0', port: '1' }), 2);
    assert.equal(valueOf(f, 'node_infiniband_out_of_buffer_drops_total', { device: 'mlx5_0', port: '1' }), 7);
    // N/A (no PMA) is silence; 12x is garbage; a missing file is no series.
    assert.equal(valueOf(f, 'node_infiniband_vl15_dropped_total', { device: 'mlx5_0' }), undefined);
    assert.equal(valueOf(f, 'node_infiniband_port_transmit_wait_total', { device: 'mlx5_0' }), undefined);
    assert.equal(valueOf(f, 'node_infiniband_port_receive_switch_relay_errors_total', { device: 'mlx5_0' }), undefined);
    // qib0's port has a garbled rate: the device is there, the port is not.
    assert.equal(valueOf(f, 'node_infiniband_state_id', { device: 'qib0' }), undefined);
    for (const fam of f) for (const s of fam.samples) assert.ok('value' in s && Number.isFinite(s.value), fam.name);
    assert.deepEqual(skippedFiles(r), [
      'malformed infiniband/mlx5_0/ports/1/counters/port_xmit_wait',
      'malformed infiniband/qib0/ports/1/rate',
      'unreadable infiniband/rxe0/fw_ver',
    ]);
  });

  it('has device_include and device_exclude', async () => {
    const only = await run(infiniband, SYS, { device_include: '^mlx5' });
    assert.deepEqual(
      samplesOf(only.families, 'node_infiniband_info').map((s) => s.labels.device),
      ['mlx5_0'],
    );
    const but = await run(infiniband, SYS, { device_exclude: '^mlx' });
    assert.deepEqual(
      samplesOf(but.families, 'node_infiniband_info').map((s) => s.labels.device),
      ['qib0'],
    );
  });

  it('skips a port without a state file, a port directory that is no number, and an oversized counter', async () => {
    const t = scratch();
    after(t.remove);
    t.write('class/infiniband/mlx4_1/ports/3/rate', '10 Gb/sec (4X)\n');
    t.write('class/infiniband/mlx4_1/ports/x/state', '4: ACTIVE\n');
    mkdirSync(join(t.sysfs, 'class/infiniband/mlx4_1/ports/1/counters/link_downed'), { recursive: true }); // a directory: not read
    rmSync(join(t.sysfs, 'class/infiniband/mlx4_1/ports/1/counters/port_rcv_packets'));
    mkdirSync(join(t.sysfs, 'class/infiniband/mlx4_1/ports/1/counters/port_rcv_packets'));
    t.write('class/infiniband/mlx4_1/ports/1/counters/symbol_error', `${'9'.repeat(5000)}\n`); // oversized
    const r = await run(infiniband, t.sysfs);
    assert.equal(valueOf(r.families, 'node_infiniband_state_id', { device: 'mlx4_1', port: '1' }), 4);
    assert.equal(valueOf(r.families, 'node_infiniband_state_id', { device: 'mlx4_1', port: '3' }), undefined);
    assert.deepEqual(skippedFiles(r), [
      'malformed infiniband/mlx4_1/ports/1/counters/symbol_error',
      'malformed infiniband/mlx4_1/ports/x',
      'malformed infiniband/mlx5_0/ports/1/counters/port_xmit_wait',
      'malformed infiniband/qib0/ports/1/rate',
      'unreadable infiniband/mlx4_1/ports/3/state',
      'unreadable infiniband/rxe0/fw_ver',
    ]);
  });
});

describe('fibrechannel', () => {
  it('reads info and counters; a disabled port has zeros, an unimplemented counter none', async () => {
    const r = await run(fibrechannel, SYS);
    const f = r.families;
    const host0 = samplesOf(f, 'node_fibrechannel_info', { fc_host: 'host0' })[0]!.labels;
    assert.equal(host0.port_name, '21000024ff7a0001'); // 0x dropped
    assert.equal(host0.port_id, '0a0b00');
    assert.equal(host0.fabric_name, '100000051e000001');
    assert.equal(host0.dev_loss_tmo, '45');
    assert.equal(valueOf(f, 'node_fibrechannel_error_frames_total', { fc_host: 'host0' }), 16);
    assert.equal(valueOf(f, 'node_fibrechannel_fcp_packet_aborts_total', { fc_host: 'host0' }), undefined); // all ones
    assert.equal(valueOf(f, 'node_fibrechannel_invalid_crc_total', { fc_host: 'host0' }), undefined); // garbled
    assert.equal(valueOf(f, 'node_fibrechannel_rx_frames_total', { fc_host: 'host1' }), 0); // Unknown state
    assert.equal(samplesOf(f, 'node_fibrechannel_info', { fc_host: 'host1' })[0]!.labels.port_state, 'Unknown');
    assert.equal(valueOf(f, 'node_fibrechannel_nos_total', { fc_host: 'host2' }), undefined); // no file
    assert.equal(valueOf(f, 'node_fibrechannel_link_failure_total', { fc_host: 'host2' }), 7);
    assert.deepEqual(skippedFiles(r), ['malformed fc_host/host0/statistics/invalid_crc_count']);
  });

  it('skips and counts an attribute it cannot read (EISDIR), serving the rest', async () => {
    const t = scratch();
    after(t.remove);
    rmSync(join(t.sysfs, 'class/fc_host/host0/symbolic_name'));
    mkdirSync(join(t.sysfs, 'class/fc_host/host0/symbolic_name'));
    const r = await run(fibrechannel, t.sysfs);
    assert.equal(samplesOf(r.families, 'node_fibrechannel_info', { fc_host: 'host0' })[0]!.labels.symbolic_name, '');
    assert.equal(valueOf(r.families, 'node_fibrechannel_tx_frames_total', { fc_host: 'host0' }), 100100);
    assert.deepEqual(skippedFiles(r), ['malformed fc_host/host0/statistics/invalid_crc_count', 'unreadable fc_host/host0/symbolic_name']);
  });

  it('skips and counts a statistics file it may not read', { skip: isRoot && 'root reads files whatever their mode' }, async () => {
    const t = scratch();
    after(t.remove);
    chmodSync(join(t.sysfs, 'class/fc_host/host0/statistics/rx_frames'), 0o000);
    const r = await run(fibrechannel, t.sysfs);
    assert.equal(valueOf(r.families, 'node_fibrechannel_rx_frames_total', { fc_host: 'host0' }), undefined);
    assert.equal(valueOf(r.families, 'node_fibrechannel_tx_frames_total', { fc_host: 'host0' }), 100100);
    assert.ok(r.skipped.some((s) => s.reason === 'permission_denied' && s.detail.includes('EACCES')));
  });
});

describe('nvme', () => {
  it('reads controllers and namespaces; a garbled namespace is skipped and counted', async () => {
    const r = await run(nvme, SYS);
    const f = r.families;
    assert.deepEqual(samplesOf(f, 'node_nvme_info', { device: 'nvme1' })[0]!.labels, {
      device: 'nvme1',
      firmware_revision: '1.0',
      model: 'Example Fabric Controller',
      serial: 'SN000000000002',
      state: 'resetting',
      cntlid: '',
    });
    assert.equal(valueOf(f, 'node_nvme_namespace_size_bytes', { device: 'nvme0', nsid: '1' }), 1953525168 * 512);
    assert.equal(valueOf(f, 'node_nvme_namespace_used_bytes', { device: 'nvme0', nsid: '2' }), 0);
    assert.equal(valueOf(f, 'node_nvme_namespace_logical_block_size_bytes', { device: 'nvme0', nsid: '2' }), 4096);
    assert.equal(samplesOf(f, 'node_nvme_namespace_info', { device: 'nvme0', nsid: '1' })[0]!.labels.ana_state, 'unknown');
    assert.equal(samplesOf(f, 'node_nvme_namespace_info', { device: 'nvme0', nsid: '2' })[0]!.labels.ana_state, 'optimized');
    assert.equal(valueOf(f, 'node_nvme_namespace_size_bytes', { device: 'nvme1' }), undefined);
    assert.deepEqual(skippedFiles(r), ['malformed nvme/nvme1/nvme1n1/size']);
  });
});

describe('tapestats', () => {
  it('reads st devices only, in seconds and bytes; skips and counts a garbled counter', async () => {
    const r = await run(tapestats, SYS);
    const f = r.families;
    assert.deepEqual(
      samplesOf(f, 'node_tape_io_now').map((s) => s.labels.device),
      ['st0', 'st1'],
    );
    assert.equal(valueOf(f, 'node_tape_io_time_seconds_total', { device: 'st0' }), 9247.01108772);
    assert.equal(valueOf(f, 'node_tape_write_time_seconds_total', { device: 'st1' }), 0.5);
    assert.equal(valueOf(f, 'node_tape_reads_completed_total', { device: 'st1' }), undefined);
    assert.equal(valueOf(f, 'node_tape_residual_total', { device: 'st1' }), undefined);
    assert.deepEqual(skippedFiles(r), ['malformed scsi_tape/st1/stats/read_cnt']);
  });

  it("has node_exporter's ignored_devices, and device_include", async () => {
    const ignored = await run(tapestats, SYS, { ignored_devices: '^st1$' });
    assert.deepEqual(
      samplesOf(ignored.families, 'node_tape_io_now').map((s) => s.labels.device),
      ['st0'],
    );
    const only = await run(tapestats, SYS, { device_include: '1' });
    assert.deepEqual(
      samplesOf(only.families, 'node_tape_io_now').map((s) => s.labels.device),
      ['st1'],
    );
  });
});

describe('powersupplyclass', () => {
  it('reads supplies in base units, info labels only when not empty; a garbled value is skipped and counted', async () => {
    const r = await run(powersupplyclass, SYS);
    const f = r.families;
    assert.equal(valueOf(f, 'node_power_supply_energy_watthour', { power_supply: 'BAT0' }), 30.12);
    assert.equal(valueOf(f, 'node_power_supply_voltage_volt', { power_supply: 'BAT0' }), 12.45);
    assert.equal(valueOf(f, 'node_power_supply_temp_celsius', { power_supply: 'BAT0' }), 29.5);
    assert.equal(valueOf(f, 'node_power_supply_cyclecount', { power_supply: 'BAT0' }), 123);
    assert.equal(valueOf(f, 'node_power_supply_voltage_min_design', { power_supply: 'BAT0' }), undefined);
    assert.deepEqual(samplesOf(f, 'node_power_supply_info', { power_supply: 'BAT0' })[0]!.labels, {
      power_supply: 'BAT0',
      capacity_level: 'Normal',
      manufacturer: 'Example',
      model_name: 'EX-57Wh',
      status: 'Charging',
      technology: 'Li-ion',
      type: 'Battery',
    });
    assert.deepEqual(samplesOf(f, 'node_power_supply_info', { power_supply: 'AC' })[0]!.labels, { power_supply: 'AC', type: 'Mains' });
    assert.deepEqual(skippedFiles(r), ['malformed power_supply/BAT0/voltage_min_design']);
  });

  it('puts one U+FFFD for each run of invalid bytes in a label, as node_exporter', async () => {
    const t = scratch();
    after(t.remove);
    writeFileSync(join(t.sysfs, 'class/power_supply/BAT0/model_name'), Buffer.from([0x45, 0x58, 0xff, 0xfe, 0x2d, 0x35, 0x37, 0x0a]));
    const r = await run(powersupplyclass, t.sysfs);
    assert.equal(samplesOf(r.families, 'node_power_supply_info', { power_supply: 'BAT0' })[0]!.labels.model_name, 'EX\uFFFD-57');
  });

  it("has node_exporter's ignored_supplies, also as --collector.powersupply.ignored-supplies", async () => {
    const flags = extractCollectorFlags(['--collector.powersupply.ignored-supplies=^(AC|hidpp_.*)$']);
    assert.ok(!('error' in flags));
    assert.deepEqual(flags.collectors, { powersupplyclass: { ignored_supplies: '^(AC|hidpp_.*)$' } });
    const r = await run(powersupplyclass, SYS, flags.collectors.powersupplyclass);
    assert.deepEqual(
      samplesOf(r.families, 'node_power_supply_info').map((s) => s.labels.power_supply),
      ['BAT0', 'ucsi-source-psy-USBC000:001'],
    );
  });
});

describe('watchdog', () => {
  it('reads every watchdog; a garbled value is skipped and counted', async () => {
    const r = await run(watchdog, SYS);
    const f = r.families;
    assert.equal(valueOf(f, 'node_watchdog_timeout_seconds', { name: 'watchdog1' }), 60);
    assert.equal(valueOf(f, 'node_watchdog_timeleft_seconds', { name: 'watchdog1' }), undefined);
    assert.equal(valueOf(f, 'node_watchdog_nowayout', { name: 'watchdog0' }), 1);
    assert.deepEqual(samplesOf(f, 'node_watchdog_info', { name: 'watchdog1' })[0]!.labels, {
      name: 'watchdog1',
      options: '',
      identity: 'Software Watchdog',
      state: 'inactive',
      status: '',
      pretimeout_governor: '',
    });
    assert.deepEqual(skippedFiles(r), ['malformed watchdog/watchdog1/timeleft']);
  });
});

describe('a class entry that is no directory', () => {
  it('is skipped and counted by each of the six, the rest served', async () => {
    const t = scratch();
    after(t.remove);
    const classes: Array<[CollectorDefinition, string]> = [
      [infiniband, 'infiniband'],
      [fibrechannel, 'fc_host'],
      [nvme, 'nvme'],
      [tapestats, 'scsi_tape'],
      [powersupplyclass, 'power_supply'],
      [watchdog, 'watchdog'],
    ];
    for (const [def, cls] of classes) {
      t.write(`class/${cls}/st9_masters`, '+st9\n');
      const clean = await run(def, SYS);
      const r = await run(def, t.sysfs);
      assert.deepEqual(r.families, clean.families, def.name);
      assert.deepEqual(skippedFiles(r), [...skippedFiles(clean), `malformed ${cls}/st9_masters`].sort(), def.name);
    }
  });
});

describe('without the class directories', () => {
  it('every one of the six emits nothing and succeeds', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'spyglass-nosys-'));
    after(() => rmSync(empty, { recursive: true, force: true }));
    for (const def of [infiniband, fibrechannel, nvme, tapestats, powersupplyclass, watchdog]) {
      const r = await run(def, empty);
      assert.deepEqual(r.families, [], def.name);
      assert.deepEqual(r.skipped, [], def.name);
    }
  });
});
