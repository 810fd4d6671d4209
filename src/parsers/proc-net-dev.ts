import { parseFailure, parseNumber, type ParseResult } from './parse-result.js';

export interface NetDevStats {
  device: string;
  /** `receive_bytes`, `transmit_colls`, … as the kernel names the columns. */
  stats: Map<string, number>;
}

/** /proc/net/dev: two header lines naming the receive and transmit columns, then `dev: numbers…`. */
export function parseNetDev(text: string): ParseResult<NetDevStats[]> {
  const lines = text.split('\n');
  const header = lines[1]?.split('|');
  if (!header || header.length < 3) return parseFailure('/proc/net/dev', 2, 'missing the column header');
  const columns = [
    ...(header[1] as string)
      .trim()
      .split(/\s+/)
      .map((c) => `receive_${c}`),
    ...(header[2] as string)
      .trim()
      .split(/\s+/)
      .map((c) => `transmit_${c}`),
  ];
  const devices: NetDevStats[] = [];
  for (let i = 2; i < lines.length; i++) {
    const line = lines[i] as string;
    if (!line.trim()) continue;
    const colon = line.indexOf(':');
    if (colon === -1) return parseFailure('/proc/net/dev', i + 1, `no "device:" prefix in ${JSON.stringify(line.slice(0, 60))}`);
    const device = line.slice(0, colon).trim();
    const values = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/);
    if (values.length !== columns.length) return parseFailure('/proc/net/dev', i + 1, `${device} has ${values.length} values for ${columns.length} columns`);
    const stats = new Map<string, number>();
    for (let c = 0; c < columns.length; c++) {
      const v = parseNumber(values[c]);
      if (v === undefined) return parseFailure('/proc/net/dev', i + 1, `${device} ${columns[c]} is not a number: ${JSON.stringify(values[c])}`);
      stats.set(columns[c] as string, v);
    }
    devices.push({ device, stats });
  }
  return { ok: true, value: devices };
}
