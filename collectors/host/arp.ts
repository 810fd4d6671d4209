import { defineCollector, gauge } from '../../src/collector.js';
import { parseFailure, type ParseResult } from '../../src/parsers/parse-result.js';
import { readOptionalPseudoFile } from '../../src/fs/procfs.js';
import { DEVICE_FILTER_OPTIONS, deviceFilter, type DeviceFilterOptions } from './device-filter.js';

/**
 * /proc/net/arp: a header, then `IP HWtype Flags HWaddress Mask Device` per IPv4 neighbour.
 * The kernel leaves NOARP entries out of this file, as node_exporter's netlink path does, so
 * the counts are the same either way.
 */
export function parseArpEntriesPerDevice(text: string): ParseResult<Map<string, number>> {
  const counts = new Map<string, number>();
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (!line) continue;
    const fields = line.split(/\s+/);
    if (fields.length !== 6) return parseFailure('/proc/net/arp', i + 1, `expected 6 fields, got ${fields.length}`);
    const device = fields[5] as string;
    counts.set(device, (counts.get(device) ?? 0) + 1);
  }
  return { ok: true, value: counts };
}

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
