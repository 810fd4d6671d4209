/** What a cgroup path alone says about the container in it, for the systemd and cgroupfs drivers. */
export interface PathIdentity {
  /** The runtime's 64-hex container ID, from the last path segment. */
  containerId?: string;
  /** From the systemd scope prefix (`docker-`, `cri-containerd-`, `crio-`); unknown under cgroupfs. */
  runtime?: 'docker' | 'containerd' | 'crio';
  /** The pod UID with dashes, when the path runs through a Kubernetes pod cgroup. */
  podUid?: string;
  qos?: 'guaranteed' | 'burstable' | 'besteffort';
  /** This cgroup is the pod cgroup itself (not a container inside it). */
  podLevel: boolean;
}

const CONTAINER_SEGMENT = /^(?:(docker|cri-containerd|crio)-)?([0-9a-f]{64})(?:\.scope)?$/;
const RUNTIMES = { docker: 'docker', 'cri-containerd': 'containerd', crio: 'crio' } as const;
/** systemd driver: `kubepods-burstable-pod<uid with _>.slice`, or `kubepods-pod<uid>.slice` for Guaranteed. */
const SYSTEMD_POD = /^kubepods(?:-(besteffort|burstable))?-pod([0-9a-f_]{36})\.slice$/;
const CGROUPFS_POD = /^pod([0-9a-f-]{36})$/;

export function identifyCgroup(id: string): PathIdentity {
  const segments = id.split('/').filter(Boolean);
  const identity: PathIdentity = { podLevel: false };
  for (let i = 0; i < segments.length; i++) {
    const pod = podSegment(segments, i);
    if (pod) {
      identity.podUid = pod.uid;
      identity.qos = pod.qos;
      identity.podLevel = i === segments.length - 1;
    }
  }
  const last = segments[segments.length - 1] ?? '';
  const m = CONTAINER_SEGMENT.exec(last);
  if (m) {
    identity.containerId = m[2] as string;
    if (m[1]) identity.runtime = RUNTIMES[m[1] as keyof typeof RUNTIMES];
  }
  return identity;
}

/** A pod cgroup is a direct child of a QoS cgroup (the kubelet's rule); Guaranteed pods sit under kubepods itself. */
function podSegment(segments: string[], i: number): { uid: string; qos: NonNullable<PathIdentity['qos']> } | undefined {
  const segment = segments[i] as string;
  const parent = segments[i - 1];
  const systemd = SYSTEMD_POD.exec(segment);
  if (systemd) {
    const qos = (systemd[1] ?? 'guaranteed') as NonNullable<PathIdentity['qos']>;
    const expectedParent = qos === 'guaranteed' ? 'kubepods.slice' : `kubepods-${qos}.slice`;
    return parent === expectedParent ? { uid: (systemd[2] as string).replaceAll('_', '-'), qos } : undefined;
  }
  const cgroupfs = CGROUPFS_POD.exec(segment);
  if (!cgroupfs) return undefined;
  if (parent === 'kubepods') return { uid: cgroupfs[1] as string, qos: 'guaranteed' };
  if ((parent === 'besteffort' || parent === 'burstable') && segments[i - 2] === 'kubepods') return { uid: cgroupfs[1] as string, qos: parent };
  return undefined;
}
