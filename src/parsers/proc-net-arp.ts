import { parseFailure, type ParseResult } from './parse-result.js';

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
