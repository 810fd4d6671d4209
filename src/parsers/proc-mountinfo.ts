import { parseFailure, type ParseResult } from './parse-result.js';

export interface Mount {
  major: number;
  minor: number;
  /** The path inside the mounted filesystem that is mounted here (`/` unless a bind or namespaced mount). */
  root: string;
  /** With `\040` (space) and `\011` (tab) decoded, as node_exporter does. */
  mountPoint: string;
  options: string[];
  fsType: string;
  source: string;
  superOptions: string[];
}

/** /proc/PID/mountinfo (proc(5)): `id parent major:minor root mountpoint options [optional…] - fstype source superoptions`. */
export function parseMountinfo(text: string): ParseResult<Mount[]> {
  const mounts: Mount[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (!line.trim()) continue;
    const fields = line.trim().split(' ');
    const dash = fields.indexOf('-', 6);
    const devno = /^(\d+):(\d+)$/.exec(fields[2] ?? '');
    if (dash === -1 || fields.length < dash + 3 || !devno) return parseFailure('mountinfo', i + 1, `malformed line ${JSON.stringify(line.slice(0, 80))}`);
    mounts.push({
      major: Number(devno[1]),
      minor: Number(devno[2]),
      root: decodeOctal(fields[3] as string),
      mountPoint: decodeOctal(fields[4] as string),
      options: (fields[5] as string).split(','),
      fsType: fields[dash + 1] as string,
      source: fields[dash + 2] as string,
      superOptions: (fields[dash + 3] ?? '').split(','),
    });
  }
  return { ok: true, value: mounts };
}

function decodeOctal(field: string): string {
  return field.replaceAll('\\040', ' ').replaceAll('\\011', '\t');
}

export function isReadOnly(m: Mount): boolean {
  return m.options.includes('ro') || m.superOptions.includes('ro') || m.superOptions.includes('emergency_ro');
}

/** Mount points as the host sees them: a mount under the rootfs has that prefix removed. */
export function stripRootfs(mountPoint: string, rootfs: string): string {
  if (rootfs === '/' || rootfs === '') return mountPoint;
  const root = rootfs.replace(/\/+$/, '');
  if (mountPoint === root) return '/';
  return mountPoint.startsWith(`${root}/`) ? mountPoint.slice(root.length) : mountPoint;
}
