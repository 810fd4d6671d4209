import { counter, defineCollector, gauge, type Labels, type MetricFamily, type Sample } from '../../src/collector.js';
import { readOptionalPseudoFile } from '../../src/fs/procfs.js';
import { mountinfoAddresses, parseMountstats, type NfsMount } from '../../src/parsers/proc-mountstats.js';

/** 2^53: node_exporter reports these u64 counters modulo the float64 mantissa. */
const MANTISSA = 9007199254740992n;
const modMantissa = (v: bigint) => Number(v % MANTISSA);

type Family = [name: string, help: string, type: 'counter' | 'gauge'];

/** `bytes:` counters in kernel order. */
const BYTES: Family[] = [
  ['node_mountstats_nfs_read_bytes_total', 'Number of bytes read using the read() syscall.', 'counter'],
  ['node_mountstats_nfs_write_bytes_total', 'Number of bytes written using the write() syscall.', 'counter'],
  ['node_mountstats_nfs_direct_read_bytes_total', 'Number of bytes read using the read() syscall in O_DIRECT mode.', 'counter'],
  ['node_mountstats_nfs_direct_write_bytes_total', 'Number of bytes written using the write() syscall in O_DIRECT mode.', 'counter'],
  ['node_mountstats_nfs_total_read_bytes_total', 'Number of bytes read from the NFS server, in total.', 'counter'],
  ['node_mountstats_nfs_total_write_bytes_total', 'Number of bytes written to the NFS server, in total.', 'counter'],
  ['node_mountstats_nfs_read_pages_total', 'Number of pages read directly via mmap()-ed files.', 'counter'],
  ['node_mountstats_nfs_write_pages_total', 'Number of pages written directly via mmap()-ed files.', 'counter'],
];

/** `events:` counters by position (18, congestion wait, is not reported). */
const EVENTS: Array<[index: number, name: string, help: string]> = [
  [0, 'inode_revalidate', 'Number of times cached inode attributes are re-validated from the server.'],
  [1, 'dnode_revalidate', 'Number of times cached dentry nodes are re-validated from the server.'],
  [2, 'data_invalidate', 'Number of times an inode cache is cleared.'],
  [3, 'attribute_invalidate', 'Number of times cached inode attributes are invalidated.'],
  [4, 'vfs_open', 'Number of times files or directories have been open()-ed.'],
  [5, 'vfs_lookup', 'Number of times a directory lookup has occurred.'],
  [6, 'vfs_access', 'Number of times permissions have been checked.'],
  [7, 'vfs_update_page', 'Number of updates (and potential writes) to pages.'],
  [8, 'vfs_read_page', 'Number of pages read directly via mmap()-ed files.'],
  [9, 'vfs_read_pages', 'Number of times a group of pages have been read.'],
  [10, 'vfs_write_page', 'Number of pages written directly via mmap()-ed files.'],
  [11, 'vfs_write_pages', 'Number of times a group of pages have been written.'],
  [12, 'vfs_getdents', 'Number of times directory entries have been read with getdents().'],
  [13, 'vfs_setattr', 'Number of times attributes have been set on inodes.'],
  [14, 'vfs_flush', 'Number of pending writes that have been forcefully flushed to the server.'],
  [15, 'vfs_fsync', 'Number of times fsync() has been called on directories and files.'],
  [16, 'vfs_lock', 'Number of times locking has been attempted on a file.'],
  [17, 'vfs_file_release', 'Number of times files have been closed and released.'],
  [19, 'truncation', 'Number of times files have been truncated.'],
  [20, 'write_extension', 'Number of times a file has been grown due to writes beyond its existing end.'],
  [21, 'silly_rename', 'Number of times a file was removed while still open by another process.'],
  [22, 'short_read', 'Number of times the NFS server gave less data than expected while reading.'],
  [23, 'short_write', 'Number of times the NFS server wrote less data than expected while writing.'],
  [24, 'jukebox_delay', 'Number of times the NFS server indicated EJUKEBOX; retrieving data from offline storage.'],
  [25, 'pnfs_read', 'Number of NFS v4.1+ pNFS reads.'],
  [26, 'pnfs_write', 'Number of NFS v4.1+ pNFS writes.'],
];

const TRANSPORT: Array<[...Family, (t: NfsMount['transports'][number]) => number]> = [
  [
    'node_mountstats_nfs_transport_bind_total',
    'Number of times the client has had to establish a connection from scratch to the NFS server.',
    'counter',
    (t) => Number(t.bind),
  ],
  [
    'node_mountstats_nfs_transport_connect_total',
    'Number of times the client has made a TCP connection to the NFS server.',
    'counter',
    (t) => Number(t.connect),
  ],
  [
    'node_mountstats_nfs_transport_idle_time_seconds',
    'Duration since the NFS mount last saw any RPC traffic, in seconds.',
    'gauge',
    (t) => modMantissa(t.idleTimeSeconds),
  ],
  ['node_mountstats_nfs_transport_sends_total', 'Number of RPC requests for this mount sent to the NFS server.', 'counter', (t) => Number(t.sends)],
  [
    'node_mountstats_nfs_transport_receives_total',
    'Number of RPC responses for this mount received from the NFS server.',
    'counter',
    (t) => Number(t.receives),
  ],
  [
    'node_mountstats_nfs_transport_bad_transaction_ids_total',
    'Number of times the NFS server sent a response with a transaction ID unknown to this client.',
    'counter',
    (t) => Number(t.badTransactionIds),
  ],
  ['node_mountstats_nfs_transport_backlog_queue_total', 'Total number of items added to the RPC backlog queue.', 'counter', (t) => Number(t.cumulativeBacklog)],
  [
    'node_mountstats_nfs_transport_maximum_rpc_slots',
    'Maximum number of simultaneously active RPC requests ever used.',
    'gauge',
    (t) => Number(t.maximumRpcSlotsUsed),
  ],
  [
    'node_mountstats_nfs_transport_sending_queue_total',
    'Total number of items added to the RPC transmission sending queue.',
    'counter',
    (t) => Number(t.cumulativeSendingQueue),
  ],
  [
    'node_mountstats_nfs_transport_pending_queue_total',
    'Total number of items added to the RPC transmission pending queue.',
    'counter',
    (t) => Number(t.cumulativePendingQueue),
  ],
];

const OPERATIONS: Array<[...Family, (o: NfsMount['operations'][number]) => number]> = [
  ['node_mountstats_nfs_operations_requests_total', 'Number of requests performed for a given operation.', 'counter', (o) => Number(o.requests)],
  [
    'node_mountstats_nfs_operations_transmissions_total',
    'Number of times an actual RPC request has been transmitted for a given operation.',
    'counter',
    (o) => Number(o.transmissions),
  ],
  [
    'node_mountstats_nfs_operations_major_timeouts_total',
    'Number of times a request has had a major timeout for a given operation.',
    'counter',
    (o) => Number(o.majorTimeouts),
  ],
  [
    'node_mountstats_nfs_operations_sent_bytes_total',
    'Number of bytes sent for a given operation, including RPC headers and payload.',
    'counter',
    (o) => Number(o.bytesSent),
  ],
  [
    'node_mountstats_nfs_operations_received_bytes_total',
    'Number of bytes received for a given operation, including RPC headers and payload.',
    'counter',
    (o) => Number(o.bytesReceived),
  ],
  [
    'node_mountstats_nfs_operations_queue_time_seconds_total',
    'Duration all requests spent queued for transmission for a given operation before they were sent, in seconds.',
    'counter',
    (o) => modMantissa(o.queueMilliseconds) / 1000,
  ],
  [
    'node_mountstats_nfs_operations_response_time_seconds_total',
    'Duration all requests took to get a reply back after a request for a given operation was transmitted, in seconds.',
    'counter',
    (o) => modMantissa(o.responseMilliseconds) / 1000,
  ],
  [
    'node_mountstats_nfs_operations_request_time_seconds_total',
    'Duration all requests took from when a request was enqueued to when it was completely handled for a given operation, in seconds.',
    'counter',
    (o) => modMantissa(o.requestMilliseconds) / 1000,
  ],
];

function unitOf(name: string): string | undefined {
  if (/_seconds(_total)?$/.test(name)) return 'seconds';
  if (/_bytes(_total)?$/.test(name)) return 'bytes';
  return undefined;
}

export default defineCollector({
  name: 'mountstats',
  description: 'NFS client statistics per mount from /proc/self/mountstats (node_mountstats_nfs_*)',
  enabledByDefault: false,
  group: 'host',
  collect(ctx) {
    const text = readOptionalPseudoFile(ctx.paths.procfs, 'self/mountstats');
    if (text === undefined) return [];
    const parsed = parseMountstats(text);
    for (const problem of parsed.skipped) ctx.skip('malformed', problem);
    // mountinfo lists the same mounts in the same order: the server address is its `addr=` option.
    const addresses = mountinfoAddresses(readOptionalPseudoFile(ctx.paths.procfs, 'self/mountinfo') ?? '');

    const samples = new Map<string, Sample[]>();
    const add = (name: string, labels: Labels, value: number) => {
      let list = samples.get(name);
      if (!list) samples.set(name, (list = []));
      list.push({ labels, value });
    };
    const infos = new Set<string>();
    const devices = new Set<string>();
    for (const m of parsed.nfs) {
      const mountaddr = addresses[m.index] ?? '';
      for (const t of m.transports) {
        const base = { export: m.device, protocol: t.protocol, mountaddr };
        const key = JSON.stringify(base);
        const infoKey = JSON.stringify([base, m.mountPoint]);
        if (!infos.has(infoKey)) {
          infos.add(infoKey);
          add('node_mountstats_nfs_mountpoint_info', { ...base, mountpoint: m.mountPoint }, 1);
        }
        // The same export over the same protocol from the same server is one set of series: the
        // kernel shares the superblock, so a second mount of it repeats the first one's counters.
        if (devices.has(key)) break;
        devices.add(key);
        add('node_mountstats_nfs_age_seconds_total', base, Number(m.ageSeconds));
        BYTES.forEach(([name], i) => add(name, base, Number(m.bytes[i])));
        m.transports.forEach((tr, i) => {
          for (const [name, , , value] of TRANSPORT) add(name, { ...base, transport: String(i) }, value(tr));
        });
        for (const op of m.operations) for (const [name, , , value] of OPERATIONS) add(name, { ...base, operation: op.name }, value(op));
        for (const [index, event] of EVENTS) add(`node_mountstats_nfs_event_${event}_total`, base, Number(m.events[index]));
      }
    }

    const all: Family[] = [
      ['node_mountstats_nfs_age_seconds_total', 'The age of the NFS mount in seconds.', 'counter'],
      ['node_mountstats_nfs_mountpoint_info', 'Info metric for an NFS mountpoint.', 'gauge'],
      ...BYTES,
      ...TRANSPORT.map(([n, h, t]): Family => [n, h, t]),
      ...OPERATIONS.map(([n, h, t]): Family => [n, h, t]),
      ...EVENTS.map(([, e, h]): Family => [`node_mountstats_nfs_event_${e}_total`, h, 'counter']),
    ];
    const families: MetricFamily[] = [];
    for (const [name, help, type] of all) {
      const list = samples.get(name);
      if (list) families.push(type === 'counter' ? counter(name, help, list, unitOf(name)) : gauge(name, help, list, unitOf(name)));
    }
    return families;
  },
});
