import type { Dashboard } from '@grafana/schema';
import type { MixinConfig } from '../../src/mixin/config.js';
import { chainedVariables, dashboard, gauge, mergedTable, scope, stat, table, ts, type PanelSpec, type RowSpec } from './grafana.js';
import { hostDetailRows } from './host-detail.js';

/**
 * Host: node_exporter's metrics for one host at a time, an at-a-glance row on top, detail rows
 * below and Node Exporter Full's deeper sections in folded rows (dashboards/src/host-detail.ts).
 */
export function hostDashboard(c: MixinConfig): Dashboard {
  const h = `${scope(c)},job=~"$job",instance=~"$instance"`;
  const fs = `${h},${c.fsSelector}`;
  const disk = `${h},${c.diskDeviceSelector}`;
  const net = `${h},${c.netDeviceSelector}`;
  const fsBy = 'max by (mountpoint, device, fstype)';
  const cores = `count without (cpu, mode) (node_cpu_seconds_total{${h},mode="idle"})`;
  const rate = (metric: string, selector = h) => `rate(${metric}{${selector}}[$__rate_interval])`;
  return dashboard({
    uid: `${c.dashboardUidPrefix}host`,
    title: `${c.dashboardTitlePrefix}Host`,
    description: 'One Linux host at a time as spyglass sees it through its node_exporter-compatible collectors.',
    tags: c.dashboardTags,
    variables: chainedVariables(c, 'node_uname_info', [['instance', 'Instance', 'one']]),
    rows: [
      {
        title: 'At a glance',
        panels: [
          gauge(
            'CPU busy',
            'Share of CPU time not idle, waiting for I/O or stolen, over all cores.',
            [
              {
                expr: `1 - avg without (cpu) (sum without (mode) (${rate('node_cpu_seconds_total', `${h},mode=~"idle|iowait|steal"`)}))`,
                legend: '{{instance}}',
              },
            ],
            { w: 3 },
          ),
          stat(
            'Load per core',
            '1-minute load average divided by the number of cores; above 1, work waits.',
            'short',
            [{ expr: `node_load1{${h}} / ${cores}`, legend: '{{instance}}' }],
            {
              w: 3,
              decimals: 2,
              thresholds: [
                [1, 'orange'],
                [2, 'red'],
              ],
            },
          ),
          gauge(
            'Memory used',
            'Memory not available to new work (1 − MemAvailable / MemTotal).',
            [{ expr: `1 - node_memory_MemAvailable_bytes{${h}} / node_memory_MemTotal_bytes{${h}}`, legend: '{{instance}}' }],
            { w: 3 },
          ),
          gauge(
            'Swap used',
            'Share of swap space in use; no data on hosts without swap.',
            [{ expr: `1 - node_memory_SwapFree_bytes{${h}} / (node_memory_SwapTotal_bytes{${h}} > 0)`, legend: '{{instance}}' }],
            { w: 3 },
          ),
          gauge(
            'Root disk used',
            'Share of the root filesystem in use, as seen by unprivileged users.',
            [
              {
                expr: `1 - node_filesystem_avail_bytes{${h},mountpoint="/",fstype!="rootfs"} / node_filesystem_size_bytes{${h},mountpoint="/",fstype!="rootfs"}`,
                legend: '{{instance}}',
              },
            ],
            { w: 3 },
          ),
          stat('Uptime', 'Time since the host booted.', 's', [{ expr: `node_time_seconds{${h}} - node_boot_time_seconds{${h}}`, legend: '{{instance}}' }], {
            w: 3,
            decimals: 1,
          }),
          {
            type: 'bargauge',
            title: 'Pressure',
            description: 'Pressure stall information: share of time some task waited for CPU, memory or I/O.',
            unit: 'percentunit',
            min: 0,
            max: 1,
            thresholds: [
              [0.1, 'orange'],
              [0.3, 'red'],
            ],
            queries: [
              { expr: rate('node_pressure_cpu_waiting_seconds_total'), legend: 'CPU' },
              { expr: rate('node_pressure_memory_waiting_seconds_total'), legend: 'Memory' },
              { expr: rate('node_pressure_io_waiting_seconds_total'), legend: 'I/O' },
            ],
            w: 6,
            h: 4,
          },
        ],
      },
      {
        title: 'CPU',
        panels: [
          ts(
            'CPU usage by mode',
            'Share of all cores spent in each mode (idle left out).',
            'percentunit',
            [
              {
                expr: `sum without (cpu) (${rate('node_cpu_seconds_total', `${h},mode!="idle"`)}) / on (job, instance) group_left () ${cores}`,
                legend: '{{mode}}',
              },
            ],
            { stack: true, min: 0 },
          ),
          ts('Load average', 'Load averages next to the number of cores.', 'short', [
            { expr: `node_load1{${h}}`, legend: '1m' },
            { expr: `node_load5{${h}}`, legend: '5m' },
            { expr: `node_load15{${h}}`, legend: '15m' },
            { expr: cores, legend: 'cores' },
          ]),
          ts('Context switches and interrupts', 'Per second.', 'ops', [
            { expr: rate('node_context_switches_total'), legend: 'context switches' },
            { expr: rate('node_intr_total'), legend: 'interrupts' },
          ]),
          ts(
            'Pressure stalls',
            'Share of time some (or all) runnable tasks stalled on CPU, memory or I/O, and time lost to interrupts (IRQ: kernel 6.1+ built with CONFIG_IRQ_TIME_ACCOUNTING).',
            'percentunit',
            [
              { expr: rate('node_pressure_cpu_waiting_seconds_total'), legend: 'CPU some' },
              { expr: rate('node_pressure_memory_waiting_seconds_total'), legend: 'memory some' },
              { expr: rate('node_pressure_memory_stalled_seconds_total'), legend: 'memory full' },
              { expr: rate('node_pressure_io_waiting_seconds_total'), legend: 'I/O some' },
              { expr: rate('node_pressure_io_stalled_seconds_total'), legend: 'I/O full' },
              { expr: rate('node_pressure_irq_stalled_seconds_total'), legend: 'IRQ full' },
            ],
          ),
        ],
      },
      {
        title: 'Memory',
        panels: [
          ts(
            'Memory',
            'Where memory goes; "used" is what is neither free, buffers, page cache nor reclaimable slab.',
            'bytes',
            [
              {
                expr: `node_memory_MemTotal_bytes{${h}} - node_memory_MemFree_bytes{${h}} - node_memory_Buffers_bytes{${h}} - node_memory_Cached_bytes{${h}} - node_memory_SReclaimable_bytes{${h}}`,
                legend: 'used',
              },
              { expr: `node_memory_Buffers_bytes{${h}}`, legend: 'buffers' },
              { expr: `node_memory_Cached_bytes{${h}} + node_memory_SReclaimable_bytes{${h}}`, legend: 'cache' },
              { expr: `node_memory_MemFree_bytes{${h}}`, legend: 'free' },
            ],
            { stack: true, min: 0 },
          ),
          ts('Swap', 'Swap in use and swap traffic.', 'bytes', [
            { expr: `node_memory_SwapTotal_bytes{${h}} - node_memory_SwapFree_bytes{${h}}`, legend: 'used' },
          ]),
          ts('Page faults', 'Major faults read pages back from disk; a steady high rate means memory pressure.', 'ops', [
            { expr: rate('node_vmstat_pgmajfault'), legend: 'major' },
            { expr: rate('node_vmstat_pgfault'), legend: 'all' },
          ]),
          ts(
            'OOM kills',
            'Processes the kernel killed for lack of memory.',
            'short',
            [{ expr: `increase(node_vmstat_oom_kill{${h}}[$__rate_interval])`, legend: 'OOM kills' }],
            { min: 0 },
          ),
        ],
      },
      {
        title: 'Disk I/O',
        panels: [
          ts('Throughput', 'Bytes read and written per second, by device.', 'Bps', [
            { expr: rate('node_disk_read_bytes_total', disk), legend: '{{device}} read' },
            { expr: rate('node_disk_written_bytes_total', disk), legend: '{{device}} written' },
          ]),
          ts('IOPS', 'Completed reads and writes per second, by device.', 'iops', [
            { expr: rate('node_disk_reads_completed_total', disk), legend: '{{device}} reads' },
            { expr: rate('node_disk_writes_completed_total', disk), legend: '{{device}} writes' },
          ]),
          ts(
            'Utilisation',
            'Share of time the device had I/O in flight.',
            'percentunit',
            [{ expr: rate('node_disk_io_time_seconds_total', disk), legend: '{{device}}' }],
            { min: 0 },
          ),
          ts('Latency', 'Average time per completed read and write, by device.', 's', [
            {
              expr: `${rate('node_disk_read_time_seconds_total', disk)} / ${rate('node_disk_reads_completed_total', disk)}`,
              legend: '{{device}} read',
            },
            {
              expr: `${rate('node_disk_write_time_seconds_total', disk)} / ${rate('node_disk_writes_completed_total', disk)}`,
              legend: '{{device}} write',
            },
          ]),
          ts(
            'Queue',
            `Average I/O queue (weighted I/O time per second) and I/Os in flight now, by device; a queue above ${c.diskIOSaturationThreshold} for 30 minutes is NodeDiskIOSaturation.`,
            'short',
            [
              { expr: rate('node_disk_io_time_weighted_seconds_total', disk), legend: '{{device}} average queue' },
              { expr: `node_disk_io_now{${disk}}`, legend: '{{device}} in flight' },
            ],
            { min: 0, thresholds: [[c.diskIOSaturationThreshold, 'red']] },
          ),
        ],
      },
      {
        title: 'Filesystems',
        panels: [
          ts(
            'Space used',
            'Share of each filesystem in use.',
            'percentunit',
            [{ expr: `1 - node_filesystem_avail_bytes{${fs}} / node_filesystem_size_bytes{${fs}}`, legend: '{{mountpoint}}' }],
            { min: 0, max: 1 },
          ),
          ts(
            'Inodes used',
            "Share of each filesystem's inodes in use.",
            'percentunit',
            [{ expr: `1 - node_filesystem_files_free{${fs}} / node_filesystem_files{${fs}}`, legend: '{{mountpoint}}' }],
            { min: 0, max: 1 },
          ),
          table(
            'Filesystems',
            'Every filesystem now: size, space available to users, share used and read-only flag.',
            'bytes',
            // One row per mount: every query aggregated to the same labels, so Grafana's merge joins them (as node-mixin's max by (mountpoint)).
            [
              { expr: `${fsBy} (node_filesystem_size_bytes{${fs}})` },
              { expr: `${fsBy} (node_filesystem_avail_bytes{${fs}})` },
              { expr: `1 - ${fsBy} (node_filesystem_avail_bytes{${fs}}) / ${fsBy} (node_filesystem_size_bytes{${fs}})` },
              { expr: `${fsBy} (node_filesystem_readonly{${fs}})` },
            ],
            {
              fieldUnits: { Used: 'percentunit', 'Read-only': 'bool_yes_no' },
              transformations: mergedTable({
                mountpoint: 'Mount point',
                device: 'Device',
                fstype: 'Type',
                'Value #A': 'Size',
                'Value #B': 'Available',
                'Value #C': 'Used',
                'Value #D': 'Read-only',
              }),
              thresholds: [
                [1 - c.fsSpaceAvailableWarningPercent / 100, 'orange'],
                [1 - c.fsSpaceAvailableCriticalPercent / 100, 'red'],
              ],
              coloredColumns: ['Used'],
            },
          ),
        ],
      },
      {
        title: 'Network',
        panels: [
          ts('Traffic', 'Bits per second received and sent, by interface.', 'bps', [
            { expr: `${rate('node_network_receive_bytes_total', net)} * 8`, legend: '{{device}} received' },
            { expr: `${rate('node_network_transmit_bytes_total', net)} * 8`, legend: '{{device}} sent' },
          ]),
          ts('Packets', 'Packets per second received and sent, by interface.', 'pps', [
            { expr: rate('node_network_receive_packets_total', net), legend: '{{device}} received' },
            { expr: rate('node_network_transmit_packets_total', net), legend: '{{device}} sent' },
          ]),
          ts('Errors and drops', 'Packets per second counted as errors or dropped, by interface.', 'pps', [
            { expr: rate('node_network_receive_errs_total', net), legend: '{{device}} receive errors' },
            { expr: rate('node_network_transmit_errs_total', net), legend: '{{device}} transmit errors' },
            { expr: rate('node_network_receive_drop_total', net), legend: '{{device}} receive drops' },
            { expr: rate('node_network_transmit_drop_total', net), legend: '{{device}} transmit drops' },
          ]),
          ts('Connections', 'Established TCP connections, sockets in use and the conntrack table against its limit.', 'short', [
            { expr: `node_netstat_Tcp_CurrEstab{${h}}`, legend: 'TCP established' },
            { expr: `node_sockstat_sockets_used{${h}}`, legend: 'sockets' },
            { expr: `node_nf_conntrack_entries{${h}}`, legend: 'conntrack entries' },
            { expr: `node_nf_conntrack_entries_limit{${h}}`, legend: 'conntrack limit' },
          ]),
        ],
      },
      ...hostDetailRows(c, h),
      { title: 'RAID', collapsed: true, panels: raidPanels(h) },
      { title: 'Bonding', collapsed: true, panels: bondingPanels(h) },
      { title: 'systemd', collapsed: true, panels: systemdPanels(h) },
    ] satisfies RowSpec[],
  });
}

/** node_md_state as one number per array, for a state timeline: each state's 0/1 series times its code. */
const MD_STATES: Array<[state: string, code: number, color: string]> = [
  ['active', 1, 'green'],
  ['inactive', 2, 'red'],
  ['resync', 3, 'blue'],
  ['recovering', 4, 'orange'],
  ['check', 5, 'purple'],
];

/** Software RAID (mdadm collector): array state, disks by state against those required, sync progress. */
function raidPanels(h: string): PanelSpec[] {
  const state = MD_STATES.map(([name, code]) => `node_md_state{${h},state="${name}"}${code === 1 ? '' : ` * ${code}`}`).join(' or ');
  return [
    {
      type: 'state-timeline',
      title: 'Array state',
      description: 'State of each md array (node_md_state): active, inactive, resync, recovering or check; "other" while it is reshaped.',
      unit: 'none',
      queries: [{ expr: `max without (state) (${state})`, legend: '{{device}}' }],
      mappings: [{ value: '0', text: 'other', color: 'text' }, ...MD_STATES.map(([name, code, color]) => ({ value: String(code), text: name, color }))],
      w: 8,
      h: 8,
    },
    ts(
      'Disks by state',
      'Member disks of each array that are active, failed or spare, and how many it needs (node_md_disks, node_md_disks_required). Fewer active than required: degraded.',
      'short',
      [
        { expr: `node_md_disks{${h}}`, legend: '{{device}} {{state}}' },
        { expr: `node_md_disks_required{${h}}`, legend: '{{device}} required' },
      ],
      { w: 8, min: 0, decimals: 0 },
    ),
    ts(
      'Sync progress',
      'Share of each array in sync (node_md_blocks_synced / node_md_blocks): below 1 while a resync, recovery or check runs; 0 while one waits.',
      'percentunit',
      [{ expr: `node_md_blocks_synced{${h}} / node_md_blocks{${h}}`, legend: '{{device}}' }],
      { w: 8, min: 0, max: 1 },
    ),
  ];
}

/** Bonding (bonding collector): slaves configured against slaves up. */
function bondingPanels(h: string): PanelSpec[] {
  return [
    ts(
      'Slaves',
      'Slaves configured on each bonding interface and those whose MII status is up (node_bonding_slaves, node_bonding_active).',
      'short',
      [
        { expr: `node_bonding_slaves{${h}}`, legend: '{{master}} configured' },
        { expr: `node_bonding_active{${h}}`, legend: '{{master}} up' },
      ],
      { w: 16, min: 0, decimals: 0 },
    ),
    stat(
      'Slaves down',
      'Slaves of each bonding interface that are not up now.',
      'short',
      [{ expr: `node_bonding_slaves{${h}} - node_bonding_active{${h}}`, legend: '{{master}}' }],
      {
        w: 8,
        h: 8,
        thresholds: [[1, 'red']],
      },
    ),
  ];
}

/** systemd units (systemd collector, node_exporter's names): failed units and service restarts. */
function systemdPanels(h: string): PanelSpec[] {
  const failed = `node_systemd_unit_state{${h},state="failed"}`;
  return [
    stat('Failed units', 'Units in the failed state now, per host.', 'short', [{ expr: `sum by (instance) (${failed})`, legend: '{{instance}}' }], {
      w: 4,
      h: 8,
      thresholds: [[1, 'red']],
    }),
    table('Which units failed', 'Units in the failed state now.', 'short', [{ expr: `${failed} == 1` }], {
      w: 8,
      transformations: mergedTable({ name: 'Unit', type: 'Type' }, ['state', 'Value']),
    }),
    ts(
      'Restarts',
      'Automatic restarts of each service in the last 5 minutes (node_systemd_service_restart_total); more than 2 for 15 minutes is NodeSystemdServiceCrashlooping.',
      'short',
      [{ expr: `increase(node_systemd_service_restart_total{${h}}[5m]) > 0`, legend: '{{name}}' }],
      { w: 12, min: 0 },
    ),
  ];
}
