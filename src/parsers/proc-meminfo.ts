import { parseFailure, parseNumber, type ParseResult } from './parse-result.js';

export interface MeminfoField {
  /** node_exporter's spelling: `Active(anon)` becomes `Active_anon`. */
  name: string;
  /** Bytes for fields in kB; a plain count (HugePages_*) otherwise. */
  value: number;
  isBytes: boolean;
}

const LINE = /^([A-Za-z0-9_()]+):\s+(\S+)(?:\s+(kB))?\s*$/;

export function parseMeminfo(text: string): ParseResult<MeminfoField[]> {
  const fields: MeminfoField[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    const m = LINE.exec(line);
    if (!m) return parseFailure('/proc/meminfo', i + 1, `malformed line ${JSON.stringify(line.slice(0, 80))}`);
    const n = parseNumber(m[2]);
    if (n === undefined) return parseFailure('/proc/meminfo', i + 1, `value of ${m[1]} is not a number: ${JSON.stringify(m[2])}`);
    const name = (m[1] as string).replace(/\((.*)\)/, '_$1');
    const isBytes = m[3] === 'kB';
    fields.push({ name, value: isBytes ? n * 1024 : n, isBytes });
  }
  if (fields.length === 0) return parseFailure('/proc/meminfo', 1, 'file is empty');
  return { ok: true, value: fields };
}
