import { counter, defineCollector, gauge, type MetricFamily, type Sample } from '../../src/collector.js';
import { readOptionalDir, readPseudoFile } from '../../src/fs/procfs.js';
import { parseNodeMeminfo, parseNumastat, type NodeFile } from '../../src/parsers/sysfs-node-meminfo.js';

const NODES = 'devices/system/node';

export default defineCollector({
  name: 'meminfo_numa',
  description: 'Memory statistics per NUMA node from /sys/devices/system/node/node*/{meminfo,numastat} (node_memory_numa_*)',
  enabledByDefault: false,
  group: 'host',
  collect(ctx) {
    const nodes = readOptionalDir(ctx.paths.sysfs, NODES)
      .filter((d) => /^node\d+$/.test(d))
      .sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
    const gauges = new Map<string, Sample[]>();
    const counters = new Map<string, Sample[]>();
    const read = (relative: string, parse: (text: string, file: string) => NodeFile): NodeFile | undefined => {
      try {
        return parse(readPseudoFile(ctx.paths.sysfs, relative), `/sys/${relative}`);
      } catch (err) {
        ctx.skip('unreadable', `${relative}: ${(err as Error).message}`);
        return undefined;
      }
    };
    let readable = 0;
    for (const dir of nodes) {
      const meminfo = read(`${NODES}/${dir}/meminfo`, parseNodeMeminfo);
      const numastat = read(`${NODES}/${dir}/numastat`, (text, file) => parseNumastat(text, file, dir.slice(4)));
      for (const [parsed, into, suffix] of [
        [meminfo, gauges, ''],
        [numastat, counters, '_total'],
      ] as const) {
        if (!parsed) continue;
        readable++;
        for (const problem of parsed.skipped) ctx.skip('malformed', problem);
        for (const f of parsed.fields) {
          const name = `node_memory_numa_${f.name}${suffix}`;
          let list = into.get(name);
          if (!list) into.set(name, (list = []));
          // Two lines of another node's number in one file would repeat a series: the first stands.
          if (list.some((s) => s.labels?.node === f.node)) ctx.skip('malformed', `${dir}: ${f.name} of node ${f.node} appears a second time`);
          else list.push({ labels: { node: f.node }, value: f.value });
        }
      }
    }
    if (nodes.length && !readable) throw new Error(`no meminfo or numastat readable under ${ctx.paths.sysfs}/${NODES}`);
    const families: MetricFamily[] = [];
    for (const [name, samples] of gauges) families.push(gauge(name, `Memory information field ${name.slice('node_memory_numa_'.length)}.`, samples));
    for (const [name, samples] of counters) families.push(counter(name, `Memory information field ${name.slice('node_memory_numa_'.length)}.`, samples));
    return families;
  },
});
