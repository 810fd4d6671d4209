import { join } from 'node:path';
import { defineCollector, gauge, type Sample } from '../../src/collector.js';
import { DURATION_PATTERN, parseDuration } from '../../src/config/duration.js';
import { readOptionalPseudoFile } from '../../src/fs/procfs.js';
import { isReadOnly, parseMountinfo, stripRootfs, type Mount } from '../../src/parsers/proc-mountinfo.js';
import { statfsGuard, type StatfsResult } from './statfs-guard.js';

export const MOUNT_POINTS_EXCLUDE = '^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)';
export const FS_TYPES_EXCLUDE =
  '^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs)$';

interface Options {
  mount_points_exclude?: string;
  mount_points_include?: string;
  fs_types_exclude?: string;
  fs_types_include?: string;
  /** node_exporter's deprecated names, still accepted. */
  ignored_mount_points?: string;
  ignored_fs_types?: string;
  mount_timeout: string;
  stat_workers: number;
}

function filter(include: string | undefined, exclude: string | undefined, defaultExclude: string, what: string): (v: string) => boolean {
  if (include !== undefined && exclude !== undefined) throw new Error(`${what}_include and ${what}_exclude are mutually exclusive`);
  if (include !== undefined) {
    const re = new RegExp(include);
    return (v) => re.test(v);
  }
  const re = new RegExp(exclude ?? defaultExclude);
  return (v) => !re.test(v);
}

export default defineCollector<Options>({
  name: 'filesystem',
  description: 'Filesystem size, free space, inodes and state from statfs(2) on every mount (with a per-mount timeout)',
  enabledByDefault: true,
  group: 'host',
  options: {
    type: 'object',
    properties: {
      mount_points_exclude: { type: 'string', format: 'regex', description: "Regexp of mount points to leave out (node_exporter's default when unset)" },
      mount_points_include: { type: 'string', format: 'regex', description: 'Regexp of mount points to report' },
      fs_types_exclude: { type: 'string', format: 'regex', description: "Regexp of filesystem types to leave out (node_exporter's default when unset)" },
      fs_types_include: { type: 'string', format: 'regex', description: 'Regexp of filesystem types to report' },
      ignored_mount_points: { type: 'string', format: 'regex', description: 'Deprecated name of mount_points_exclude' },
      ignored_fs_types: { type: 'string', format: 'regex', description: 'Deprecated name of fs_types_exclude' },
      mount_timeout: {
        type: 'string',
        pattern: DURATION_PATTERN,
        default: '5s',
        description: 'A statfs slower than this marks the mount stuck (node_filesystem_device_error)',
      },
      stat_workers: { type: 'integer', minimum: 1, maximum: 64, default: 4, description: 'statfs calls in parallel' },
    },
  },
  async collect(ctx) {
    const o = ctx.config;
    const keepMount = filter(o.mount_points_include, o.mount_points_exclude ?? o.ignored_mount_points, MOUNT_POINTS_EXCLUDE, 'mount_points');
    const keepType = filter(o.fs_types_include, o.fs_types_exclude ?? o.ignored_fs_types, FS_TYPES_EXCLUDE, 'fs_types');
    const timeoutMs = parseDuration(o.mount_timeout) ?? 5000;

    const text = readOptionalPseudoFile(ctx.paths.procfs, '1/mountinfo') ?? readOptionalPseudoFile(ctx.paths.procfs, 'self/mountinfo');
    if (text === undefined) throw new Error(`${ctx.paths.procfs}/1/mountinfo and ${ctx.paths.procfs}/self/mountinfo are missing`);
    const parsed = parseMountinfo(text);
    if (!parsed.ok) throw new Error(`${ctx.paths.procfs}/1/${parsed.error}`);

    const seen = new Set<string>();
    const mounts: Array<{ mount: Mount; mountPoint: string }> = [];
    for (const mount of parsed.value) {
      const mountPoint = stripRootfs(mount.mountPoint, ctx.paths.rootfs);
      const key = `${mount.source}\u0000${mountPoint}\u0000${mount.fsType}`;
      if (seen.has(key) || !keepMount(mountPoint) || !keepType(mount.fsType)) continue;
      seen.add(key);
      mounts.push({ mount, mountPoint });
    }

    const results = await mapLimited(mounts, o.stat_workers, ({ mountPoint }) => statfsGuard.stat(join(ctx.paths.rootfs, mountPoint), timeoutMs));
    const size: Sample[] = [];
    const free: Sample[] = [];
    const avail: Sample[] = [];
    const files: Sample[] = [];
    const filesFree: Sample[] = [];
    const readonly: Sample[] = [];
    const deviceErrors: Sample[] = [];
    const mountInfo: Sample[] = [];
    mounts.forEach(({ mount, mountPoint }, i) => {
      const r = results[i] as StatfsResult;
      const deviceError = r.kind === 'ok' ? '' : r.kind === 'stuck' ? 'mountpoint timeout' : r.message;
      const labels = { device: mount.source, mountpoint: mountPoint, fstype: mount.fsType, device_error: deviceError };
      deviceErrors.push({ labels, value: r.kind === 'ok' ? 0 : 1 });
      readonly.push({ labels, value: Number(isReadOnly(mount)) });
      mountInfo.push({ labels: { device: mount.source, major: String(mount.major), minor: String(mount.minor), mountpoint: mountPoint }, value: 1 });
      if (r.kind !== 'ok') return;
      size.push({ labels, value: r.size });
      free.push({ labels, value: r.free });
      avail.push({ labels, value: r.avail });
      files.push({ labels, value: r.files });
      filesFree.push({ labels, value: r.filesFree });
    });
    const stuck = results.filter((r) => r.kind === 'stuck').length;
    if (stuck) ctx.logger.warn({ mounts: statfsGuard.stuck() }, `${stuck} mount(s) did not answer statfs within ${o.mount_timeout}`);
    return [
      gauge('node_filesystem_size_bytes', 'Filesystem size in bytes.', size, 'bytes'),
      gauge('node_filesystem_free_bytes', 'Filesystem free space in bytes.', free, 'bytes'),
      gauge('node_filesystem_avail_bytes', 'Filesystem space available to non-root users in bytes.', avail, 'bytes'),
      gauge('node_filesystem_files', 'Filesystem total file nodes.', files),
      gauge('node_filesystem_files_free', 'Filesystem total free file nodes.', filesFree),
      gauge('node_filesystem_readonly', 'Filesystem read-only status.', readonly),
      gauge('node_filesystem_device_error', 'Whether an error occurred while getting statistics for the given device.', deviceErrors),
      gauge('node_filesystem_mount_info', 'Filesystem mount information.', mountInfo),
    ];
  },
});

/** Runs `f` over `items` with at most `limit` calls in flight, keeping order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
