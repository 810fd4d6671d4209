import type { MixinConfig } from '../../src/mixin/config.js';
import { alert, sel, type AlertingRule, type DashboardLink, type RuleGroup, type Severity } from './rule.js';

const HOST: DashboardLink = { uid: 'host', vars: ['job', 'instance'] };

/** node-mixin's host alerts, under the same names so routes and silences written for node_exporter keep working. */
export function hostAlertGroups(c: MixinConfig): Array<RuleGroup<AlertingRule>> {
  return [
    { name: 'spyglass-host-filesystem', rules: filesystemAlerts(c) },
    { name: 'spyglass-host', rules: hostAlerts(c) },
    { name: 'spyglass-host-raid-bonding', rules: redundancyAlerts(c) },
    { name: 'spyglass-host-systemd', rules: systemdAlerts(c) },
  ];
}

const FS_KINDS = {
  space: {
    free: 'node_filesystem_avail_bytes',
    total: 'node_filesystem_size_bytes',
    what: 'space',
    fillingUp: 'NodeFilesystemSpaceFillingUp',
    almostOut: 'NodeFilesystemAlmostOutOfSpace',
    almostOutFor: '30m',
  },
  files: {
    free: 'node_filesystem_files_free',
    total: 'node_filesystem_files',
    what: 'inodes',
    fillingUp: 'NodeFilesystemFilesFillingUp',
    almostOut: 'NodeFilesystemAlmostOutOfFiles',
    almostOutFor: '1h',
  },
} as const;

function filesystemAlerts(c: MixinConfig): AlertingRule[] {
  const fs = sel(c.selector, c.fsSelector);
  const writable = `node_filesystem_readonly${fs} == 0`;
  const fillingUp = (severity: Severity, percent: number, hours: number, kind: keyof typeof FS_KINDS): AlertingRule => {
    const { free, total, what, fillingUp: name } = FS_KINDS[kind];
    return alert(
      {
        name,
        severity,
        dashboard: HOST,
        expr: `(\n  ${free}${fs} / ${total}${fs} * 100 < ${percent}\nand\n  predict_linear(${free}${fs}[${c.fsSpaceFillingUpPredictionWindow}], ${hours} * 60 * 60) < 0\nand\n  ${writable}\n)`,
        for: '1h',
        summary: `Filesystem is predicted to run out of ${what} within the next ${hours} hours.`,
        description: `Filesystem on {{ $labels.device }}, mounted on {{ $labels.mountpoint }}, at {{ $labels.instance }} has only {{ printf "%.2f" $value }}% of its ${what} left and is filling up.`,
      },
      c,
    );
  };
  const almostOut = (severity: Severity, percent: number, kind: keyof typeof FS_KINDS): AlertingRule => {
    const { free, total, what, almostOut: name, almostOutFor } = FS_KINDS[kind];
    return alert(
      {
        name,
        severity,
        dashboard: HOST,
        expr: `(\n  ${free}${fs} / ${total}${fs} * 100 < ${percent}\nand\n  ${writable}\n)`,
        for: almostOutFor,
        summary: `Filesystem has less than ${percent}% ${what} left.`,
        description: `Filesystem on {{ $labels.device }}, mounted on {{ $labels.mountpoint }}, at {{ $labels.instance }} has only {{ printf "%.2f" $value }}% of its ${what} left.`,
      },
      c,
    );
  };
  return [
    fillingUp('warning', c.fsSpaceFillingUpWarningPercent, c.nodeWarningWindowHours, 'space'),
    fillingUp(c.nodeCriticalSeverity, c.fsSpaceFillingUpCriticalPercent, c.nodeCriticalWindowHours, 'space'),
    almostOut('warning', c.fsSpaceAvailableWarningPercent, 'space'),
    almostOut(c.nodeCriticalSeverity, c.fsSpaceAvailableCriticalPercent, 'space'),
    fillingUp('warning', c.fsFilesFillingUpWarningPercent, c.nodeWarningWindowHours, 'files'),
    fillingUp(c.nodeCriticalSeverity, c.fsFilesFillingUpCriticalPercent, c.nodeCriticalWindowHours, 'files'),
    almostOut('warning', c.fsFilesAvailableWarningPercent, 'files'),
    almostOut(c.nodeCriticalSeverity, c.fsFilesAvailableCriticalPercent, 'files'),
  ];
}

function hostAlerts(c: MixinConfig): AlertingRule[] {
  const s = sel(c.selector);
  const net = sel(c.selector, c.netDeviceSelector);
  const networkErrors = (direction: 'receive' | 'transmit') =>
    alert(
      {
        name: direction === 'receive' ? 'NodeNetworkReceiveErrs' : 'NodeNetworkTransmitErrs',
        severity: 'warning',
        dashboard: HOST,
        expr: `rate(node_network_${direction}_errs_total${net}[2m]) / rate(node_network_${direction}_packets_total${net}[2m]) > 0.01`,
        for: '1h',
        summary: `Network interface is reporting many ${direction} errors.`,
        description: `Interface {{ $labels.device }} on {{ $labels.instance }} counts {{ $value | humanizePercentage }} of the packets it ${direction === 'receive' ? 'received' : 'sent'} as errors.`,
      },
      c,
    );
  const fileDescriptors = (severity: Severity, percent: number) =>
    alert(
      {
        name: 'NodeFileDescriptorLimit',
        severity,
        dashboard: HOST,
        expr: `node_filefd_allocated${s} * 100 / node_filefd_maximum${s} > ${percent}`,
        for: '15m',
        summary: `Kernel is predicted to run out of file descriptors soon.`,
        description: `File descriptors in use on {{ $labels.instance }}: {{ printf "%.2f" $value }}% of the system-wide limit.`,
      },
      c,
    );
  return [
    networkErrors('receive'),
    networkErrors('transmit'),
    alert(
      {
        name: 'NodeNetworkInterfaceFlapping',
        severity: 'warning',
        dashboard: HOST,
        expr: `changes(node_network_up${net}[2m]) > 2`,
        for: '2m',
        summary: 'Network interface is often changing its status.',
        description: 'Interface {{ $labels.device }} on {{ $labels.instance }} changed its up status {{ $value }} times in two minutes.',
      },
      c,
    ),
    alert(
      {
        name: 'NodeHighNumberConntrackEntriesUsed',
        severity: 'warning',
        dashboard: HOST,
        expr: `node_nf_conntrack_entries${s} / node_nf_conntrack_entries_limit${s} > ${c.conntrackUsedRatio}`,
        summary: 'Number of conntrack entries is getting close to the limit.',
        description: '{{ $value | humanizePercentage }} of the conntrack table on {{ $labels.instance }} is used; new connections are dropped when it is full.',
      },
      c,
    ),
    alert(
      {
        name: 'NodeTextFileCollectorScrapeError',
        severity: 'warning',
        dashboard: HOST,
        expr: `node_textfile_scrape_error${s} == 1`,
        summary: 'The textfile collector failed to read a file.',
        description: 'The textfile collector on {{ $labels.instance }} could not read or parse a file in its directory; its metrics are missing.',
      },
      c,
    ),
    alert(
      {
        name: 'NodeClockSkewDetected',
        severity: 'warning',
        dashboard: HOST,
        expr: `(\n  node_timex_offset_seconds${s} > ${c.clockSkewSeconds}\nand\n  deriv(node_timex_offset_seconds${s}[5m]) >= 0\n)\nor\n(\n  node_timex_offset_seconds${s} < -${c.clockSkewSeconds}\nand\n  deriv(node_timex_offset_seconds${s}[5m]) <= 0\n)`,
        for: '10m',
        summary: 'Clock is skewing.',
        description: 'The clock of {{ $labels.instance }} is {{ printf "%.3f" $value }} s off and not converging. Check that NTP is configured on this host.',
      },
      c,
    ),
    alert(
      {
        name: 'NodeClockNotSynchronising',
        severity: 'warning',
        dashboard: HOST,
        expr: `node_timex_maxerror_seconds${s} >= 16\nand\nmin_over_time(node_timex_sync_status${s}[5m]) == 0`,
        for: '10m',
        summary: 'Clock is not synchronising.',
        description:
          'The clock of {{ $labels.instance }} has not been synchronised for at least 5 minutes; its maximum error is {{ $value | humanizeDuration }}. Check that NTP is configured on this host.',
      },
      c,
    ),
    fileDescriptors('warning', c.fileDescriptorsWarningPercent),
    fileDescriptors('critical', c.fileDescriptorsCriticalPercent),
    alert(
      {
        name: 'NodeCPUHighUsage',
        severity: 'info',
        dashboard: HOST,
        expr: `sum without (mode) (avg without (cpu) (rate(node_cpu_seconds_total${sel(c.selector, 'mode!~"idle|iowait"')}[2m]))) * 100 > ${c.cpuHighUsagePercent}`,
        for: '15m',
        summary: 'High CPU usage.',
        description: 'CPU usage on {{ $labels.instance }} has been {{ printf "%.2f" $value }}% for 15 minutes.',
      },
      c,
    ),
    alert(
      {
        name: 'NodeSystemSaturation',
        severity: 'warning',
        dashboard: HOST,
        expr: `node_load1${s} / count without (cpu, mode) (node_cpu_seconds_total${sel(c.selector, 'mode="idle"')}) > ${c.loadPerCoreThreshold}`,
        for: '15m',
        summary: 'System saturated, load per core is very high.',
        description: 'The 1-minute load per core on {{ $labels.instance }} has been {{ printf "%.2f" $value }} for 15 minutes. Processes wait for CPU or disk.',
      },
      c,
    ),
    alert(
      {
        name: 'NodeMemoryMajorPagesFaults',
        severity: 'warning',
        dashboard: HOST,
        expr: `rate(node_vmstat_pgmajfault${s}[5m]) > ${c.majorPageFaultsPerSecond}`,
        for: '15m',
        summary: 'Memory major page faults are occurring at a very high rate.',
        description:
          '{{ $labels.instance }} takes {{ printf "%.0f" $value }} major page faults per second; it is reading pages back from disk, a sign of memory pressure.',
      },
      c,
    ),
    alert(
      {
        name: 'NodeMemoryHighUtilization',
        severity: 'warning',
        dashboard: HOST,
        expr: `100 - (node_memory_MemAvailable_bytes${s} / node_memory_MemTotal_bytes${s} * 100) > ${c.memoryHighUtilizationPercent}`,
        for: '15m',
        summary: 'Host is running out of memory.',
        description: 'Memory in use on {{ $labels.instance }}: {{ printf "%.2f" $value }}% of the total.',
      },
      c,
    ),
    alert(
      {
        name: 'NodeDiskIOSaturation',
        severity: 'warning',
        dashboard: HOST,
        expr: `rate(node_disk_io_time_weighted_seconds_total${sel(c.selector, c.diskDeviceSelector)}[5m]) > ${c.diskIOSaturationThreshold}`,
        for: '30m',
        summary: 'Disk I/O queue is high.',
        description: 'The I/O queue of {{ $labels.device }} on {{ $labels.instance }} has averaged {{ printf "%.2f" $value }} for 30 minutes.',
      },
      c,
    ),
  ];
}

/** Software RAID (mdadm collector) and bonding (bonding collector): redundancy that is gone or going. */
function redundancyAlerts(c: MixinConfig): AlertingRule[] {
  const md = (...m: string[]) => sel(c.selector, c.diskDeviceSelector, ...m);
  const s = sel(c.selector);
  return [
    alert(
      {
        name: 'NodeRAIDDegraded',
        severity: 'critical',
        dashboard: HOST,
        expr: `node_md_disks_required${md()} - ignoring (state) (node_md_disks${md('state="active"')}) > 0`,
        for: '15m',
        summary: 'RAID array is degraded.',
        description:
          'RAID array {{ $labels.device }} on {{ $labels.instance }} has {{ $value }} fewer active disks than it needs: it runs with less redundancy than it was built for until they are replaced and rebuilt.',
      },
      c,
    ),
    alert(
      {
        name: 'NodeRAIDDiskFailure',
        severity: 'warning',
        dashboard: HOST,
        expr: `node_md_disks${md('state="failed"')} > 0`,
        summary: 'Failed device in RAID array.',
        description: 'RAID array {{ $labels.device }} on {{ $labels.instance }} has {{ $value }} failed disks; replace them.',
      },
      c,
    ),
    alert(
      {
        name: 'NodeBondingDegraded',
        severity: 'warning',
        dashboard: HOST,
        expr: `(node_bonding_slaves${s} - node_bonding_active${s}) != 0`,
        for: '5m',
        summary: 'Bonding interface is degraded.',
        description: 'Bonding interface {{ $labels.master }} on {{ $labels.instance }} has {{ $value }} slaves down; it runs without its redundancy.',
      },
      c,
    ),
  ];
}

/** systemd units (systemd collector, node_exporter's names). */
function systemdAlerts(c: MixinConfig): AlertingRule[] {
  return [
    alert(
      {
        name: 'NodeSystemdServiceFailed',
        severity: 'warning',
        dashboard: HOST,
        expr: `node_systemd_unit_state${sel(c.selector, 'state="failed"')} == 1`,
        for: '5m',
        summary: 'Systemd service has entered failed state.',
        description: 'Systemd unit {{ $labels.name }} on {{ $labels.instance }} is in the failed state.',
      },
      c,
    ),
    alert(
      {
        name: 'NodeSystemdServiceCrashlooping',
        severity: 'warning',
        dashboard: HOST,
        expr: `increase(node_systemd_service_restart_total${sel(c.selector)}[5m]) > 2`,
        for: '15m',
        summary: 'Systemd service keeps restarting, possibly crash looping.',
        description:
          'Systemd service {{ $labels.name }} on {{ $labels.instance }} has been restarted {{ printf "%.0f" $value }} times in 5 minutes, for 15 minutes: it is probably crash looping.',
      },
      c,
    ),
  ];
}
