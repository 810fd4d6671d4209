import { parseFailure, parseNumber, type ParseResult } from './parse-result.js';

/** /proc/net/netstat and /proc/net/snmp: pairs of `Proto: names…` and `Proto: values…` lines. Keys are `Proto_Name`. */
export function parseNetstatPairs(text: string, file: string): ParseResult<Map<string, number>> {
  const out = new Map<string, number>();
  const lines = text.split('\n').filter((l) => l.trim());
  for (let i = 0; i < lines.length; i += 2) {
    const names = lines[i]?.trim().split(/\s+/) ?? [];
    const values = lines[i + 1]?.trim().split(/\s+/);
    if (!values) return parseFailure(file, i + 1, 'header line without a value line');
    const proto = names[0];
    if (!proto?.endsWith(':') || values[0] !== proto) return parseFailure(file, i + 2, `lines ${i + 1} and ${i + 2} do not belong to one protocol`);
    if (names.length !== values.length) return parseFailure(file, i + 2, `${proto} has ${names.length - 1} names but ${values.length - 1} values`);
    for (let c = 1; c < names.length; c++) {
      const value = parseNumber(values[c]);
      if (value === undefined) return parseFailure(file, i + 2, `${proto} ${names[c]} is not a number: ${JSON.stringify(values[c])}`);
      out.set(`${proto.slice(0, -1)}_${names[c]}`, value);
    }
  }
  return { ok: true, value: out };
}

/** /proc/net/snmp6: `Ip6InReceives 123` lines; the protocol ends at the first "6". */
export function parseSnmp6(text: string): ParseResult<Map<string, number>> {
  const out = new Map<string, number>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (!line) continue;
    const [key, raw] = line.split(/\s+/);
    const value = parseNumber(raw);
    if (!key || value === undefined) return parseFailure('/proc/net/snmp6', i + 1, `malformed line ${JSON.stringify(line.slice(0, 60))}`);
    const six = key.indexOf('6');
    if (six === -1) continue; // node_exporter skips lines without a protocol version
    out.set(`${key.slice(0, six + 1)}_${key.slice(six + 1)}`, value);
  }
  return { ok: true, value: out };
}
