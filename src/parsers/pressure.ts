import { parseFailure, parseNumber, type ParseResult } from './parse-result.js';
import { plainInteger } from './key-value-lines.js';

export interface PressureTotals {
  /** `some total=` in seconds: time at least one task stalled. */
  some?: number;
  /** `full total=` in seconds: time all non-idle tasks stalled. */
  full?: number;
}

/**
 * /proc/pressure/<resource> and cgroup v2 `<resource>.pressure`:
 * `some avg10=… avg60=… avg300=… total=<µs>` and the same for `full`. The usual line is read by
 * position (1,500 cgroups have 4,500 of these files); anything else goes through the full pattern.
 */
export function parsePressure(text: string, file: string): ParseResult<PressureTotals> {
  const totals: PressureTotals = {};
  let line = 0;
  for (let start = 0; start < text.length;) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    line++;
    const kind = text.startsWith('some ', start) ? 'some' : text.startsWith('full ', start) ? 'full' : undefined;
    const total = kind ? text.indexOf(' total=', start) : -1;
    const micros = total > start && total < end ? plainInteger(text, total + 7, end) : undefined;
    if (kind && micros !== undefined) totals[kind] = micros / 1e6;
    else {
      const raw = text.slice(start, end).trim();
      const m = raw ? /^(some|full)\s.*\btotal=(\S+)/.exec(raw) : undefined;
      const value = parseNumber(m?.[2]);
      if (raw && (!m || value === undefined)) return parseFailure(file, line, `malformed line ${JSON.stringify(raw.slice(0, 80))}`);
      if (m && value !== undefined) totals[m[1] as 'some' | 'full'] = value / 1e6;
    }
    start = end + 1;
  }
  return { ok: true, value: totals };
}
