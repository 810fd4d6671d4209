import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DISKSTATS_DEFAULT_EXCLUDE } from '../collectors/host/diskstats.js';
import { FS_TYPES_EXCLUDE, MOUNT_POINTS_EXCLUDE } from '../collectors/host/filesystem.js';
import { parseExposition, type ParsedFamily } from './helpers/exposition.js';
import { startNodeExporter } from './helpers/reference-exporters.js';
import { startSpyglass } from './helpers/spyglass.js';

/**
 * Debian's prometheus-node-exporter (1.5.0) and spyglass on the same machine, same moment.
 * node_exporter runs with current upstream's default netdev, filesystem and diskstats filters
 * (Debian's 1.5.0 build excludes lo, /run, /mnt and /media, and keeps zram). Both run in the same non-UTC time zone, so the zone label is compared too.
 */
const TZ = 'Europe/Berlin';

/**
 * node_exporter families spyglass does not emit, each with the reason. Empty: every family the
 * Debian build emits on this machine has a spyglass counterpart.
 */
const NOT_EMITTED: Array<[RegExp, string]> = [];

/**
 * Label differences that come from matching node_exporter's current release rather than Debian's
 * 1.5.0: the filesystem families gained `device_error` in 1.8.0, node_disk_info `rotational` in
 * 1.9.0, node_network_info `adminstate` in 1.6.0.
 */
const VERSION_DIFFERENCES: Record<string, { added: string; since: string }> = {
  ...Object.fromEntries(
    ['size_bytes', 'free_bytes', 'avail_bytes', 'files', 'files_free', 'readonly', 'device_error'].map((m) => [
      `node_filesystem_${m}`,
      { added: 'device_error', since: '1.8.0' },
    ]),
  ),
  node_disk_info: { added: 'rotational', since: '1.9.0' },
  node_network_info: { added: 'adminstate', since: '1.6.0' },
};

/** Families node_exporter emits that are about node_exporter itself. */
const ITS_OWN = /^(node_exporter_build_info|go_|process_|promhttp_)/;

async function scrape(url: string): Promise<Map<string, ParsedFamily>> {
  return parseExposition(await (await fetch(url)).text(), url);
}

/**
 * Entries in /proc/net/arp, with one of our own when it has none (a veth pair with a permanent
 * neighbour; dummy interfaces need a module CI machines may lack): two empty tables would
 * compare nothing. Returns the clean-up.
 */
function ensureArpEntry(): () => void {
  if (readFileSync('/proc/net/arp', 'utf8').trim().split('\n').length > 1) return () => {};
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
  const remove = () => execFileSync('sh', ['-c', 'ip link del sg-test0 2>/dev/null || true']);
  remove();
  try {
    ip('link', 'add', 'sg-test0', 'type', 'veth', 'peer', 'name', 'sg-test1');
    ip('addr', 'add', '10.253.0.1/24', 'dev', 'sg-test0');
    ip('link', 'set', 'sg-test0', 'up');
    ip('link', 'set', 'sg-test1', 'up');
    ip('neigh', 'add', '10.253.0.2', 'lladdr', '02:00:00:00:00:02', 'dev', 'sg-test0', 'nud', 'permanent');
  } catch (err) {
    remove();
    throw err;
  }
  return remove;
}

describe('compatibility with node_exporter', () => {
  it('emits the same families with the same types, label names and slow-moving values', async (t) => {
    t.after(ensureArpEntry());
    const ne = await startNodeExporter(
      [
        '--collector.netdev.device-exclude=',
        `--collector.filesystem.mount-points-exclude=${MOUNT_POINTS_EXCLUDE}`,
        `--collector.filesystem.fs-types-exclude=${FS_TYPES_EXCLUDE}`,
        `--collector.diskstats.device-exclude=${DISKSTATS_DEFAULT_EXCLUDE}`,
      ],
      { TZ },
    );
    const spy = await startSpyglass([], { env: { TZ } }).catch(async (err) => {
      await ne.stop();
      throw err;
    });
    try {
      const [theirs, ours] = await Promise.all([scrape(ne.url), scrape(`${spy.base}/metrics`)]);

      const both = [...theirs.keys()].filter((n) => n.startsWith('node_') && ours.has(n));
      assert.ok(both.length > 100, `only ${both.length} common families`);
      const mismatches: string[] = [];
      for (const name of both) {
        const a = theirs.get(name) as ParsedFamily;
        const b = ours.get(name) as ParsedFamily;
        if (a.type !== b.type) mismatches.push(`${name}: type ${a.type} vs ${b.type}`);
        const la = [...a.labelNames, ...(VERSION_DIFFERENCES[name] ? [VERSION_DIFFERENCES[name].added] : [])].sort().join(',');
        const lb = [...b.labelNames].sort().join(',');
        if (la !== lb) mismatches.push(`${name}: labels {${la}} vs {${lb}}`);
      }
      assert.deepEqual(mismatches, []);

      const only = (f: Map<string, ParsedFamily>, name: string) => f.get(name)?.samples[0];
      const same = (name: string, tolerance = 0) => {
        const a = only(theirs, name);
        const b = only(ours, name);
        assert.ok(a && b, `${name} missing`);
        assert.ok(Math.abs(a.value - b.value) <= tolerance, `${name}: ${a.value} vs ${b.value}`);
        return [a, b] as const;
      };
      same('node_memory_MemTotal_bytes');
      same('node_boot_time_seconds', 1);
      same('node_filefd_maximum');
      same('node_entropy_pool_size_bits');
      same('node_nf_conntrack_entries_limit');
      same('node_timex_sync_status');
      same('node_timex_status');
      same('node_timex_tick_seconds');
      same('node_timex_loop_time_constant');
      same('node_selinux_enabled');
      for (const name of ['node_uname_info', 'node_os_info', 'node_time_zone_offset_seconds', 'node_os_version']) {
        const [a, b] = same(name);
        assert.deepEqual(b.labels, a.labels, `${name} labels`);
      }
      /** Equal, and something to compare: two empty lists would pass on nothing. */
      const sameNonEmpty = (a: unknown[] | Record<string, unknown>, b: unknown[] | Record<string, unknown>, what: string) => {
        assert.ok(Object.keys(b).length > 0, `${what}: node_exporter reports none, nothing to compare`);
        assert.deepEqual(a, b, what);
      };
      const labelValues = (f: Map<string, ParsedFamily>, name: string, label: string) => [...new Set(f.get(name)?.samples.map((s) => s.labels[label]))].sort();
      const sameLabelValues = (name: string, label: string, what: string) =>
        sameNonEmpty(labelValues(ours, name, label), labelValues(theirs, name, label), what);
      sameLabelValues('node_cpu_seconds_total', 'cpu', 'CPU list');
      sameLabelValues('node_network_receive_bytes_total', 'device', 'interface list');
      sameLabelValues('node_disk_info', 'device', 'disk list');
      const byDevice = (f: Map<string, ParsedFamily>, name: string, value: (x: ParsedFamily['samples'][number]) => unknown) =>
        Object.fromEntries((f.get(name)?.samples ?? []).map((x) => [x.labels.device, value(x)]));
      sameNonEmpty(
        byDevice(ours, 'node_network_mtu_bytes', (x) => x.value),
        byDevice(theirs, 'node_network_mtu_bytes', (x) => x.value),
        'MTUs',
      );
      const infoLabels = ({ labels: { adminstate: _added, ...rest } }: ParsedFamily['samples'][number]) => rest;
      sameNonEmpty(byDevice(ours, 'node_network_info', infoLabels), byDevice(theirs, 'node_network_info', infoLabels), 'interface info');
      sameNonEmpty(
        byDevice(ours, 'node_arp_entries', (x) => x.value),
        byDevice(theirs, 'node_arp_entries', (x) => x.value),
        'ARP entries',
      );
      sameLabelValues('node_softnet_processed_total', 'cpu', 'softnet CPUs');
      sameLabelValues('node_time_clocksource_available_info', 'clocksource', 'clocksources');

      const sizes = (f: Map<string, ParsedFamily>) =>
        Object.fromEntries(
          (f.get('node_filesystem_size_bytes')?.samples ?? []).map((x) => [`${x.labels.mountpoint} ${x.labels.device} ${x.labels.fstype}`, x.value]),
        );
      sameNonEmpty(sizes(ours), sizes(theirs), 'filesystems and their sizes (same default filters)');

      const missing = [...theirs.keys()].filter((n) => !ITS_OWN.test(n) && !ours.has(n));
      const unexplained = missing.filter((n) => !NOT_EMITTED.some(([re]) => re.test(n)));
      console.log(`# node_exporter families spyglass does not emit (${missing.length}): ${missing.join(' ')}`);
      assert.deepEqual(unexplained, [], 'every missing family is justified');
    } finally {
      await spy.stop();
      await ne.stop();
    }
  });
});
