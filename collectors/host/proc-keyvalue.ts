import { parseFailure, parseNumber, type ParseResult } from '../../src/parse.js';

/** Integers of up to 15 digits are summed exactly digit by digit; longer ones go through Number(). */
const EXACT_DIGITS = 15;

/**
 * Files of `name value` lines (/proc/vmstat, cgroup `memory.stat`, `cpu.stat`). The common line,
 * `name 12345`, takes a scan without regular expressions or temporary arrays: a node with 1,500
 * cgroups parses ~4,500 of these files per run.
 */
export function parseKeyValueLines(text: string, file: string): ParseResult<Map<string, number>> {
  const values = new Map<string, number>();
  let line = 0;
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    line++;
    const space = text.indexOf(' ', start);
    const value = space > start && space < end ? plainInteger(text, space + 1, end) : undefined;
    if (value !== undefined) values.set(text.slice(start, space), value);
    else if (!parseOtherLine(text.slice(start, end), values)) return parseFailure(file, line, `expected "name value", got ${JSON.stringify(text.slice(start, end).trim().slice(0, 60))}`);
    start = end + 1;
  }
  return { ok: true, value: values };
}

/** The digits text[from, to) as a number; undefined unless they are all digits. */
function plainInteger(text: string, from: number, to: number): number | undefined {
  if (from >= to) return undefined;
  if (to - from > EXACT_DIGITS) return /^\d+$/.test(text.slice(from, to)) ? Number(text.slice(from, to)) : undefined;
  let value = 0;
  for (let i = from; i < to; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return value;
}

/** Blank lines, and lines with other spacing, signs or decimals; false if the line is malformed. */
function parseOtherLine(raw: string, into: Map<string, number>): boolean {
  const line = raw.trim();
  if (!line) return true;
  const [name, number, extra] = line.split(/\s+/);
  const value = parseNumber(number);
  if (!name || value === undefined || extra !== undefined) return false;
  into.set(name, value);
  return true;
}
