import { readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { defineCollector, throwIfAborted, type CollectContext, type Labels } from '../../src/collector.js';
import { cooperativeYielder } from '../../src/cooperative.js';
import { DURATION_PATTERN, parseDuration } from '../../src/config/duration.js';
import { readOptionalPseudoFile, readPseudoFileOnce } from '../../src/fs/procfs.js';
import { parseDiskstats } from '../../src/parsers/proc-diskstats.js';
import { parseMountinfo } from '../../src/parsers/proc-mountinfo.js';
import { parseNetDev, type NetDevStats } from '../../src/parsers/proc-net-dev.js';
import { parseProcStat } from '../../src/parsers/proc-stat.js';
import { cgroupLayout, type CgroupLayout } from './cgroup-layout.js';
import { CgroupFiles, CgroupVanished } from './cgroup-files.js';
import { readCgroupSpec, readCgroupUsage, type CgroupDirs, type CgroupMemo, type CgroupSpec } from './cgroup-stats.js';
import { CgroupWalker } from './cgroup-walk.js';
import { containerFamilies, type ContainerReading } from './container-families.js';
import { identifyCgroup, type PathIdentity } from './identity.js';
import { MetadataStore, type PodNames } from './metadata-store.js';
import type { ContainerMetadata } from './runtime-metadata.js';

interface ContainerOptions {
  cgroup_include?: string;
  cgroup_exclude: string;
  percpu: boolean;
  container_labels: string[];
  docker_host?: string;
  docker_timeout: string;
  spec_interval: string;
}

/** What the collector keeps of one cgroup between runs. */
interface TrackedCgroup extends CgroupMemo {
  identity: PathIdentity;
  /** CgroupDirs.made: another one means the cgroup was made again. */
  made: number;
  startTimeSeconds?: number;
  /** Files this cgroup does not have (controller off, older kernel); tried again with the next spec read. */
  absent: Set<string>;
  spec?: CgroupSpec;
  specDueMs: number;
  /** Built again only when what they are made of changes. */
  labels?: { value: Labels; metadata: ContainerMetadata | undefined; pod: PodNames | undefined; runtimeLabels: string[] };
}

interface ContainerState {
  layout?: { value: CgroupLayout | undefined; readAtMs: number };
  cgroups: Map<string, TrackedCgroup>;
  walker: CgroupWalker;
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
  stableLabels: true,
  defaultMaxSeries: 100_000,
  // 50,000 samples per run at 1,000 containers: their garbage made GC pauses of 10–20 ms on the scrape thread.
  workerModule: import.meta.url,
  options: {
    type: 'object',
    properties: {
      cgroup_include: { type: 'string', format: 'regex', description: 'Regexp (anchored) of cgroup paths to report; all when unset' },
      cgroup_exclude: {
        type: 'string',
        format: 'regex',
        default: '.*\\.mount',
        description: 'Regexp (anchored) of cgroup paths to leave out; systemd mount units by default, as cAdvisor',
      },
      percpu: { type: 'boolean', default: false, description: 'Per-CPU container_cpu_usage_seconds_total series (cgroup v1 only; many series)' },
      container_labels: { type: 'array', items: { type: 'string' }, default: [], description: 'Runtime labels to add as container_label_<name> (allow-list)' },
      docker_host: { type: 'string', pattern: '^unix://', description: 'Docker Engine API socket for metadata not on disk, e.g. unix:///var/run/docker.sock' },
      docker_timeout: { type: 'string', pattern: DURATION_PATTERN, default: '2s', description: 'Deadline of one Docker API request' },
      spec_interval: {
        type: 'string',
        pattern: DURATION_PATTERN,
        default: '1m',
        description: 'How often the limits (container_spec_*) are read again; 0s reads them every run',
      },
    },
  },
  initialState: () => ({ cgroups: new Map(), walker: new CgroupWalker(), metadata: new MetadataStore(), devices: new Map() }),
  dispose(state) {
    state.walker.close();
  },
  async collect(ctx) {
    const { config, state } = ctx;
    const layout = currentLayout(ctx);
    if (!layout) return []; // no cgroup filesystem mounted: nothing to report
    const yieldNow = cooperativeYielder(ctx.signal);
    const cgroups: Array<{ id: string; dirs: CgroupDirs; depth: number }> = [];
    for (const [id, dirs] of await state.walker.walk(layout, cgroupFilter(config), yieldNow)) cgroups.push({ id, dirs, depth: depth(id) });
    // Parents first: the series cap keeps the root and pod cgroups when it drops containers.
    cgroups.sort((a, b) => a.depth - b.depth || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

    const live = new Map<string, PathIdentity>();
    for (const { id, dirs } of cgroups) {
      let tracked = state.cgroups.get(id);
      // New, or made again under its name (a restarted service): its limits, start time and files afresh.
      if (tracked?.made !== dirs.made)
        state.cgroups.set(id, (tracked = { identity: tracked?.identity ?? identifyCgroup(id), made: dirs.made, absent: new Set(), specDueMs: ctx.runTimeMs }));
      live.set(id, (tracked as TrackedCgroup).identity);
    }
    for (const id of state.cgroups.keys()) if (!live.has(id)) state.cgroups.delete(id);
    await state.metadata.refresh(
      live,
      {
        rootfs: ctx.paths.rootfs,
        ...(config.docker_host ? { dockerHost: config.docker_host } : {}),
        dockerTimeoutMs: parseDuration(config.docker_timeout) ?? 2000,
        skip: ctx.skip,
        signal: ctx.signal,
      },
      ctx.runTimeMs,
    );
    throwIfAborted(ctx.signal);

    const specIntervalMs = parseDuration(config.spec_interval) ?? 0;
    const seenNetns = new Set<string>();
    const readings: ContainerReading[] = [];
    for (const { id, dirs } of cgroups) {
      const tracked = state.cgroups.get(id) as TrackedCgroup;
      const { identity } = tracked;
      const isRoot = id === '/';
      try {
        const files = new CgroupFiles(ctx.skip, tracked.absent, state.walker.handles);
        if (ctx.runTimeMs >= tracked.specDueMs) {
          // The first due time is spread over the interval, so cgroups created together are not all read again in one run.
          tracked.specDueMs = ctx.runTimeMs + specIntervalMs * (tracked.spec === undefined ? Math.random() : 1);
          tracked.absent.clear();
          tracked.spec = readCgroupSpec(files, dirs, isRoot);
        }
        const usage = readCgroupUsage(files, dirs, tracked, { perCpu: config.percpu, isRoot, cfs: tracked.spec?.cpuQuota !== undefined });
        const metadata = identity.containerId ? state.metadata.container(identity.containerId) : undefined;
        const reading: ContainerReading = { labels: labelsFor(id, tracked, metadata, state, config), usage, spec: tracked.spec as CgroupSpec };
        const start = metadata?.startedAt ?? startTime(ctx, state, tracked, dirs);
        if (start !== undefined) reading.startTimeSeconds = start;
        const netPid = isRoot ? 1 : metadata?.ownsNetwork ? usage.firstPid : undefined;
        if (netPid !== undefined) {
          const network = readNetwork(ctx, netPid, seenNetns);
          if (network) reading.network = network;
        }
        readings.push(reading);
      } catch (err) {
        if (!(err instanceof CgroupVanished)) throw err;
        ctx.skip('vanished', err.message);
        state.cgroups.delete(id);
      }
      await yieldNow();
    }
    return containerFamilies(readings, (major, minor) => deviceName(ctx, state, major, minor), ctx.runTimeMs / 1000, yieldNow);
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

/** The kubelet's label set: all six always present, `""` where unknown; then the allow-listed runtime labels. */
function labelsFor(id: string, tracked: TrackedCgroup, metadata: ContainerMetadata | undefined, state: ContainerState, config: ContainerOptions): Labels {
  const { identity } = tracked;
  const pod = identity.podLevel && identity.podUid ? state.metadata.pod(identity.podUid) : undefined;
  const cached = tracked.labels;
  if (cached && cached.metadata === metadata && cached.pod === pod && cached.runtimeLabels === config.container_labels) return cached.value;
  const labels: Record<string, string> = {
    id,
    name: metadata?.name ?? '',
    image: metadata?.image ?? '',
    pod: metadata?.pod ?? pod?.pod ?? '',
    namespace: metadata?.namespace ?? pod?.namespace ?? '',
    container: metadata?.container ?? '',
  };
  for (const key of config.container_labels) labels[`container_label_${key.replace(/[^a-zA-Z0-9_]/g, '_')}`] = metadata?.labels[key] ?? '';
  tracked.labels = { value: labels, metadata, pod, runtimeLabels: config.container_labels };
  return labels;
}

/** cAdvisor's creation time: the oldest mtime among the cgroup's directories, never before boot. */
function startTime(ctx: CollectContext<ContainerOptions, ContainerState>, state: ContainerState, tracked: TrackedCgroup, dirs: CgroupDirs): number | undefined {
  if (tracked.startTimeSeconds !== undefined) return tracked.startTimeSeconds;
  const candidates =
    dirs.version === 2 ? [dirs.dir, join(dirs.dir, 'cgroup.events')] : Object.values(dirs.dirs).flatMap((d) => [d, join(d, 'cgroup.clone_children')]);
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
  tracked.startTimeSeconds = Math.max(oldest, state.bootTimeSeconds ?? 0);
  return tracked.startTimeSeconds;
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
