import { parseFailure, parseNumber, type ParseResult } from './parse-result.js';

/** Integers of up to 15 digits are summed exactly digit by digit; longer ones go through Number(). */
const EXACT_DIGITS = 15;

/**
 * Files of `name value` lines (/proc/vmstat, cgroup `memory.stat`, `cpu.stat`). The common line,
 * `name 12345`, takes a scan without regular expressions or temporary arrays: a node with 1,500
 * cgroups parses ~4,500 of these files per run.
 */
export function parseKeyValueLines(text: string, file: string): ParseResult<Map<string, number>> {
  const values = new Map<string, number>();
  const error = scanKeyValueLines(
    text,
    file,
    (start, space, value) => values.set(text.slice(start, space), value),
    (name, value) => values.set(name, value),
  );
  return error ?? { ok: true, value: values };
}

/**
 * The values of `keys` in a `name value` file, in the order asked (undefined for a key the file does
 * not have). Every line is still checked, but no table of the file's other lines is built: cgroup v2
 * `memory.stat` has ~45 lines of which the collector needs 4.
 */
export function pickKeyValues(text: string, file: string, keys: readonly string[]): ParseResult<Array<number | undefined>> {
  const values = new Array<number | undefined>(keys.length).fill(undefined);
  const error = scanKeyValueLines(
    text,
    file,
    (start, space, value) => {
      for (let k = 0; k < keys.length; k++) {
        const key = keys[k] as string;
        if (key.length === space - start && text.startsWith(key, start)) values[k] = value;
      }
    },
    (name, value) => keys.forEach((key, k) => key === name && (values[k] = value)),
  );
  return error ?? { ok: true, value: values };
}

/**
 * Calls `plain` for each `name 12345` line with where its name is, `other` for lines with other
 * spacing, signs or decimals; returns the failure for a malformed line, or undefined.
 */
function scanKeyValueLines(
  text: string,
  file: string,
  plain: (start: number, space: number, value: number) => void,
  other: (name: string, value: number) => void,
): { ok: false; error: string } | undefined {
  let line = 0;
  for (let start = 0; start < text.length;) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    line++;
    const space = text.indexOf(' ', start);
    const value = space > start && space < end ? plainInteger(text, space + 1, end) : undefined;
    if (value !== undefined) plain(start, space, value);
    else {
      const parsed = parseOtherLine(text.slice(start, end));
      if (parsed === false) return parseFailure(file, line, `expected "name value", got ${JSON.stringify(text.slice(start, end).trim().slice(0, 60))}`);
      if (parsed) other(parsed[0], parsed[1]);
    }
    start = end + 1;
  }
  return undefined;
}

/** The digits text[from, to) as a number; undefined unless they are all digits. */
export function plainInteger(text: string, from: number, to: number): number | undefined {
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

/** A line with other spacing, signs or decimals as [name, value]; undefined if blank, false if malformed. */
function parseOtherLine(raw: string): [string, number] | undefined | false {
  const line = raw.trim();
  if (!line) return undefined;
  const [name, number, extra] = line.split(/\s+/);
  const value = parseNumber(number);
  if (!name || value === undefined || extra !== undefined) return false;
  return [name, value];
}
