/**
 * Acceptance check against node_exporter's own end-to-end fixture: not part of the suites, since
 * its files are node_exporter's and are not copied into this repository.
 *
 *   npm run build && node dist/test/acceptance/node-exporter-fixture.js NODE_EXPORTER_CHECKOUT [PREFIX...]
 *
 * Unpacks `collector/fixtures` of a node_exporter checkout (sys.ttar and udev.ttar, with the
 * checkout's own `ttar` script) into a temporary directory, runs `spyglass dump` over it with the
 * path flags and the collector flags of node_exporter's end-to-end-test.sh that spyglass shares,
 * and compares each family of `collector/fixtures/e2e-output.txt` (or only those whose names start
 * with a PREFIX) with spyglass's: missing, different (the differing series are listed) or equal.
 * Exits 1 when a compared family is missing or different.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseExposition, type ParsedFamily } from '../helpers/exposition.js';
import { cliPath } from '../helpers/spyglass.js';

/** Families that describe the exporter process or the machine running the check, not the fixture. */
const NOT_FROM_THE_FIXTURE =
  /^(go_|process_|promhttp_|node_exporter_|node_scrape_collector_|node_textfile_mtime_seconds|node_uname_info|node_network_(receive|transmit)_)/;

const [checkout, ...prefixes] = process.argv.slice(2);
if (!checkout) {
  process.stderr.write('usage: node-exporter-fixture.js NODE_EXPORTER_CHECKOUT [PREFIX...]\n');
  process.exit(2);
}

const tree = mkdtempSync(join(tmpdir(), 'spyglass-ne-fixture-'));
try {
  const fixtures = join(tree, 'collector/fixtures');
  cpSync(join(checkout, 'collector/fixtures'), fixtures, { recursive: true, verbatimSymlinks: true });
  for (const archive of ['sys.ttar', 'udev.ttar']) execFileSync('bash', [join(checkout, 'ttar'), '-C', fixtures, '-x', '-f', join(fixtures, archive)]);
  const dump = spawnSync(
    process.execPath,
    [
      cliPath,
      'dump',
      // Relative paths from the checkout's top, as end-to-end-test.sh runs node_exporter: they show
      // in labels (node_rapl_*_joules_total{path}).
      '--path.procfs=collector/fixtures/proc',
      '--path.sysfs=collector/fixtures/sys',
      '--path.rootfs=collector/fixtures',
      '--path.udev.data=collector/fixtures/udev/data',
      '--collector.textfile.directory=collector/fixtures/textfile/two_metric_files/',
      '--collector.bcache.priorityStats',
      '--collector.hwmon.chip-include=(applesmc|asus_nb_wmi|coretemp|hwmon4|ieee80211|nct6779)',
      '--collector.netclass.ignored-devices=(dmz|int)',
      '--collector.netclass.ignore-invalid-speed',
      '--collector.arp.device-exclude=nope',
      '--collector.mountstats',
      '--collector.processes',
      '--collector.meminfo_numa',
      // end-to-end-test.sh on x86_64: cpu.info with these filters, its opt-in collectors, stat's softirq.
      '--collector.cpu.info',
      '--collector.cpu.info.bugs-include=^(cpu_meltdown|spectre_.*|mds)$',
      '--collector.cpu.info.flags-include=^(aes|avx.?|constant_tsc)$',
      '--collector.cpu_vulnerabilities',
      '--collector.interrupts',
      '--collector.softirqs',
      '--collector.stat.softirq',
      '--no-collector.container',
      '--no-collector.probe',
    ],
    { encoding: 'utf8', maxBuffer: 64 << 20, cwd: tree },
  );
  if (dump.stderr) process.stderr.write(dump.stderr);
  const ours = parseExposition(dump.stdout, 'spyglass dump');
  const theirs = parseExposition(readFileSync(join(fixtures, 'e2e-output.txt'), 'utf8'), 'e2e-output.txt');
  let missing = 0;
  let different = 0;
  let equal = 0;
  for (const [name, expected] of [...theirs].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (NOT_FROM_THE_FIXTURE.test(name)) continue;
    if (prefixes.length && !prefixes.some((p) => name.startsWith(p))) continue;
    const got = ours.get(name);
    if (!got) {
      missing++;
      process.stdout.write(`missing   ${name}\n`);
      continue;
    }
    const [onlyTheirs, onlyOurs] = [difference(series(expected), series(got)), difference(series(got), series(expected))].map((d) =>
      d.map(([key, v]) => `${key} ${v}`),
    ) as [string[], string[]];
    if (expected.type !== got.type || onlyTheirs.length || onlyOurs.length) {
      different++;
      process.stdout.write(`different ${name}${expected.type !== got.type ? ` (type ${got.type}, node_exporter: ${expected.type})` : ''}\n`);
      for (const s of onlyTheirs) process.stdout.write(`  node_exporter: ${s}\n`);
      for (const s of onlyOurs) process.stdout.write(`  spyglass:      ${s}\n`);
      continue;
    }
    equal++;
  }
  process.stdout.write(
    `\n${equal} equal, ${different} different, ${missing} missing (of the families in e2e-output.txt${prefixes.length ? ` starting with ${prefixes.join(', ')}` : ''})\n`,
  );
  process.exitCode = missing || different ? 1 : 0;
} finally {
  rmSync(tree, { recursive: true, force: true });
}

/** Each series as `name{labels}` with its value. */
function series(f: ParsedFamily): Map<string, number> {
  const labels = (l: Record<string, string>) =>
    Object.entries(l)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return new Map(f.samples.map((s) => [`${s.name}{${labels(s.labels).join(',')}}`, s.value]));
}

/** Series of `a` that `b` lacks or holds another value for (node_exporter's µs * 0.000001 and a division by 1e6 differ in the last bit). */
function difference(a: Map<string, number>, b: Map<string, number>): Array<[string, number]> {
  const same = (x: number, y: number | undefined) =>
    y !== undefined && (x === y || (Number.isNaN(x) && Number.isNaN(y)) || Math.abs(x - y) <= 1e-12 * Math.max(Math.abs(x), Math.abs(y)));
  return [...a].filter(([key, value]) => !same(value, b.get(key)));
}
