import { defineCollector, gauge, type MetricFamily, type Sample } from '../../src/collector.js';
import { parseDecimalUint64 } from '../../src/parsers/sysfs-class.js';
import { attributeText, listClass, listDir, malformed, readAttribute } from '../../src/fs/sysfs-attribute.js';

/** Namespace block devices under a controller: nvme0n1 (nvme<ctrl>n<nsid>). */
const NAMESPACE = /nvme\d+n(\d+)/;

export default defineCollector({
  name: 'nvme',
  description: 'NVMe controller info and namespace sizes from /sys/class/nvme',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    const sysfs = ctx.paths.sysfs;
    const info: Sample[] = [];
    const nsInfo: Sample[] = [];
    const capacity: Sample[] = [];
    const size: Sample[] = [];
    const used: Sample[] = [];
    const blockSize: Sample[] = [];
    for (const device of listClass(ctx, sysfs, 'nvme')) {
      const base = `class/nvme/${device}`;
      const text = (file: string) => attributeText(ctx, sysfs, `${base}/${file}`) ?? '';
      info.push({
        labels: { device, firmware_revision: text('firmware_rev'), model: text('model'), serial: text('serial'), state: text('state'), cntlid: text('cntlid') },
        value: 1,
      });
      for (const entry of listDir(ctx, sysfs, base) ?? []) {
        const nsid = NAMESPACE.exec(entry)?.[1];
        if (nsid === undefined) continue;
        const nsBase = `${base}/${entry}`;
        // node_exporter multiplies `size` and `nuse` by the logical block size (see README.md).
        const numbers: bigint[] = [];
        for (const file of ['nuse', 'size', 'queue/logical_block_size']) {
          const a = readAttribute(sysfs, `${nsBase}/${file}`);
          if (a.kind === 'failed') ctx.skip(a.reason, a.detail);
          else if (a.kind === 'absent') ctx.skip('unreadable', `${sysfs}/${nsBase}/${file}: missing`);
          const parsed = a.kind === 'value' ? parseDecimalUint64(a.text) : undefined;
          if (a.kind === 'value' && parsed === undefined) malformed(ctx, sysfs, `${nsBase}/${file}`, a.text);
          if (parsed === undefined) break;
          numbers.push(parsed);
        }
        if (numbers.length < 3) continue;
        const [nuse, blocks, lbs] = numbers as [bigint, bigint, bigint];
        const labels = { device, nsid };
        nsInfo.push({ labels: { ...labels, ana_state: attributeText(ctx, sysfs, `${nsBase}/ana_state`) ?? 'unknown' }, value: 1 });
        capacity.push({ labels, value: Number(BigInt.asUintN(64, blocks * lbs)) });
        size.push({ labels, value: Number(BigInt.asUintN(64, blocks * lbs)) });
        used.push({ labels, value: Number(BigInt.asUintN(64, nuse * lbs)) });
        blockSize.push({ labels, value: Number(lbs) });
      }
    }
    const families: MetricFamily[] = [
      gauge('node_nvme_info', 'Non-numeric data from /sys/class/nvme/<device>, value is always 1.', info),
      gauge('node_nvme_namespace_info', 'Information about NVMe namespaces. Value is always 1', nsInfo),
      gauge('node_nvme_namespace_capacity_bytes', 'Capacity of the NVMe namespace in bytes: namespace size × logical block size', capacity, 'bytes'),
      gauge(
        'node_nvme_namespace_size_bytes',
        'Size of the NVMe namespace in bytes: /sys/class/nvme/<device>/<namespace>/size × logical block size',
        size,
        'bytes',
      ),
      gauge(
        'node_nvme_namespace_used_bytes',
        'Used space of the NVMe namespace in bytes: /sys/class/nvme/<device>/<namespace>/nuse × logical block size',
        used,
        'bytes',
      ),
      gauge('node_nvme_namespace_logical_block_size_bytes', 'Logical block size of the NVMe namespace in bytes (queue/logical_block_size)', blockSize, 'bytes'),
    ];
    return families.filter((f) => f.samples.length > 0);
  },
});
