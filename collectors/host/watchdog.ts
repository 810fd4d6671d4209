import { defineCollector, gauge, type MetricFamily, type Sample } from '../../src/collector.js';
import { parseGoInt64 } from '../../src/parsers/sysfs-class.js';
import { attributeText, listClass, malformed } from '../../src/fs/sysfs-attribute.js';

/** Numeric attributes of class/watchdog/<name>: file → metric. */
const NUMERIC: Array<[file: string, metric: string]> = [
  ['bootstatus', 'node_watchdog_bootstatus'],
  ['fw_version', 'node_watchdog_fw_version'],
  ['nowayout', 'node_watchdog_nowayout'],
  ['timeleft', 'node_watchdog_timeleft_seconds'],
  ['timeout', 'node_watchdog_timeout_seconds'],
  ['pretimeout', 'node_watchdog_pretimeout_seconds'],
  ['access_cs0', 'node_watchdog_access_cs0'],
];
const INFO = ['options', 'identity', 'state', 'status', 'pretimeout_governor'];

export default defineCollector({
  name: 'watchdog',
  description: 'Watchdog timer state from /sys/class/watchdog',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    const sysfs = ctx.paths.sysfs;
    const numeric: Sample[][] = NUMERIC.map(() => []);
    const info: Sample[] = [];
    for (const name of listClass(ctx, sysfs, 'watchdog')) {
      const base = `class/watchdog/${name}`;
      NUMERIC.forEach(([file], i) => {
        const text = attributeText(ctx, sysfs, `${base}/${file}`);
        if (text === undefined) return;
        const value = parseGoInt64(text);
        if (value === undefined) return void malformed(ctx, sysfs, `${base}/${file}`, text);
        numeric[i]!.push({ labels: { name }, value: Number(value) });
      });
      const labels: Record<string, string> = { name };
      for (const file of INFO) labels[file] = attributeText(ctx, sysfs, `${base}/${file}`) ?? '';
      info.push({ labels, value: 1 });
    }
    const families: MetricFamily[] = NUMERIC.map(([file, metric], i) =>
      gauge(metric, `Value of /sys/class/watchdog/<watchdog>/${file}`, numeric[i], metric.endsWith('_seconds') ? 'seconds' : undefined),
    );
    families.push(gauge('node_watchdog_info', 'Info of /sys/class/watchdog/<watchdog>', info));
    return families.filter((f) => f.samples.length > 0);
  },
});
