import { counter, defineCollector, gauge, type MetricFamily, type Sample } from '../../src/collector.js';
import { readOptionalPseudoFile } from '../../src/fs/procfs.js';
import { NFS_V2_PROCEDURES, NFS_V3_PROCEDURES, NFS_V4_SERVER_OPERATIONS, parseNfsServerStats } from '../../src/parsers/proc-net-rpc-nfs.js';
import { procedureSamples, sectionOrZeros } from './nfs.js';

export default defineCollector({
  name: 'nfsd',
  description: 'NFS server statistics from /proc/net/rpc/nfsd (node_nfsd_*)',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    const text = readOptionalPseudoFile(ctx.paths.procfs, 'net/rpc/nfsd');
    if (text === undefined) return []; // nfsd not loaded
    const file = parseNfsServerStats(text);
    for (const problem of file.skipped) ctx.skip('malformed', problem);
    const families: MetricFamily[] = [];
    const one = (v: number | undefined): Sample[] => [{ value: v ?? 0 }];

    const rc = sectionOrZeros(file, 'rc', 3);
    if (rc)
      families.push(
        counter('node_nfsd_reply_cache_hits_total', 'Total number of NFSd Reply Cache hits (client lost server response).', one(rc[0])),
        counter('node_nfsd_reply_cache_misses_total', 'Total number of NFSd Reply Cache an operation that requires caching (idempotent).', one(rc[1])),
        counter('node_nfsd_reply_cache_nocache_total', 'Total number of NFSd Reply Cache non-idempotent operations (rename/delete/…).', one(rc[2])),
      );
    // Only the first `fh` counter (stale) is still updated by the kernel.
    const fh = sectionOrZeros(file, 'fh', 5);
    if (fh) families.push(counter('node_nfsd_file_handles_stale_total', 'Total number of NFSd stale file handles', one(fh[0])));
    const io = sectionOrZeros(file, 'io', 2);
    if (io)
      families.push(
        counter('node_nfsd_disk_bytes_read_total', 'Total NFSd bytes read.', one(io[0])),
        counter('node_nfsd_disk_bytes_written_total', 'Total NFSd bytes written.', one(io[1])),
      );
    const th = sectionOrZeros(file, 'th', 2);
    if (th) families.push(gauge('node_nfsd_server_threads', 'Total number of NFSd kernel threads that are running.', one(th[0])));
    const ra = sectionOrZeros(file, 'ra', 12);
    if (ra)
      families.push(
        gauge('node_nfsd_read_ahead_cache_size_blocks', 'How large the read ahead cache is in blocks.', one(ra[0])),
        counter('node_nfsd_read_ahead_cache_not_found_total', 'Total number of NFSd read ahead cache not found.', one(ra[11])),
      );
    const net = sectionOrZeros(file, 'net', 4);
    if (net)
      families.push(
        counter('node_nfsd_packets_total', 'Total NFSd network packets (sent+received) by protocol type.', [
          { labels: { proto: 'udp' }, value: net[1] as number },
          { labels: { proto: 'tcp' }, value: net[2] as number },
        ]),
        counter('node_nfsd_connections_total', 'Total number of NFSd TCP connections.', one(net[3])),
      );
    const rpc = sectionOrZeros(file, 'rpc', 5);
    if (rpc)
      families.push(
        counter('node_nfsd_rpc_errors_total', 'Total number of NFSd RPC errors by error type.', [
          { labels: { error: 'fmt' }, value: rpc[2] as number },
          { labels: { error: 'auth' }, value: rpc[3] as number },
          { labels: { error: 'cInt' }, value: rpc[4] as number },
        ]),
        counter('node_nfsd_server_rpcs_total', 'Total number of NFSd RPCs.', one(rpc[0])),
      );

    // The server's NULL procedures are not reported (as node_exporter).
    const requests = [
      ...procedureSamples('2', NFS_V2_PROCEDURES, sectionOrZeros(file, 'proc2', NFS_V2_PROCEDURES.length), true),
      ...procedureSamples('3', NFS_V3_PROCEDURES, sectionOrZeros(file, 'proc3', NFS_V3_PROCEDURES.length), true),
    ];
    const ops = sectionOrZeros(file, 'proc4ops', 40);
    if (ops) for (const [op, method] of NFS_V4_SERVER_OPERATIONS) requests.push({ labels: { proto: '4', method }, value: ops[op] ?? 0 });
    const wdeleg = sectionOrZeros(file, 'wdeleg_getattr', 1);
    if (wdeleg) requests.push({ labels: { proto: '4', method: 'WdelegGetattr' }, value: wdeleg[0] as number });
    if (requests.length) families.push(counter('node_nfsd_requests_total', 'Total number NFSd Requests by method and protocol.', requests));
    return families;
  },
});
