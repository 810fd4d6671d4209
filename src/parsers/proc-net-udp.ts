import { parseFailure, type ParseResult } from './parse-result.js';

export interface UdpQueueTotals {
  tx: number;
  rx: number;
}

/**
 * /proc/net/udp and udp6: a header, then one socket per line whose fifth field is
 * `tx_queue:rx_queue` in hex bytes. The totals are summed over all sockets.
 */
export function parseUdpQueues(text: string, file: string): ParseResult<UdpQueueTotals> {
  const totals = { tx: 0, rx: 0 };
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (!line) continue;
    const queues = line.split(/\s+/)[4];
    const m = queues === undefined ? null : /^([0-9A-Fa-f]+):([0-9A-Fa-f]+)$/.exec(queues);
    if (!m) return parseFailure(file, i + 1, `expected tx_queue:rx_queue in field 5, got ${JSON.stringify(queues ?? line.slice(0, 60))}`);
    totals.tx += parseInt(m[1] as string, 16);
    totals.rx += parseInt(m[2] as string, 16);
  }
  return { ok: true, value: totals };
}
