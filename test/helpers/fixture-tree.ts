import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture } from './spyglass.js';

/**
 * One procfs/sysfs/rootfs/udev tree put together from the other fixtures (each recorded or
 * synthetic file lives in one place): every default collector listed below as reading the tree
 * has data in it. test/fixtures/dump/README.md describes it.
 */
const TREE: Array<[from: string, to: string]> = [
  ['proc-2cpu', 'proc'],
  ['selinux/proc', 'proc'],
  ['proc-zfs', 'proc'],
  ['nfs', 'proc'],
  ['proc-sched-irq', 'proc'],
  ['proc-ipvs', 'proc'],
  ['md/proc', 'proc'],
  ['sys-cpu', 'sys'],
  ['sys-cpufreq', 'sys'],
  ['sys-cpu-vulnerabilities', 'sys'],
  ['sys-net', 'sys'],
  ['sys-hardware', 'sys'],
  ['sys-block', 'sys'],
  ['sys-xfs', 'sys'],
  ['sys-storage', 'sys'],
  ['sys-bcachefs', 'sys'],
  ['sys-edac-rapl', 'sys'],
  ['sys-class', 'sys'],
  ['md/sys', 'sys'],
  ['sys-bonding', 'sys'],
  ['selinux/sys', 'sys'],
  ['sys-numa', 'sys'],
  ['selinux/root', 'root'],
  ['dump/root', 'root'],
  ['udev-data', 'udev'],
];

/** Collectors off by default that the golden dump turns on, since the tree has data for them. */
export const OPT_IN_IN_THE_TREE: readonly string[] = ['meminfo_numa', 'mountstats'];

/**
 * Default collectors that read the machine rather than the tree, or whose output changes from run
 * to run; each has its own tests.
 */
export const OUTSIDE_THE_TREE: Readonly<Record<string, string>> = {
  container: 'cgroup trees have their own fixtures (test/helpers/cgroup-tree.ts); reads /proc/PID of live processes',
  filesystem: 'statfs(2) on the mount points of this machine',
  inventory: 'systeminformation reads this machine',
  probe: 'network probes; no targets configured',
  systemd: 'asks systemd over D-Bus, not files (off by default); test/systemd.test.ts runs it against a real systemd',
  time: 'the clock and the time zone',
  timex: 'adjtimex(2)',
  uname: 'the machine label comes from uname(2), not from the tree',
};

export interface FixtureTree {
  procfs: string;
  sysfs: string;
  rootfs: string;
  udevData: string;
  /** The --path.* flags for this tree. */
  flags: string[];
  remove(): void;
}

/** The tree, copied into a new temporary directory. */
export function fixtureTree(): FixtureTree {
  const root = mkdtempSync(join(tmpdir(), 'spyglass-tree-'));
  for (const [from, to] of TREE)
    cpSync(fixture(from), join(root, to), { recursive: true, verbatimSymlinks: true, filter: (src) => !src.endsWith('README.md') });
  const [procfs, sysfs, rootfs, udevData] = ['proc', 'sys', 'root', 'udev'].map((d) => join(root, d)) as [string, string, string, string];
  return {
    procfs,
    sysfs,
    rootfs,
    udevData,
    flags: [`--path.procfs=${procfs}`, `--path.sysfs=${sysfs}`, `--path.rootfs=${rootfs}`, `--path.udev.data=${udevData}`],
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
