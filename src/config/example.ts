import yaml from 'js-yaml';
import type { CollectorDefinition } from '../collector.js';
import { configSchema, DEFAULTS } from './schema.js';

type Schema = { properties?: Record<string, Schema>; description?: string; default?: unknown };

const SECTIONS = ['web', 'paths', 'log', 'scheduler', 'self_metrics'] as const;
const COMMENT_COLUMN = 32;

/**
 * examples/spyglass.yml: every key of the config and of every collector, with its default and
 * meaning, from the schemas themselves (`npm run generate` writes it; a test keeps it current).
 * Options without a default are shown commented out.
 */
export function exampleConfig(definitions: readonly CollectorDefinition[]): string {
  const schema = configSchema(definitions) as Schema;
  const top = schema.properties ?? {};
  const lines = [
    '# spyglass configuration: every key, with its default. Generated from the schemas by',
    '# `npm run generate`; every key is optional (spyglass runs on these defaults with no file).',
    '# Flags and SPYGLASS_* environment variables win over the file (README "Configuration").',
  ];
  for (const section of SECTIONS) {
    lines.push(`${section}:`);
    const defaults = DEFAULTS[section] as Record<string, unknown>;
    for (const [key, s] of Object.entries(top[section]?.properties ?? {})) lines.push(entry(2, key, defaults[key], s.description));
  }
  lines.push(entry(0, 'collector_modules', DEFAULTS.collector_modules, top.collector_modules?.description));
  lines.push(
    withComment('collectors:', 'each also takes enabled, interval, timeout, phase_lock, sample_timestamps, max_series (see `spyglass collectors NAME`)'),
  );
  for (const d of [...definitions].sort((a, b) => a.name.localeCompare(b.name))) {
    lines.push(withComment(`  ${d.name}:`, d.description));
    lines.push(entry(4, 'enabled', d.enabledByDefault));
    if (d.defaultMaxSeries !== undefined) lines.push(entry(4, 'max_series', d.defaultMaxSeries));
    for (const [key, s] of Object.entries((d.options?.properties ?? {}) as Record<string, Schema>)) {
      lines.push(s.default === undefined ? withComment(`    # ${key}:`, s.description) : entry(4, key, s.default, s.description));
    }
  }
  return `${lines.join('\n')}\n`;
}

function entry(indent: number, key: string, value: unknown, description?: string): string {
  const rendered = yaml.dump(value, { flowLevel: 0, lineWidth: -1 }).trimEnd();
  return withComment(`${' '.repeat(indent)}${key}: ${rendered}`, description);
}

function withComment(line: string, description: string | undefined): string {
  if (!description) return line;
  return `${line.padEnd(Math.max(COMMENT_COLUMN, line.length + 1))}# ${description.replace(/\s+/g, ' ')}`;
}
