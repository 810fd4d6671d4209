import { defineCollector, gauge } from '../../src/collector.js';
import { readOptionalPseudoFile } from '../../src/fs/procfs.js';
import { DEVICE_FILTER_OPTIONS, deviceFilter, type DeviceFilterOptions } from './device-filter.js';
import { parseArpEntriesPerDevice } from '../../src/parsers/proc-net-arp.js';

export default defineCollector<DeviceFilterOptions & { netlink?: boolean }>({
  name: 'arp',
  description: 'ARP (IPv4 neighbour) entries per device from /proc/net/arp',
  enabledByDefault: true,
  group: 'host',
  options: {
    type: 'object',
    properties: {
      ...DEVICE_FILTER_OPTIONS,
      netlink: { type: 'boolean', description: "Accepted for node_exporter's command line; /proc/net/arp gives the same counts" },
    },
  },
  collect(ctx) {
    const accept = deviceFilter(ctx.config, '');
    const text = readOptionalPseudoFile(ctx.paths.procfs, 'net/arp');
    if (text === undefined) return [];
    const parsed = parseArpEntriesPerDevice(text);
    if (!parsed.ok) throw new Error(parsed.error);
    const samples = [...parsed.value].filter(([device]) => accept(device)).map(([device, value]) => ({ labels: { device }, value }));
    return [gauge('node_arp_entries', 'ARP entries by device', samples)];
  },
});
