import { counter, defineCollector, type Sample } from '../../src/collector.js';
import { readOptionalPseudoFile } from '../../src/fs/procfs.js';
import { DEVICE_FILTER_OPTIONS, deviceFilter, type DeviceFilterOptions } from './device-filter.js';
import { parseNetDev } from '../../src/parsers/proc-net-dev.js';
import { readSingleNumber } from './single-values.js';

export default defineCollector<DeviceFilterOptions>({
  name: 'netdev',
  description: 'Network interface counters from /proc/net/dev, rx_nohandler from sysfs (node_network_{receive,transmit}_*_total)',
  enabledByDefault: true,
  group: 'host',
  options: { type: 'object', properties: DEVICE_FILTER_OPTIONS },
  collect(ctx) {
    const accept = deviceFilter(ctx.config, ''); // current node_exporter: no default exclude, lo included
    // node_exporter asks rtnetlink, so a procfs without net/dev (node_exporter's own end-to-end
    // fixture) is no data for it; here too.
    const text = readOptionalPseudoFile(ctx.paths.procfs, 'net/dev');
    if (text === undefined) return [];
    const parsed = parseNetDev(text);
    if (!parsed.ok) throw new Error(parsed.error);
    const byStat = new Map<string, Sample[]>();
    const add = (stat: string, device: string, value: number) => {
      let samples = byStat.get(stat);
      if (!samples) byStat.set(stat, (samples = []));
      samples.push({ labels: { device }, value });
    };
    for (const { device, stats } of parsed.value) {
      if (!accept(device)) continue;
      for (const [stat, value] of stats) add(stat, device, value);
      // Packets dropped for want of a protocol handler: in rtnetlink's link stats (node_exporter's
      // source) and in sysfs, but not in /proc/net/dev.
      const noHandler = readSingleNumber(ctx.paths.sysfs, `class/net/${device}/statistics/rx_nohandler`);
      if (noHandler !== undefined) add('receive_nohandler', device, noHandler);
    }
    return [...byStat].map(([stat, samples]) =>
      counter(`node_network_${stat}_total`, `Network device statistic ${stat}.`, samples, stat.endsWith('_bytes') ? 'bytes' : undefined),
    );
  },
});
