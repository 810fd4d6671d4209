import type { CollectorSettings, Config } from './config/load.js';
import { closestName } from './config/suggest.js';
import { createLogger, type Logger } from './log.js';
import { formatValue } from './metrics/escape.js';
import type { MetricFamily } from './metrics/model.js';
import { OPENMETRICS_EOF, renderFamilies } from './metrics/render.js';
import { runCollector, type RunOutcome } from './scheduler/run.js';

export const DUMP_FORMATS = ['prometheus', 'openmetrics', 'json', 'table'] as const;
export type DumpFormat = (typeof DUMP_FORMATS)[number];

export interface DumpResult {
  output: string;
  failures: Array<{ collector: string; reason: string }>;
}

/** Runs the chosen collectors once, in parallel, each under its deadline. */
export async function dump(config: Config, names: readonly string[], format: DumpFormat): Promise<DumpResult | { error: string }> {
  const byName = new Map(config.collectors.map((c) => [c.definition.name, c]));
  const unknown = names.filter((n) => !byName.has(n));
  if (unknown.length) {
    const hints = unknown.map((n) => {
      const closest = closestName(n, byName.keys());
      return closest ? `${n} (did you mean ${closest}?)` : n;
    });
    return { error: `unknown collector(s): ${hints.join(', ')}; see \`spyglass collectors\`` };
  }
  const chosen: CollectorSettings[] = names.length ? names.map((n) => byName.get(n) as CollectorSettings) : config.collectors.filter((c) => c.enabled);
  const logger = createLogger(config.log.level === 'info' ? 'warn' : config.log.level, config.log.format);
  const runAll = (settings: CollectorSettings[], servedElsewhere?: (family: string) => string | undefined) =>
    Promise.all(settings.map(async (s) => ({ name: s.definition.name, outcome: await runOnce(s, config, logger, servedElsewhere) })));
  // As in `serve`, a family the others serve is theirs: collectors that yield names run after them.
  const outcomes = await runAll(chosen.filter((s) => !s.definition.yieldsFamilyNames));
  const served = new Map(outcomes.flatMap((o) => (o.outcome.families ?? []).map((f) => [f.name, o.name] as const)));
  outcomes.push(
    ...(await runAll(
      chosen.filter((s) => s.definition.yieldsFamilyNames),
      (family) => served.get(family),
    )),
  );
  const failures = outcomes.filter((o) => o.outcome.result !== 'success').map((o) => ({ collector: o.name, reason: o.outcome.error ?? o.outcome.result }));
  return { output: formatDump(outcomes, format), failures };
}

async function runOnce(s: CollectorSettings, config: Config, logger: Logger, servedElsewhere?: (family: string) => string | undefined): Promise<RunOutcome> {
  const state: unknown = s.definition.initialState?.();
  try {
    return await runCollector({
      settings: s,
      paths: config.paths,
      logger: logger.child({ collector: s.definition.name }),
      state,
      once: true,
      ...(servedElsewhere ? { servedElsewhere } : {}),
    });
  } finally {
    s.definition.dispose?.(state);
  }
}

function formatDump(outcomes: Array<{ name: string; outcome: RunOutcome }>, format: DumpFormat): string {
  const families = outcomes.flatMap((o) => o.outcome.families ?? []);
  switch (format) {
    case 'prometheus':
    case 'openmetrics': {
      const text = renderFamilies(families, { format, timestamps: false, defaultTimestampMs: 0 });
      return format === 'openmetrics' ? text + OPENMETRICS_EOF : text;
    }
    case 'json':
      return `${JSON.stringify(
        outcomes.map(({ name, outcome }) => ({
          collector: name,
          result: outcome.result,
          duration_seconds: outcome.durationMs / 1000,
          ...(outcome.error ? { error: outcome.error } : {}),
          families: (outcome.families ?? []).map(jsonFamily),
        })),
        null,
        2,
      )}\n`;
    case 'table':
      return table(families);
  }
}

function jsonFamily(f: MetricFamily) {
  // JSON has no NaN/Inf: values become strings the way the exposition formats spell them.
  const value = (v: number) => (Number.isFinite(v) ? v : formatValue(v));
  if (f.type === 'histogram') {
    return { ...f, samples: f.samples.map((s) => ({ ...s, sum: value(s.sum), buckets: s.buckets.map(([le, c]) => [formatValue(le), c]) })) };
  }
  if (f.type === 'summary') {
    return { ...f, samples: f.samples.map((s) => ({ ...s, sum: value(s.sum), quantiles: s.quantiles.map(([q, v]) => [q, value(v)]) })) };
  }
  return { ...f, samples: f.samples.map((s) => ({ ...s, value: value(s.value) })) };
}

function table(families: readonly MetricFamily[]): string {
  const rows: string[][] = [['METRIC', 'LABELS', 'VALUE']];
  for (const f of [...families].sort((a, b) => a.name.localeCompare(b.name))) {
    for (const s of f.samples) {
      const labels = Object.entries(s.labels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      rows.push([f.name, labels, 'count' in s ? `count=${s.count} sum=${formatValue(s.sum)}` : formatValue(s.value)]);
    }
  }
  const widths = [0, 1].map((c) => Math.max(...rows.map((r) => (r[c] as string).length)));
  return (
    rows.map((r) => `${(r[0] as string).padEnd(widths[0] as number)}  ${(r[1] as string).padEnd(widths[1] as number)}  ${r[2]}`.trimEnd()).join('\n') + '\n'
  );
}
