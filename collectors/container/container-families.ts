import { counter, gauge, type Labels, type MetricFamily } from '../../src/collector.js';
import type { Sample } from '../../src/metrics/model.js';
import type { NetDevStats } from '../../src/parsers/proc-net-dev.js';
import type { CgroupSpec, CgroupUsage } from './cgroup-stats.js';

/** One cgroup's reading with the labels every one of its series carries (id, name, image, pod, …). */
export interface ContainerReading {
  labels: Labels;
  usage: CgroupUsage;
  /** The limits, read every `spec_interval`: the same object until then. */
  spec: CgroupSpec;
  /** Interfaces of the network namespace this cgroup owns, if it carries the network series. */
  network?: NetDevStats[];
  startTimeSeconds?: number;
}

type Kind = 'counter' | 'gauge';
type Scalar = { name: string; kind: Kind; help: string; unit?: string; value: (usage: CgroupUsage, spec: CgroupSpec) => number | undefined };

const cfsOnly = (f: (usage: CgroupUsage) => number | undefined) => (usage: CgroupUsage, spec: CgroupSpec) => (spec.cpuQuota ? f(usage) : undefined);

/** cAdvisor's one-value-per-container families, in its names, types and units. */
const SCALARS: Scalar[] = [
  { name: 'container_cpu_user_seconds_total', kind: 'counter', unit: 'seconds', help: 'CPU time spent in user mode, in seconds.', value: (s) => s.cpuUser },
  {
    name: 'container_cpu_system_seconds_total',
    kind: 'counter',
    unit: 'seconds',
    help: 'CPU time spent in kernel mode, in seconds.',
    value: (s) => s.cpuSystem,
  },
  {
    name: 'container_cpu_cfs_periods_total',
    kind: 'counter',
    help: 'Enforcement periods of the CFS quota that elapsed (only with a CPU quota).',
    value: cfsOnly((s) => s.cfsPeriods),
  },
  {
    name: 'container_cpu_cfs_throttled_periods_total',
    kind: 'counter',
    help: 'Enforcement periods in which the container was throttled (only with a CPU quota).',
    value: cfsOnly((s) => s.cfsThrottledPeriods),
  },
  {
    name: 'container_cpu_cfs_throttled_seconds_total',
    kind: 'counter',
    unit: 'seconds',
    help: 'Time the container was throttled, in seconds (only with a CPU quota).',
    value: cfsOnly((s) => s.cfsThrottledSeconds),
  },
  {
    name: 'container_memory_usage_bytes',
    kind: 'gauge',
    unit: 'bytes',
    help: 'Memory charged to the cgroup, page cache included, in bytes.',
    value: (s) => s.memoryUsage,
  },
  {
    name: 'container_memory_working_set_bytes',
    kind: 'gauge',
    unit: 'bytes',
    help: 'Memory usage minus inactive file cache, in bytes (what the OOM killer and kubelet eviction look at).',
    value: (s) => s.memoryWorkingSet,
  },
  { name: 'container_memory_rss', kind: 'gauge', unit: 'bytes', help: 'Anonymous memory and swap cache, in bytes.', value: (s) => s.memoryRss },
  { name: 'container_memory_cache', kind: 'gauge', unit: 'bytes', help: 'Page cache, in bytes.', value: (s) => s.memoryCache },
  { name: 'container_memory_swap', kind: 'gauge', unit: 'bytes', help: 'Swap used, in bytes.', value: (s) => s.memorySwap },
  { name: 'container_memory_mapped_file', kind: 'gauge', unit: 'bytes', help: 'Memory-mapped file pages, in bytes.', value: (s) => s.memoryMappedFile },
  { name: 'container_memory_failcnt', kind: 'counter', help: 'Times the memory usage hit its limit (always 0 on cgroup v2).', value: (s) => s.memoryFailcnt },
  {
    name: 'container_memory_max_usage_bytes',
    kind: 'gauge',
    unit: 'bytes',
    help: 'Peak memory usage, in bytes (0 on cgroup v2 before kernel 5.19).',
    value: (s) => s.memoryMaxUsage,
  },
  {
    name: 'container_oom_events_total',
    kind: 'counter',
    help: 'Processes of the container killed by the OOM killer (memory.events / memory.oom_control oom_kill).',
    value: (s) => s.oomKills,
  },
  {
    name: 'container_spec_memory_limit_bytes',
    kind: 'gauge',
    unit: 'bytes',
    help: 'Memory limit, in bytes (0 for none).',
    value: (_, spec) => spec.memoryLimit,
  },
  {
    name: 'container_spec_memory_swap_limit_bytes',
    kind: 'gauge',
    unit: 'bytes',
    help: 'Memory plus swap limit, in bytes (0 for none).',
    value: (_, spec) => spec.memorySwapLimit,
  },
  {
    name: 'container_spec_memory_reservation_limit_bytes',
    kind: 'gauge',
    unit: 'bytes',
    help: 'Memory reservation (soft limit on v1, memory.min on v2), in bytes (0 for none).',
    value: (_, spec) => spec.memoryReservation,
  },
  { name: 'container_spec_cpu_quota', kind: 'gauge', help: 'CPU quota per period, in microseconds (only when set).', value: (_, spec) => spec.cpuQuota },
  { name: 'container_spec_cpu_period', kind: 'gauge', help: 'CPU quota period, in microseconds.', value: (_, spec) => spec.cpuPeriod },
  { name: 'container_spec_cpu_shares', kind: 'gauge', help: 'CPU shares (v2 cpu.weight converted to shares).', value: (_, spec) => spec.cpuShares },
  { name: 'container_processes', kind: 'gauge', help: 'Processes in the cgroup itself (not its children).', value: (s) => s.processes },
  { name: 'container_threads', kind: 'gauge', help: 'Tasks in the cgroup (pids.current).', value: (s) => s.threads },
  { name: 'container_threads_max', kind: 'gauge', help: 'Task limit of the cgroup (pids.max; 0 for none).', value: (_, spec) => spec.threadsMax },
];

const PRESSURE = [
  ['cpu', 'some', 'container_pressure_cpu_waiting_seconds_total', 'Time at least one task waited for CPU, in seconds (cgroup v2 PSI).'],
  ['cpu', 'full', 'container_pressure_cpu_stalled_seconds_total', 'Time all non-idle tasks stalled on CPU, in seconds (cgroup v2 PSI).'],
  ['memory', 'some', 'container_pressure_memory_waiting_seconds_total', 'Time at least one task waited for memory, in seconds (cgroup v2 PSI).'],
  ['memory', 'full', 'container_pressure_memory_stalled_seconds_total', 'Time all non-idle tasks stalled on memory, in seconds (cgroup v2 PSI).'],
  ['io', 'some', 'container_pressure_io_waiting_seconds_total', 'Time at least one task waited for I/O, in seconds (cgroup v2 PSI).'],
  ['io', 'full', 'container_pressure_io_stalled_seconds_total', 'Time all non-idle tasks stalled on I/O, in seconds (cgroup v2 PSI).'],
] as const;

/** /proc/net/dev columns → cAdvisor's network families. */
const NETWORK = [
  ['receive_bytes', 'container_network_receive_bytes_total', 'Bytes received.', 'bytes'],
  ['receive_packets', 'container_network_receive_packets_total', 'Packets received.', undefined],
  ['receive_drop', 'container_network_receive_packets_dropped_total', 'Received packets dropped.', undefined],
  ['receive_errs', 'container_network_receive_errors_total', 'Errors while receiving.', undefined],
  ['transmit_bytes', 'container_network_transmit_bytes_total', 'Bytes transmitted.', 'bytes'],
  ['transmit_packets', 'container_network_transmit_packets_total', 'Packets transmitted.', undefined],
  ['transmit_drop', 'container_network_transmit_packets_dropped_total', 'Transmitted packets dropped.', undefined],
  ['transmit_errs', 'container_network_transmit_errors_total', 'Errors while transmitting.', undefined],
] as const;

/**
 * A cgroup's labels plus more (`cpu`, `device`, `interface`, …): the same object run after run, so
 * the renderer's per-object cache holds for these series too. `key` names the extra labels' values
 * (prefixed with what they are, so an interface called `total` is not taken for the CPU total).
 */
const derivedLabels = new WeakMap<Labels, Map<string, Labels>>();

function withLabels(base: Labels, key: string, extra: () => Record<string, string>): Labels {
  let byKey = derivedLabels.get(base);
  if (!byKey) derivedLabels.set(base, (byKey = new Map()));
  let labels = byKey.get(key);
  if (!labels) byKey.set(key, (labels = { ...base, ...extra() }));
  return labels;
}

const TOTAL_CPU = () => ({ cpu: 'total' });

/**
 * The families of all readings; `yieldNow` gives the event loop a turn between families (50,000 samples at
 * 1,000 containers).
 */
export async function containerFamilies(
  readings: readonly ContainerReading[],
  deviceName: (major: number, minor: number) => string,
  lastSeenSeconds: number,
  yieldNow: () => Promise<void> | undefined,
): Promise<MetricFamily[]> {
  const families: MetricFamily[] = [];
  const cpuUsage: Sample[] = [];
  for (const r of readings) {
    const s = r.usage;
    if (s.cpuUsagePerCpu) {
      s.cpuUsagePerCpu.forEach((v, i) => {
        const cpu = `cpu${String(i).padStart(2, '0')}`;
        if (v > 0)
          add(
            cpuUsage,
            withLabels(r.labels, `cpu\u0000${cpu}`, () => ({ cpu })),
            v,
          );
      });
    } else if (s.cpuUsage) add(cpuUsage, withLabels(r.labels, 'cpu\u0000total', TOTAL_CPU), s.cpuUsage);
  }
  families.push(counter('container_cpu_usage_seconds_total', 'CPU time consumed, in seconds (cpu="total" unless per-CPU series are on).', cpuUsage, 'seconds'));
  for (const m of SCALARS) {
    const samples: Sample[] = [];
    for (const r of readings) {
      const value = m.value(r.usage, r.spec);
      if (value !== undefined) add(samples, r.labels, value);
    }
    families.push(m.kind === 'counter' ? counter(m.name, m.help, samples, m.unit) : gauge(m.name, m.help, samples, m.unit));
    await yieldNow();
  }
  families.push(...(await ioFamilies(readings, deviceName, yieldNow)));
  for (const [resource, kind, name, help] of PRESSURE) {
    const samples: Sample[] = [];
    for (const r of readings) {
      const value = r.usage.pressure?.[resource]?.[kind];
      if (value !== undefined) add(samples, r.labels, value);
    }
    families.push(counter(name, help, samples, 'seconds'));
    await yieldNow();
  }
  for (const [column, name, help, unit] of NETWORK) {
    const samples: Sample[] = [];
    for (const r of readings) {
      for (const iface of r.network ?? []) {
        const value = iface.stats.get(column);
        if (value !== undefined)
          add(
            samples,
            withLabels(r.labels, `interface\u0000${iface.device}`, () => ({ interface: iface.device })),
            value,
          );
      }
    }
    families.push(counter(name, help, samples, unit));
    await yieldNow();
  }
  const startTimes: Sample[] = [];
  const lastSeen: Sample[] = [];
  for (const r of readings) {
    if (r.startTimeSeconds !== undefined) add(startTimes, r.labels, r.startTimeSeconds);
    add(lastSeen, r.labels, lastSeenSeconds);
  }
  families.push(
    gauge('container_start_time_seconds', 'Start time of the container since the Unix epoch, in seconds.', startTimes, 'seconds'),
    gauge('container_last_seen', 'Last time the container was seen by the exporter, in seconds since the Unix epoch.', lastSeen),
  );
  return families.filter((f) => f.samples.length > 0);
}

async function ioFamilies(
  readings: readonly ContainerReading[],
  deviceName: (major: number, minor: number) => string,
  yieldNow: () => Promise<void> | undefined,
): Promise<MetricFamily[]> {
  const readBytes: Sample[] = [];
  const writeBytes: Sample[] = [];
  const reads: Sample[] = [];
  const writes: Sample[] = [];
  const usage: Sample[] = [];
  for (const r of readings) {
    for (const d of r.usage.io) {
      const device = deviceName(d.major, d.minor);
      const labels = withLabels(r.labels, `device\u0000${device}`, () => ({ device }));
      const addValue = (into: Sample[], v: number | undefined) => v !== undefined && add(into, labels, v);
      addValue(readBytes, d.bytes.get('Read'));
      addValue(writeBytes, d.bytes.get('Write'));
      addValue(reads, d.ops.get('Read'));
      addValue(writes, d.ops.get('Write'));
      for (const [operation, value] of d.bytes) {
        add(
          usage,
          withLabels(r.labels, `operation\u0000${d.major}:${d.minor}\u0000${operation}`, () => ({
            device,
            major: String(d.major),
            minor: String(d.minor),
            operation,
          })),
          value,
        );
      }
    }
    await yieldNow();
  }
  return [
    counter('container_fs_reads_bytes_total', 'Bytes read from the block device.', readBytes, 'bytes'),
    counter('container_fs_writes_bytes_total', 'Bytes written to the block device.', writeBytes, 'bytes'),
    counter('container_fs_reads_total', 'Read requests completed on the block device.', reads),
    counter('container_fs_writes_total', 'Write requests completed on the block device.', writes),
    counter('container_blkio_device_usage_total', 'Block I/O bytes by device and operation.', usage, 'bytes'),
  ];
}

function add(samples: Sample[], labels: Labels, value: number): void {
  samples.push({ labels, value });
}
