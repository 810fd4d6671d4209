import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { readBounded } from '../../src/bounded-read.js';
import { join, sep } from 'node:path';
import { defineCollector, gauge, type MetricFamily, type Sample } from '../../src/collector.js';
import type { HistogramSample, SummarySample } from '../../src/metrics/model.js';
import { parseTextFormat } from '../../src/metrics/parse-text.js';
import { SELF_METRIC_PREFIXES } from '../../src/metrics/reserved-prefixes.js';
import { expandDirectoryGlob } from './glob.js';

const RESERVED = [...SELF_METRIC_PREFIXES, 'node_textfile_'];

interface Options {
  directory: string | string[];
  max_file_bytes: number;
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
export default defineCollector<Options>({
  name: 'textfile',
  description: 'Metrics from *.prom files in the configured directories (node_textfile_*)',
  enabledByDefault: true,
  group: 'host',
  options: {
    type: 'object',
    properties: {
      directory: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], default: [], description: 'Directories to read *.prom files from; Go glob patterns allowed (--collector.textfile.directory, repeatable)' },
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
      for (const name of names) {
        const path = join(dir, name);
        const read = await readTextfile(path, realDir, ctx.config.max_file_bytes);
        if ('error' in read) {
          fail({ file: path, err: read.error }, 'failed to collect textfile data');
          continue;
        }
        const parsed = parseTextFormat(read.text, path);
        if (!parsed.ok) {
          fail({ file: path, err: parsed.error }, 'failed to collect textfile data');
          continue;
        }
        if (parsed.value.hasTimestamps) {
          fail({ file: path }, `textfile ${JSON.stringify(path)} contains unsupported client-side timestamps, skipping entire file`);
          continue;
        }
        files.push({ path, families: parsed.value.families, withHelp: parsed.value.withHelp });
        mtimes.push({ labels: { file: path }, value: Math.floor(read.mtimeMs / 1000) });
      }
    }
    const merged = mergeFamilies(files, fail, (obj, msg) => ctx.logger.warn(obj, msg));
    merged.push(gauge('node_textfile_mtime_seconds', 'Unixtime mtime of textfiles successfully read.', mtimes, 'seconds'));
    merged.push(gauge('node_textfile_scrape_error', '1 if there was an error opening or reading a file, 0 otherwise', [{ value: errored ? 1 : 0 }]));
    return merged;
  },
});

/** Reads a regular file inside `realDir` (a symlink may point elsewhere only within it), at most `maxBytes`. */
async function readTextfile(path: string, realDir: string, maxBytes: number): Promise<{ text: string; mtimeMs: number } | { error: string }> {
  try {
    const link = await lstat(path);
    if (link.isSymbolicLink()) {
      const target = await realpath(path);
      if (!target.startsWith(realDir + sep)) return { error: `symlink points outside the directory (${target})` };
    }
    const info = await stat(path);
    const text = (await readBounded(path, maxBytes)).toString('utf8');
    return { text, mtimeMs: info.mtimeMs };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/**
 * Joins families of the same name across files, with node_exporter's rules: the first HELP wins
 * and a family with a conflicting HELP is skipped as an error; a type conflict is an error; a
 * series already seen is dropped (logged, like node_exporter's registry); a missing HELP becomes
 * "Metric read from <files>"; labels missing from some samples are padded with "".
 */
type Report = (obj: object, msg: string) => void;

function mergeFamilies(files: FileFamilies[], fail: Report, warn: Report): MetricFamily[] {
  const out = new Map<string, { family: MetricFamily; files: string[]; hasHelp: boolean; keys: Set<string> }>();
  for (const f of files) {
    for (const family of f.families) {
      if (RESERVED.some((p) => family.name.startsWith(p))) {
        fail({ file: f.path, metric: family.name }, 'metric name is reserved for spyglass and node_exporter self-metrics');
        continue;
      }
      const hasHelp = f.withHelp.has(family.name);
      const existing = out.get(family.name);
      if (!existing) {
        const keys = new Set(family.samples.map((s) => keyOf(s.labels)));
        out.set(family.name, { family: { ...family, samples: [...family.samples] } as MetricFamily, files: [f.path], hasHelp, keys });
        continue;
      }
      if (hasHelp && existing.hasHelp && existing.family.help !== family.help) {
        fail({ metric: family.name, original_help_text: existing.family.help, new_help_text: family.help, file: existing.files[0] }, 'inconsistent metric help text');
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
      for (const s of family.samples as Array<{ labels?: Record<string, string> }>) {
        const key = keyOf(s.labels);
        if (existing.keys.has(key)) {
          // node_exporter's registry drops the later duplicate, logs it, and does not flag an error.
          warn({ metric: family.name, labels: s.labels, file: f.path }, 'collected before with the same name and label values; dropped');
          continue;
        }
        existing.keys.add(key);
        (existing.family.samples as unknown[]).push(s);
      }
    }
  }
  return [...out.values()].map(({ family, files, hasHelp }) => padLabels({ ...family, help: hasHelp ? family.help : `Metric read from ${files.join(', ')}` } as MetricFamily));
}

function keyOf(labels: Record<string, string> | undefined): string {
  return JSON.stringify(Object.entries(labels ?? {}).sort());
}

function padLabels(family: MetricFamily): MetricFamily {
  const names = new Set<string>();
  for (const s of family.samples as Array<Sample | HistogramSample | SummarySample>) for (const k of Object.keys(s.labels ?? {})) names.add(k);
  if (names.size === 0) return family;
  const pad = (labels: Record<string, string> | undefined) => {
    const out: Record<string, string> = {};
    for (const n of names) out[n] = labels?.[n] ?? '';
    return out;
  };
  return { ...family, samples: (family.samples as Array<Sample | HistogramSample | SummarySample>).map((s) => ({ ...s, labels: pad(s.labels) })) } as MetricFamily;
}
