import { counter, defineCollector, gauge, type CollectContext, type MetricFamily, type Sample } from '../../src/collector.js';
import { parseDecimalUint64, parseGoUint64, parseInfiniBandRate, parseInfiniBandState, wrapUint64 } from '../../src/parsers/sysfs-class.js';
import { DEVICE_FILTER_OPTIONS, deviceFilter, type DeviceFilterOptions } from './device-filter.js';
import { attributeText, listClass, listDir, malformed, readAttribute } from '../../src/fs/sysfs-attribute.js';

/** Files of ports/<n>/counters (and counters_ext, the pre-4.5 64-bit ones): file → metric, × 4 for data words. */
const COUNTERS: Array<[file: string, metric: string, help: string, times4?: boolean]> = [
  [
    'excessive_buffer_overrun_errors',
    'excessive_buffer_overrun_errors_total',
    'Number of times that OverrunErrors consecutive flow control update periods occurred, each having at least one overrun error.',
  ],
  ['link_downed', 'link_downed_total', 'Number of times the link failed to recover from an error state and went down'],
  ['link_error_recovery', 'link_error_recovery_total', 'Number of times the link successfully recovered from an error state'],
  [
    'local_link_integrity_errors',
    'local_link_integrity_errors_total',
    'Number of times that the count of local physical errors exceeded the threshold specified by LocalPhyErrors.',
  ],
  ['multicast_rcv_packets', 'multicast_packets_received_total', 'Number of multicast packets received (including errors)'],
  ['multicast_xmit_packets', 'multicast_packets_transmitted_total', 'Number of multicast packets transmitted (including errors)'],
  ['port_rcv_constraint_errors', 'port_constraint_errors_received_total', 'Number of packets received on the switch physical port that are discarded'],
  ['port_xmit_constraint_errors', 'port_constraint_errors_transmitted_total', 'Number of packets not transmitted from the switch physical port'],
  ['port_rcv_data', 'port_data_received_bytes_total', 'Number of data octets received on all links', true],
  ['port_xmit_data', 'port_data_transmitted_bytes_total', 'Number of data octets transmitted on all links', true],
  ['port_rcv_discards', 'port_discards_received_total', 'Number of inbound packets discarded by the port because the port is down or congested'],
  ['port_xmit_discards', 'port_discards_transmitted_total', 'Number of outbound packets discarded by the port because the port is down or congested'],
  ['port_rcv_errors', 'port_errors_received_total', 'Number of packets containing an error that were received on this port'],
  ['port_rcv_packets', 'port_packets_received_total', 'Number of packets received on all VLs by this port (including errors)'],
  ['port_xmit_packets', 'port_packets_transmitted_total', 'Number of packets transmitted on all VLs from this port (including errors)'],
  ['port_xmit_wait', 'port_transmit_wait_total', 'Number of ticks during which the port had data to transmit but no data was sent during the entire tick'],
  ['unicast_rcv_packets', 'unicast_packets_received_total', 'Number of unicast packets received (including errors)'],
  ['unicast_xmit_packets', 'unicast_packets_transmitted_total', 'Number of unicast packets transmitted (including errors)'],
  [
    'port_rcv_remote_physical_errors',
    'port_receive_remote_physical_errors_total',
    'Number of packets marked with the EBP (End of Bad Packet) delimiter received on the port.',
  ],
  ['port_rcv_switch_relay_errors', 'port_receive_switch_relay_errors_total', 'Number of packets that could not be forwarded by the switch.'],
  ['symbol_error', 'symbol_error_total', 'Number of minor link errors detected on one or more physical lanes.'],
  ['VL15_dropped', 'vl15_dropped_total', 'Number of incoming VL15 packets dropped due to resource limitations.'],
];

const COUNTERS_EXT: Array<[file: string, metric: string, help: string, times4?: boolean]> = [
  ['port_multicast_rcv_packets', 'legacy_multicast_packets_received_total', 'Number of multicast packets received'],
  ['port_multicast_xmit_packets', 'legacy_multicast_packets_transmitted_total', 'Number of multicast packets transmitted'],
  ['port_rcv_data_64', 'legacy_data_received_bytes_total', 'Number of data octets received on all links', true],
  ['port_rcv_packets_64', 'legacy_packets_received_total', 'Number of data packets received on all links'],
  ['port_unicast_rcv_packets', 'legacy_unicast_packets_received_total', 'Number of unicast packets received'],
  ['port_unicast_xmit_packets', 'legacy_unicast_packets_transmitted_total', 'Number of unicast packets transmitted'],
  ['port_xmit_data_64', 'legacy_data_transmitted_bytes_total', 'Number of data octets transmitted on all links', true],
  ['port_xmit_packets_64', 'legacy_packets_transmitted_total', 'Number of data packets transmitted on all links'],
];

/** Files of ports/<n>/hw_counters (mlx5 and other RDMA drivers). */
const HW_COUNTERS: Array<[file: string, metric: string, help: string]> = [
  ['duplicate_request', 'duplicate_requests_packets_total', 'Number of received duplicate requests (a request that had been previously executed).'],
  [
    'implied_nak_seq_err',
    'implied_nak_seq_errors_total',
    'Number of times the requester decided an ACK with a PSN larger than the expected PSN for an RDMA read or response.',
  ],
  ['local_ack_timeout_err', 'local_ack_timeout_errors_total', "Number of times a QP's ack timer expired at the sender side (still recoverable)."],
  ['np_cnp_sent', 'np_cnp_packets_sent_total', 'Number of CNP packets sent by the Notification Point on congestion seen in the RoCEv2 IP header (ECN bits).'],
  [
    'np_ecn_marked_roce_packets',
    'np_ecn_marked_roce_packets_received_total',
    'Number of RoCEv2 packets received by the notification point marked as having experienced congestion.',
  ],
  ['out_of_buffer', 'out_of_buffer_drops_total', 'Number of drops for lack of WQE for the associated QPs.'],
  ['out_of_sequence', 'out_of_sequence_packets_received_total', 'Number of out of sequence packets received.'],
  ['packet_seq_err', 'packet_sequence_errors_total', 'Number of received NAK sequence error packets (QP retry limit not exceeded).'],
  ['req_cqe_error', 'req_cqes_errors_total', 'Number of times the requester detected CQEs completed with errors.'],
  ['req_cqe_flush_error', 'req_cqes_flush_errors_total', 'Number of times the requester detected CQEs completed with flushed errors.'],
  ['req_remote_access_errors', 'req_remote_access_errors_total', 'Number of times the requester detected remote access errors.'],
  ['req_remote_invalid_request', 'req_remote_invalid_request_errors_total', 'Number of times the requester detected remote invalid request errors.'],
  ['resp_cqe_error', 'resp_cqes_errors_total', 'Number of times the responder detected CQEs completed with errors.'],
  ['resp_cqe_flush_error', 'resp_cqes_flush_errors_total', 'Number of times the responder detected CQEs completed with flushed errors.'],
  ['resp_local_length_error', 'resp_local_length_errors_total', 'Number of times the responder detected local length errors.'],
  ['resp_remote_access_errors', 'resp_remote_access_errors_total', 'Number of times the responder detected remote access errors.'],
  ['rnr_nak_retry_err', 'rnr_nak_retry_packets_received_total', 'Number of received RNR NAK packets (QP retry limit not exceeded).'],
  ['roce_adp_retrans', 'roce_adp_retransmits_total', 'Number of adaptive retransmissions for RoCE traffic.'],
  ['roce_adp_retrans_to', 'roce_adp_retransmits_timeout_total', 'Number of times RoCE traffic reached timeout due to adaptive retransmission.'],
  ['roce_slow_restart', 'roce_slow_restart_used_total', 'Number of times RoCE slow restart was used.'],
  ['roce_slow_restart_cnps', 'roce_slow_restart_cnps_total', 'Number of times RoCE slow restart generated CNP packets.'],
  ['roce_slow_restart_trans', 'roce_slow_restart_total', 'Number of times RoCE slow restart changed state to slow restart.'],
  ['rp_cnp_handled', 'rp_cnp_packets_handled_total', 'Number of CNP packets handled by the Reaction Point HCA to throttle the transmission rate.'],
  ['rp_cnp_ignored', 'rp_cnp_ignored_packets_received_total', 'Number of CNP packets received and ignored by the Reaction Point HCA.'],
  ['rx_atomic_requests', 'rx_atomic_requests_total', 'Number of received ATOMIC requests for the associated QPs.'],
  ['rx_dct_connect', 'rx_dct_connect_requests_total', 'Number of received connection requests for the associated DCTs.'],
  ['rx_read_requests', 'rx_read_requests_total', 'Number of received READ requests for the associated QPs.'],
  ['rx_write_requests', 'rx_write_requests_total', 'Number of received WRITE requests for the associated QPs.'],
  ['rx_icrc_encapsulated', 'rx_icrc_encapsulated_errors_total', 'Number of RoCE packets with ICRC errors.'],
];

const CLASS = 'class/infiniband';

type Series = Map<string, Sample[]>;

function push(series: Series, metric: string, labels: Record<string, string>, value: number): void {
  let list = series.get(metric);
  if (!list) series.set(metric, (list = []));
  list.push({ labels, value });
}

/**
 * One counters directory: each known file whose value parses. A counter the port has no PMA for
 * (`N/A (no PMA)`, iWARP) is left out silently, as node_exporter does; other garbage is counted.
 */
function readCounters(
  ctx: Pick<CollectContext, 'skip' | 'paths'>,
  dir: string,
  table: ReadonlyArray<readonly [string, string, string, boolean?]>,
  labels: Record<string, string>,
  series: Series,
  onValue?: (file: string, value: bigint) => boolean,
): void {
  const files = listDir(ctx, ctx.paths.sysfs, dir, true);
  if (!files) return;
  const present = new Set(files);
  for (const [file, metric, , times4] of table) {
    if (!present.has(file)) continue;
    const relative = `${dir}/${file}`;
    const a = readAttribute(ctx.paths.sysfs, relative);
    if (a.kind === 'absent') continue;
    if (a.kind === 'failed') {
      ctx.skip(a.reason, a.detail);
      continue;
    }
    const raw = parseGoUint64(a.text);
    if (raw === undefined) {
      if (!a.text.includes('N/A (no PMA)')) malformed(ctx, ctx.paths.sysfs, relative, a.text);
      continue;
    }
    if (onValue?.(file, raw)) continue;
    push(series, metric, labels, Number(times4 ? wrapUint64(raw * 4n) : raw));
  }
}

export default defineCollector<DeviceFilterOptions>({
  name: 'infiniband',
  description: 'InfiniBand and RDMA port state, rate and counters from /sys/class/infiniband',
  enabledByDefault: true,
  group: 'host',
  options: { type: 'object', properties: { ...DEVICE_FILTER_OPTIONS } },
  collect(ctx) {
    const accept = deviceFilter(ctx.config, '');
    const sysfs = ctx.paths.sysfs;
    const info: Sample[] = [];
    const series: Series = new Map();
    for (const device of listClass(ctx, sysfs, 'infiniband')) {
      if (!accept(device)) continue;
      const base = `${CLASS}/${device}`;
      // fw_ver is there for every driver since Linux 4.10: without it, this is no HCA to report.
      const fw = readAttribute(sysfs, `${base}/fw_ver`);
      if (fw.kind !== 'value') {
        ctx.skip(fw.kind === 'failed' ? fw.reason : 'unreadable', fw.kind === 'failed' ? fw.detail : `${sysfs}/${base}/fw_ver: missing`);
        continue;
      }
      info.push({
        labels: {
          device,
          board_id: attributeText(ctx, sysfs, `${base}/board_id`) ?? '',
          firmware_version: fw.text,
          hca_type: attributeText(ctx, sysfs, `${base}/hca_type`) ?? '',
        },
        value: 1,
      });
      const ports = listDir(ctx, sysfs, `${base}/ports`);
      if (!ports) continue;
      const numbered = ports
        .map((p) => [p, parseDecimalUint64(p)] as const)
        .filter(([p, n]) => {
          if (n !== undefined && n <= 0xffffffffn) return true;
          ctx.skip('malformed', `${sysfs}/${base}/ports/${p}: not a port number`);
          return false;
        })
        .sort((a, b) => Number(a[1]! - b[1]!));
      for (const [dir, n] of numbered) {
        const portBase = `${base}/ports/${dir}`;
        const labels = { device, port: String(n) };
        const text = (file: string) => {
          const a = readAttribute(sysfs, `${portBase}/${file}`);
          if (a.kind === 'value') return a.text;
          ctx.skip(a.kind === 'failed' ? a.reason : 'unreadable', a.kind === 'failed' ? a.detail : `${sysfs}/${portBase}/${file}: missing`);
          return undefined;
        };
        const stateText = text('state');
        const physText = stateText === undefined ? undefined : text('phys_state');
        const rateText = physText === undefined ? undefined : text('rate');
        if (stateText === undefined || physText === undefined || rateText === undefined) continue;
        const state = parseInfiniBandState(stateText);
        const phys = parseInfiniBandState(physText);
        const rate = parseInfiniBandRate(rateText);
        if (!state) malformed(ctx, sysfs, `${portBase}/state`, stateText);
        else if (!phys) malformed(ctx, sysfs, `${portBase}/phys_state`, physText);
        else if (rate === undefined) malformed(ctx, sysfs, `${portBase}/rate`, rateText);
        if (!state || !phys || rate === undefined) continue;
        push(series, 'state_id', labels, state.id);
        push(series, 'physical_state_id', labels, phys.id);
        push(series, 'rate_bytes_per_second', labels, rate);
        readCounters(ctx, `${portBase}/counters`, COUNTERS, labels, series);
        readCounters(ctx, `${portBase}/counters_ext`, COUNTERS_EXT, labels, series);
        readCounters(ctx, `${portBase}/hw_counters`, [['lifespan', 'lifespan', ''], ...HW_COUNTERS], labels, series, (file, value) => {
          if (file !== 'lifespan') return false;
          push(series, 'lifespan_seconds', labels, Number(value / 1000n)); // milliseconds, whole seconds as node_exporter
          return true;
        });
      }
    }
    const families: MetricFamily[] = [gauge('node_infiniband_info', 'Non-numeric data from /sys/class/infiniband/<device>, value is always 1.', info)];
    const of = (metric: string) => series.get(metric) ?? [];
    families.push(
      gauge('node_infiniband_state_id', 'State of the InfiniBand port (0: no change, 1: down, 2: init, 3: armed, 4: active, 5: act defer)', of('state_id')),
      gauge(
        'node_infiniband_physical_state_id',
        'Physical state of the InfiniBand port (0: no change, 1: sleep, 2: polling, 3: disable, 4: shift, 5: link up, 6: link error recover, 7: phytest)',
        of('physical_state_id'),
      ),
      gauge('node_infiniband_rate_bytes_per_second', 'Maximum signal transfer rate', of('rate_bytes_per_second')),
      gauge(
        'node_infiniband_lifespan_seconds',
        'The maximum period which defines the aging of the counter reads: two consecutive reads within it might return the same values.',
        of('lifespan_seconds'),
        'seconds',
      ),
    );
    for (const [, metric, help] of [...COUNTERS, ...COUNTERS_EXT, ...HW_COUNTERS]) families.push(counter(`node_infiniband_${metric}`, help, of(metric)));
    return families.filter((f) => f.samples.length > 0);
  },
});
