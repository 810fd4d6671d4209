import { parseFailure, parseNumber, type ParseResult } from './parse-result.js';

export interface LoadAverage {
  load1: number;
  load5: number;
  load15: number;
}

export function parseLoadavg(text: string): ParseResult<LoadAverage> {
  const fields = text.trim().split(/\s+/);
  if (fields.length < 3) return parseFailure('/proc/loadavg', 1, `expected at least 3 fields, got ${fields.length}`);
  const [load1, load5, load15] = fields.slice(0, 3).map(parseNumber);
  if (load1 === undefined || load5 === undefined || load15 === undefined) {
    return parseFailure('/proc/loadavg', 1, `load averages are not numbers: ${JSON.stringify(fields.slice(0, 3).join(' '))}`);
  }
  return { ok: true, value: { load1, load5, load15 } };
}
