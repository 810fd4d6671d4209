import { parseFailure, parseNumber, type ParseResult } from '../../src/parse.js';

/** Files of `name value` lines (/proc/vmstat). */
export function parseKeyValueLines(text: string, file: string): ParseResult<Map<string, number>> {
  const values = new Map<string, number>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (!line) continue;
    const [name, raw, extra] = line.split(/\s+/);
    const value = parseNumber(raw);
    if (!name || value === undefined || extra !== undefined) return parseFailure(file, i + 1, `expected "name value", got ${JSON.stringify(line.slice(0, 60))}`);
    values.set(name, value);
  }
  return { ok: true, value: values };
}
