/** The probe collector's options: schema, types, and the module table they define. */
import type { OptionProblem, OptionsSchema } from '../../src/collector.js';
import { DURATION_PATTERN, parseDuration } from '../../src/config/duration.js';
import { loadYamlFile } from '../../src/config/load.js';
import type { DnsSdConfig, FileSdConfig } from './discovery.js';
import { MODULE_SCHEMA, MODULES_FILE_SCHEMA } from './module-schema.js';
import { ENDPOINT_SCHEMA, endpointProblems, type EndpointOptions } from './probe-endpoint.js';
import { buildModule, BUILTIN_MODULES, moduleProblems, type ProbeModule, type RawModule } from './module.js';
import { DEFAULT_BUCKETS } from './probe-results.js';
import { resolveShard, SHARD_SCHEMA, type RawShard } from './shard.js';
import { buildTarget, type TargetSpec } from './targets.js';

const DURATION = { type: 'string', pattern: DURATION_PATTERN };
const LABELS = { type: 'object', additionalProperties: { type: 'string' } };

export interface RawTarget {
  target: string;
  module?: string;
  interval?: string;
  timeout?: string;
  labels?: Record<string, string>;
}

export interface ProbeOptions {
  modules: Record<string, RawModule>;
  modules_file?: string;
  /** A string is a target with the defaults (`--probe URL`, `--collector.probe.targets=URL`). */
  targets: TargetSpec[];
  file_sd: FileSdConfig[];
  dns_sd: DnsSdConfig[];
  probe_interval: string;
  probe_timeout: string;
  max_concurrent: number;
  buckets: number[];
  endpoint?: EndpointOptions;
  shard?: RawShard;
}

export const PROBE_OPTIONS_SCHEMA: OptionsSchema = {
  type: 'object',
  properties: {
    modules: {
      type: 'object',
      additionalProperties: MODULE_SCHEMA,
      default: {},
      description: 'Modules in blackbox_exporter syntax, added to (or replacing) the built-in and modules_file ones',
    },
    modules_file: { type: 'string', minLength: 1, description: 'A blackbox_exporter configuration file whose modules to use' },
    targets: {
      type: 'array',
      default: [],
      description: 'Targets to probe: a URL or host:port, or {target, module, interval, timeout, labels}',
      items: {
        anyOf: [
          { type: 'string', minLength: 1 },
          {
            type: 'object',
            additionalProperties: false,
            required: ['target'],
            properties: {
              target: { type: 'string', minLength: 1 },
              module: { type: 'string', minLength: 1 },
              interval: DURATION,
              timeout: DURATION,
              labels: LABELS,
            },
          },
        ],
      },
    },
    file_sd: {
      type: 'array',
      default: [],
      description: 'Prometheus file_sd files of targets (labels __param_module, __scrape_interval__, __scrape_timeout__ set module, interval, timeout)',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['files'],
        properties: { files: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } }, refresh_interval: DURATION },
      },
    },
    dns_sd: {
      type: 'array',
      default: [],
      description: 'DNS names whose SRV (or A/AAAA) records are targets',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['names'],
        properties: {
          names: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
          type: { enum: ['SRV', 'A', 'AAAA'] },
          port: { type: 'integer', minimum: 1, maximum: 65535 },
          refresh_interval: DURATION,
          server: { type: 'string', minLength: 1 },
          module: { type: 'string', minLength: 1 },
          scheme: { enum: ['http', 'https'] },
          path: { type: 'string', pattern: '^/' },
          labels: LABELS,
        },
      },
    },
    probe_interval: { ...DURATION, default: '15s', description: 'How often each target is probed unless it says otherwise' },
    probe_timeout: { ...DURATION, default: '10s', description: 'Timeout of a probe whose target and module set none (always below the interval)' },
    max_concurrent: { type: 'integer', minimum: 1, default: 128, description: 'Probes running at once at most; the rest wait their turn' },
    endpoint: ENDPOINT_SCHEMA,
    shard: SHARD_SCHEMA,
    buckets: {
      type: 'array',
      minItems: 1,
      items: { type: 'number', exclusiveMinimum: 0 },
      default: DEFAULT_BUCKETS,
      description: 'Upper bounds of spyglass_probe_duration_seconds, in seconds',
    },
  },
};

/** Options as the schema leaves them: targets may still be plain strings. */
export type RawProbeOptions = Omit<ProbeOptions, 'targets'> & { targets: Array<string | RawTarget> };

export function normalizeOptions(raw: RawProbeOptions): ProbeOptions {
  return { ...raw, targets: raw.targets.map(targetSpec) };
}

function targetSpec(t: string | RawTarget): TargetSpec {
  if (typeof t === 'string') return { target: t };
  return {
    target: t.target,
    module: t.module,
    intervalMs: t.interval === undefined ? undefined : parseDuration(t.interval),
    timeoutMs: t.timeout === undefined ? undefined : parseDuration(t.timeout),
    labels: t.labels,
  };
}

export interface ModuleTable {
  modules: Map<string, ProbeModule | Error>;
  problems: OptionProblem[];
}

/** Built-in modules, then those of modules_file, then the inline ones (later wins). A broken module is an Error in the table. */
export async function moduleTable(o: Pick<ProbeOptions, 'modules' | 'modules_file'>): Promise<ModuleTable> {
  const problems: OptionProblem[] = [];
  const raw = new Map<string, { module: RawModule; path: Array<string | number>; file?: string }>();
  for (const [name, module] of Object.entries(BUILTIN_MODULES)) raw.set(name, { module, path: [] });
  if (o.modules_file) {
    const loaded = await loadYamlFile(o.modules_file, MODULES_FILE_SCHEMA);
    if ('errors' in loaded) {
      for (const e of loaded.errors)
        problems.push({
          ...(e.file ? { file: e.file } : {}),
          ...(e.line ? { line: e.line, column: e.column ?? 1 } : {}),
          message: `${e.key ? `${e.key}: ` : ''}${e.message}`,
        });
    } else {
      for (const [name, module] of Object.entries(loaded.value.modules as Record<string, RawModule>))
        raw.set(name, { module, path: ['modules', name], file: o.modules_file });
    }
  }
  for (const [name, module] of Object.entries(o.modules)) raw.set(name, { module, path: ['modules', name] });
  const modules = new Map<string, ProbeModule | Error>();
  for (const [name, { module, path, file }] of raw) {
    const found = moduleProblems(module);
    for (const p of found)
      problems.push(file ? { file, message: `${[...path, ...p.path].join('.')}: ${p.message}` } : { path: [...path, ...p.path], message: p.message });
    if (found.length) {
      modules.set(name, new Error(found.map((p) => `${p.path.join('.')}: ${p.message}`).join('; ')));
      continue;
    }
    try {
      modules.set(name, { ...buildModule(name, module), source: module });
    } catch (err) {
      modules.set(name, err as Error);
      problems.push({ path, message: (err as Error).message });
    }
  }
  return { modules, problems };
}

/** Config-time checks: modules (and their file) and the static targets against them. */
export async function validateOptions(raw: RawProbeOptions): Promise<OptionProblem[]> {
  const o = normalizeOptions(raw);
  const { modules, problems } = await moduleTable(o);
  const defaults = targetDefaults(o);
  for (const [i, spec] of o.targets.entries()) {
    const built = buildTarget(spec, modules, defaults, 'static');
    if ('message' in built) problems.push({ path: ['targets', i], message: built.message });
  }
  problems.push(...endpointProblems(o.endpoint));
  problems.push(...resolveShard(o.shard).problems);
  if (o.buckets.some((le, i) => i > 0 && le <= (o.buckets[i - 1] as number))) problems.push({ path: ['buckets'], message: 'bucket bounds must increase' });
  return problems;
}

export function targetDefaults(o: Pick<ProbeOptions, 'probe_interval' | 'probe_timeout'>) {
  return { intervalMs: parseDuration(o.probe_interval) ?? 15_000, timeoutMs: parseDuration(o.probe_timeout) ?? 10_000 };
}
