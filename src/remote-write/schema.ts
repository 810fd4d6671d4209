/** The config keys of remote write, with Prometheus's names (https://prometheus.io/docs/prometheus/latest/configuration/configuration/#remote_write). */
import { RELABEL_ACTIONS } from '../metrics/relabel.js';

function object(properties: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { type: 'object', additionalProperties: false, properties, ...extra };
}

const LABEL_NAME = { type: 'string', pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$', 'x-expected': 'a label name ([a-zA-Z_][a-zA-Z0-9_]*)' };
const FILE = { type: 'string', minLength: 1 };

/** The defaults of queue_config: Prometheus's, but for max_shards (no resharding here; see docs/remote-write.md). */
export const QUEUE_DEFAULTS = {
  capacity: 10000,
  max_shards: 1,
  min_shards: 1,
  max_samples_per_send: 2000,
  batch_send_deadline: '5s',
  min_backoff: '30ms',
  max_backoff: '5s',
  retry_on_http_429: true,
};

/** `duration`: the config's duration schema (passed in: this module must not import the config's). */
export function remoteWriteSchema(duration: Record<string, unknown>) {
  const relabel = object({
    source_labels: { type: 'array', items: LABEL_NAME },
    separator: { type: 'string' },
    target_label: { type: 'string', minLength: 1 },
    regex: { type: 'string' },
    modulus: { type: 'integer', minimum: 1 },
    replacement: { type: 'string' },
    action: { enum: [...RELABEL_ACTIONS] },
  });
  const endpoint = object(
    {
      url: { type: 'string', pattern: '^https?://', 'x-expected': 'an http:// or https:// URL' },
      name: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$', 'x-expected': 'a name of letters, digits, _ . -' },
      remote_timeout: { ...duration, description: 'A send with no answer within this is retried (default 30s)' },
      headers: { type: 'object', additionalProperties: { type: 'string' } },
      basic_auth: object({ username: { type: 'string' }, password: { type: 'string' }, password_file: FILE }, { required: ['username'] }),
      authorization: object({ type: { type: 'string', minLength: 1 }, credentials: { type: 'string' }, credentials_file: FILE }),
      tls_config: object({ ca_file: FILE, cert_file: FILE, key_file: FILE, server_name: { type: 'string' }, insecure_skip_verify: { type: 'boolean' } }),
      write_relabel_configs: { type: 'array', items: relabel },
      queue_config: object({
        capacity: { type: 'integer', minimum: 1 },
        max_shards: { type: 'integer', minimum: 1, maximum: 64 },
        min_shards: { type: 'integer', minimum: 1, maximum: 64 },
        max_samples_per_send: { type: 'integer', minimum: 1, maximum: 100000 },
        batch_send_deadline: duration,
        min_backoff: duration,
        max_backoff: duration,
        retry_on_http_429: { type: 'boolean' },
      }),
    },
    { required: ['url'] },
  );
  return {
    global: object({
      external_labels: {
        type: 'object',
        propertyNames: { pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$' },
        additionalProperties: { type: 'string' },
        description: 'Labels added to every series sent by remote write (where the series lacks them)',
      },
    }),
    remote_write: { type: 'array', items: endpoint, description: 'Receivers to push every run to (docs/remote-write.md)' },
    remote_write_queue: object({
      path: { type: 'string', minLength: 1, description: 'Directory of the remote-write queues (one per receiver); must survive restarts' },
      max_bytes: { type: 'integer', minimum: 65536, description: "Each receiver's queue holds at most this many bytes on disk; the oldest go first" },
    }),
  };
}
