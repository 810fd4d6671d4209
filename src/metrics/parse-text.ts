import { isUtf8 } from 'node:buffer';
import { parseFailure, type ParseResult } from '../parsers/parse-result.js';
import { formatValue } from './escape.js';
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
/** Prometheus's text format separates tokens with spaces and tabs only (a CR is not blank). */
const BLANK_LINE = /^[ \t]*$/;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const TYPES = new Set(['counter', 'gauge', 'untyped', 'histogram', 'summary']);

interface RawSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  line: number;
}

/** Lines parsed between two offers of a turn to the event loop (see parseTextFormatInSlices). */
const LINES_PER_STEP = 2048;

export interface ParseLimits {
  /** More sample lines than this fail the parse as soon as they are seen, bounding its memory. */
  maxSamples?: number;
}

/**
 * A strict reader of the Prometheus text format 0.0.4: one HELP and one TYPE per family, TYPE
 * before the family's samples, valid names, escapes, numbers; histogram and summary samples are
 * grouped into their families, histogram buckets must not go down. Bytes must be UTF-8 without
 * NUL. Errors name the file and line.
 */
export function parseTextFormat(input: string | Buffer, file: string, limits: ParseLimits = {}): ParseResult<ParsedText> {
  const steps = parseSteps(input, file, limits);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** parseTextFormat, offering `yieldNow` a turn every few thousand lines: a 15 MB file is not one 2-second task. */
export async function parseTextFormatInSlices(
  input: string | Buffer,
  file: string,
  yieldNow: () => Promise<void> | undefined,
  limits: ParseLimits = {},
): Promise<ParseResult<ParsedText>> {
  const steps = parseSteps(input, file, limits);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await yieldNow();
  }
}

function* parseSteps(input: string | Buffer, file: string, limits: ParseLimits): Generator<void, ParseResult<ParsedText>> {
  const bad = typeof input === 'string' ? nulLine(input) : badBytes(input);
  if (bad) return parseFailure(file, bad.line, bad.reason);
  const text = typeof input === 'string' ? input : input.toString('utf8');
  const maxSamples = limits.maxSamples ?? Infinity;
  let sampleCount = 0;
  const help = new Map<string, string>();
  const types = new Map<string, MetricType>();
  const samplesByFamily = new Map<string, RawSample[]>();
  let hasTimestamps = false;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (i % LINES_PER_STEP === LINES_PER_STEP - 1) yield;
    // No CR stripping: Prometheus's parser refuses CRLF files, and node_exporter with it.
    const line = lines[i] as string;
    const n = i + 1;
    if (BLANK_LINE.test(line)) continue;
    if (line.startsWith('#')) {
      const m = /^#[ \t]+(HELP|TYPE)[ \t]+([^ \t]+)(?:[ \t](.*))?$/s.exec(line); // s: a CR or U+2028 is text here, not a line end
      if (!m) continue; // an ordinary comment
      const [, keyword, name, rest = ''] = m as unknown as [string, string, string, string | undefined];
      if (!NAME.test(name)) return parseFailure(file, n, `invalid metric name ${JSON.stringify(name)}`);
      if (keyword === 'HELP') {
        if (help.has(name)) return parseFailure(file, n, `second HELP line for metric name ${name}`);
        help.set(
          name,
          rest.replace(/\\(\\|n)/g, (_s, c: string) => (c === 'n' ? '\n' : '\\')),
        );
      } else {
        const type = rest.replace(/^[ \t]+|[ \t]+$/g, '');
        if (!TYPES.has(type)) return parseFailure(file, n, `unknown metric type ${JSON.stringify(type)}`);
        if (types.has(name) || samplesByFamily.has(name))
          return parseFailure(file, n, `second TYPE line for metric name ${name}, or TYPE reported after samples`);
        types.set(name, type as MetricType);
      }
      continue;
    }
    if (++sampleCount > maxSamples) return parseFailure(file, n, `more than ${maxSamples} samples`);
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
    yield;
    const built = yield* buildFamily(name, types.get(name) ?? 'untyped', help.get(name) ?? '', raw, file);
    if ('error' in built) return { ok: false, error: built.error };
    families.push(built.family);
  }
  return { ok: true, value: { families, withHelp: new Set(help.keys()), hasTimestamps } };
}

/**
 * Bytes Prometheus's own parser refuses or that would be served raw: invalid UTF-8 (which a
 * decoder would silently turn into U+FFFD) and NUL.
 */
function badBytes(buf: Buffer): { line: number; reason: string } | undefined {
  const nul = buf.indexOf(0);
  if (nul >= 0) return { line: lineAt(buf, nul), reason: 'NUL byte' };
  if (isUtf8(buf)) return undefined;
  let start = 0;
  for (let line = 1; ; line++) {
    const newline = buf.indexOf(10, start);
    const end = newline < 0 ? buf.length : newline;
    if (!isUtf8(buf.subarray(start, end)) || newline < 0) return { line, reason: 'invalid UTF-8' };
    start = newline + 1;
  }
}

function nulLine(text: string): { line: number; reason: string } | undefined {
  const nul = text.indexOf('\0');
  return nul < 0 ? undefined : { line: text.slice(0, nul).split('\n').length, reason: 'NUL byte' };
}

function lineAt(buf: Buffer, offset: number): number {
  let line = 1;
  for (let i = buf.indexOf(10); i >= 0 && i < offset; i = buf.indexOf(10, i + 1)) line++;
  return line;
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
      const ln = /^([a-zA-Z_][a-zA-Z0-9_]*)[ \t]*=[ \t]*"/.exec(line.slice(pos));
      if (!ln) return { error: `invalid label in ${JSON.stringify(line.slice(0, 80))}` };
      const labelName = ln[1] as string;
      pos += ln[0].length;
      // Copied in runs between escapes: appending char by char made a rope node per character.
      let value = '';
      let from = pos;
      for (;;) {
        const c = line.charCodeAt(pos);
        if (Number.isNaN(c)) return { error: 'unterminated label value' };
        if (c === QUOTE) {
          value += line.slice(from, pos);
          break;
        }
        if (c === BACKSLASH) {
          value += line.slice(from, pos);
          const e = line[pos + 1];
          if (e === 'n') value += '\n';
          else if (e === '\\' || e === '"') value += e;
          else return { error: `invalid escape \\${e ?? ''} in label value` };
          pos += 2;
          from = pos;
          continue;
        }
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
  const rest = line
    .slice(pos)
    .replace(/^[ \t]+|[ \t]+$/g, '')
    .split(/[ \t]+/);
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

/**
 * A key equal for equal label sets, whatever their order. NUL separates: parsed text has none.
 * (JSON of the sorted entries cost 1.1 s of one turn for 90,000 series.)
 */
export function labelsKey(labels: Labels): string {
  const names = Object.keys(labels);
  if (names.length > 1) names.sort();
  let key = '';
  for (const n of names) key += `${n}\0${labels[n] as string}\0`;
  return key;
}

function* buildFamily(
  name: string,
  type: MetricType,
  help: string,
  raw: RawSample[],
  file: string,
): Generator<void, { family: MetricFamily } | { error: string }> {
  const fail = (line: number, reason: string) => ({ error: `${file}:${line}: ${reason}` });
  if (type !== 'histogram' && type !== 'summary') {
    const seen = new Set<string>();
    const samples: Sample[] = [];
    for (let i = 0; i < raw.length; i++) {
      if (i % LINES_PER_STEP === LINES_PER_STEP - 1) yield;
      const s = raw[i] as RawSample;
      if (s.name !== name) return fail(s.line, `sample ${s.name} does not belong to ${type} ${name}`);
      const key = labelsKey(s.labels);
      if (seen.has(key)) return fail(s.line, `duplicate sample for ${name}${JSON.stringify(s.labels)}`);
      seen.add(key);
      samples.push({ labels: s.labels, value: s.value });
    }
    return { family: { name, help, type, samples } };
  }
  const special = type === 'histogram' ? 'le' : 'quantile';
  const groups = new Map<string, { labels: Record<string, string>; points: Array<[number, number]>; sum?: number; count?: number }>();
  for (let i = 0; i < raw.length; i++) {
    if (i % LINES_PER_STEP === LINES_PER_STEP - 1) yield;
    const s = raw[i] as RawSample;
    const { [special]: bound, ...labels } = s.labels;
    const key = labelsKey(labels);
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
      const down = g.points.findIndex(([, n], i) => i > 0 && n < (g.points[i - 1] as [number, number])[1]);
      if (down > 0) {
        const [le0, n0] = g.points[down - 1] as [number, number];
        const [le1, n1] = g.points[down] as [number, number];
        return {
          error: `${file}: histogram ${name}${JSON.stringify(g.labels)} buckets go down: le="${formatValue(le1)}" counts ${n1}, fewer than le="${formatValue(le0)}" with ${n0}`,
        };
      }
      const count = g.count ?? g.points.find(([le]) => le === Infinity)?.[1];
      if (count === undefined) return { error: `${file}: histogram ${name} has neither _count nor a +Inf bucket` };
      samples.push({ labels: g.labels, buckets: g.points, sum: g.sum ?? 0, count });
    }
    return { family: { name, help, type, samples } };
  }
  const samples: SummarySample[] = [...groups.values()].map((g) => ({ labels: g.labels, quantiles: g.points, sum: g.sum ?? 0, count: g.count ?? 0 }));
  return { family: { name, help, type, samples } };
}
