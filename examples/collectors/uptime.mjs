// An external collector: load it with `collector_modules: [./examples/collectors/uptime.mjs]`.
// It is the same contract the built-in collectors implement (see src/collector.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export default {
  name: 'uptime',
  description: 'Seconds since boot from /proc/uptime (example of an external collector)',
  enabledByDefault: true,
  options: {
    type: 'object',
    properties: { extra_labels: { type: 'object', additionalProperties: { type: 'string' }, default: {} } },
  },
  collect(ctx) {
    const text = readFileSync(join(ctx.paths.procfs, 'uptime'), 'utf8');
    const seconds = Number(text.split(' ')[0]);
    if (!Number.isFinite(seconds)) throw new Error(`${ctx.paths.procfs}/uptime: cannot parse ${JSON.stringify(text.slice(0, 40))}`);
    return [
      {
        name: 'example_uptime_seconds',
        help: 'Seconds since the system booted.',
        type: 'gauge',
        unit: 'seconds',
        samples: [{ labels: ctx.config.extra_labels, value: seconds }],
      },
    ];
  },
};
