import { counter, defineCollector, type MetricFamily, type Sample } from '../../src/collector.js';
import { readOptionalPseudoFile } from '../../src/fs/procfs.js';
import { NFS_V2_PROCEDURES, NFS_V3_PROCEDURES, NFS_V4_CLIENT_PROCEDURES, parseNfsClientStats, type RpcStatsFile } from '../../src/parsers/proc-net-rpc-nfs.js';

/**
 * A section's counters: as read; zeros when the kernel does not print the line (node_exporter
 * reports those as 0 too); undefined when its line was garbled (no series rather than a false 0).
 */
export function sectionOrZeros<S>(file: RpcStatsFile<S>, key: keyof S, length: number): number[] | undefined {
  const values = file.sections[key] as number[] | undefined;
  if (values) return values;
  return file.garbled.has(key) ? undefined : new Array<number>(length).fill(0);
}

/** `{proto, method}` samples of one `procN` line: counter i is method i; missing counters are 0. */
export function procedureSamples(proto: string, methods: readonly string[], values: number[] | undefined, skipFirst = false): Sample[] {
  if (!values) return [];
  return methods.flatMap((method, i) => (skipFirst && i === 0 ? [] : [{ labels: { proto, method }, value: values[i] ?? 0 }]));
}

export default defineCollector({
  name: 'nfs',
  description: 'NFS client RPC statistics from /proc/net/rpc/nfs (node_nfs_*)',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    const text = readOptionalPseudoFile(ctx.paths.procfs, 'net/rpc/nfs');
    if (text === undefined) return []; // no NFS client module loaded
    const file = parseNfsClientStats(text);
    for (const problem of file.skipped) ctx.skip('malformed', problem);
    const families: MetricFamily[] = [];
    const net = sectionOrZeros(file, 'net', 4);
    if (net) {
      families.push(
        counter('node_nfs_packets_total', 'Total NFSd network packets (sent+received) by protocol type.', [
          { labels: { protocol: 'udp' }, value: net[1] as number },
          { labels: { protocol: 'tcp' }, value: net[2] as number },
        ]),
        counter('node_nfs_connections_total', 'Total number of NFSd TCP connections.', [{ value: net[3] as number }]),
      );
    }
    const rpc = sectionOrZeros(file, 'rpc', 3);
    if (rpc) {
      families.push(
        counter('node_nfs_rpcs_total', 'Total number of RPCs performed.', [{ value: rpc[0] as number }]),
        counter('node_nfs_rpc_retransmissions_total', 'Number of RPC transmissions performed.', [{ value: rpc[1] as number }]),
        counter('node_nfs_rpc_authentication_refreshes_total', 'Number of RPC authentication refreshes performed.', [{ value: rpc[2] as number }]),
      );
    }
    const requests = [
      ...procedureSamples('2', NFS_V2_PROCEDURES, sectionOrZeros(file, 'proc2', NFS_V2_PROCEDURES.length)),
      ...procedureSamples('3', NFS_V3_PROCEDURES, sectionOrZeros(file, 'proc3', NFS_V3_PROCEDURES.length)),
      ...procedureSamples('4', NFS_V4_CLIENT_PROCEDURES, sectionOrZeros(file, 'proc4', NFS_V4_CLIENT_PROCEDURES.length)),
    ];
    if (requests.length) families.push(counter('node_nfs_requests_total', 'Number of NFS procedures invoked.', requests));
    return families;
  },
});
