/** Every built-in collector, registered in this one place. */
import type { CollectorDefinition } from '../src/collector.js';
import arp from './host/arp.js';
import bonding from './host/bonding.js';
import selinux from './host/selinux.js';
import softnet from './host/softnet.js';
import timex from './host/timex.js';
import udp_queues from './host/udp-queues.js';
import conntrack from './host/conntrack.js';
import container from './container/container.js';
import cpu from './host/cpu.js';
import diskstats from './host/diskstats.js';
import dmi from './host/dmi.js';
import entropy from './host/entropy.js';
import filefd from './host/filefd.js';
import filesystem from './host/filesystem.js';
import hwmon from './host/hwmon.js';
import inventory from './host/inventory.js';
import loadavg from './host/loadavg.js';
import mdadm from './host/mdadm.js';
import meminfo from './host/meminfo.js';
import netclass from './host/netclass.js';
import netdev from './host/netdev.js';
import netstat from './host/netstat.js';
import os from './host/os-release.js';
import probe from './probe/probe.js';
import pressure from './host/pressure.js';
import processes from './host/processes.js';
import sockstat from './host/sockstat.js';
import stat from './host/stat.js';
import time from './host/time.js';
import uname from './host/uname.js';
import textfile from './textfile/textfile.js';
import thermal_zone from './host/thermal-zone.js';
import vmstat from './host/vmstat.js';

export const builtinCollectors: readonly CollectorDefinition[] = [
  arp,
  bonding,
  conntrack,
  container,
  cpu,
  diskstats,
  dmi,
  entropy,
  filefd,
  filesystem,
  hwmon,
  inventory,
  loadavg,
  mdadm,
  meminfo,
  netclass,
  netdev,
  netstat,
  os,
  pressure,
  probe,
  processes,
  selinux,
  sockstat,
  softnet,
  stat,
  textfile,
  thermal_zone,
  time,
  timex,
  udp_queues,
  uname,
  vmstat,
];
