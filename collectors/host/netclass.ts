import { statSync } from 'node:fs';
import { join } from 'node:path';
import { counter, defineCollector, gauge, type MetricFamily, type Sample } from '../../src/collector.js';
import { readOptionalDir, readPseudoFile } from '../../src/fs/procfs.js';
import { parseSysfsNumber } from '../../src/parsers/sysfs-number.js';

/** Numeric attributes of /sys/class/net/<iface>: file → metric (gauges unless marked counter). */
const NUMERIC: Array<[file: string, metric: string, type: 'gauge' | 'counter']> = [
  ['addr_assign_type', 'address_assign_type', 'gauge'],
  ['carrier', 'carrier', 'gauge'],
  ['carrier_changes', 'carrier_changes_total', 'counter'],
  ['carrier_up_count', 'carrier_up_changes_total', 'counter'],
  ['carrier_down_count', 'carrier_down_changes_total', 'counter'],
  ['dev_id', 'device_id', 'gauge'],
  ['dormant', 'dormant', 'gauge'],
  ['flags', 'flags', 'gauge'],
  ['ifindex', 'iface_id', 'gauge'],
  ['iflink', 'iface_link', 'gauge'],
  ['link_mode', 'iface_link_mode', 'gauge'],
  ['mtu', 'mtu_bytes', 'gauge'],
  ['name_assign_type', 'name_assign_type', 'gauge'],
  ['netdev_group', 'net_dev_group', 'gauge'],
  ['tx_queue_len', 'transmit_queue_length', 'gauge'],
  ['type', 'protocol_type', 'gauge'],
];
const IFF_UP = 0x1;

/**
 * Entries of /sys/class/net that are files, not interfaces: the bonding driver's control file
 * (Documentation/networking/bonding.rst). Left out without a count; any other non-directory is
 * counted as a skip.
 */
const KNOWN_FILES = new Set(['bonding_masters']);

/**
 * One attribute; undefined when the kernel refuses it for this device (EINVAL for the speed of a
 * virtual link, a down carrier) or does not have it. Other errors (EACCES, EIO) throw: the caller
 * skips that interface and counts it.
 */
function attribute(sysfs: string, iface: string, file: string): string | undefined {
  try {
    return readPseudoFile(sysfs, join('class/net', iface, file)).trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EINVAL' || code === 'ENOENT' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENODEV') return undefined;
    throw err;
  }
}

interface Interface {
  operstate: string;
  flags: number | undefined;
  address: string;
  broadcast: string;
  duplex: string;
  ifalias: string;
  mbps: number | undefined;
  values: Map<string, number | undefined>;
}

/** Every attribute of one interface, read before any of its series is kept: an unreadable one throws. */
function readInterface(sysfs: string, device: string): Interface {
  const attr = (file: string) => attribute(sysfs, device, file);
  const flags = parseSysfsNumber(attr('flags'));
  return {
    operstate: attr('operstate') ?? '',
    flags,
    address: attr('address') ?? '',
    broadcast: attr('broadcast') ?? '',
    duplex: attr('duplex') ?? '',
    ifalias: attr('ifalias') ?? '',
    mbps: parseSysfsNumber(attr('speed')),
    values: new Map(NUMERIC.map(([file, metric]) => [metric, file === 'flags' ? flags : parseSysfsNumber(attr(file))])),
  };
}

export default defineCollector<{ ignored_devices: string; ignore_invalid_speed: boolean; netlink: boolean }>({
  name: 'netclass',
  description: 'Network interface properties from /sys/class/net (up, info, mtu, speed, carrier, …)',
  enabledByDefault: true,
  group: 'host',
  options: {
    type: 'object',
    properties: {
      ignored_devices: { type: 'string', format: 'regex', default: '^$', description: 'Regexp of devices to ignore' },
      ignore_invalid_speed: {
        type: 'boolean',
        default: false,
        description: 'Leave out node_network_speed_bytes of devices whose speed is invalid (-1), as node_exporter',
      },
      netlink: { type: 'boolean', default: false, description: "Accepted for node_exporter's command line; /sys/class/net holds the same attributes" },
    },
  },
  collect(ctx) {
    const ifaces = readOptionalDir(ctx.paths.sysfs, 'class/net').sort(); // none without sysfs net: no data
    const ignored = new RegExp(ctx.config.ignored_devices);
    const up: Sample[] = [];
    const info: Sample[] = [];
    const speed: Sample[] = [];
    const numeric = new Map<string, Sample[]>(NUMERIC.map(([, metric]) => [metric, []]));
    for (const device of ifaces) {
      if (ignored.test(device) || KNOWN_FILES.has(device)) continue;
      let read: Interface;
      try {
        if (!statSync(join(ctx.paths.sysfs, 'class/net', device)).isDirectory()) {
          ctx.skip('not a directory', join('class/net', device));
          continue;
        }
        read = readInterface(ctx.paths.sysfs, device);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') continue; // gone between the listing and the read
        ctx.skip('unreadable', `${join('class/net', device)}: ${(err as Error).message}`);
        continue;
      }
      const { operstate, flags, values } = read;
      up.push({ labels: { device }, value: operstate === 'up' ? 1 : 0 });
      info.push({
        labels: {
          device,
          address: read.address,
          broadcast: read.broadcast,
          duplex: read.duplex,
          operstate,
          adminstate: flags === undefined ? 'unknown' : flags & IFF_UP ? 'up' : 'down',
          ifalias: read.ifalias,
        },
        value: 1,
      });
      for (const [, metric] of NUMERIC) {
        const value = values.get(metric);
        if (value !== undefined) numeric.get(metric)!.push({ labels: { device }, value });
      }
      // Virtual links report -1; node_exporter exports it as is (-125000) unless told otherwise.
      if (read.mbps !== undefined && (read.mbps >= 0 || !ctx.config.ignore_invalid_speed))
        speed.push({ labels: { device }, value: Math.trunc((read.mbps * 1000 * 1000) / 8) });
    }
    const families: MetricFamily[] = [
      gauge('node_network_up', "Value is 1 if operstate is 'up', 0 otherwise.", up),
      gauge('node_network_info', 'Non-numeric data from /sys/class/net/<iface>, value is always 1.', info),
      gauge('node_network_speed_bytes', 'Network device property: speed_bytes', speed),
    ];
    for (const [, metric, type] of NUMERIC) {
      const make = type === 'counter' ? counter : gauge;
      families.push(make(`node_network_${metric}`, `Network device property: ${metric}`, numeric.get(metric)!));
    }
    return families;
  },
});
