/**
 * The collector plugin API. Built-in and third-party collectors implement the same contract:
 * a module whose default export (or named export `collector`) is a CollectorDefinition.
 */
import type { MetricFamily } from './metrics/model.js';

export type { MetricFamily, Sample, HistogramSample, Labels } from './metrics/model.js';
export { counter, gauge, untyped } from './metrics/model.js';

export interface Paths {
  procfs: string;
  sysfs: string;
  rootfs: string;
  /** udev's database (`/run/udev/data`), node_exporter's --path.udev.data. */
  udevData: string;
}

export interface CollectorLogger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

export interface CollectContext<Config = Record<string, unknown>, State = unknown> {
  /** The collector's own options, validated against its schema, defaults applied. */
  config: Config;
  paths: Paths;
  /** Aborted when the run's deadline passes; pass it to I/O that accepts one. */
  signal: AbortSignal;
  logger: CollectorLogger;
  /** When this run started, ms since the epoch; the default timestamp of its samples. */
  runTimeMs: number;
  /** Kept between runs of this collector (reset when its configuration changes). */
  state: State;
  /**
   * True when this run is the only one (`spyglass dump`): a collector that normally works in the
   * background between runs (the probes) does its work once, inside this run, instead.
   */
  once: boolean;
  /**
   * Counts one item (a container, a file, a field) left out of an otherwise good run, so the rest is
   * still served: `spyglass_collector_skipped_total{collector,reason}`. Keep `reason` to a few fixed words.
   */
  skip(reason: string, detail: string): void;
  /**
   * Asks for a run soon, ahead of the schedule: for a collector whose background work produced
   * news the next scrape should show (a probe target's first result). Runs still never overlap.
   */
  runSoon(): void;
  /**
   * The other collector that serves a family of this name, if one does. For a collector whose
   * family names come from outside (see `yieldsFamilyNames`), to leave such a family out.
   */
  servedElsewhere(familyName: string): string | undefined;
  /** The collector's series cap (`max_series`), for a collector that keeps whole items within it itself. */
  maxSeries: number | undefined;
}

/** JSON Schema (draft 2020-12 subset that ajv understands) of a collector's own options. */
export interface OptionsSchema {
  type: 'object';
  properties: Record<string, Record<string, unknown>>;
  required?: string[];
}

export type CollectorGroup = 'host' | 'container' | 'probe' | 'self' | 'external';

// `any` by default: one list holds definitions of every collector, each with its own option and state types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface CollectorDefinition<Config = any, State = any> {
  /** Short name used by `--collector.NAME`, `collect[]=NAME` and the `collector` label. */
  name: string;
  description: string;
  enabledByDefault: boolean;
  /** `host` collectors also report node_exporter's node_scrape_collector_* metrics. */
  group?: CollectorGroup;
  /** Default schedule, e.g. `15s` or a six-field cron expression; the config may override it. */
  defaultInterval?: string;
  /**
   * The label that groups a collector's series into items (`id` for containers, `target` for probes):
   * when the series cap (`max_series`) is hit, whole items are dropped, never half of one.
   */
  seriesGroupLabel?: string;
  /**
   * The collector hands out the same labels object for a series run after run (the container and
   * probe collectors keep one per item): its rendered form is then cached on that object. For
   * labels made afresh each run, the cache would only cost memory and GC time.
   */
  stableLabels?: boolean;
  /**
   * Its family names come from outside (the textfile collector's files): a family another collector
   * also serves is that collector's, and this one is run again to leave it out.
   */
  yieldsFamilyNames?: boolean;
  /** Default for the `max_series` option; unlimited when unset. */
  defaultMaxSeries?: number;
  options?: OptionsSchema;
  /**
   * Checks the options beyond what the schema can (cross-references, files they name) when the
   * config is loaded; problems fail the load (or the reload) like schema errors do.
   */
  validate?(options: Config): OptionProblem[] | Promise<OptionProblem[]>;
  initialState?: () => State;
  collect(ctx: CollectContext<Config, State>): MetricFamily[] | Promise<MetricFamily[]>;
  /**
   * The module's own `import.meta.url`, to run the collector in a worker thread of its own: its runs,
   * their rendering and their garbage stay off the thread that answers scrapes (for collectors
   * that build tens of thousands of samples per run). The module's default export must be this
   * definition; the state lives in that thread, so such a collector has no `statusTable` or `routes`.
   * `spyglass dump` still runs it in-process.
   */
  workerModule?: string;
  /** Releases what the state holds (timers, watchers, sockets) once the collector is retired: disabled, reconfigured or shut down. */
  dispose?(state: State): void;
  /** Extra rows for the landing page (the probe collector lists its targets and why they fail). */
  statusTable?(state: State): StatusTable | undefined;
  /** HTTP GET paths the collector answers while enabled (the probe collector's `/probe`). */
  routes?: Record<string, CollectorRoute<Config, State>>;
}

export interface CollectorHttpRequest {
  query: URLSearchParams;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
}

export interface CollectorHttpResponse {
  status: number;
  contentType: string;
  body: string;
}

export type CollectorRoute<Config, State> = (
  request: CollectorHttpRequest,
  collector: { config: Config; state: State; logger: CollectorLogger },
) => Promise<CollectorHttpResponse>;

export interface OptionProblem {
  /** Key path within the collector's options; located in the config file. */
  path?: Array<string | number>;
  /** For problems in another file the options name: where in that file. */
  file?: string;
  line?: number;
  column?: number;
  message: string;
}

export interface StatusTable {
  title: string;
  columns: string[];
  rows: string[][];
}

/** Identity function that gives a collector definition its types. */
export function defineCollector<Config = Record<string, unknown>, State = undefined>(
  def: CollectorDefinition<Config, State>,
): CollectorDefinition<Config, State> {
  return def;
}

/** Throws when the run's deadline has passed: call between expensive steps of a long collection. */
export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new Error('collection aborted: deadline passed');
}
