/**
 * Pure readers of what container runtimes leave on the node: OCI bundle `config.json` annotations
 * (containerd, CRI-O), Docker's `config.v2.json` / Engine API inspect, and the kubelet's log names.
 * Each returns undefined (never throws) on JSON that does not have the expected shape.
 */

export interface ContainerMetadata {
  /** cAdvisor's `name` label: Docker's name, containerd's ID, CRI-O's container name. */
  name: string;
  image: string;
  pod: string;
  namespace: string;
  /** `""` for containerd sandboxes, `POD` for Docker and CRI-O sandboxes, as the kubelet shows them. */
  container: string;
  /** This container owns the pod's network namespace (sandbox), so it carries the network series. */
  ownsNetwork: boolean;
  /** Unix seconds the runtime started it, when it says. */
  startedAt?: number;
  /** Runtime labels, of which the configured allow-list becomes `container_label_*`. */
  labels: Record<string, string>;
}

type Json = Record<string, unknown>;

function object(v: unknown): Json | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
}

function stringMap(v: unknown): Record<string, string> {
  const o = object(v);
  if (!o) return {};
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(o)) if (typeof val === 'string') out[k] = val;
  return out;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** containerd (CRI plugin) bundle config.json: `io.kubernetes.cri.*` annotations. */
export function containerdMetadata(id: string, config: unknown): ContainerMetadata | undefined {
  const annotations = stringMap(object(config)?.annotations);
  const kind = annotations['io.kubernetes.cri.container-type'];
  if (kind === undefined) {
    // A container containerd runs outside Kubernetes (nerdctl, ctr): only its ID is known.
    return object(config) ? { name: id, image: '', pod: '', namespace: '', container: '', ownsNetwork: false, labels: annotations } : undefined;
  }
  const sandbox = kind === 'sandbox';
  return {
    name: id,
    image: (sandbox ? annotations['io.kubernetes.cri.podsandbox.image-name'] : annotations['io.kubernetes.cri.image-name']) ?? '',
    pod: annotations['io.kubernetes.cri.sandbox-name'] ?? '',
    namespace: annotations['io.kubernetes.cri.sandbox-namespace'] ?? '',
    container: sandbox ? '' : (annotations['io.kubernetes.cri.container-name'] ?? ''),
    ownsNetwork: sandbox,
    labels: annotations,
  };
}

/** CRI-O's `userdata/config.json`: `io.kubernetes.*` and `io.kubernetes.cri-o.*` annotations. */
export function crioMetadata(config: unknown): ContainerMetadata | undefined {
  const annotations = stringMap(object(config)?.annotations);
  const name = annotations['io.kubernetes.cri-o.Name'];
  if (name === undefined) return undefined;
  const container = annotations['io.kubernetes.container.name'] ?? '';
  let labels: Record<string, string> = {};
  try {
    labels = stringMap(JSON.parse(annotations['io.kubernetes.cri-o.Labels'] ?? '{}'));
  } catch {
    // Unparseable labels only cost the container_label_* values.
  }
  return {
    name,
    image: annotations['io.kubernetes.cri-o.ImageName'] ?? '',
    pod: annotations['io.kubernetes.pod.name'] ?? '',
    namespace: annotations['io.kubernetes.pod.namespace'] ?? '',
    container,
    ownsNetwork: annotations['io.kubernetes.cri-o.ContainerType'] === 'sandbox' || container === 'POD',
    labels,
  };
}

/**
 * Docker's `config.v2.json` or the Engine API's inspect answer (same fields): Name, Config.Image,
 * Config.Labels, State.StartedAt; `networkMode` comes from hostconfig.json (or HostConfig in inspect).
 */
export function dockerMetadata(config: unknown, networkMode?: string): ContainerMetadata | undefined {
  const c = object(config);
  const inner = object(c?.Config);
  if (!c || !inner || typeof c.Name !== 'string') return undefined;
  const labels = stringMap(inner.Labels);
  const mode = networkMode ?? str(object(c.HostConfig)?.NetworkMode);
  const started = Date.parse(str(object(c.State)?.StartedAt));
  return {
    name: c.Name.replace(/^\//, ''),
    image: str(inner.Image),
    pod: labels['io.kubernetes.pod.name'] ?? '',
    namespace: labels['io.kubernetes.pod.namespace'] ?? '',
    container: labels['io.kubernetes.container.name'] ?? '',
    ownsNetwork: !mode.startsWith('container:'),
    ...(started > 0 ? { startedAt: started / 1000 } : {}),
    labels,
  };
}

/** `/var/log/containers/<pod>_<namespace>_<container>-<64hex>.log`, the kubelet's symlink per container. */
export function parseContainerLogName(file: string): { id: string; pod: string; namespace: string; container: string } | undefined {
  const m = /^([^_]+)_([^_]+)_(.+)-([0-9a-f]{64})\.log$/.exec(file);
  return m ? { pod: m[1] as string, namespace: m[2] as string, container: m[3] as string, id: m[4] as string } : undefined;
}

/** `/var/log/pods/<namespace>_<pod>_<uid>`, the kubelet's directory per pod. */
export function parsePodLogDir(dir: string): { uid: string; pod: string; namespace: string } | undefined {
  const m = /^([^_]+)_([^_]+)_([0-9a-f-]{36})$/.exec(dir);
  return m ? { namespace: m[1] as string, pod: m[2] as string, uid: m[3] as string } : undefined;
}
