import type { CollectorDefinition } from '../collector.js';
import { DURATION_PATTERN } from './duration.js';

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
    collectors[d.name] = object(
      { ...COMMON_COLLECTOR_KEYS, ...(d.options?.properties ?? {}) },
      d.options?.required ? { required: d.options.required } : {},
    );
  }
  return object({
    web: object({
      listen_address: { type: 'string', pattern: '^(\\[[0-9a-fA-F:.]+\\]|[^:\\s\\[\\]]*):[0-9]{1,5}$', [EXPECTED]: 'an address like :9473, 127.0.0.1:9473 or [::1]:9473' },
      max_requests: { type: 'integer', minimum: 0 },
      max_connections: { type: 'integer', minimum: 1 },
      header_timeout: DURATION,
      request_timeout: DURATION,
      shutdown_timeout: DURATION,
      max_header_bytes: { type: 'integer', minimum: 1024, maximum: 1048576 },
      diagnostics: { type: 'boolean' },
      // Only the health endpoints may answer without the web config's auth (kubelet probes carry none).
      unauthenticated_paths: { type: 'array', uniqueItems: true, items: { enum: ['/healthz', '/readyz'] } },
      telemetry_path: { type: 'string', pattern: '^/[^?#]*$', not: { enum: ['/', '/healthz', '/readyz', '/-/reload', '/probe'] }, [EXPECTED]: 'a path like /metrics, other than /, /healthz, /readyz, /-/reload and /probe' },
    }),
    paths: object({
      procfs: { type: 'string', minLength: 1 },
      sysfs: { type: 'string', minLength: 1 },
      rootfs: { type: 'string', minLength: 1 },
      udev_data: { type: 'string', minLength: 1 },
    }),
    log: object({
      level: { enum: ['debug', 'info', 'warn', 'error'] },
      format: { enum: ['json', 'logfmt'] },
    }),
    scheduler: object({
      interval: SCHEDULE,
      follow_scrapes: { type: 'boolean' },
      min_interval: DURATION,
      timeout: DURATION,
      phase_lock: { type: 'boolean' },
      sample_timestamps: { type: 'boolean' },
    }),
    self_metrics: object({ interval: DURATION, runtime: { type: 'boolean' } }),
    collector_modules: { type: 'array', items: { type: 'string', minLength: 1 } },
    collectors: object(collectors),
  });
}
