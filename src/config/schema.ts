import type { CollectorDefinition } from '../collector.js';
import { DURATION_PATTERN } from './duration.js';
import { remoteWriteSchema } from '../remote-write/schema.js';

export const DEFAULT_PORT = 9473;
export const DEFAULT_LISTEN_ADDRESS = `:${DEFAULT_PORT}`;

/** What a value must look like, in words, for error messages (an annotation ajv ignores). */
export const EXPECTED = 'x-expected';
const DURATION = { type: 'string', pattern: DURATION_PATTERN, [EXPECTED]: 'a duration like 10s, 1m30s or 500ms' };
/** An interval (`15s`) or a five/six-field cron expression. */
const SCHEDULE = { type: 'string', minLength: 1 };

/** The embedded defaults: spyglass runs on these with no config file. */
export const DEFAULTS = {
  web: {
    listen_address: DEFAULT_LISTEN_ADDRESS,
    max_requests: 40,
    max_connections: 512,
    header_timeout: '10s',
    request_timeout: '30s',
    shutdown_timeout: '10s',
    max_header_bytes: 16384,
    diagnostics: false,
    unauthenticated_paths: ['/healthz', '/readyz'],
    telemetry_path: '/metrics',
  },
  paths: { procfs: '/proc', sysfs: '/sys', rootfs: '/', udev_data: '/run/udev/data' },
  log: { level: 'info', format: 'json' },
  scheduler: { interval: '15s', follow_scrapes: true, min_interval: '1s', timeout: '10s', phase_lock: true, sample_timestamps: false },
  self_metrics: { interval: '15s', runtime: true },
  collector_modules: [] as string[],
  collectors: {} as Record<string, Record<string, unknown>>,
  global: { external_labels: {} as Record<string, string> },
  remote_write: [] as Array<Record<string, unknown>>,
  remote_write_queue: { path: '/var/lib/spyglass/remote-write', max_bytes: 256 * 1024 * 1024 },
};

export type RawConfig = typeof DEFAULTS;

const COMMON_COLLECTOR_KEYS = {
  enabled: { type: 'boolean' },
  interval: SCHEDULE,
  timeout: DURATION,
  phase_lock: { type: 'boolean' },
  sample_timestamps: { type: 'boolean' },
  max_series: { type: 'integer', minimum: 1 },
};

function object(properties: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { type: 'object', additionalProperties: false, properties, ...extra };
}

export function configSchema(definitions: readonly CollectorDefinition[]) {
  const collectors: Record<string, unknown> = {};
  for (const d of definitions) {
    collectors[d.name] = object({ ...COMMON_COLLECTOR_KEYS, ...(d.options?.properties ?? {}) }, d.options?.required ? { required: d.options.required } : {});
  }
  return object({
    web: object({
      listen_address: {
        description: 'Address to listen on (--web.listen-address)',
        type: 'string',
        pattern: '^((\\[[0-9a-fA-F:.]+\\]|[^:\\s\\[\\]]*):[0-9]{1,5})?$',
        [EXPECTED]: 'an address like :9473, 127.0.0.1:9473 or [::1]:9473, or "" (push-only, with remote_write)',
      },
      max_requests: { type: 'integer', minimum: 0, description: '/metrics requests in flight at most (503 beyond); 0: no limit (--web.max-requests)' },
      max_connections: { type: 'integer', minimum: 1, description: 'Open connections at most; more are dropped' },
      header_timeout: { ...DURATION, description: 'A client must send its request headers within this (408)' },
      request_timeout: { ...DURATION, description: 'A response not delivered within this is cut off, freeing its slot' },
      shutdown_timeout: { ...DURATION, description: 'On SIGTERM, in-flight responses get this long' },
      max_header_bytes: { type: 'integer', minimum: 1024, maximum: 1048576, description: 'Larger request line and headers get 431' },
      diagnostics: { type: 'boolean', description: 'Serve /debug/cpu-profile and /debug/heap-snapshot (docs/diagnostics.md)' },
      // Only the health endpoints may answer without the web config's auth (kubelet probes carry none).
      unauthenticated_paths: {
        type: 'array',
        uniqueItems: true,
        items: { enum: ['/healthz', '/readyz'] },
        description: 'Open even with basic auth (docs/security.md); [] protects them too',
      },
      telemetry_path: {
        type: 'string',
        pattern: '^/[^?#]*$',
        not: { enum: ['/', '/healthz', '/readyz', '/-/reload', '/probe'] },
        [EXPECTED]: 'a path like /metrics, other than /, /healthz, /readyz, /-/reload and /probe',
        description: 'Where the metrics are served (--web.telemetry-path)',
      },
    }),
    paths: object({
      procfs: { type: 'string', minLength: 1, description: '--path.procfs' },
      sysfs: { type: 'string', minLength: 1, description: '--path.sysfs' },
      rootfs: { type: 'string', minLength: 1, description: "--path.rootfs: the host's root, e.g. /host/root in a container" },
      udev_data: { type: 'string', minLength: 1, description: '--path.udev.data' },
    }),
    log: object({
      level: { enum: ['debug', 'info', 'warn', 'error'], description: 'debug | info | warn | error' },
      format: { enum: ['json', 'logfmt'], description: 'json | logfmt' },
    }),
    scheduler: object({
      interval: {
        ...SCHEDULE,
        description: "An interval (whole seconds) or a 5/6-field cron expression; with follow_scrapes, the one until a scraper's period is learned",
      },
      follow_scrapes: { type: 'boolean', description: "Run at the period of the scrapers learned; a collector's own interval pins it (docs/aliasing.md)" },
      min_interval: { ...DURATION, description: 'When following scrapers, never run more often than this' },
      timeout: { ...DURATION, description: 'Deadline of a run; always kept below the interval' },
      phase_lock: { type: 'boolean', description: 'Run just before the scrapes (docs/aliasing.md)' },
      sample_timestamps: { type: 'boolean', description: 'Expose the read time on counters and histograms (docs/aliasing.md)' },
    }),
    self_metrics: object({
      interval: { ...DURATION, description: 'Refresh of spyglass_*, node_scrape_* and runtime metrics until a scraper is learned' },
      runtime: { type: 'boolean', description: 'Include process_* and nodejs_* (--web.disable-exporter-metrics turns them off)' },
    }),
    collector_modules: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'External collector modules, relative to this file' },
    collectors: object(collectors),
    ...remoteWriteSchema(DURATION),
  });
}
