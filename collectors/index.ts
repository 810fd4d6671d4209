/** Every built-in collector, registered in this one place. */
import type { CollectorDefinition } from '../src/collector.js';
import arp from './host/arp.js';
import bcache from './host/bcache.js';
import bcachefs from './host/bcachefs.js';
import bonding from './host/bonding.js';
import btrfs from './host/btrfs.js';
import conntrack from './host/conntrack.js';
import container from './container/container.js';
import cpu from './host/cpu.js';
import cpu_vulnerabilities from './host/cpu-vulnerabilities.js';
import cpufreq from './host/cpufreq.js';
import diskstats from './host/diskstats.js';
import dmi from './host/dmi.js';
import dmmultipath from './host/dmmultipath.js';
import edac from './host/edac.js';
import entropy from './host/entropy.js';
import fibrechannel from './host/fibrechannel.js';
import filefd from './host/filefd.js';
import filesystem from './host/filesystem.js';
import hwmon from './host/hwmon.js';
import infiniband from './host/infiniband.js';
import interrupts from './host/interrupts.js';
import inventory from './host/inventory.js';
import ipvs from './host/ipvs.js';
import kernel_hung from './host/kernel-hung.js';
import loadavg from './host/loadavg.js';
import mdadm from './host/mdadm.js';
import meminfo from './host/meminfo.js';
import meminfo_numa from './host/meminfo-numa.js';
import mountstats from './host/mountstats.js';
import netclass from './host/netclass.js';
import netdev from './host/netdev.js';
import netstat from './host/netstat.js';
import nfs from './host/nfs.js';
import nfsd from './host/nfsd.js';
import nvme from './host/nvme.js';
import os from './host/os-release.js';
import powersupplyclass from './host/powersupplyclass.js';
import pressure from './host/pressure.js';
import probe from './probe/probe.js';
import processes from './host/processes.js';
import rapl from './host/rapl.js';
import schedstat from './host/schedstat.js';
import selinux from './host/selinux.js';
import sockstat from './host/sockstat.js';
import softirqs from './host/softirqs.js';
import softnet from './host/softnet.js';
import stat from './host/stat.js';
import systemd from './host/systemd.js';
import tapestats from './host/tapestats.js';
import textfile from './textfile/textfile.js';
import thermal_zone from './host/thermal-zone.js';
import time from './host/time.js';
import timex from './host/timex.js';
import udp_queues from './host/udp-queues.js';
import uname from './host/uname.js';
import vmstat from './host/vmstat.js';
import watchdog from './host/watchdog.js';
import xfs from './host/xfs.js';
import zfs from './host/zfs.js';

export const builtinCollectors: readonly CollectorDefinition[] = [
  arp,
  bcache,
  bcachefs,
  bonding,
  btrfs,
  conntrack,
  container,
  cpu,
  cpu_vulnerabilities,
  cpufreq,
  diskstats,
  dmi,
  dmmultipath,
  edac,
  entropy,
  fibrechannel,
  filefd,
  filesystem,
  hwmon,
  infiniband,
  interrupts,
  inventory,
  ipvs,
  kernel_hung,
  loadavg,
  mdadm,
  meminfo,
  meminfo_numa,
  mountstats,
  netclass,
  netdev,
  netstat,
  nfs,
  nfsd,
  nvme,
  os,
  powersupplyclass,
  pressure,
  probe,
  processes,
  rapl,
  schedstat,
  selinux,
  sockstat,
  softirqs,
  softnet,
  stat,
  systemd,
  tapestats,
  textfile,
  thermal_zone,
  time,
  timex,
  udp_queues,
  uname,
  vmstat,
  watchdog,
  xfs,
  zfs,
];
