import { counter, defineCollector, gauge, type MetricFamily, type Sample } from '../../src/collector.js';
import { parseGoUint64, UINT64_MAX } from '../../src/parsers/sysfs-class.js';
import { attributeText, listClass, listDir, malformed, readAttribute } from '../../src/fs/sysfs-attribute.js';

/** fc_host/<host>/statistics/<file> → node_fibrechannel_<metric>. */
const COUNTERS: Array<[file: string, metric: string, help: string]> = [
  ['dumped_frames', 'dumped_frames_total', 'Number of dumped frames'],
  ['error_frames', 'error_frames_total', 'Number of errors in frames'],
  ['invalid_crc_count', 'invalid_crc_total', 'Invalid Cyclic Redundancy Check count'],
  ['rx_frames', 'rx_frames_total', 'Number of frames received'],
  ['rx_words', 'rx_words_total', 'Number of words received by host port'],
  ['tx_frames', 'tx_frames_total', 'Number of frames transmitted by host port'],
  ['tx_words', 'tx_words_total', 'Number of words transmitted by host port'],
  ['seconds_since_last_reset', 'seconds_since_last_reset_total', 'Number of seconds since last host port reset'],
  ['invalid_tx_word_count', 'invalid_tx_words_total', 'Number of invalid words transmitted by host port'],
  ['link_failure_count', 'link_failure_total', 'Number of times the host port link has failed'],
  ['loss_of_sync_count', 'loss_of_sync_total', 'Number of failures on either bit or transmission word boundaries'],
  ['loss_of_signal_count', 'loss_of_signal_total', 'Number of times signal has been lost'],
  ['nos_count', 'nos_total', 'Number Not_Operational Primitive Sequence received by host port'],
  ['fcp_packet_aborts', 'fcp_packet_aborts_total', 'Number of aborted packets'],
];

/** Info labels and their files; the WWN-like ones drop their `0x`. */
const INFO: Array<[label: string, file: string, dropHexPrefix?: boolean]> = [
  ['speed', 'speed'],
  ['port_state', 'port_state'],
  ['port_type', 'port_type'],
  ['port_id', 'port_id', true],
  ['port_name', 'port_name', true],
  ['fabric_name', 'fabric_name', true],
  ['symbolic_name', 'symbolic_name'],
  ['supported_classes', 'supported_classes'],
  ['supported_speeds', 'supported_speeds'],
  ['dev_loss_tmo', 'dev_loss_tmo'],
];

export default defineCollector({
  name: 'fibrechannel',
  description: 'Fibre Channel host port info and counters from /sys/class/fc_host',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    const sysfs = ctx.paths.sysfs;
    const info: Sample[] = [];
    const counters: Sample[][] = COUNTERS.map(() => []);
    for (const host of listClass(ctx, sysfs, 'fc_host')) {
      const base = `class/fc_host/${host}`;
      const labels: Record<string, string> = { fc_host: host };
      let state: string | undefined;
      for (const [label, file, dropHexPrefix] of INFO) {
        const value = attributeText(ctx, sysfs, `${base}/${file}`);
        if (label === 'port_state') state = value;
        // The kernel prints these as 0x…; node_exporter drops the first two characters.
        labels[label] = value === undefined ? '' : dropHexPrefix && value.length > 2 ? value.slice(2) : value;
      }
      info.push({ labels, value: 1 });
      if (state === undefined || state === 'Unknown') {
        // A disabled port has no statistics: node_exporter reports every counter as 0.
        for (const list of counters) list.push({ labels: { fc_host: host }, value: 0 });
        continue;
      }
      const files = listDir(ctx, sysfs, `${base}/statistics`, true);
      if (!files) continue;
      const present = new Set(files);
      COUNTERS.forEach(([file], i) => {
        if (!present.has(file)) return;
        const relative = `${base}/statistics/${file}`;
        const a = readAttribute(sysfs, relative);
        if (a.kind === 'absent') return;
        if (a.kind === 'failed') return void ctx.skip(a.reason, a.detail);
        const value = parseGoUint64(a.text);
        if (value === undefined) return void malformed(ctx, sysfs, relative, a.text);
        if (value === UINT64_MAX) return; // all ones: the HBA's firmware does not implement it
        counters[i]!.push({ labels: { fc_host: host }, value: Number(value) });
      });
    }
    const families: MetricFamily[] = [gauge('node_fibrechannel_info', 'Non-numeric data from /sys/class/fc_host/<host>, value is always 1.', info)];
    COUNTERS.forEach(([, metric, help], i) => families.push(counter(`node_fibrechannel_${metric}`, help, counters[i])));
    return families.filter((f) => f.samples.length > 0);
  },
});
