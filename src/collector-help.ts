import type { CollectorSettings } from './config/load.js';

/** `spyglass collectors NAME`: what a collector does, how it is set now, and every option it takes. */
export function describeCollector(s: CollectorSettings): string {
  const d = s.definition;
  const lines = [
    `${d.name}: ${d.description}`,
    `  ${s.enabled ? 'enabled' : 'disabled'} (default ${d.enabledByDefault ? 'on' : 'off'}), schedule ${s.schedule.text}${s.maxSeries !== undefined ? `, max_series ${s.maxSeries}` : ''}`,
    '',
    'Options (collectors.NAME.OPTION in the config, --collector.NAME.OPTION=VALUE on the command line):',
  ];
  const rows: string[][] = [['option', 'type', 'default', 'meaning']];
  for (const [key, schema] of Object.entries(d.options?.properties ?? {})) {
    rows.push([key, typeOf(schema), 'default' in schema ? shortened(JSON.stringify(schema.default)) : '-', String(schema.description ?? '')]);
  }
  rows.push(
    ['enabled', 'boolean', String(d.enabledByDefault), 'run it (--collector.NAME / --no-collector.NAME)'],
    ['interval', 'duration or cron', 'scheduler.interval', 'pins the schedule (otherwise it follows the scrapers)'],
    ['timeout', 'duration', 'scheduler.timeout', 'deadline of a run'],
    ['phase_lock', 'boolean', 'scheduler.phase_lock', 'run just before the scrapes'],
    ['sample_timestamps', 'boolean', 'scheduler.sample_timestamps', 'expose the read time on counters and histograms'],
    ['max_series', 'integer', d.defaultMaxSeries !== undefined ? String(d.defaultMaxSeries) : 'unlimited', 'series beyond it are dropped and counted'],
  );
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  for (const r of rows)
    lines.push(
      `  ${r
        .slice(0, 3)
        .map((v, i) => v.padEnd(widths[i] as number))
        .join('  ')}  ${r[3]}`.trimEnd(),
    );
  return `${lines.join('\n')}\n`;
}

/** Long defaults (the probe's 20 buckets, netstat's field regexp) would make the table 200 columns wide. */
function shortened(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function typeOf(schema: Record<string, unknown>): string {
  if (typeof schema.type === 'string')
    return schema.type === 'array' && isObject(schema.items) && typeof schema.items.type === 'string' ? `list of ${schema.items.type}` : schema.type;
  if (Array.isArray(schema.anyOf)) return schema.anyOf.map((s) => (isObject(s) ? typeOf(s) : '?')).join(' or ');
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  return 'any';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
