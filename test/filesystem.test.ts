import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { isReadOnly, parseMountinfo, stripRootfs } from '../src/parsers/proc-mountinfo.js';
import { runCli, sampleValue, startSpyglass, waitFor } from './helpers/spyglass.js';

const MOUNTINFO = `22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:5 - proc proc rw
24 22 259:1 / /boot ro,relatime shared:6 master:2 - vfat /dev/nvme0n1p1 rw,fmask=0022
25 22 253:3 / /data\\040dir rw,relatime - xfs /dev/mapper/vg-data rw,attr2
26 22 0:44 / /var/lib/docker/overlay2/abc/merged rw,relatime - overlay overlay rw,lowerdir=/x
27 22 0:45 / /srv rw,relatime - ext4 /dev/sdb1 ro,emergency_ro
`;

describe('mountinfo', () => {
  it('parses optional fields, escapes, devices and read-only state', () => {
    const r = parseMountinfo(MOUNTINFO);
    assert.ok(r.ok);
    assert.equal(r.value.length, 6);
    const data = r.value[3];
    assert.deepEqual([data?.mountPoint, data?.source, data?.fsType, data?.major, data?.minor], ['/data dir', '/dev/mapper/vg-data', 'xfs', 253, 3]);
    assert.deepEqual(r.value.map(isReadOnly), [false, false, true, false, false, true]);
    assert.equal(parseMountinfo('22 1 254:0 / / rw\n').ok, false, 'no separator');
    assert.equal(parseMountinfo('x y z\n').ok, false);
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => void parseMountinfo(s)));
  });

  it('strips the rootfs prefix the way node_exporter does', () => {
    assert.equal(stripRootfs('/host/boot', '/host'), '/boot');
    assert.equal(stripRootfs('/host', '/host/'), '/');
    assert.equal(stripRootfs('/boot', '/host'), '/boot', 'host mount table (hostPID): already host paths');
    assert.equal(stripRootfs('/hostile', '/host'), '/hostile');
    assert.equal(stripRootfs('/boot', '/'), '/boot');
  });
});

describe('filesystem collector with a fake host rootfs (DaemonSet layout)', () => {
  const base = mkdtempSync(join(tmpdir(), 'spyglass-rootfs-'));
  const rootfs = join(base, 'host');
  for (const d of ['boot', 'data dir', 'srv']) mkdirSync(join(rootfs, d), { recursive: true });

  it('labels mounts with the host mount points from /proc/1/mountinfo, applying the default exclusions', async () => {
    const procfs = join(base, 'proc-host');
    mkdirSync(join(procfs, '1'), { recursive: true });
    writeFileSync(join(procfs, '1/mountinfo'), MOUNTINFO);
    const r = await runCli(['dump', 'filesystem', `--path.procfs=${procfs}`, `--path.rootfs=${rootfs}`]);
    assert.equal(r.code, 0, r.stderr);
    const points = [...r.stdout.matchAll(/^node_filesystem_size_bytes\{device="([^"]+)",device_error="",fstype="([^"]+)",mountpoint="([^"]+)"\}/gm)].map(
      (m) => `${m[3]} ${m[1]} ${m[2]}`,
    );
    assert.deepEqual(points.sort(), ['/ /dev/vda ext4', '/boot /dev/nvme0n1p1 vfat', '/data dir /dev/mapper/vg-data xfs', '/srv /dev/sdb1 ext4']);
    const realSize =
      Number(/\d+/.exec(execFileSync('stat', ['-f', '-c', '%b %S', join(rootfs, 'boot')], { encoding: 'utf8' }))?.[0]) *
      Number(execFileSync('stat', ['-f', '-c', '%S', join(rootfs, 'boot')], { encoding: 'utf8' }));
    assert.equal(
      sampleValue(r.stdout, 'node_filesystem_size_bytes{device="/dev/nvme0n1p1",device_error="",fstype="vfat",mountpoint="/boot"}'),
      realSize,
      'statfs ran on rootfs + mount point',
    );
    assert.equal(sampleValue(r.stdout, 'node_filesystem_readonly{device="/dev/sdb1",device_error="",fstype="ext4",mountpoint="/srv"}'), 1);
    assert.equal(sampleValue(r.stdout, 'node_filesystem_mount_info{device="/dev/mapper/vg-data",major="253",minor="3",mountpoint="/data dir"}'), 1);
  });

  it('strips the rootfs prefix from a container mount table (no hostPID), and reports a missing path as device_error', async () => {
    const procfs = join(base, 'proc-container');
    mkdirSync(join(procfs, 'self'), { recursive: true });
    writeFileSync(
      join(procfs, 'self/mountinfo'),
      `100 99 0:50 / / rw - overlay overlay rw\n101 100 254:0 / ${rootfs} ro,rslave - ext4 /dev/vda rw\n102 101 259:1 / ${rootfs}/boot ro - vfat /dev/nvme0n1p1 rw\n103 101 8:17 / ${rootfs}/gone rw - ext4 /dev/sdb1 rw\n`,
    );
    const r = await runCli(['dump', 'filesystem', `--path.procfs=${procfs}`, `--path.rootfs=${rootfs}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.notEqual(sampleValue(r.stdout, 'node_filesystem_size_bytes{device="/dev/vda",device_error="",fstype="ext4",mountpoint="/"}'), undefined);
    assert.notEqual(sampleValue(r.stdout, 'node_filesystem_avail_bytes{device="/dev/nvme0n1p1",device_error="",fstype="vfat",mountpoint="/boot"}'), undefined);
    assert.equal(
      sampleValue(r.stdout, 'node_filesystem_device_error{device="/dev/sdb1",device_error="no such file or directory",fstype="ext4",mountpoint="/gone"}'),
      1,
    );
    assert.doesNotMatch(r.stdout, /node_filesystem_size_bytes\{[^}]*mountpoint="\/gone"/, 'no sizes for a failed statfs');
    assert.doesNotMatch(r.stdout, /fstype="overlay"/);
  });

  it('takes node_exporter flags, including the deprecated names', async () => {
    const procfs = join(base, 'proc-host');
    const r = await runCli([
      'dump',
      'filesystem',
      `--path.procfs=${procfs}`,
      `--path.rootfs=${rootfs}`,
      '--collector.filesystem.mount-points-exclude=^/(boot|srv)$',
      '--collector.filesystem.fs-types-exclude=^xfs$',
    ]);
    assert.equal(r.code, 0, r.stderr);
    // Replacing the defaults also lets /proc and the overlay mount back in, as in node_exporter.
    assert.deepEqual([...new Set([...r.stdout.matchAll(/mountpoint="([^"]+)"/g)].map((m) => m[1]))].sort(), [
      '/',
      '/proc',
      '/var/lib/docker/overlay2/abc/merged',
    ]);
    const old = await runCli([
      'dump',
      'filesystem',
      `--path.procfs=${procfs}`,
      `--path.rootfs=${rootfs}`,
      '--collector.filesystem.ignored-mount-points=^/boot$',
    ]);
    assert.doesNotMatch(old.stdout, /mountpoint="\/boot"/);
    assert.match(old.stdout, /mountpoint="\/srv"/);
  });
});

/** Threads of `pid` currently inside statfs(2), from /proc/PID/task/TID/syscall. */
function threadsInStatfs(pid: number): number {
  const statfsNr = arch() === 'arm64' ? '43' : '137';
  let n = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      if (readFileSync(`/proc/${pid}/task/${tid}/syscall`, 'utf8').split(' ')[0] === statfsNr) n++;
    } catch {
      // the thread ended
    }
  }
  return n;
}

describe('a hung mount (a FUSE daemon stopped with SIGSTOP)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spyglass-hung-'));
  const src = join(dir, 'src');
  const mnt = join(dir, 'mnt');
  mkdirSync(src);
  mkdirSync(mnt);
  let daemon = 0;
  after(() => {
    if (daemon) spawnSync('kill', ['-CONT', String(daemon)]);
    spawnSync('umount', ['-l', mnt]);
  });

  it('is reported as device_error, never piles up statfs calls, recovers, and does not stop shutdown', async () => {
    const mounted = spawnSync('bindfs', [src, mnt]);
    assert.equal(mounted.status, 0, `bindfs must be installed (see .ci/run): ${mounted.stderr}`);
    daemon = Number(
      execFileSync('pgrep', ['-f', `bindfs ${src} ${mnt}`], { encoding: 'utf8' })
        .trim()
        .split('\n')[0],
    );
    const cfg = join(dir, 'spyglass.yml');
    writeFileSync(
      cfg,
      `self_metrics: {interval: 1s}\ncollectors:\n  filesystem: {interval: 2s, timeout: 1500ms, mount_timeout: 500ms, mount_points_include: "^${mnt}$"}\n`,
    );
    process.kill(daemon, 'SIGSTOP');
    const s = await startSpyglass([`--config.file=${cfg}`]);
    const series = `node_filesystem_device_error{device="${src}",device_error="mountpoint timeout",fstype="fuse",mountpoint="${mnt}"}`;
    try {
      const started = Date.now();
      const body = await (await fetch(`${s.base}/metrics`)).text();
      assert.ok(Date.now() - started < 1000, 'scrapes do not wait for the mount');
      assert.equal(sampleValue(body, series), 1);
      assert.notEqual(sampleValue(body, 'node_load1'), undefined, 'other collectors serve');
      assert.equal(sampleValue(body, 'node_scrape_collector_success{collector="filesystem"}'), 1, 'a stuck mount is reported, the run itself succeeds');

      await new Promise((r) => setTimeout(r, 7000)); // three more runs
      const runs =
        sampleValue(
          await (await fetch(`${s.base}/metrics?collect[]=filesystem`)).text(),
          'spyglass_collector_runs_total{collector="filesystem",result="success"}',
        ) ?? 0;
      assert.ok(runs >= 3, `runs: ${runs}`);
      assert.equal(threadsInStatfs(s.proc.pid as number), 1, 'one blocked statfs, however many runs');

      process.kill(daemon, 'SIGCONT');
      await waitFor(
        async () =>
          sampleValue(
            await (await fetch(`${s.base}/metrics`)).text(),
            `node_filesystem_size_bytes{device="${src}",device_error="",fstype="fuse",mountpoint="${mnt}"}`,
          ) !== undefined,
        8000,
        'recovery',
      );

      process.kill(daemon, 'SIGSTOP');
      await waitFor(async () => sampleValue(await (await fetch(`${s.base}/metrics`)).text(), series) === 1, 8000, 'stuck again');
      const stopStarted = Date.now();
      s.proc.kill('SIGTERM');
      await s.exited;
      assert.equal(s.proc.signalCode, 'SIGKILL', 'with a blocked thread Node cannot exit normally, so spyglass ends itself');
      assert.ok(Date.now() - stopStarted < 3000);
      assert.match(s.logs(), /exiting with SIGKILL: 1 kernel call\(s\) still blocked \(statfs [^)]*mnt\)/);
    } finally {
      process.kill(daemon, 'SIGCONT');
      await s.stop('SIGKILL');
    }
  });
});
