import { parseFailure, parseNumber, type ParseResult } from './parse-result.js';

/** /proc/sys/fs/file-nr: "allocated  unused  maximum". */
export function parseFileNr(text: string): ParseResult<{ allocated: number; maximum: number }> {
  const [allocated, , maximum] = text.trim().split(/\s+/).map(parseNumber);
  if (allocated === undefined || maximum === undefined)
    return parseFailure('/proc/sys/fs/file-nr', 1, `expected three numbers, got ${JSON.stringify(text.trim().slice(0, 60))}`);
  return { ok: true, value: { allocated, maximum } };
}
