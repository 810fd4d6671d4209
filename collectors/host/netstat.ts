import { defineCollector, untyped } from '../../src/collector.js';
import { parseFailure, parseNumber, type ParseResult } from '../../src/parsers/parse-result.js';
import { readOptionalPseudoFile } from '../../src/fs/procfs.js';

export const NETSTAT_DEFAULT_FIELDS =
  '^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts|TCPOFOQueue|TCPRcvQDrop)|Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)|Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$';

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

export default defineCollector<{ fields: string }>({
  name: 'netstat',
  description: 'Network statistics from /proc/net/netstat, /proc/net/snmp and /proc/net/snmp6 (node_netstat_*, untyped)',
  enabledByDefault: true,
  group: 'host',
  options: {
    type: 'object',
    properties: { fields: { type: 'string', format: 'regex', default: NETSTAT_DEFAULT_FIELDS, description: 'Regexp of Proto_Field names to export' } },
  },
  collect(ctx) {
    const all = new Map<string, number>();
    for (const file of ['net/netstat', 'net/snmp']) {
      const text = readOptionalPseudoFile(ctx.paths.procfs, file);
      if (text === undefined) continue;
      const parsed = parseNetstatPairs(text, `/proc/${file}`);
      if (!parsed.ok) throw new Error(parsed.error);
      for (const [k, v] of parsed.value) all.set(k, v);
    }
    const snmp6 = readOptionalPseudoFile(ctx.paths.procfs, 'net/snmp6');
    if (snmp6 !== undefined) {
      const parsed = parseSnmp6(snmp6);
      if (!parsed.ok) throw new Error(parsed.error);
      for (const [k, v] of parsed.value) all.set(k, v);
    }
    const wanted = new RegExp(ctx.config.fields);
    return [...all]
      .filter(([key]) => wanted.test(key))
      .map(([key, value]) => untyped(`node_netstat_${key}`, `Statistic ${key.replace('_', '')}.`, [{ value }]));
  },
});
