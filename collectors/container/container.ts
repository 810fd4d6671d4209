import { readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { defineCollector, throwIfAborted, type CollectContext, type Labels } from '../../src/collector.js';
import { cooperativeYielder } from '../../src/cooperative.js';
import { parseDuration } from '../../src/config/duration.js';
import { readOptionalPseudoFile, readPseudoFileOnce } from '../../src/procfs.js';
import { parseDiskstats } from '../host/proc-diskstats.js';
import { parseMountinfo } from '../host/proc-mountinfo.js';
import { parseNetDev, type NetDevStats } from '../host/proc-netdev.js';
import { parseProcStat } from '../host/proc-stat.js';
import { cgroupLayout, type CgroupLayout } from './cgroup-layout.js';
import { CgroupFiles, CgroupVanished } from './cgroup-files.js';
import { readCgroupStats, type CgroupDirs } from './cgroup-stats.js';
import { walkCgroups } from './cgroup-walk.js';
import { containerFamilies, type ContainerReading } from './container-families.js';
import { identifyCgroup, type PathIdentity } from './identity.js';
import { MetadataStore } from './metadata-store.js';
import type { ContainerMetadata } from './runtime-metadata.js';

interface ContainerOptions {
  cgroup_include?: string;
  cgroup_exclude: string;
  percpu: boolean;
  container_labels: string[];
  docker_host?: string;
  docker_timeout: string;
}

interface ContainerState {
  layout?: { value: CgroupLayout | undefined; readAtMs: number };
  identities: Map<string, PathIdentity>;
  startTimes: Map<string, number>;
  metadata: MetadataStore;
  devices: Map<string, string>;
  bootTimeSeconds?: number;
}

/** Mount tables change rarely; re-read them at most this often. */
const LAYOUT_TTL_MS = 60_000;
/** cAdvisor leaves out the interfaces of these prefixes (loopback and the host ends of container links). */
const SKIPPED_INTERFACES = /^(lo|veth|docker|nerdctl)/;

export default defineCollector<ContainerOptions, ContainerState>({
  name: 'container',
  description: "Container metrics in cAdvisor's names, read straight from cgroups (v1, v2, hybrid) with runtime metadata from the node's files",
  enabledByDefault: true,
  group: 'container',
  seriesGroupLabel: 'id',
  defaultMaxSeries: 100_000,
  options: {
    type: 'object',
    properties: {
      cgroup_include: { type: 'string', format: 'regex', description: 'Regexp (anchored) of cgroup paths to report; all when unset' },
      cgroup_exclude: { type: 'string', format: 'regex', default: '.*\\.mount', description: 'Regexp (anchored) of cgroup paths to leave out; systemd mount units by default, as cAdvisor' },
      percpu: { type: 'boolean', default: false, description: 'Per-CPU container_cpu_usage_seconds_total series (cgroup v1 only; many series)' },
      container_labels: { type: 'array', items: { type: 'string' }, default: [], description: 'Runtime labels to add as container_label_<name> (allow-list)' },
      docker_host: { type: 'string', pattern: '^unix://', description: 'Docker Engine API socket for metadata not on disk, e.g. unix:///var/run/docker.sock' },
      docker_timeout: { type: 'string', default: '2s', description: 'Deadline of one Docker API request' },
    },
  },
  initialState: () => ({ identities: new Map(), startTimes: new Map(), metadata: new MetadataStore(), devices: new Map() }),
  async collect(ctx) {
    const { config, state } = ctx;
    const layout = currentLayout(ctx);
    if (!layout) return []; // no cgroup filesystem mounted: nothing to report
    const yieldNow = cooperativeYielder(ctx.signal);
    const accept = cgroupFilter(config);
    const cgroups = [...(await walkCgroups(layout, yieldNow))].filter(([id]) => accept(id));
    cgroups.sort(([a], [b]) => depth(a) - depth(b) || (a < b ? -1 : a > b ? 1 : 0));

    const live = new Map<string, PathIdentity>();
    for (const [id] of cgroups) {
      let identity = state.identities.get(id);
      if (!identity) state.identities.set(id, (identity = identifyCgroup(id)));
      live.set(id, identity);
    }
    for (const id of state.identities.keys()) if (!live.has(id)) forget(state, id);
    await state.metadata.refresh(live, {
      rootfs: ctx.paths.rootfs,
      ...(config.docker_host ? { dockerHost: config.docker_host } : {}),
      dockerTimeoutMs: parseDuration(config.docker_timeout) ?? 2000,
      skip: ctx.skip,
      signal: ctx.signal,
    }, ctx.runTimeMs);
    throwIfAborted(ctx.signal);

    const files = new CgroupFiles(ctx.skip);
    const seenNetns = new Set<string>();
    const readings: ContainerReading[] = [];
    for (const [id, dirs] of cgroups) {
      const identity = live.get(id) as PathIdentity;
      try {
        const stats = readCgroupStats(files, dirs, { perCpu: config.percpu, isRoot: id === '/' });
        const metadata = identity.containerId ? state.metadata.container(identity.containerId) : undefined;
        const reading: ContainerReading = { labels: labelsFor(id, identity, metadata, state, config), stats };
        const start = metadata?.startedAt ?? startTime(ctx, state, id, dirs);
        if (start !== undefined) reading.startTimeSeconds = start;
        const netPid = id === '/' ? 1 : metadata?.ownsNetwork ? stats.firstPid : undefined;
        if (netPid !== undefined) {
          const network = readNetwork(ctx, netPid, seenNetns);
          if (network) reading.network = network;
        }
        readings.push(reading);
      } catch (err) {
        if (!(err instanceof CgroupVanished)) throw err;
        ctx.skip('vanished', err.message);
        forget(state, id);
      }
      await yieldNow();
    }
    return containerFamilies(readings, (major, minor) => deviceName(ctx, state, major, minor), ctx.runTimeMs / 1000);
  },
});

function currentLayout(ctx: CollectContext<ContainerOptions, ContainerState>): CgroupLayout | undefined {
  const cached = ctx.state.layout;
  if (cached && ctx.runTimeMs - cached.readAtMs < LAYOUT_TTL_MS) return cached.value;
  // The host's mount table (pid 1, with hostPID in a DaemonSet), else this process's own.
  const text = readOptionalPseudoFile(ctx.paths.procfs, '1/mountinfo') ?? readPseudoFileOnce(ctx.paths.procfs, 'self/mountinfo');
  const parsed = parseMountinfo(text);
  if (!parsed.ok) throw new Error(parsed.error);
  const value = cgroupLayout(parsed.value, ctx.paths);
  ctx.state.layout = { value, readAtMs: ctx.runTimeMs };
  return value;
}

function cgroupFilter(config: ContainerOptions): (id: string) => boolean {
  const include = config.cgroup_include === undefined ? undefined : new RegExp(`^(?:${config.cgroup_include})$`);
  const exclude = config.cgroup_exclude === '' ? undefined : new RegExp(`^(?:${config.cgroup_exclude})$`);
  return (id) => (!include || include.test(id)) && !exclude?.test(id);
}

function depth(id: string): number {
  let n = 0;
  for (let i = 0; i < id.length; i++) if (id.charCodeAt(i) === 47) n++;
  return id === '/' ? 0 : n;
}

function forget(state: ContainerState, id: string): void {
  state.identities.delete(id);
  state.startTimes.delete(id);
}

/** The kubelet's label set: all six always present, `""` where unknown; then the allow-listed runtime labels. */
function labelsFor(id: string, identity: PathIdentity, metadata: ContainerMetadata | undefined, state: ContainerState, config: ContainerOptions): Labels {
  const pod = identity.podLevel && identity.podUid ? state.metadata.pod(identity.podUid) : undefined;
  const labels: Record<string, string> = {
    id,
    name: metadata?.name ?? '',
    image: metadata?.image ?? '',
    pod: metadata?.pod ?? pod?.pod ?? '',
    namespace: metadata?.namespace ?? pod?.namespace ?? '',
    container: metadata?.container ?? '',
  };
  for (const key of config.container_labels) labels[`container_label_${key.replace(/[^a-zA-Z0-9_]/g, '_')}`] = metadata?.labels[key] ?? '';
  return labels;
}

/** cAdvisor's creation time: the oldest mtime among the cgroup's directories, never before boot. */
function startTime(ctx: CollectContext<ContainerOptions, ContainerState>, state: ContainerState, id: string, dirs: CgroupDirs): number | undefined {
  const known = state.startTimes.get(id);
  if (known !== undefined) return known;
  const candidates = dirs.version === 2 ? [dirs.dir, join(dirs.dir, 'cgroup.events')] : Object.values(dirs.dirs).flatMap((d) => [d, join(d, 'cgroup.clone_children')]);
  let oldest = Infinity;
  for (const path of candidates) {
    try {
      oldest = Math.min(oldest, statSync(path).mtimeMs / 1000);
    } catch {
      // a controller directory that is not there
    }
  }
  if (oldest === Infinity) return undefined;
  state.bootTimeSeconds ??= bootTime(ctx);
  const value = Math.max(oldest, state.bootTimeSeconds ?? 0);
  state.startTimes.set(id, value);
  return value;
}

function bootTime(ctx: CollectContext<ContainerOptions, ContainerState>): number | undefined {
  const parsed = parseProcStat(readPseudoFileOnce(ctx.paths.procfs, 'stat'));
  return parsed.ok ? parsed.value.bootTime : undefined;
}

/** The interfaces of `pid`'s network namespace, once per namespace per run. */
function readNetwork(ctx: CollectContext<ContainerOptions, ContainerState>, pid: number, seen: Set<string>): NetDevStats[] | undefined {
  const netns = namespaceOf(ctx.paths.procfs, pid);
  if (seen.has(netns)) return undefined;
  let text: string;
  try {
    text = readPseudoFileOnce(ctx.paths.procfs, `${pid}/net/dev`);
  } catch (err) {
    ctx.skip('unreadable', `network of pid ${pid}: ${(err as Error).message}`); // exited, or no access
    return undefined;
  }
  seen.add(netns);
  const parsed = parseNetDev(text);
  if (!parsed.ok) {
    ctx.skip('malformed', parsed.error);
    return undefined;
  }
  return parsed.value.filter((d) => !SKIPPED_INTERFACES.test(d.device));
}

/** `net:[inode]`; where the link cannot be read (another user namespace's pid 1), the pid stands for it. */
function namespaceOf(procfs: string, pid: number): string {
  try {
    return readlinkSync(join(procfs, String(pid), 'ns/net'));
  } catch {
    return `pid ${pid}`;
  }
}

/** `/dev/<name>` for a block device number, as cAdvisor labels it; `""` if the kernel does not list it. */
function deviceName(ctx: CollectContext<ContainerOptions, ContainerState>, state: ContainerState, major: number, minor: number): string {
  const key = `${major}:${minor}`;
  let name = state.devices.get(key);
  if (name === undefined) {
    const parsed = parseDiskstats(readOptionalPseudoFile(ctx.paths.procfs, 'diskstats') ?? '');
    if (parsed.ok) for (const d of parsed.value) state.devices.set(`${d.major}:${d.minor}`, `/dev/${d.device}`);
    name = state.devices.get(key) ?? '';
    state.devices.set(key, name);
  }
  return name;
}
