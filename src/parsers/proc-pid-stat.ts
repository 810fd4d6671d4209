import { parseFailure, type ParseResult } from './parse-result.js';

/** State letter and thread count from /proc/PID/stat; comm may hold spaces and parentheses, so fields start after the last ')'. */
export function parsePidStat(text: string, file: string): ParseResult<{ state: string; threads: number }> {
  const close = text.lastIndexOf(')');
  if (close === -1) return parseFailure(file, 1, 'no "(comm)" field');
  const fields = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const state = fields[0];
  const threads = Number(fields[17]);
  if (!state || !/^[A-Za-z]$/.test(state)) return parseFailure(file, 1, `bad state field ${JSON.stringify(state)}`);
  if (!Number.isInteger(threads) || threads < 1) return parseFailure(file, 1, `bad num_threads field ${JSON.stringify(fields[17])}`);
  return { ok: true, value: { state, threads } };
}
