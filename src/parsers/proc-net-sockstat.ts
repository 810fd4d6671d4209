import { parseFailure, parseNumber, type ParseResult } from './parse-result.js';

/** One `PROTO: key value key value…` line per protocol; `sockets: used N` is kept as protocol "sockets". */
export function parseSockstat(text: string, file: string): ParseResult<Map<string, Map<string, number>>> {
  const protocols = new Map<string, Map<string, number>>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (!line) continue;
    const m = /^([A-Za-z0-9]+):((?:\s+\S+\s+\S+)+)$/.exec(line);
    if (!m) return parseFailure(file, i + 1, `malformed line ${JSON.stringify(line.slice(0, 80))}`);
    const fields = new Map<string, number>();
    const parts = (m[2] as string).trim().split(/\s+/);
    for (let p = 0; p < parts.length; p += 2) {
      const value = parseNumber(parts[p + 1]);
      if (value === undefined) return parseFailure(file, i + 1, `value of ${parts[p]} is not a number: ${JSON.stringify(parts[p + 1])}`);
      fields.set(parts[p] as string, value);
    }
    protocols.set(m[1] as string, fields);
  }
  return { ok: true, value: protocols };
}
