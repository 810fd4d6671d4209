import type { Stats } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { readBounded } from '../../src/fs/bounded-read.js';
import { join, sep } from 'node:path';
import { defineCollector, gauge, type MetricFamily, type Sample } from '../../src/collector.js';
import { seriesCount, type HistogramSample, type Labels, type SummarySample } from '../../src/metrics/model.js';
import { cooperativeYielder } from '../../src/cooperative.js';
import { labelsKey, parseTextFormatInSlices, type ParsedText } from '../../src/metrics/parse-text.js';
import type { ParseResult } from '../../src/parsers/parse-result.js';
import { SELF_METRIC_PREFIXES } from '../../src/metrics/reserved-prefixes.js';
import { expandDirectoryGlob } from './glob.js';

const RESERVED = [...SELF_METRIC_PREFIXES, 'node_textfile_'];

interface Options {
  directory: string | string[];
  max_file_bytes: number;
}

/** A file's parse, kept while the file is unchanged: most textfiles change far less often than they are scraped. */
interface State {
  parses: Map<string, { identity: string; parsed: ParseResult<ParsedText> }>;
}

interface FileFamilies {
  path: string;
  families: MetricFamily[];
  withHelp: Set<string>;
}

/**
 * node_exporter's textfile collector: every `*.prom` regular file in the configured directories,
 * parsed strictly. A bad file is skipped (node_textfile_scrape_error 1) and the others still serve.
 */
export default defineCollector<Options, State>({
  name: 'textfile',
  description: 'Metrics from *.prom files in the configured directories (node_textfile_*)',
  enabledByDefault: true,
  group: 'host',
  yieldsFamilyNames: true,
  defaultMaxSeries: 100_000,
  initialState: () => ({ parses: new Map() }),
  options: {
    type: 'object',
    properties: {
      directory: {
        anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
        default: [],
        description: 'Directories to read *.prom files from; Go glob patterns allowed (--collector.textfile.directory, repeatable)',
      },
      max_file_bytes: { type: 'integer', minimum: 1, default: 16 * 1024 * 1024, description: 'Larger files are refused' },
    },
  },
  async collect(ctx) {
    const directories: string[] = [];
    for (const entry of ([] as string[]).concat(ctx.config.directory)) if (entry !== '') directories.push(...(await expandDirectoryGlob(entry)));
    let errored = false;
    const fail = (obj: object, msg: string) => {
      errored = true;
      ctx.logger.error(obj, msg);
    };
    const files: FileFamilies[] = [];
    const mtimes: Sample[] = [];
    const yieldNow = cooperativeYielder(ctx.signal);
    // node_textfile_scrape_error and one mtime per file count against max_series too.
    let seriesLeft = (ctx.maxSeries ?? Infinity) - 1;
    const seen = new Set<string>();
    for (const dir of directories) {
      let names: string[];
      let realDir: string;
      try {
        realDir = await realpath(dir);
        names = (await readdir(dir)).filter((n) => n.endsWith('.prom')).sort();
      } catch (err) {
        fail({ path: dir, err: (err as Error).message }, 'failed to read textfile collector directory');
        continue;
      }
      seriesLeft -= names.length;
      for (const name of names) {
        const path = join(dir, name);
        const file = await statTextfile(path, realDir);
        if ('error' in file) {
          fail({ file: path, err: file.error }, 'failed to collect textfile data');
          continue;
        }
        // A file is served whole or not at all: one over what is left of max_series is refused while parsing.
        const maxSamples = Math.max(0, seriesLeft);
        const identity = `${file.dev}:${file.ino}:${file.size}:${file.mtimeMs}:${file.ctimeMs}:${maxSamples}`;
        const kept = ctx.state.parses.get(path);
        let parsed: ParseResult<ParsedText>;
        if (kept?.identity === identity) parsed = kept.parsed;
        else {
          let bytes: Buffer;
          try {
            bytes = await readBounded(path, ctx.config.max_file_bytes);
          } catch (err) {
            fail({ file: path, err: (err as Error).message }, 'failed to collect textfile data');
            continue;
          }
          parsed = await parseTextFormatInSlices(bytes, path, yieldNow, { maxSamples });
        }
        // Kept at once: a run that times out still spares the next one the parse.
        ctx.state.parses.set(path, { identity, parsed });
        seen.add(path);
        if (!parsed.ok) {
          fail(
            { file: path, err: parsed.error, ...(parsed.error.includes('more than') ? { max_series: ctx.maxSeries } : {}) },
            'failed to collect textfile data',
          );
          continue;
        }
        if (parsed.value.hasTimestamps) {
          fail({ file: path }, `textfile ${JSON.stringify(path)} contains unsupported client-side timestamps, skipping entire file`);
          continue;
        }
        seriesLeft -= seriesCount(parsed.value.families);
        files.push({ path, families: parsed.value.families, withHelp: parsed.value.withHelp });
        mtimes.push({ labels: { file: path }, value: Math.floor(file.mtimeMs / 1000) });
      }
    }
    for (const path of ctx.state.parses.keys()) if (!seen.has(path)) ctx.state.parses.delete(path);
    const merged = mergeFamilies(files, ctx.servedElsewhere, fail, (obj, msg) => ctx.logger.warn(obj, msg));
    merged.push(gauge('node_textfile_mtime_seconds', 'Unixtime mtime of textfiles successfully read.', mtimes, 'seconds'));
    merged.push(gauge('node_textfile_scrape_error', '1 if there was an error opening or reading a file, 0 otherwise', [{ value: errored ? 1 : 0 }]));
    return merged;
  },
});

/** The identity of a file inside `realDir` (a symlink may point elsewhere only within it). */
async function statTextfile(path: string, realDir: string): Promise<Stats | { error: string }> {
  try {
    const link = await lstat(path);
    if (link.isSymbolicLink()) {
      const target = await realpath(path);
      if (!target.startsWith(realDir + sep)) return { error: `symlink points outside the directory (${target})` };
    }
    return await stat(path);
  } catch (err) {
    return { error: (err as Error).message };
  }
}

type Report = (obj: object, msg: string) => void;

/**
 * Joins families of the same name across files, with node_exporter's rules: the first HELP wins
 * and a family with a conflicting HELP is skipped as an error; a type conflict is an error; a
 * series already seen is dropped (logged, like node_exporter's registry); a missing HELP becomes
 * "Metric read from <files>"; labels missing from some samples are padded with "". A family that
 * is reserved or that another collector serves is left out as an error; the rest is served.
 */
function mergeFamilies(files: FileFamilies[], servedElsewhere: (family: string) => string | undefined, fail: Report, warn: Report): MetricFamily[] {
  // Series keys are only needed, and only computed, for a family that more than one file has.
  const out = new Map<string, { family: MetricFamily; files: string[]; hasHelp: boolean; keys?: Set<string> }>();
  for (const f of files) {
    for (const family of f.families) {
      if (RESERVED.some((p) => family.name.startsWith(p))) {
        fail({ file: f.path, metric: family.name }, 'metric name is reserved for spyglass and node_exporter self-metrics');
        continue;
      }
      const collector = servedElsewhere(family.name);
      if (collector !== undefined) {
        fail({ file: f.path, metric: family.name, served_by: collector }, 'metric family is already served by another collector; left out');
        continue;
      }
      const hasHelp = f.withHelp.has(family.name);
      const existing = out.get(family.name);
      if (!existing) {
        out.set(family.name, { family: { ...family, samples: [...family.samples] } as MetricFamily, files: [f.path], hasHelp });
        continue;
      }
      if (hasHelp && existing.hasHelp && existing.family.help !== family.help) {
        fail(
          { metric: family.name, original_help_text: existing.family.help, new_help_text: family.help, file: existing.files[0] },
          'inconsistent metric help text',
        );
        continue;
      }
      if (existing.family.type !== family.type) {
        fail({ metric: family.name, file: f.path, type: family.type, first_type: existing.family.type }, 'inconsistent metric type');
        continue;
      }
      if (hasHelp && !existing.hasHelp) {
        existing.family.help = family.help;
        existing.hasHelp = true;
      }
      existing.files.push(f.path);
      const keys = (existing.keys ??= new Set((existing.family.samples as Array<{ labels?: Labels }>).map((s) => labelsKey(s.labels ?? {}))));
      for (const s of family.samples as Array<{ labels?: Labels }>) {
        const key = labelsKey(s.labels ?? {});
        if (keys.has(key)) {
          // node_exporter's registry drops the later duplicate, logs it, and does not flag an error.
          warn({ metric: family.name, labels: s.labels, file: f.path }, 'collected before with the same name and label values; dropped');
          continue;
        }
        keys.add(key);
        (existing.family.samples as unknown[]).push(s);
      }
    }
  }
  return [...out.values()].map(({ family, files, hasHelp }) =>
    padLabels({ ...family, help: hasHelp ? family.help : `Metric read from ${files.join(', ')}` } as MetricFamily),
  );
}

function padLabels(family: MetricFamily): MetricFamily {
  const names = new Set<string>();
  for (const s of family.samples as Array<Sample | HistogramSample | SummarySample>) for (const k of Object.keys(s.labels ?? {})) names.add(k);
  const samples = family.samples as Array<Sample | HistogramSample | SummarySample>;
  if (samples.every((s) => Object.keys(s.labels ?? {}).length === names.size)) return family;
  const pad = (labels: Record<string, string> | undefined) => {
    const out: Record<string, string> = {};
    for (const n of names) out[n] = labels?.[n] ?? '';
    return out;
  };
  return {
    ...family,
    samples: (family.samples as Array<Sample | HistogramSample | SummarySample>).map((s) => ({ ...s, labels: pad(s.labels) })),
  } as MetricFamily;
}
