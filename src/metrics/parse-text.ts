import { parseFailure, type ParseResult } from '../parse.js';
import type { HistogramSample, Labels, MetricFamily, MetricType, Sample, SummarySample } from './model.js';

export interface ParsedText {
  families: MetricFamily[];
  /** Families that had a HELP line (the others get one from their caller). */
  withHelp: Set<string>;
  /** A sample carried a client timestamp (node_exporter rejects such textfiles). */
  hasTimestamps: boolean;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'untyped', 'histogram', 'summary']);

interface RawSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  line: number;
}

/**
 * A strict reader of the Prometheus text format 0.0.4: one HELP and one TYPE per family, TYPE
 * before the family's samples, valid names, escapes, numbers; histogram and summary samples are
 * grouped into their families. Errors name the file and line.
 */
export function parseTextFormat(text: string, file: string): ParseResult<ParsedText> {
  const help = new Map<string, string>();
  const types = new Map<string, MetricType>();
  const samplesByFamily = new Map<string, RawSample[]>();
  let hasTimestamps = false;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/\r$/, '');
    const n = i + 1;
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (!m) continue; // an ordinary comment
      const [, keyword, name, rest = ''] = m as unknown as [string, string, string, string | undefined];
      if (!NAME.test(name)) return parseFailure(file, n, `invalid metric name ${JSON.stringify(name)}`);
      if (keyword === 'HELP') {
        if (help.has(name)) return parseFailure(file, n, `second HELP line for metric name ${name}`);
        help.set(name, rest.replace(/\\(\\|n)/g, (_s, c: string) => (c === 'n' ? '\n' : '\\')));
      } else {
        const type = rest.trim();
        if (!TYPES.has(type)) return parseFailure(file, n, `unknown metric type ${JSON.stringify(type)}`);
        if (types.has(name) || samplesByFamily.has(name)) return parseFailure(file, n, `second TYPE line for metric name ${name}, or TYPE reported after samples`);
        types.set(name, type as MetricType);
      }
      continue;
    }
    const sample = parseSampleLine(line);
    if ('error' in sample) return parseFailure(file, n, sample.error);
    if (sample.timestamp) hasTimestamps = true;
    const family = familyOf(sample.name, types);
    const list = samplesByFamily.get(family) ?? [];
    list.push({ name: sample.name, labels: sample.labels, value: sample.value, line: n });
    samplesByFamily.set(family, list);
  }
  const families: MetricFamily[] = [];
  for (const [name, raw] of samplesByFamily) {
    const built = buildFamily(name, types.get(name) ?? 'untyped', help.get(name) ?? '', raw, file);
    if ('error' in built) return { ok: false, error: built.error };
    families.push(built.family);
  }
  return { ok: true, value: { families, withHelp: new Set(help.keys()), hasTimestamps } };
}

function familyOf(sampleName: string, types: Map<string, MetricType>): string {
  if (types.has(sampleName)) return sampleName;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!sampleName.endsWith(suffix)) continue;
    const base = sampleName.slice(0, -suffix.length);
    const t = types.get(base);
    if (t === 'histogram' || (t === 'summary' && suffix !== '_bucket')) return base;
  }
  return sampleName;
}

function parseSampleLine(line: string): { name: string; labels: Record<string, string>; value: number; timestamp: boolean } | { error: string } {
  const nameMatch = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
  if (!nameMatch) return { error: `invalid metric name in ${JSON.stringify(line.slice(0, 60))}` };
  const name = nameMatch[1] as string;
  let pos = name.length;
  const labels: Record<string, string> = {};
  if (line[pos] === '{') {
    pos++;
    for (;;) {
      while (line[pos] === ' ') pos++;
      if (line[pos] === '}') {
        pos++;
        break;
      }
      const ln = /^([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"/.exec(line.slice(pos));
      if (!ln) return { error: `invalid label in ${JSON.stringify(line.slice(0, 80))}` };
      const labelName = ln[1] as string;
      pos += ln[0].length;
      let value = '';
      for (;;) {
        const c = line[pos];
        if (c === undefined) return { error: 'unterminated label value' };
        if (c === '"') break;
        if (c === '\\') {
          const e = line[pos + 1];
          if (e === 'n') value += '\n';
          else if (e === '\\' || e === '"') value += e;
          else return { error: `invalid escape \\${e ?? ''} in label value` };
          pos += 2;
          continue;
        }
        value += c;
        pos++;
      }
      pos++;
      if (labelName in labels) return { error: `duplicate label name ${labelName}` };
      if (!LABEL.test(labelName) || labelName.startsWith('__')) return { error: `invalid label name ${labelName}` };
      labels[labelName] = value;
      while (line[pos] === ' ') pos++;
      if (line[pos] === ',') pos++;
      else if (line[pos] !== '}') return { error: `expected , or } after label ${labelName}` };
    }
  }
  const rest = line.slice(pos).trim().split(/\s+/);
  if (rest.length < 1 || rest.length > 2 || rest[0] === '') return { error: `expected a value and an optional timestamp after ${name}` };
  const value = parseFloatValue(rest[0] as string);
  if (value === undefined) return { error: `invalid value ${JSON.stringify(rest[0])} for ${name}` };
  if (rest[1] !== undefined && !/^-?\d+$/.test(rest[1])) return { error: `invalid timestamp ${JSON.stringify(rest[1])} for ${name}` };
  return { name, labels, value, timestamp: rest[1] !== undefined };
}

export function parseFloatValue(text: string): number | undefined {
  const t = text.toLowerCase();
  if (t === 'nan') return NaN;
  if (t === '+inf' || t === 'inf') return Infinity;
  if (t === '-inf') return -Infinity;
  return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text) ? Number(text) : undefined;
}

function buildFamily(name: string, type: MetricType, help: string, raw: RawSample[], file: string): { family: MetricFamily } | { error: string } {
  const fail = (line: number, reason: string) => ({ error: `${file}:${line}: ${reason}` });
  const keyOf = (labels: Labels) => JSON.stringify(Object.entries(labels).sort());
  if (type !== 'histogram' && type !== 'summary') {
    const seen = new Set<string>();
    const samples: Sample[] = [];
    for (const s of raw) {
      if (s.name !== name) return fail(s.line, `sample ${s.name} does not belong to ${type} ${name}`);
      const key = keyOf(s.labels);
      if (seen.has(key)) return fail(s.line, `duplicate sample for ${name}${key}`);
      seen.add(key);
      samples.push({ labels: s.labels, value: s.value });
    }
    return { family: { name, help, type, samples } };
  }
  const special = type === 'histogram' ? 'le' : 'quantile';
  const groups = new Map<string, { labels: Record<string, string>; points: Array<[number, number]>; sum?: number; count?: number }>();
  for (const s of raw) {
    const { [special]: bound, ...labels } = s.labels;
    const key = keyOf(labels);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { labels, points: [] }));
    if (s.name === name + (type === 'histogram' ? '_bucket' : '')) {
      const b = bound === undefined ? undefined : parseFloatValue(bound);
      if (b === undefined) return fail(s.line, `${s.name} needs a numeric ${special} label`);
      g.points.push([b, s.value]);
    } else if (s.name === `${name}_sum`) g.sum = s.value;
    else if (s.name === `${name}_count`) g.count = s.value;
    else return fail(s.line, `sample ${s.name} does not belong to ${type} ${name}`);
  }
  if (type === 'histogram') {
    const samples: HistogramSample[] = [];
    for (const g of groups.values()) {
      g.points.sort((a, b) => a[0] - b[0]);
      const count = g.count ?? g.points.find(([le]) => le === Infinity)?.[1];
      if (count === undefined) return { error: `${file}: histogram ${name} has neither _count nor a +Inf bucket` };
      samples.push({ labels: g.labels, buckets: g.points, sum: g.sum ?? 0, count });
    }
    return { family: { name, help, type, samples } };
  }
  const samples: SummarySample[] = [...groups.values()].map((g) => ({ labels: g.labels, quantiles: g.points, sum: g.sum ?? 0, count: g.count ?? 0 }));
  return { family: { name, help, type, samples } };
}
