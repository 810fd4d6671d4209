import type { Dashboard } from '@grafana/schema';
import type { MixinConfig } from '../../src/mixin/config.js';
import { chainedVariables, dashboard, gauge, mergedTable, stat, table, ts, type PanelSpec } from './grafana.js';

/** Host: node_exporter's metrics, an at-a-glance row on top, detail rows below. */
export function hostDashboard(c: MixinConfig): Dashboard {
  const h = 'job=~"$job",instance=~"$instance"';
  const fs = `${h},${c.fsSelector}`;
  const disk = `${h},${c.diskDeviceSelector}`;
  const net = `${h},${c.netDeviceSelector}`;
  const cores = `count without (cpu, mode) (node_cpu_seconds_total{${h},mode="idle"})`;
  const rate = (metric: string, selector = h) => `rate(${metric}{${selector}}[$__rate_interval])`;
  return dashboard({
    uid: `${c.dashboardUidPrefix}host`,
    title: `${c.dashboardTitlePrefix}Host`,
    description: 'Linux hosts as spyglass sees them through its node_exporter-compatible collectors.',
    tags: c.dashboardTags,
    variables: chainedVariables('node_uname_info', [
      ['job', 'Job', '.+'],
      ['instance', 'Instance', '.+'],
    ]),
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
              { expr: rate('node_pressure_cpu_waiting_seconds_total'), legend: 'CPU {{instance}}' },
              { expr: rate('node_pressure_memory_waiting_seconds_total'), legend: 'Memory {{instance}}' },
              { expr: rate('node_pressure_io_waiting_seconds_total'), legend: 'I/O {{instance}}' },
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
                legend: '{{instance}} {{mode}}',
              },
            ],
            { stack: true, min: 0 },
          ),
          ts('Load average', 'Load averages next to the number of cores.', 'short', [
            { expr: `node_load1{${h}}`, legend: '{{instance}} 1m' },
            { expr: `node_load5{${h}}`, legend: '{{instance}} 5m' },
            { expr: `node_load15{${h}}`, legend: '{{instance}} 15m' },
            { expr: cores, legend: '{{instance}} cores' },
          ]),
          ts('Context switches and interrupts', 'Per second.', 'ops', [
            { expr: rate('node_context_switches_total'), legend: '{{instance}} context switches' },
            { expr: rate('node_intr_total'), legend: '{{instance}} interrupts' },
          ]),
          ts('Pressure stalls', 'Share of time some (or all) runnable tasks stalled on CPU, memory or I/O.', 'percentunit', [
            { expr: rate('node_pressure_cpu_waiting_seconds_total'), legend: '{{instance}} CPU some' },
            { expr: rate('node_pressure_memory_waiting_seconds_total'), legend: '{{instance}} memory some' },
            { expr: rate('node_pressure_memory_stalled_seconds_total'), legend: '{{instance}} memory full' },
            { expr: rate('node_pressure_io_waiting_seconds_total'), legend: '{{instance}} I/O some' },
            { expr: rate('node_pressure_io_stalled_seconds_total'), legend: '{{instance}} I/O full' },
          ]),
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
                legend: '{{instance}} used',
              },
              { expr: `node_memory_Buffers_bytes{${h}}`, legend: '{{instance}} buffers' },
              { expr: `node_memory_Cached_bytes{${h}} + node_memory_SReclaimable_bytes{${h}}`, legend: '{{instance}} cache' },
              { expr: `node_memory_MemFree_bytes{${h}}`, legend: '{{instance}} free' },
            ],
            { stack: true, min: 0 },
          ),
          ts('Swap', 'Swap in use and swap traffic.', 'bytes', [
            { expr: `node_memory_SwapTotal_bytes{${h}} - node_memory_SwapFree_bytes{${h}}`, legend: '{{instance}} used' },
          ]),
          ts('Page faults', 'Major faults read pages back from disk; a steady high rate means memory pressure.', 'ops', [
            { expr: rate('node_vmstat_pgmajfault'), legend: '{{instance}} major' },
            { expr: rate('node_vmstat_pgfault'), legend: '{{instance}} all' },
          ]),
          ts(
            'OOM kills',
            'Processes the kernel killed for lack of memory.',
            'short',
            [{ expr: `increase(node_vmstat_oom_kill{${h}}[$__rate_interval])`, legend: '{{instance}}' }],
            { min: 0 },
          ),
        ],
      },
      {
        title: 'Disk I/O',
        panels: [
          ts('Throughput', 'Bytes read and written per second, by device.', 'Bps', [
            { expr: rate('node_disk_read_bytes_total', disk), legend: '{{instance}} {{device}} read' },
            { expr: rate('node_disk_written_bytes_total', disk), legend: '{{instance}} {{device}} written' },
          ]),
          ts('IOPS', 'Completed reads and writes per second, by device.', 'iops', [
            { expr: rate('node_disk_reads_completed_total', disk), legend: '{{instance}} {{device}} reads' },
            { expr: rate('node_disk_writes_completed_total', disk), legend: '{{instance}} {{device}} writes' },
          ]),
          ts(
            'Utilisation',
            'Share of time the device had I/O in flight.',
            'percentunit',
            [{ expr: rate('node_disk_io_time_seconds_total', disk), legend: '{{instance}} {{device}}' }],
            { min: 0 },
          ),
          ts('Queue and latency', 'Average time per completed read and write, and the average queue (weighted I/O time).', 's', [
            {
              expr: `${rate('node_disk_read_time_seconds_total', disk)} / ${rate('node_disk_reads_completed_total', disk)}`,
              legend: '{{instance}} {{device}} read',
            },
            {
              expr: `${rate('node_disk_write_time_seconds_total', disk)} / ${rate('node_disk_writes_completed_total', disk)}`,
              legend: '{{instance}} {{device}} write',
            },
          ]),
        ],
      },
      {
        title: 'Filesystems',
        panels: [
          ts(
            'Space used',
            'Share of each filesystem in use.',
            'percentunit',
            [{ expr: `1 - node_filesystem_avail_bytes{${fs}} / node_filesystem_size_bytes{${fs}}`, legend: '{{instance}} {{mountpoint}}' }],
            { min: 0, max: 1 },
          ),
          ts(
            'Inodes used',
            "Share of each filesystem's inodes in use.",
            'percentunit',
            [{ expr: `1 - node_filesystem_files_free{${fs}} / node_filesystem_files{${fs}}`, legend: '{{instance}} {{mountpoint}}' }],
            { min: 0, max: 1 },
          ),
          table(
            'Filesystems',
            'Every filesystem now: size, space available to users, share used and read-only flag.',
            'bytes',
            [
              { expr: `node_filesystem_size_bytes{${fs}}` },
              { expr: `node_filesystem_avail_bytes{${fs}}` },
              { expr: `1 - node_filesystem_avail_bytes{${fs}} / node_filesystem_size_bytes{${fs}}` },
              { expr: `node_filesystem_readonly{${fs}}` },
            ],
            {
              fieldUnits: { Used: 'percentunit', 'Read-only': 'bool_yes_no' },
              transformations: mergedTable({ 'Value #A': 'Size', 'Value #B': 'Available', 'Value #C': 'Used', 'Value #D': 'Read-only' }),
            },
          ),
        ],
      },
      {
        title: 'Network',
        panels: [
          ts('Traffic', 'Bits per second received and sent, by interface.', 'bps', [
            { expr: `${rate('node_network_receive_bytes_total', net)} * 8`, legend: '{{instance}} {{device}} received' },
            { expr: `${rate('node_network_transmit_bytes_total', net)} * 8`, legend: '{{instance}} {{device}} sent' },
          ]),
          ts('Packets', 'Packets per second received and sent, by interface.', 'pps', [
            { expr: rate('node_network_receive_packets_total', net), legend: '{{instance}} {{device}} received' },
            { expr: rate('node_network_transmit_packets_total', net), legend: '{{instance}} {{device}} sent' },
          ]),
          ts('Errors and drops', 'Packets per second counted as errors or dropped, by interface.', 'pps', [
            { expr: rate('node_network_receive_errs_total', net), legend: '{{instance}} {{device}} receive errors' },
            { expr: rate('node_network_transmit_errs_total', net), legend: '{{instance}} {{device}} transmit errors' },
            { expr: rate('node_network_receive_drop_total', net), legend: '{{instance}} {{device}} receive drops' },
            { expr: rate('node_network_transmit_drop_total', net), legend: '{{instance}} {{device}} transmit drops' },
          ]),
          ts('Connections', 'Established TCP connections, sockets in use and the conntrack table against its limit.', 'short', [
            { expr: `node_netstat_Tcp_CurrEstab{${h}}`, legend: '{{instance}} TCP established' },
            { expr: `node_sockstat_sockets_used{${h}}`, legend: '{{instance}} sockets' },
            { expr: `node_nf_conntrack_entries{${h}}`, legend: '{{instance}} conntrack entries' },
            { expr: `node_nf_conntrack_entries_limit{${h}}`, legend: '{{instance}} conntrack limit' },
          ]),
        ],
      },
      { title: 'RAID', collapsed: true, panels: raidPanels(h) },
      { title: 'Bonding', collapsed: true, panels: bondingPanels(h) },
      { title: 'systemd', collapsed: true, panels: systemdPanels(h) },
    ],
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
      queries: [{ expr: `max without (state) (${state})`, legend: '{{instance}} {{device}}' }],
      mappings: [{ value: '0', text: 'other', color: 'text' }, ...MD_STATES.map(([name, code, color]) => ({ value: String(code), text: name, color }))],
      w: 8,
      h: 8,
    },
    ts(
      'Disks by state',
      'Member disks of each array that are active, failed or spare, and how many it needs (node_md_disks, node_md_disks_required). Fewer active than required: degraded.',
      'short',
      [
        { expr: `node_md_disks{${h}}`, legend: '{{instance}} {{device}} {{state}}' },
        { expr: `node_md_disks_required{${h}}`, legend: '{{instance}} {{device}} required' },
      ],
      { w: 8, min: 0, decimals: 0 },
    ),
    ts(
      'Sync progress',
      'Share of each array in sync (node_md_blocks_synced / node_md_blocks): below 1 while a resync, recovery or check runs; 0 while one waits.',
      'percentunit',
      [{ expr: `node_md_blocks_synced{${h}} / node_md_blocks{${h}}`, legend: '{{instance}} {{device}}' }],
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
        { expr: `node_bonding_slaves{${h}}`, legend: '{{instance}} {{master}} configured' },
        { expr: `node_bonding_active{${h}}`, legend: '{{instance}} {{master}} up' },
      ],
      { w: 16, min: 0, decimals: 0 },
    ),
    stat(
      'Slaves down',
      'Slaves of each bonding interface that are not up now.',
      'short',
      [{ expr: `node_bonding_slaves{${h}} - node_bonding_active{${h}}`, legend: '{{instance}} {{master}}' }],
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
      [{ expr: `increase(node_systemd_service_restart_total{${h}}[5m]) > 0`, legend: '{{instance}} {{name}}' }],
      { w: 12, min: 0 },
    ),
  ];
}
