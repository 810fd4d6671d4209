import { counter, defineCollector, type Sample } from '../../src/collector.js';
import { readPseudoFile } from '../../src/fs/procfs.js';
import { parseSoftirqs } from '../../src/parsers/proc-softirqs.js';

export default defineCollector({
  name: 'softirqs',
  description: 'Softirqs run per CPU and type from /proc/softirqs',
  enabledByDefault: false,
  group: 'host',
  collect(ctx) {
    const parsed = parseSoftirqs(readPseudoFile(ctx.paths.procfs, 'softirqs'));
    if (!parsed.ok) throw new Error(parsed.error);
    const { cpus, softirqs, skipped } = parsed.value;
    for (const s of skipped) ctx.skip(s.reason, s.detail);
    const samples: Sample[] = [];
    for (const { type, counts } of softirqs) counts.forEach((value, i) => samples.push({ labels: { cpu: cpus[i] as string, type }, value }));
    return [counter('node_softirqs_functions_total', 'Softirq counts per CPU.', samples)];
  },
});
