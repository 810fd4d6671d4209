import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import yaml from 'js-yaml';
import { readBounded } from '../fs/bounded-read.js';
import type { CollectorDefinition, Paths } from '../collector.js';
import { parseSchedule, periodMs, type Schedule } from '../scheduler/schedule.js';
import { DURATION_PATTERN, parseDuration } from './duration.js';
import { goRegExp } from './go-regexp.js';
import { locateKey } from './locate.js';
import { configSchema, DEFAULTS, EXPECTED, type RawConfig } from './schema.js';
import { importWithDeadline } from './trial-import.js';
import { closestName } from './suggest.js';
import { nodeExporterOnly } from '../node-exporter-flags.js';
import { remoteWriteSettings } from '../remote-write/config.js';
import type { RemoteWriteSettings } from '../remote-write/writer.js';

const MAX_CONFIG_BYTES = 1 << 20;
const COLLECTOR_NAME = /^[a-z][a-z0-9_]*$/;

export interface ConfigError {
  file?: string;
  line?: number;
  column?: number;
  /** Dotted key path, e.g. `collectors.cpu.interval`. */
  key?: string;
  message: string;
}

export function formatConfigError(e: ConfigError): string {
  const where = e.file ? `${e.file}${e.line ? `:${e.line}:${e.column ?? 1}` : ''}` : 'flags/environment';
  return `${where}: ${e.key ? `${e.key}: ` : ''}${e.message}`;
}

export interface CollectorSettings {
  definition: CollectorDefinition;
  enabled: boolean;
  schedule: Schedule;
  timeoutMs: number;
  /** Run just before the scrapes of scrapers whose period the interval divides. */
  phaseLock: boolean;
  /**
   * Run at the period of the scrapers learned (at least `scheduler.min_interval`), `schedule`
   * being the interval until one is learned. False when the user set an interval for the
   * collector, its definition has one of its own, or `scheduler.follow_scrapes` is off.
   */
  followScrapes: boolean;
  sampleTimestamps: boolean;
  /** Series published at most per run (whole `seriesGroupLabel` items are dropped beyond it). */
  maxSeries: number | undefined;
  /** The collector's own options, defaults applied. */
  options: Record<string, unknown>;
  /** Built into spyglass (its output is tested); a collector module's output is checked on every run. */
  builtin: boolean;
}

export interface Config {
  file: string | undefined;
  web: {
    listenAddress: string;
    maxRequests: number;
    maxConnections: number;
    headerTimeoutMs: number;
    requestTimeoutMs: number;
    shutdownTimeoutMs: number;
    maxHeaderBytes: number;
    diagnostics: boolean;
    telemetryPath: string;
    /** Paths served without the web config's basic auth and rate limit. */
    unauthenticatedPaths: ReadonlySet<string>;
  };
  paths: Paths;
  /** Flags that were ignored, and why (node_exporter flags with no counterpart): the caller logs them. */
  notes: string[];
  log: { level: 'debug' | 'info' | 'warn' | 'error'; format: 'json' | 'logfmt' };
  /** `scheduler.min_interval`: schedules that follow scrapers run at most this often. */
  minIntervalMs: number;
  selfMetrics: { intervalMs: number; runtime: boolean; phaseLock: boolean; followScrapes: boolean };
  collectors: CollectorSettings[];
  /** `remote_write:` receivers, when there are any. */
  remoteWrite: RemoteWriteSettings | undefined;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: ConfigError[] };

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> | undefined : T[K] | undefined };
export type ConfigOverrides = DeepPartial<RawConfig> & {
  collectors?: Record<string, Record<string, unknown>>;
  /** List options extended rather than replaced (`--probe URL` adds to the configured targets): collector → option → items. */
  append?: Record<string, Record<string, unknown[]>>;
};

export interface LoadOptions {
  file?: string | undefined;
  /** From flags and environment; they win over the file. */
  overrides?: ConfigOverrides;
  builtins: readonly CollectorDefinition[];
  /** `--collector.disable-defaults`: every collector off unless enabled explicitly. */
  disableDefaults?: boolean;
}

/** Loads and checks the configuration; problems come one per line of the file they concern, in file order. */
export async function loadConfig(opts: LoadOptions): Promise<ConfigResult> {
  const result = await loadUnordered(opts);
  return result.ok ? result : { ok: false, errors: inFileOrder(result.errors) };
}

async function loadUnordered(opts: LoadOptions): Promise<ConfigResult> {
  const file = opts.file;
  let text = '';
  let fromFile: Record<string, unknown> = {};
  const fileNotes: string[] = [];
  if (file) {
    const read = await readConfigText(file);
    if ('error' in read) return { ok: false, errors: [read.error] };
    text = read.text;
    const parsed = parseYaml(text, file);
    if ('error' in parsed) return { ok: false, errors: [parsed.error] };
    fromFile = parsed.value;
    if (isBlackboxConfig(fromFile)) {
      // blackbox_exporter's --config.file: its modules, served on /probe as blackbox serves them.
      fromFile = { collectors: { probe: { modules_file: resolve(file), endpoint: { enabled: true } } } };
      fileNotes.push(`${file} is a blackbox_exporter configuration: its modules serve /probe?target=&module= (collectors.probe.modules_file)`);
    }
  }
  const locate = (path: Array<string | number>): ConfigError => {
    if (!file || !hasPath(fromFile, path)) return { key: dotted(path), message: '' };
    const pos = locateKey(text, path);
    return { file, ...(pos ? { line: pos.line, column: pos.column } : {}), key: dotted(path), message: '' };
  };

  const { append, ...overrides } = opts.overrides ?? {};
  const merged = deepMerge(deepMerge(structuredClone(DEFAULTS) as Record<string, unknown>, fromFile), stripUndefined(overrides));
  appendLists(merged, append ?? {});
  const baseDir = file ? dirname(resolve(file)) : process.cwd();
  const loaded = await loadCollectorModules(merged.collector_modules, baseDir, opts.builtins, locate);
  if (loaded.errors.length) return { ok: false, errors: loaded.errors };
  const definitions = [...opts.builtins, ...loaded.definitions];

  const collectorsRaw = (isObject(merged.collectors) ? merged.collectors : {}) as Record<string, unknown>;
  const notes = dropAbsentCollectorFlags(collectorsRaw, opts.overrides?.collectors ?? {}, new Set(definitions.map((d) => d.name)), fromFile);
  for (const d of definitions) collectorsRaw[d.name] ??= {};
  merged.collectors = collectorsRaw;

  const validate = validatorFor(definitions);
  if (!validate(merged)) {
    // Schedules are checked past the schema; say what is wrong with them now too, not after the next fix.
    return { ok: false, errors: [...schemaErrors(validate.errors ?? [], locate, definitions), ...scheduleProblems(merged, locate)] };
  }
  const built = buildConfig(merged as unknown as RawConfig, definitions, file, locate, opts.disableDefaults ?? false, opts.builtins);
  if (!built.ok) return built;
  built.config.notes = [...fileNotes, ...notes];
  const problems = await collectorOptionProblems(built.config.collectors, locate);
  return problems.length ? { ok: false, errors: problems } : built;
}

/** Each enabled collector's own checks (CollectorDefinition.validate), located like schema errors. */
async function collectorOptionProblems(
  collectors: readonly CollectorSettings[],
  locate: (path: Array<string | number>) => ConfigError,
): Promise<ConfigError[]> {
  const errors: ConfigError[] = [];
  for (const c of collectors) {
    if (!c.enabled || !c.definition.validate) continue;
    for (const p of await c.definition.validate(c.options)) {
      if (p.file !== undefined) errors.push({ file: p.file, ...(p.line ? { line: p.line, column: p.column ?? 1 } : {}), message: p.message });
      else errors.push({ ...locate(['collectors', c.definition.name, ...(p.path ?? [])]), message: p.message });
    }
  }
  return errors;
}

async function readConfigText(file: string): Promise<{ text: string } | { error: ConfigError }> {
  try {
    return { text: (await readBounded(file, MAX_CONFIG_BYTES)).toString('utf8') };
  } catch (err) {
    return { error: { file, message: `cannot read config file: ${(err as Error).message}` } };
  }
}

export function parseYaml(text: string, file: string): { value: Record<string, unknown> } | { error: ConfigError } {
  try {
    const value = yaml.load(text, { filename: file });
    if (value === undefined || value === null) return { value: {} };
    if (!isObject(value)) return { error: { file, line: 1, column: 1, message: 'the config must be a YAML mapping at the top level' } };
    return { value };
  } catch (err) {
    if (err instanceof yaml.YAMLException) {
      return { error: { file, line: err.mark.line + 1, column: err.mark.column + 1, message: `invalid YAML: ${err.reason}` } };
    }
    throw err;
  }
}

async function loadCollectorModules(
  modules: unknown,
  baseDir: string,
  builtins: readonly CollectorDefinition[],
  locate: (path: Array<string | number>) => ConfigError,
): Promise<{ definitions: CollectorDefinition[]; errors: ConfigError[] }> {
  const definitions: CollectorDefinition[] = [];
  const errors: ConfigError[] = [];
  if (!Array.isArray(modules)) return { definitions, errors }; // the schema reports the wrong type
  const taken = new Set(builtins.map((d) => d.name));
  for (const [i, spec] of modules.entries()) {
    if (typeof spec !== 'string') continue;
    const fail = (message: string) => errors.push({ ...locate(['collector_modules', i]), message });
    let mod: Record<string, unknown>;
    try {
      mod = await importWithDeadline(pathToFileURL(resolve(baseDir, spec)).href);
    } catch (err) {
      fail(`cannot load collector module ${spec}: ${(err as Error).message}`);
      continue;
    }
    const def = (mod.default ?? mod.collector) as Partial<CollectorDefinition> | undefined;
    const problem = checkDefinition(def);
    if (problem) {
      fail(`${spec}: ${problem}`);
      continue;
    }
    const d = { group: 'external' as const, ...def } as CollectorDefinition;
    if (taken.has(d.name)) {
      fail(`${spec}: a collector named ${d.name} already exists`);
      continue;
    }
    taken.add(d.name);
    definitions.push(d);
  }
  return { definitions, errors };
}

function checkDefinition(def: Partial<CollectorDefinition> | undefined): string | undefined {
  if (!isObject(def)) return 'the module must export a collector definition as default export or as `collector`';
  if (typeof def.name !== 'string' || !COLLECTOR_NAME.test(def.name)) return 'name must match [a-z][a-z0-9_]*';
  if (typeof def.description !== 'string') return 'description must be a string';
  if (typeof def.enabledByDefault !== 'boolean') return 'enabledByDefault must be a boolean';
  if (typeof def.collect !== 'function') return 'collect must be a function';
  if (def.options !== undefined && (!isObject(def.options) || def.options.type !== 'object' || !isObject(def.options.properties))) {
    return 'options must be a JSON schema of type object with properties';
  }
  if (def.workerModule !== undefined && (typeof def.workerModule !== 'string' || def.routes !== undefined || def.statusTable !== undefined)) {
    return 'workerModule must be the module URL, and a collector in a worker thread has no routes or statusTable (its state is in that thread)';
  }
  return undefined;
}

const validators = new WeakMap<readonly CollectorDefinition[], ValidateFunction>();
const ajvCache = new Map<string, ValidateFunction>();

function validatorFor(definitions: readonly CollectorDefinition[]): ValidateFunction {
  const cached = validators.get(definitions);
  if (cached) return cached;
  const schema = configSchema(definitions);
  const v = compiled(schema);
  validators.set(definitions, v);
  return v;
}

function compiled(schema: object): ValidateFunction {
  const key = JSON.stringify(schema);
  let v = ajvCache.get(key);
  if (!v) {
    // verbose: errors carry their schema and data, for messages in words (see schemaErrors).
    const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, verbose: true });
    ajv.addFormat('regex', (pattern: string) => isValidRegExp(pattern));
    v = ajv.compile(schema);
    ajvCache.set(key, v);
  }
  return v;
}

/**
 * Reads a YAML file that a collector names in its options (blackbox_exporter's modules file, …)
 * and checks it against a JSON Schema; errors carry file, line and key like config errors.
 */
export async function loadYamlFile(file: string, schema: object): Promise<{ value: Record<string, unknown> } | { errors: ConfigError[] }> {
  const read = await readConfigText(file);
  if ('error' in read) return { errors: [read.error] };
  const parsed = parseYaml(read.text, file);
  if ('error' in parsed) return { errors: [parsed.error] };
  const validate = compiled(schema);
  if (validate(parsed.value)) return { value: parsed.value };
  const locate = (path: Array<string | number>): ConfigError => {
    const pos = locateKey(read.text, path);
    return { file, ...(pos ? { line: pos.line, column: pos.column } : {}), key: dotted(path), message: '' };
  };
  return { errors: schemaErrors(validate.errors ?? [], locate) };
}

/** Intervals and cron expressions that do not parse, wherever a string is given for one. */
function scheduleProblems(merged: Record<string, unknown>, locate: (path: Array<string | number>) => ConfigError): ConfigError[] {
  const candidates: Array<[Array<string | number>, unknown]> = [
    [['scheduler', 'interval'], (merged.scheduler as Record<string, unknown> | undefined)?.interval],
  ];
  for (const [name, c] of Object.entries((merged.collectors ?? {}) as Record<string, unknown>))
    if (isObject(c)) candidates.push([['collectors', name, 'interval'], c.interval]);
  const errors: ConfigError[] = [];
  for (const [path, value] of candidates) {
    if (typeof value !== 'string') continue;
    const schedule = parseSchedule(value);
    if ('error' in schedule) errors.push({ ...locate(path), message: schedule.error });
  }
  return errors;
}

/** blackbox.yml holds nothing but `modules:`; a spyglass config never has that key. */
function isBlackboxConfig(raw: Record<string, unknown>): boolean {
  const keys = Object.keys(raw);
  return keys.length === 1 && keys[0] === 'modules' && isObject(raw.modules);
}

/**
 * Collectors named only by flags that no definition has: disabling one is a note, as is setting an
 * option of a node_exporter collector spyglass lacks (a node_exporter unit's flags carry over);
 * enabling one stays an error (see ajvError).
 */
function dropAbsentCollectorFlags(
  collectors: Record<string, unknown>,
  fromFlags: Record<string, Record<string, unknown>>,
  known: ReadonlySet<string>,
  fromFile: Record<string, unknown>,
): string[] {
  const notes: string[] = [];
  for (const [name, set] of Object.entries(fromFlags)) {
    if (known.has(name) || hasPath(fromFile, ['collectors', name]) || set.enabled === true) continue;
    const options = Object.keys(set).filter((k) => k !== 'enabled');
    if (options.length > 0 && !nodeExporterOnly(name)) continue;
    const flags = [...(set.enabled === false ? [`--no-collector.${name}`] : []), ...options.map((k) => `--collector.${name}.${k.replace(/_/g, '-')}`)];
    notes.push(`${flags.join(', ')} ignored: spyglass has no ${name} collector${nodeExporterOnly(name) ? " (node_exporter's)" : ''}`);
    delete collectors[name];
  }
  return notes;
}

/**
 * One message per problem, in file order, in words: the alternatives of an `anyOf` are one
 * message, not one per alternative; a duration says what a duration looks like; an unknown key
 * gets the closest known one.
 */
function schemaErrors(
  errors: readonly ErrorObject[],
  locate: (path: Array<string | number>) => ConfigError,
  definitions: readonly CollectorDefinition[] = [],
): ConfigError[] {
  const withAnyOf = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  return errors.filter((e) => !(withAnyOf.has(e.instancePath) && e.schemaPath.includes('/anyOf/'))).map((e) => ajvError(e, locate, definitions));
}

/** Each problem once (a bad scheduler.interval is every collector's), sorted by where it is. */
function inFileOrder(errors: readonly ConfigError[]): ConfigError[] {
  const seen = new Set<string>();
  const unique = errors.filter((e) => {
    const key = formatConfigError(e);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const position = (e: ConfigError) => [e.file ?? '\uffff', e.line ?? Infinity, e.column ?? 0] as const;
  return unique.sort((a, b) => {
    const [fa, la, ca] = position(a);
    const [fb, lb, cb] = position(b);
    return fa < fb ? -1 : fa > fb ? 1 : la - lb || ca - cb;
  });
}

/** What a schema accepts, in words: "a string", "a list of strings", "a duration like 10s …". */
function describeSchema(schema: unknown): string {
  if (!isObject(schema)) return 'a value';
  if (typeof schema[EXPECTED] === 'string') return schema[EXPECTED];
  if (Array.isArray(schema.anyOf)) return schema.anyOf.map(describeSchema).join(' or ');
  if (Array.isArray(schema.enum)) return `one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  switch (schema.type) {
    case 'array':
      return `a list of ${describeSchema(schema.items).replace(/^an? /, '')}s`.replace(/ss$/, 's');
    case 'object':
      return 'a mapping';
    case 'integer':
      return 'a whole number';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'string':
      return 'a string';
    default:
      return 'a value';
  }
}

function ajvError(e: ErrorObject, locate: (path: Array<string | number>) => ConfigError, definitions: readonly CollectorDefinition[] = []): ConfigError {
  const path = e.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (e.keyword === 'additionalProperties') {
    const extra = String((e.params as { additionalProperty: string }).additionalProperty);
    if (path.length === 1 && path[0] === 'collectors') {
      const closest = closestName(
        extra,
        definitions.map((d) => d.name),
      );
      const hint = nodeExporterOnly(extra)
        ? `: node_exporter's ${extra} collector is not in spyglass (spyglass collectors lists what is)`
        : closest
          ? `; did you mean "${closest}"?`
          : '';
      return { ...locate([...path, extra]), message: `unknown collector "${extra}"${hint}` };
    }
    const keys = isObject(e.parentSchema) && isObject(e.parentSchema.properties) ? Object.keys(e.parentSchema.properties) : [];
    const closest = closestName(extra, keys);
    return { ...locate([...path, extra]), message: `unknown key "${extra}"${closest ? `; did you mean "${closest}"?` : ''}` };
  }
  if (e.keyword === 'anyOf') return { ...locate(path), message: `must be ${describeSchema({ anyOf: e.schema })}` };
  const expected = isObject(e.parentSchema) ? e.parentSchema[EXPECTED] : undefined;
  if (typeof expected === 'string') {
    const isDuration = isObject(e.parentSchema) && e.parentSchema.pattern === DURATION_PATTERN;
    const given = typeof e.data === 'number' && isDuration ? `the number ${e.data} (write ${e.data}s?)` : JSON.stringify(e.data);
    return { ...locate(path), message: `must be ${expected}, not ${given}` };
  }
  if (e.keyword === 'type') return { ...locate(path), message: `must be ${describeSchema(e.parentSchema)}, not ${JSON.stringify(e.data)}` };
  const allowed = (e.params as { allowedValues?: unknown[] }).allowedValues;
  const message = allowed ? `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}` : (e.message ?? 'is invalid');
  return { ...locate(path), message };
}

function buildConfig(
  raw: RawConfig,
  definitions: readonly CollectorDefinition[],
  file: string | undefined,
  locate: (path: Array<string | number>) => ConfigError,
  disableDefaults: boolean,
  builtins: readonly CollectorDefinition[],
): ConfigResult {
  const errors: ConfigError[] = [];
  const ms = (text: string): number => parseDuration(text) ?? 0; // the schema already checked the syntax
  const collectors: CollectorSettings[] = [];
  for (const d of definitions) {
    const own = { ...(raw.collectors[d.name] ?? {}) } as Record<string, unknown>;
    const { enabled, interval, timeout, phase_lock, sample_timestamps, max_series, ...options } = own;
    const scheduleText = String(interval ?? d.defaultInterval ?? raw.scheduler.interval);
    const schedule = parseSchedule(scheduleText);
    const intervalPath = interval !== undefined ? ['collectors', d.name, 'interval'] : ['scheduler', 'interval'];
    if ('error' in schedule) {
      errors.push({ ...locate(intervalPath), message: schedule.error });
      continue;
    }
    let timeoutMs = ms(String(timeout ?? raw.scheduler.timeout));
    const period = periodMs(schedule);
    if (period !== undefined && timeoutMs >= period) {
      if (timeout !== undefined) {
        errors.push({ ...locate(['collectors', d.name, 'timeout']), message: `timeout ${String(timeout)} must be shorter than the interval ${schedule.text}` });
        continue;
      }
      timeoutMs = Math.max(500, Math.floor(period * 0.8)); // the default timeout never reaches the interval
    }
    collectors.push({
      definition: d,
      enabled: typeof enabled === 'boolean' ? enabled : !disableDefaults && d.enabledByDefault,
      schedule,
      timeoutMs,
      phaseLock: typeof phase_lock === 'boolean' ? phase_lock : raw.scheduler.phase_lock,
      followScrapes: raw.scheduler.follow_scrapes && interval === undefined && d.defaultInterval === undefined && schedule.kind === 'interval',
      sampleTimestamps: typeof sample_timestamps === 'boolean' ? sample_timestamps : raw.scheduler.sample_timestamps,
      maxSeries: typeof max_series === 'number' ? max_series : d.defaultMaxSeries,
      options,
      builtin: builtins.includes(d),
    });
  }
  const rw = remoteWriteSettings(raw, file ? dirname(resolve(file)) : process.cwd());
  for (const p of rw.problems) errors.push({ ...locate(p.path), message: p.message });
  if (raw.web.listen_address === '' && !rw.settings && !rw.problems.length) {
    errors.push({ ...locate(['web', 'listen_address']), message: 'an empty listen address (push-only) needs a remote_write receiver' });
  }
  if (errors.length) return { ok: false, errors };
  const w = raw.web;
  return {
    ok: true,
    config: {
      file,
      notes: [],
      web: {
        listenAddress: w.listen_address,
        maxRequests: w.max_requests,
        maxConnections: w.max_connections,
        headerTimeoutMs: ms(w.header_timeout),
        requestTimeoutMs: ms(w.request_timeout),
        shutdownTimeoutMs: ms(w.shutdown_timeout),
        maxHeaderBytes: w.max_header_bytes,
        diagnostics: w.diagnostics,
        unauthenticatedPaths: new Set(w.unauthenticated_paths),
        telemetryPath: w.telemetry_path,
      },
      paths: { procfs: raw.paths.procfs, sysfs: raw.paths.sysfs, rootfs: raw.paths.rootfs, udevData: raw.paths.udev_data },
      log: { level: raw.log.level as Config['log']['level'], format: raw.log.format as Config['log']['format'] },
      minIntervalMs: ms(raw.scheduler.min_interval),
      selfMetrics: {
        intervalMs: ms(raw.self_metrics.interval),
        runtime: raw.self_metrics.runtime,
        phaseLock: raw.scheduler.phase_lock,
        followScrapes: raw.scheduler.follow_scrapes,
      },
      collectors,
      remoteWrite: rw.settings,
    },
  };
}

function isValidRegExp(pattern: string): boolean {
  try {
    goRegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

function dotted(path: ReadonlyArray<string | number>): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

export function hasPath(obj: unknown, path: ReadonlyArray<string | number>): boolean {
  let cur: unknown = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object' || !(p in (cur as object))) return false;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return true;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepMerge(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(source)) {
    if (k === '__proto__' || k === 'constructor') continue;
    const cur = target[k];
    target[k] = isObject(v) && isObject(cur) ? deepMerge({ ...cur }, v) : v;
  }
  return target;
}

function appendLists(merged: Record<string, unknown>, append: NonNullable<ConfigOverrides['append']>): void {
  for (const [collector, options] of Object.entries(append)) {
    const collectors = (isObject(merged.collectors) ? merged.collectors : (merged.collectors = {})) as Record<string, unknown>;
    const own = (isObject(collectors[collector]) ? collectors[collector] : (collectors[collector] = {})) as Record<string, unknown>;
    for (const [key, items] of Object.entries(options)) own[key] = [...(Array.isArray(own[key]) ? own[key] : []), ...items];
  }
}

function stripUndefined(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    out[k] = isObject(v) ? stripUndefined(v) : v;
  }
  return out;
}
