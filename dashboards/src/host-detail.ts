import type { MixinConfig } from '../../src/mixin/config.js';
import { mergedTable, table, ts, type PanelSpec, type RowSpec, type ValueMapping } from './grafana.js';

/**
 * The Host dashboard's deeper sections, folded: Node Exporter Full's memory, paging, disk,
 * filesystem, network, socket, time, process, sensor, frequency, NFS, XFS and ZFS sections, each
 * on the families spyglass's collectors emit under node_exporter's names (collectors/host/*.README.md).
 * `h` holds the dashboard's matchers (selector, $job, $instance).
 */
export function hostDetailRows(c: MixinConfig, h: string): RowSpec[] {
  const rate = (metric: string, selector = h) => `rate(${metric}{${selector}}[$__rate_interval])`;
  const gauges = (family: string, names: string[], legend = (n: string) => n) => names.map((n) => ({ expr: `${family}${n}_bytes{${h}}`, legend: legend(n) }));
  const mem = (names: string[]) => gauges('node_memory_', names);
  const net = `${h},${c.netDeviceSelector}`;
  const disk = `${h},${c.diskDeviceSelector}`;
  const fs = `${h},${c.fsSelector}`;
  return [
    { title: 'Memory detail', collapsed: true, panels: memoryPanels(mem, h) },
    {
      title: 'Paging and swap',
      collapsed: true,
      panels: [
        ts(
          'Paging',
          'Bytes paged in from and out to block devices per second, swap included (node_vmstat_pgpgin / pgpgout, which count KiB).',
          'Bps',
          [
            { expr: `${rate('node_vmstat_pgpgin')} * 1024`, legend: 'paged in' },
            { expr: `${rate('node_vmstat_pgpgout')} * 1024`, legend: 'paged out' },
          ],
          { w: 8 },
        ),
        ts(
          'Swap traffic',
          'Pages swapped in and out per second (node_vmstat_pswpin / pswpout); steady swap-in means the working set does not fit in memory.',
          'ops',
          [
            { expr: rate('node_vmstat_pswpin'), legend: 'swapped in' },
            { expr: rate('node_vmstat_pswpout'), legend: 'swapped out' },
          ],
          { w: 8 },
        ),
        ts(
          'Swap cache',
          'Swapped-out memory that is also in the page cache, and the swap space in use.',
          'bytes',
          [
            { expr: `node_memory_SwapCached_bytes{${h}}`, legend: 'swap cache' },
            { expr: `node_memory_SwapTotal_bytes{${h}} - node_memory_SwapFree_bytes{${h}}`, legend: 'swap used' },
          ],
          { w: 8 },
        ),
      ],
    },
    {
      title: 'Disk detail',
      collapsed: true,
      panels: [
        ts(
          'Merged requests',
          'Adjacent reads and writes the block layer merged into one request, per second, by device.',
          'iops',
          [
            { expr: rate('node_disk_reads_merged_total', disk), legend: '{{device}} reads merged' },
            { expr: rate('node_disk_writes_merged_total', disk), legend: '{{device}} writes merged' },
          ],
          { w: 8 },
        ),
        ts(
          'I/Os in progress',
          'Requests issued to the device and not yet completed, now (node_disk_io_now).',
          'short',
          [{ expr: `node_disk_io_now{${disk}}`, legend: '{{device}}' }],
          {
            w: 8,
            min: 0,
          },
        ),
        ts(
          'Discards',
          'Discards (TRIM) completed and merged per second, by device.',
          'iops',
          [
            { expr: rate('node_disk_discards_completed_total', disk), legend: '{{device}} completed' },
            { expr: rate('node_disk_discards_merged_total', disk), legend: '{{device}} merged' },
          ],
          { w: 8 },
        ),
      ],
    },
    {
      title: 'Filesystem detail',
      collapsed: true,
      panels: [
        ts(
          'Device errors',
          'Filesystems whose statfs(2) failed or timed out at the last run (node_filesystem_device_error): their size and free space are missing.',
          'short',
          [{ expr: `max by (mountpoint, device) (node_filesystem_device_error{${fs}})`, legend: '{{mountpoint}} ({{device}})' }],
          { w: 8, min: 0, max: 1, decimals: 0, thresholds: [[1, 'red']] },
        ),
        ts(
          'File descriptors used',
          `File handles allocated as a share of the system-wide limit (node_filefd_allocated / node_filefd_maximum); above ${c.fileDescriptorsWarningPercent}% and ${c.fileDescriptorsCriticalPercent}% for 15 minutes is NodeFileDescriptorLimit.`,
          'percentunit',
          [{ expr: `node_filefd_allocated{${h}} / node_filefd_maximum{${h}}`, legend: 'used' }],
          {
            w: 8,
            min: 0,
            thresholds: [
              [c.fileDescriptorsWarningPercent / 100, 'orange'],
              [c.fileDescriptorsCriticalPercent / 100, 'red'],
            ],
          },
        ),
        ts(
          'File descriptors allocated',
          'File handles the kernel has allocated (node_filefd_allocated).',
          'short',
          [{ expr: `node_filefd_allocated{${h}}`, legend: 'allocated' }],
          { w: 8, min: 0 },
        ),
      ],
    },
    { title: 'Network detail', collapsed: true, panels: networkPanels(c, h, net, rate) },
    { title: 'Sockets and TCP', collapsed: true, panels: socketPanels(h, rate) },
    { title: 'Time synchronisation', collapsed: true, panels: timePanels(c, h) },
    { title: 'Processes and kernel', collapsed: true, panels: processPanels(h, rate) },
    {
      title: 'Hardware sensors',
      collapsed: true,
      panels: [
        ts('Temperatures', 'Temperature of each hwmon sensor, and its critical limit where the chip has one.', 'celsius', [
          { expr: `node_hwmon_temp_celsius{${h}}`, legend: '{{chip}} {{sensor}}' },
          { expr: `node_hwmon_temp_crit_celsius{${h}}`, legend: '{{chip}} {{sensor}} critical' },
        ]),
        ts(
          'Fans',
          'Speed of each hwmon fan; 0 for a fan that stopped or is not connected.',
          'rotrpm',
          [{ expr: `node_hwmon_fan_rpm{${h}}`, legend: '{{chip}} {{sensor}}' }],
          { min: 0 },
        ),
      ],
    },
    {
      title: 'CPU frequency',
      collapsed: true,
      panels: [
        ts(
          'Frequency',
          'Current frequency of each CPU as the cpufreq driver sets it, against the highest it allows.',
          'hertz',
          [
            { expr: `node_cpu_scaling_frequency_hertz{${h}}`, legend: 'cpu {{cpu}}' },
            { expr: `max without (cpu) (node_cpu_scaling_frequency_max_hertz{${h}})`, legend: 'max' },
          ],
          { w: 24 },
        ),
      ],
    },
    {
      title: 'NFS',
      collapsed: true,
      panels: [
        ts(
          'Client requests',
          'NFS client requests per second, by protocol version and operation.',
          'ops',
          [{ expr: `sum by (proto, method) (${rate('node_nfs_requests_total')})`, legend: 'v{{proto}} {{method}}' }],
          { w: 8 },
        ),
        ts(
          'Client RPCs and retransmissions',
          'RPCs the NFS client sent and retransmitted per second; retransmissions mean the server or the network is slow.',
          'ops',
          [
            { expr: rate('node_nfs_rpcs_total'), legend: 'RPCs' },
            { expr: rate('node_nfs_rpc_retransmissions_total'), legend: 'retransmissions' },
          ],
          { w: 8 },
        ),
        ts(
          'Server RPCs',
          'RPCs the NFS server (nfsd) handled per second, and those with errors.',
          'ops',
          [
            { expr: rate('node_nfsd_server_rpcs_total'), legend: 'RPCs' },
            { expr: `sum without (error) (${rate('node_nfsd_rpc_errors_total')})`, legend: 'errors' },
          ],
          { w: 8 },
        ),
      ],
    },
    {
      title: 'XFS',
      collapsed: true,
      panels: [
        ts('Read and write calls', 'read(2) and write(2) calls on each XFS filesystem per second.', 'ops', [
          { expr: rate('node_xfs_read_calls_total'), legend: '{{device}} reads' },
          { expr: rate('node_xfs_write_calls_total'), legend: '{{device}} writes' },
        ]),
        ts('Extent allocation', 'Extents allocated and freed per second on each XFS filesystem.', 'ops', [
          { expr: rate('node_xfs_extent_allocation_extents_allocated_total'), legend: '{{device}} allocated' },
          { expr: rate('node_xfs_extent_allocation_extents_freed_total'), legend: '{{device}} freed' },
        ]),
      ],
    },
    { title: 'ZFS', collapsed: true, panels: zfsPanels(h, rate) },
  ];
}

function memoryPanels(mem: (names: string[]) => Array<{ expr: string; legend: string }>, h: string): PanelSpec[] {
  return [
    ts(
      'Committed memory',
      'Memory all processes have allocated (Committed_AS) against the limit the kernel would enforce with vm.overcommit_memory=2 (CommitLimit).',
      'bytes',
      mem(['Committed_AS', 'CommitLimit']),
      { w: 8 },
    ),
    ts(
      'Dirty and writeback',
      'Page cache waiting to be written back (Dirty) and being written now (Writeback, WritebackTmp).',
      'bytes',
      mem(['Dirty', 'Writeback', 'WritebackTmp']),
      {
        w: 8,
      },
    ),
    ts('Slab', 'Kernel slab caches: reclaimable (dentries, inodes) and not.', 'bytes', mem(['SReclaimable', 'SUnreclaim']), { w: 8, stack: true }),
    ts(
      'Shared and mapped',
      'Shared memory and tmpfs (Shmem, in huge pages: ShmemHugePages) and files mapped into processes (Mapped).',
      'bytes',
      mem(['Shmem', 'ShmemHugePages', 'Mapped']),
      {
        w: 8,
      },
    ),
    ts(
      'Active and inactive',
      'Anonymous and file-backed memory on the active and inactive LRU lists; inactive pages are reclaimed first.',
      'bytes',
      mem(['Active_anon', 'Inactive_anon', 'Active_file', 'Inactive_file']),
      { w: 8 },
    ),
    ts(
      'Kernel',
      'Kernel stacks, page tables, vmalloc, per-CPU allocations, and transparent huge pages of anonymous memory.',
      'bytes',
      mem(['KernelStack', 'PageTables', 'VmallocUsed', 'Percpu', 'AnonHugePages']),
      {
        w: 8,
      },
    ),
    ts(
      'Huge pages',
      'Pre-allocated huge pages: total, free, reserved and surplus (counts of pages of node_memory_Hugepagesize_bytes each).',
      'short',
      ['Total', 'Free', 'Rsvd', 'Surp'].map((n) => ({ expr: `node_memory_HugePages_${n}{${h}}`, legend: n.toLowerCase() })),
      { w: 12, min: 0 },
    ),
    ts('Locked and unevictable', 'Memory locked with mlock(2) and memory that cannot be reclaimed at all.', 'bytes', mem(['Mlocked', 'Unevictable']), {
      w: 12,
    }),
  ];
}

type Rate = (metric: string, selector?: string) => string;

function networkPanels(c: MixinConfig, h: string, net: string, rate: Rate): PanelSpec[] {
  const UP_DOWN: ValueMapping[] = [
    { value: '0', text: 'down', color: 'red' },
    { value: '1', text: 'up', color: 'green' },
  ];
  return [
    {
      type: 'state-timeline',
      title: 'Link state',
      description: 'Operational state of each interface (node_network_up); more than 2 changes in 2 minutes is NodeNetworkInterfaceFlapping.',
      unit: 'none',
      queries: [{ expr: `node_network_up{${net}}`, legend: '{{device}}' }],
      mappings: UP_DOWN,
      w: 12,
      h: 8,
    },
    ts(
      'Carrier changes',
      'Times each interface lost or regained its link (carrier) within the interval.',
      'short',
      [{ expr: `increase(node_network_carrier_changes_total{${net}}[$__rate_interval])`, legend: '{{device}}' }],
      { w: 12, min: 0 },
    ),
    ts(
      'Speed saturation',
      'Traffic as a share of the negotiated link speed (node_network_speed_bytes), by interface and direction; virtual interfaces without a speed are left out.',
      'percentunit',
      [
        { expr: `${rate('node_network_receive_bytes_total', net)} / (node_network_speed_bytes{${net}} > 0)`, legend: '{{device}} received' },
        { expr: `${rate('node_network_transmit_bytes_total', net)} / (node_network_speed_bytes{${net}} > 0)`, legend: '{{device}} sent' },
      ],
      {
        w: 8,
        min: 0,
        thresholds: [
          [0.8, 'orange'],
          [0.95, 'red'],
        ],
      },
    ),
    ts(
      'Error ratio',
      'Share of the packets of each interface counted as errors; above 1% for an hour is NodeNetworkReceiveErrs / NodeNetworkTransmitErrs.',
      'percentunit',
      [
        { expr: `${rate('node_network_receive_errs_total', net)} / ${rate('node_network_receive_packets_total', net)}`, legend: '{{device}} receive' },
        { expr: `${rate('node_network_transmit_errs_total', net)} / ${rate('node_network_transmit_packets_total', net)}`, legend: '{{device}} transmit' },
      ],
      { w: 8, min: 0, thresholds: [[0.01, 'red']] },
    ),
    ts(
      'Errors by kind',
      'Receive FIFO overruns and framing errors, transmit FIFO, carrier errors and collisions, per second.',
      'pps',
      [
        { expr: rate('node_network_receive_fifo_total', net), legend: '{{device}} receive FIFO' },
        { expr: rate('node_network_receive_frame_total', net), legend: '{{device}} receive frame' },
        { expr: rate('node_network_transmit_fifo_total', net), legend: '{{device}} transmit FIFO' },
        { expr: rate('node_network_transmit_carrier_total', net), legend: '{{device}} transmit carrier' },
        { expr: rate('node_network_transmit_colls_total', net), legend: '{{device}} collisions' },
      ],
      { w: 8 },
    ),
    ts(
      'Conntrack table used',
      `Share of the conntrack table in use; above ${c.conntrackUsedRatio * 100}% is NodeHighNumberConntrackEntriesUsed.`,
      'percentunit',
      [{ expr: `node_nf_conntrack_entries{${h}} / node_nf_conntrack_entries_limit{${h}}`, legend: 'used' }],
      { w: 24, min: 0, max: 1, thresholds: [[c.conntrackUsedRatio, 'red']] },
    ),
  ];
}

function socketPanels(h: string, rate: Rate): PanelSpec[] {
  const netstat = (names: string[]) => names.map((n) => ({ expr: rate(`node_netstat_${n}`), legend: n.replace(/^[A-Za-z0-9]+_/, '') }));
  return [
    ts(
      'TCP sockets',
      'TCP sockets in use, in TIME_WAIT, orphaned (no file handle) and allocated (sockstat).',
      'short',
      [
        { expr: `node_sockstat_TCP_inuse{${h}}`, legend: 'in use' },
        { expr: `node_sockstat_TCP_tw{${h}}`, legend: 'TIME_WAIT' },
        { expr: `node_sockstat_TCP_orphan{${h}}`, legend: 'orphaned' },
        { expr: `node_sockstat_TCP_alloc{${h}}`, legend: 'allocated' },
        { expr: `node_sockstat_UDP_inuse{${h}}`, legend: 'UDP in use' },
      ],
      { w: 8 },
    ),
    ts(
      'Socket memory',
      'Memory of TCP and UDP socket buffers (sockstat).',
      'bytes',
      [
        { expr: `node_sockstat_TCP_mem_bytes{${h}}`, legend: 'TCP' },
        { expr: `node_sockstat_UDP_mem_bytes{${h}}`, legend: 'UDP' },
      ],
      { w: 8 },
    ),
    ts(
      'TCP retransmits and timeouts',
      'Segments retransmitted, SYNs retransmitted and retransmission timeouts per second (netstat).',
      'ops',
      netstat(['Tcp_RetransSegs', 'TcpExt_TCPSynRetrans', 'TcpExt_TCPTimeouts']),
      {
        w: 8,
      },
    ),
    ts(
      'Listen queue',
      'Connections dropped because an accept queue was full (ListenOverflows) or for any reason (ListenDrops), and SYN cookies sent (netstat).',
      'ops',
      netstat(['TcpExt_ListenOverflows', 'TcpExt_ListenDrops', 'TcpExt_SyncookiesSent']),
      { w: 8 },
    ),
    ts(
      'UDP errors',
      'UDP datagrams dropped per second: receive errors, full receive and send buffers, no listener on the port (netstat).',
      'ops',
      netstat(['Udp_InErrors', 'Udp_RcvbufErrors', 'Udp_SndbufErrors', 'Udp_NoPorts']),
      {
        w: 8,
      },
    ),
    ts(
      'Softnet',
      'Packets dropped because a CPU backlog queue was full, and times the softirq ran out of budget with work left (time squeezed), summed over CPUs.',
      'ops',
      [
        { expr: `sum without (cpu) (${rate('node_softnet_dropped_total')})`, legend: 'dropped' },
        { expr: `sum without (cpu) (${rate('node_softnet_times_squeezed_total')})`, legend: 'times squeezed' },
      ],
      { w: 8 },
    ),
  ];
}

function timePanels(c: MixinConfig, h: string): PanelSpec[] {
  return [
    ts(
      'Clock offset',
      `Offset of the system clock from its reference (adjtimex); beyond ±${c.clockSkewSeconds} s and not converging for 10 minutes is NodeClockSkewDetected.`,
      's',
      [{ expr: `node_timex_offset_seconds{${h}}`, legend: 'offset' }],
      {
        w: 8,
        baseColor: 'red',
        thresholds: [
          [-c.clockSkewSeconds, 'green'],
          [c.clockSkewSeconds, 'red'],
        ],
      },
    ),
    ts(
      'Clock error',
      'Maximum and estimated error of the clock (adjtimex); a maximum error of 16 s while unsynchronised for 10 minutes is NodeClockNotSynchronising.',
      's',
      [
        { expr: `node_timex_maxerror_seconds{${h}}`, legend: 'maximum error' },
        { expr: `node_timex_estimated_error_seconds{${h}}`, legend: 'estimated error' },
      ],
      { w: 8, min: 0, thresholds: [[16, 'red']] },
    ),
    {
      type: 'state-timeline',
      title: 'Synchronised',
      description: 'Whether the kernel considers the clock synchronised (node_timex_sync_status).',
      unit: 'none',
      queries: [{ expr: `node_timex_sync_status{${h}}`, legend: 'synchronised' }],
      mappings: [
        { value: '0', text: 'not synchronised', color: 'red' },
        { value: '1', text: 'synchronised', color: 'green' },
      ],
      w: 8,
      h: 8,
    },
  ];
}

function processPanels(h: string, rate: Rate): PanelSpec[] {
  return [
    ts(
      'Runnable and blocked',
      'Processes runnable now and blocked on I/O (node_procs_running, node_procs_blocked).',
      'short',
      [
        { expr: `node_procs_running{${h}}`, legend: 'runnable' },
        { expr: `node_procs_blocked{${h}}`, legend: 'blocked' },
      ],
      { w: 8, min: 0 },
    ),
    ts('Forks', 'Processes and threads created per second (node_forks_total).', 'ops', [{ expr: rate('node_forks_total'), legend: 'forks' }], { w: 8, min: 0 }),
    ts(
      'Entropy',
      'Entropy available to /dev/random against the pool size; since kernel 5.18 it stays at 256.',
      'short',
      [
        { expr: `node_entropy_available_bits{${h}}`, legend: 'available' },
        { expr: `node_entropy_pool_size_bits{${h}}`, legend: 'pool size' },
      ],
      { w: 8, min: 0 },
    ),
    ts(
      'Process states',
      'Processes by state: R running, S sleeping, D uninterruptible, Z zombie, I idle… (processes collector, off by default: --collector.processes).',
      'short',
      [{ expr: `node_processes_state{${h}}`, legend: '{{state}}' }],
      { w: 12, min: 0, stack: true },
    ),
    ts(
      'PIDs and threads against limits',
      'PIDs and threads in use as a share of kernel.pid_max and kernel.threads-max (processes collector).',
      'percentunit',
      [
        { expr: `node_processes_pids{${h}} / node_processes_max_processes{${h}}`, legend: 'PIDs' },
        { expr: `node_processes_threads{${h}} / node_processes_max_threads{${h}}`, legend: 'threads' },
      ],
      {
        w: 12,
        min: 0,
        thresholds: [
          [0.8, 'orange'],
          [0.9, 'red'],
        ],
      },
    ),
  ];
}

function zfsPanels(h: string, rate: Rate): PanelSpec[] {
  return [
    ts(
      'ARC size',
      'Size of the ZFS adaptive replacement cache, its target size and its maximum.',
      'bytes',
      [
        { expr: `node_zfs_arc_size{${h}}`, legend: 'size' },
        { expr: `node_zfs_arc_c{${h}}`, legend: 'target' },
        { expr: `node_zfs_arc_c_max{${h}}`, legend: 'maximum' },
      ],
      { w: 8 },
    ),
    ts(
      'ARC hit ratio',
      'Share of ARC lookups served from memory.',
      'percentunit',
      [{ expr: `${rate('node_zfs_arc_hits')} / (${rate('node_zfs_arc_hits')} + ${rate('node_zfs_arc_misses')})`, legend: 'hits' }],
      { w: 8, min: 0, max: 1 },
    ),
    table('Pool state', 'State of each pool now (node_zfs_zpool_state): ONLINE, DEGRADED, FAULTED….', 'none', [{ expr: `node_zfs_zpool_state{${h}} == 1` }], {
      w: 8,
      transformations: mergedTable({ zpool: 'Pool', state: 'State' }, ['Value', 'instance']),
    }),
  ];
}
