import { join } from 'node:path';
import type { Paths } from '../../src/collector.js';
import type { Mount } from '../../src/parsers/proc-mountinfo.js';

/** The v1 controllers whose files the collector reads (cAdvisor reads the same ones for these metrics). */
export const V1_CONTROLLERS = ['cpu', 'cpuacct', 'memory', 'blkio', 'pids'] as const;
export type Controller = (typeof V1_CONTROLLERS)[number];

export interface Hierarchy {
  /** Where the hierarchy can be read from here (host path translated through --path.sysfs/--path.rootfs). */
  dir: string;
  /** The cgroup path of the mount's root (`/` unless the mount is a bind of a sub-tree). */
  root: string;
}

export type CgroupLayout = { version: 2; unified: Hierarchy } | { version: 1; controllers: Map<Controller, Hierarchy> };

/**
 * Chooses the hierarchy like runc and cAdvisor do: v2 only when /sys/fs/cgroup itself is cgroup2;
 * on a hybrid host (v1 controllers plus a cgroup2 mount elsewhere) the v1 controllers. Each v1
 * controller is looked up on its own, since hosts mount them separately or together (`cpu,cpuacct`).
 */
export function cgroupLayout(mounts: readonly Mount[], paths: Pick<Paths, 'sysfs' | 'rootfs'>): CgroupLayout | undefined {
  const v2 = mounts.filter((m) => m.fsType === 'cgroup2');
  const unifiedAtTop = v2.find((m) => m.mountPoint === '/sys/fs/cgroup');
  if (unifiedAtTop) return { version: 2, unified: hierarchy(unifiedAtTop, paths) };
  const controllers = new Map<Controller, Hierarchy>();
  for (const controller of V1_CONTROLLERS) {
    const candidates = mounts.filter((m) => m.fsType === 'cgroup' && m.superOptions.includes(controller));
    // A container's own view may bind sub-trees; the mount of the whole hierarchy is the one to walk.
    const best = candidates.find((m) => m.root === '/') ?? candidates[0];
    if (best) controllers.set(controller, hierarchy(best, paths));
  }
  if (controllers.size) return { version: 1, controllers };
  const anyUnified = v2.find((m) => m.root === '/') ?? v2[0];
  return anyUnified ? { version: 2, unified: hierarchy(anyUnified, paths) } : undefined;
}

/** A mount point as the host names it, read through the sysfs or rootfs this process was given. */
function hierarchy(m: Mount, paths: Pick<Paths, 'sysfs' | 'rootfs'>): Hierarchy {
  const dir = m.mountPoint === '/sys' || m.mountPoint.startsWith('/sys/') ? join(paths.sysfs, m.mountPoint.slice(4)) : join(paths.rootfs, m.mountPoint);
  return { dir, root: m.root };
}

/** The hierarchies to walk: each distinct mount once (`cpu,cpuacct` co-mounted is one). */
export function hierarchies(layout: CgroupLayout): Hierarchy[] {
  if (layout.version === 2) return [layout.unified];
  const seen = new Map<string, Hierarchy>();
  for (const h of layout.controllers.values()) seen.set(h.dir, h);
  return [...seen.values()];
}
