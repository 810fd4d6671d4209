import { counter, defineCollector, type Sample } from '../../src/collector.js';
import { readPseudoFile } from '../../src/fs/procfs.js';
import { parseInterrupts } from '../../src/parsers/proc-interrupts.js';

interface InterruptsOptions {
  name_include?: string;
  name_exclude?: string;
  include_zeros: boolean;
}

export default defineCollector<InterruptsOptions>({
  name: 'interrupts',
  description: 'Interrupts per CPU and IRQ from /proc/interrupts',
  enabledByDefault: false,
  group: 'host',
  options: {
    type: 'object',
    properties: {
      name_include: { type: 'string', format: 'regex', description: 'Regexp of interrupts to include, matched against "NAME;INFO;DEVICES"' },
      name_exclude: { type: 'string', format: 'regex', description: 'Regexp of interrupts to exclude, matched against "NAME;INFO;DEVICES"' },
      include_zeros: { type: 'boolean', default: true, description: 'Include interrupts whose count is zero' },
    },
  },
  collect(ctx) {
    const include = ctx.config.name_include ? new RegExp(ctx.config.name_include) : undefined;
    const exclude = ctx.config.name_exclude ? new RegExp(ctx.config.name_exclude) : undefined;
    const parsed = parseInterrupts(readPseudoFile(ctx.paths.procfs, 'interrupts'));
    if (!parsed.ok) throw new Error(parsed.error);
    const { cpus, interrupts, skipped } = parsed.value;
    for (const s of skipped) ctx.skip(s.reason, s.detail);
    const samples: Sample[] = [];
    for (const { type, info, devices, counts } of interrupts) {
      const name = `${type};${info};${devices}`;
      if (exclude?.test(name) || (include && !include.test(name))) continue;
      counts.forEach((value, i) => {
        if (value !== 0 || ctx.config.include_zeros) samples.push({ labels: { cpu: cpus[i] as string, type, info, devices }, value });
      });
    }
    return [counter('node_interrupts_total', 'Interrupt details.', samples)];
  },
});
