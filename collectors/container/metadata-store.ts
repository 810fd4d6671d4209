import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dockerInspect } from './docker-api.js';
import type { PathIdentity } from './identity.js';
import { containerdMetadata, crioMetadata, dockerMetadata, parseContainerLogName, parsePodLogDir, type ContainerMetadata } from './runtime-metadata.js';

/** Where runtimes keep their state, relative to --path.rootfs. */
const CONTAINERD_TASK_DIRS = ['run/containerd/io.containerd.runtime.v2.task', 'run/containerd/io.containerd.runtime.v1.linux'];
const CRIO_CONTAINERS = 'run/containers/storage/overlay-containers';
const DOCKER_CONTAINERS = 'var/lib/docker/containers';
const KUBELET_CONTAINER_LOGS = 'var/log/containers';
const KUBELET_POD_LOGS = 'var/log/pods';
/** A container whose metadata was not found yet, or found without its image, is looked up again after this long. */
export const METADATA_RETRY_MS = 30_000;

export interface MetadataOptions {
  rootfs: string;
  /** `unix:///var/run/docker.sock` style address of the Docker Engine API, or undefined for none. */
  dockerHost?: string;
  dockerTimeoutMs: number;
  skip: (reason: string, detail: string) => void;
  signal: AbortSignal;
}

export interface PodNames {
  pod: string;
  namespace: string;
}

interface Entry {
  /** The best found so far. */
  metadata?: ContainerMetadata;
  /** When to look again, while the metadata is missing or incomplete. */
  retryAtMs?: number;
}

/**
 * Container metadata by container ID, and pod names by UID, looked up from the node's own files (no
 * network), the Docker API only when configured, and the kubelet's log names; forgotten when the
 * container goes. Looked up once when complete; metadata without an image (found only from log
 * names, or while the Docker API was down) is looked up again every METADATA_RETRY_MS until it is.
 */
export class MetadataStore {
  private readonly containers = new Map<string, Entry>();
  private pods = new Map<string, PodNames>();
  private containerLogs = new Map<string, { pod: string; namespace: string; container: string }>();
  private listedLogsAtMs = -Infinity;
  private dockerDownUntilMs = -Infinity;

  /** Looks up the containers not known yet (or due a retry); call once per run with the live set. */
  async refresh(live: ReadonlyMap<string, PathIdentity>, opts: MetadataOptions, nowMs: number): Promise<void> {
    const runtimes = new Map<string, PathIdentity['runtime']>();
    const liveUids = new Set<string>();
    for (const identity of live.values()) {
      if (identity.containerId) runtimes.set(identity.containerId, identity.runtime);
      if (identity.podUid) liveUids.add(identity.podUid);
    }
    const liveIds = new Set(runtimes.keys());
    for (const id of this.containers.keys()) if (!liveIds.has(id)) this.containers.delete(id);
    const due = [...liveIds].filter((id) => {
      const e = this.containers.get(id);
      return !e || (e.retryAtMs !== undefined && e.retryAtMs <= nowMs);
    });
    const unknownPod = [...liveUids].some((uid) => !this.pods.has(uid));
    if ((due.length || unknownPod) && nowMs - this.listedLogsAtMs >= 1000) this.listKubeletLogs(opts, nowMs);
    for (const id of due) {
      if (opts.signal.aborted) return;
      const files = this.fromFiles(id, runtimes.get(id), opts);
      const found = files?.image ? files : ((await this.fromDockerApi(id, opts, nowMs)) ?? files ?? this.fromLogs(id));
      const metadata = found ?? this.containers.get(id)?.metadata;
      this.containers.set(id, metadata?.image ? { metadata } : { ...(metadata ? { metadata } : {}), retryAtMs: nowMs + METADATA_RETRY_MS });
    }
    for (const uid of this.pods.keys()) if (!liveUids.has(uid)) this.pods.delete(uid);
  }

  container(id: string): ContainerMetadata | undefined {
    return this.containers.get(id)?.metadata;
  }

  pod(uid: string): PodNames | undefined {
    return this.pods.get(uid);
  }

  private fromFiles(id: string, runtime: PathIdentity['runtime'], opts: MetadataOptions): ContainerMetadata | undefined {
    const readers: Array<() => ContainerMetadata | undefined> = [];
    const containerd = () => {
      for (const tasks of CONTAINERD_TASK_DIRS) {
        for (const ns of listDir(join(opts.rootfs, tasks))) {
          const config = readJson(join(opts.rootfs, tasks, ns, id, 'config.json'), opts);
          if (config !== undefined) return containerdMetadata(id, config) ?? malformed(id, 'containerd config.json', opts);
        }
      }
      return undefined;
    };
    const crio = () => {
      const config = readJson(join(opts.rootfs, CRIO_CONTAINERS, id, 'userdata/config.json'), opts);
      return config === undefined ? undefined : (crioMetadata(config) ?? malformed(id, 'CRI-O config.json', opts));
    };
    const docker = () => {
      const dir = join(opts.rootfs, DOCKER_CONTAINERS, id);
      const config = readJson(join(dir, 'config.v2.json'), opts);
      if (config === undefined) return undefined;
      const hostConfig = readJson(join(dir, 'hostconfig.json'), opts) as { NetworkMode?: unknown } | undefined;
      const mode = typeof hostConfig?.NetworkMode === 'string' ? hostConfig.NetworkMode : '';
      return dockerMetadata(config, mode) ?? malformed(id, 'Docker config.v2.json', opts);
    };
    // The scope prefix names the runtime under systemd; under cgroupfs every store is tried, and one
    // with the image wins: Docker runs its containers through containerd (namespace `moby`), whose
    // bundle knows only the ID, while Docker's own files have the name, image and pod labels.
    if (runtime === 'containerd') readers.push(containerd);
    else if (runtime === 'crio') readers.push(crio);
    else if (runtime === 'docker') readers.push(docker);
    else readers.push(containerd, crio, docker);
    let first: ContainerMetadata | undefined;
    for (const read of readers) {
      const found = read();
      if (found?.image) return found;
      first ??= found;
    }
    return first;
  }

  private async fromDockerApi(id: string, opts: MetadataOptions, nowMs: number): Promise<ContainerMetadata | undefined> {
    if (!opts.dockerHost || nowMs < this.dockerDownUntilMs) return undefined;
    const answer = await dockerInspect(opts.dockerHost, id, opts.dockerTimeoutMs, opts.signal);
    if (answer.status === 'found') return dockerMetadata(answer.body) ?? malformed(id, 'Docker API inspect', opts);
    if (answer.status === 'failed') {
      // One failure (hung or refused socket) and the rest of this run does without the API.
      this.dockerDownUntilMs = nowMs + METADATA_RETRY_MS;
      opts.skip('metadata', `Docker API ${opts.dockerHost}: ${answer.error}`);
    }
    return undefined;
  }

  /** The kubelet's log names know pod, namespace and container name, but not the image. */
  private fromLogs(id: string): ContainerMetadata | undefined {
    const log = this.containerLogs.get(id);
    return log ? { name: '', image: '', ...log, ownsNetwork: false, labels: {} } : undefined;
  }

  private listKubeletLogs(opts: MetadataOptions, nowMs: number): void {
    this.listedLogsAtMs = nowMs;
    this.containerLogs = new Map();
    for (const file of listDir(join(opts.rootfs, KUBELET_CONTAINER_LOGS))) {
      const parsed = parseContainerLogName(file);
      if (parsed) this.containerLogs.set(parsed.id, parsed);
    }
    this.pods = new Map();
    for (const dir of listDir(join(opts.rootfs, KUBELET_POD_LOGS))) {
      const parsed = parsePodLogDir(dir);
      if (parsed) this.pods.set(parsed.uid, parsed);
    }
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** A JSON file, or undefined when it is not there; unreadable or invalid JSON is counted. */
function readJson(path: string, opts: MetadataOptions): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ENOTDIR')
      opts.skip('metadata', `${path}: ${(err as Error).message}`);
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    opts.skip('metadata', `${path}: ${(err as Error).message}`);
    return undefined;
  }
}

function malformed(id: string, what: string, opts: MetadataOptions): undefined {
  opts.skip('metadata', `${what} of ${id} does not have the expected fields`);
  return undefined;
}
