import { counter, defineCollector } from '../../src/collector.js';
import { readOptionalPseudoFile } from '../../src/fs/procfs.js';

export default defineCollector({
  name: 'kernel_hung',
  description: 'Tasks detected as hung since boot, from /proc/sys/kernel/hung_task_detect_count',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    // Absent on kernels before 6.12 or without CONFIG_DETECT_HUNG_TASK: no data.
    const text = readOptionalPseudoFile(ctx.paths.procfs, 'sys/kernel/hung_task_detect_count')?.trim();
    if (text === undefined) return [];
    if (!/^\d+$/.test(text)) {
      ctx.skip('garbled file', `/proc/sys/kernel/hung_task_detect_count: not a number: ${JSON.stringify(text.slice(0, 40))}`);
      return [];
    }
    return [
      counter('node_kernel_hung_tasks_total', 'Total number of tasks that have been detected as hung since the system booted.', [{ value: Number(text) }]),
    ];
  },
});
