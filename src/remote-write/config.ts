/** Turns the checked `remote_write:` YAML into settings, with the checks a schema cannot make. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDuration } from '../config/duration.js';
import { compileRelabel, type RawRelabelConfig, type RelabelRule } from '../metrics/relabel.js';
import { QUEUE_DEFAULTS } from './schema.js';
import { defaultEndpointName, type RemoteWriteEndpoint, type RemoteWriteSettings } from './writer.js';

interface RawEndpoint {
  url: string;
  name?: string;
  remote_timeout?: string;
  headers?: Record<string, string>;
  basic_auth?: { username: string; password?: string; password_file?: string };
  authorization?: { type?: string; credentials?: string; credentials_file?: string };
  tls_config?: { ca_file?: string; cert_file?: string; key_file?: string; server_name?: string; insecure_skip_verify?: boolean };
  write_relabel_configs?: RawRelabelConfig[];
  queue_config?: Partial<typeof QUEUE_DEFAULTS>;
}

export interface RawRemoteWrite {
  global: { external_labels: Record<string, string> };
  remote_write: unknown[];
  remote_write_queue: { path: string; max_bytes: number };
}

/** A problem at a path of the config (the loader locates it in the file). */
export interface RemoteWriteProblem {
  path: Array<string | number>;
  message: string;
}

/** Headers spyglass sets itself; Prometheus refuses them in `headers` too. */
const RESERVED_HEADERS = ['authorization', 'content-encoding', 'content-length', 'content-type', 'user-agent', 'x-prometheus-remote-write-version', 'host'];

export function remoteWriteSettings(raw: RawRemoteWrite, baseDir: string): { settings?: RemoteWriteSettings; problems: RemoteWriteProblem[] } {
  const problems: RemoteWriteProblem[] = [];
  const endpoints: RemoteWriteEndpoint[] = [];
  const names = new Set<string>();
  const ms = (t: string) => parseDuration(t) ?? 0;
  const file = (f: string | undefined) => (f === undefined ? undefined : resolve(baseDir, f));
  (raw.remote_write as RawEndpoint[]).forEach((e, i) => {
    const at = (...path: Array<string | number>) => ['remote_write', i, ...path];
    const name = e.name ?? defaultEndpointName(e.url);
    if (names.has(name))
      problems.push({ path: at('name'), message: `the name ${JSON.stringify(name)} is used by an earlier remote_write entry; names must be unique` });
    names.add(name);
    try {
      const url = new URL(e.url);
      // The URL is shown in logs, the landing page and the self-metrics' url label.
      if (url.username || url.password)
        problems.push({ path: at('url'), message: 'credentials in the URL would be shown in logs, metrics and the landing page; use basic_auth' });
    } catch {
      problems.push({ path: at('url'), message: `${JSON.stringify(e.url)} is not a URL` });
    }
    for (const h of Object.keys(e.headers ?? {})) {
      if (RESERVED_HEADERS.includes(h.toLowerCase())) problems.push({ path: at('headers', h), message: `${h} is set by spyglass and cannot be overridden` });
    }
    if (e.basic_auth && e.authorization) problems.push({ path: at('authorization'), message: 'basic_auth and authorization cannot both be set' });
    if (e.basic_auth?.password !== undefined && e.basic_auth.password_file !== undefined) {
      problems.push({ path: at('basic_auth', 'password_file'), message: 'password and password_file cannot both be set' });
    }
    if (e.authorization?.credentials !== undefined && e.authorization.credentials_file !== undefined) {
      problems.push({ path: at('authorization', 'credentials_file'), message: 'credentials and credentials_file cannot both be set' });
    }
    if (e.authorization?.type?.toLowerCase() === 'basic') problems.push({ path: at('authorization', 'type'), message: 'use basic_auth for Basic credentials' });
    const tls = e.tls_config ?? {};
    if (Boolean(tls.cert_file) !== Boolean(tls.key_file)) problems.push({ path: at('tls_config'), message: 'cert_file and key_file go together' });
    for (const key of ['ca_file', 'cert_file', 'key_file'] as const) {
      const f = file(tls[key]);
      if (f && !existsSync(f)) problems.push({ path: at('tls_config', key), message: `${f} does not exist` });
    }
    const rules: RelabelRule[] = [];
    (e.write_relabel_configs ?? []).forEach((r, j) => {
      try {
        rules.push(compileRelabel(r));
      } catch (err) {
        problems.push({ path: at('write_relabel_configs', j), message: (err as Error).message });
      }
    });
    const q = { ...QUEUE_DEFAULTS, ...(e.queue_config ?? {}) };
    if (q.min_shards > q.max_shards)
      problems.push({ path: at('queue_config', 'min_shards'), message: `min_shards ${q.min_shards} is above max_shards ${q.max_shards}` });
    if (ms(q.min_backoff) > ms(q.max_backoff))
      problems.push({ path: at('queue_config', 'min_backoff'), message: `min_backoff ${q.min_backoff} is above max_backoff ${q.max_backoff}` });
    if (q.capacity < q.max_samples_per_send) {
      problems.push({
        path: at('queue_config', 'capacity'),
        message: `capacity ${q.capacity} must be at least max_samples_per_send (${q.max_samples_per_send})`,
      });
    }
    const timeoutMs = ms(e.remote_timeout ?? '30s');
    if (timeoutMs <= 0) problems.push({ path: at('remote_timeout'), message: 'must be above 0' });
    const basic = e.basic_auth;
    const auth = e.authorization;
    endpoints.push({
      name,
      rules,
      client: {
        url: e.url,
        timeoutMs,
        headers: e.headers ?? {},
        ...(basic ? { basicAuth: { username: basic.username, password: basic.password, passwordFile: file(basic.password_file) } } : {}),
        ...(auth ? { authorization: { type: auth.type ?? 'Bearer', credentials: auth.credentials, credentialsFile: file(auth.credentials_file) } } : {}),
        tls: {
          caFile: file(tls.ca_file),
          certFile: file(tls.cert_file),
          keyFile: file(tls.key_file),
          serverName: tls.server_name,
          insecureSkipVerify: tls.insecure_skip_verify ?? false,
        },
      },
      queue: {
        capacity: q.capacity,
        maxShards: q.max_shards,
        minShards: q.min_shards,
        maxSamplesPerSend: q.max_samples_per_send,
        batchSendDeadlineMs: ms(q.batch_send_deadline),
        minBackoffMs: Math.max(1, ms(q.min_backoff)),
        maxBackoffMs: Math.max(1, ms(q.max_backoff)),
        retryOnHttp429: q.retry_on_http_429,
      },
    });
  });
  if (problems.length || endpoints.length === 0) return { problems };
  const externalLabels = Object.entries(raw.global.external_labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    problems,
    settings: { endpoints, externalLabels, queueDir: resolve(baseDir, raw.remote_write_queue.path), maxQueueBytes: raw.remote_write_queue.max_bytes },
  };
}
