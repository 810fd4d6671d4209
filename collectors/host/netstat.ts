import { defineCollector, untyped } from '../../src/collector.js';
import { readOptionalPseudoFile } from '../../src/fs/procfs.js';
import { parseNetstatPairs, parseSnmp6 } from '../../src/parsers/proc-net-netstat.js';

export const NETSTAT_DEFAULT_FIELDS =
  '^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts|TCPOFOQueue|TCPRcvQDrop)|Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)|Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$';

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
