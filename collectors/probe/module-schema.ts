/**
 * JSON Schema of a probe module in blackbox_exporter's `blackbox.yml` syntax, so an existing file
 * can be reused. Keys blackbox accepts but spyglass does not implement are listed in UNSUPPORTED and
 * rejected with a message saying so, instead of being silently ignored.
 */
import { DURATION_PATTERN } from '../../src/config/duration.js';
import { EXPECTED } from '../../src/config/schema.js';

/**
 * blackbox_exporter options spyglass refuses with this explanation rather than the schema's bare
 * "unknown key"; the path is `prober.key`, or `key` at module level. The schema lets them through
 * and the collector's validate() reports them.
 */
export const UNSUPPORTED: Record<string, string> = {
  'http.proxy_url': 'probing through a proxy is not supported',
  'http.no_proxy': 'probing through a proxy is not supported',
  'http.proxy_from_environment': 'probing through a proxy is not supported',
  'http.proxy_connect_header': 'probing through a proxy is not supported',
  'http.oauth2': 'OAuth 2.0 client credentials are not supported; use authorization with a credentials_file',
  'http.enable_http3': 'HTTP/3 is not supported',
  'http.fail_if_body_json_matches_cel': 'CEL expressions are not supported',
  'http.fail_if_body_json_not_matches_cel': 'CEL expressions are not supported',
  'http.http_headers': 'use headers (and authorization or basic_auth with *_file for secrets)',
  unix: 'the unix socket prober is not supported',
  websocket: 'the websocket prober is not supported',
};

const DURATION = { type: 'string', pattern: DURATION_PATTERN, [EXPECTED]: 'a duration like 10s, 1m30s or 500ms' };
const REGEX = { type: 'string', format: 'regex' };
const REGEXES = { type: 'array', items: REGEX };
const IP_PROTOCOL = { enum: ['ip4', 'ip6'] };

function unsupported(prober: string): Record<string, object> {
  const keys = Object.keys(UNSUPPORTED).filter((k) => (prober ? k.startsWith(`${prober}.`) : !k.includes('.')));
  return Object.fromEntries(keys.map((k) => [k.slice(prober ? prober.length + 1 : 0), {}]));
}

function object(properties: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { type: 'object', additionalProperties: false, properties, ...extra };
}

/** `name: value` read from the module itself, a file (re-read on every probe) or the environment. */
const SECRET_SOURCES = (key: string) => ({
  [key]: { type: 'string' },
  [`${key}_file`]: { type: 'string', minLength: 1 },
  [`${key}_env`]: { type: 'string', minLength: 1 },
});

const TLS_CONFIG = object({
  ca_file: { type: 'string', minLength: 1 },
  cert_file: { type: 'string', minLength: 1 },
  key_file: { type: 'string', minLength: 1 },
  server_name: { type: 'string' },
  insecure_skip_verify: { type: 'boolean' },
  min_version: { enum: ['TLS10', 'TLS11', 'TLS12', 'TLS13'] },
  max_version: { enum: ['TLS10', 'TLS11', 'TLS12', 'TLS13'] },
});

const IP = {
  preferred_ip_protocol: IP_PROTOCOL,
  ip_protocol_fallback: { type: 'boolean' },
  source_ip_address: { type: 'string', minLength: 1 },
};

const HEADER_MATCH = object(
  { header: { type: 'string', minLength: 1 }, regexp: REGEX, allow_missing: { type: 'boolean' } },
  { required: ['header', 'regexp'] },
);

const HTTP = object({
  ...IP,
  valid_status_codes: { type: 'array', items: { type: 'integer', minimum: 100, maximum: 999 } },
  valid_http_versions: { type: 'array', items: { type: 'string', minLength: 1 } },
  method: { type: 'string', pattern: '^[A-Za-z]+$' },
  headers: { type: 'object', additionalProperties: { type: 'string' } },
  body: { type: 'string' },
  body_file: { type: 'string', minLength: 1 },
  compression: { enum: ['', 'gzip', 'br', 'deflate', 'identity'] },
  body_size_limit: { type: ['string', 'integer'] },
  follow_redirects: { type: 'boolean' },
  no_follow_redirects: { type: 'boolean' },
  fail_if_ssl: { type: 'boolean' },
  fail_if_not_ssl: { type: 'boolean' },
  fail_if_body_matches_regexp: REGEXES,
  fail_if_body_not_matches_regexp: REGEXES,
  fail_if_header_matches: { type: 'array', items: HEADER_MATCH },
  fail_if_header_not_matches: { type: 'array', items: HEADER_MATCH },
  tls_config: TLS_CONFIG,
  basic_auth: object({ username: { type: 'string' }, ...SECRET_SOURCES('password') }),
  authorization: object({ type: { type: 'string', minLength: 1 }, ...SECRET_SOURCES('credentials') }),
  bearer_token: { type: 'string' },
  bearer_token_file: { type: 'string', minLength: 1 },
  bearer_token_env: { type: 'string', minLength: 1 },
  enable_http2: { type: 'boolean' },
  skip_resolve_phase_with_proxy: { type: 'boolean' },
  ...unsupported('http'),
});

const QUERY_RESPONSE = object({
  expect: REGEX,
  expect_bytes: { type: 'string' },
  send: { type: 'string' },
  starttls: { type: 'boolean' },
  labels: {
    type: 'array',
    items: object({ name: { type: 'string', pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$' }, value: { type: 'string' } }, { required: ['name', 'value'] }),
  },
});

const TCP = object({ ...IP, query_response: { type: 'array', items: QUERY_RESPONSE }, tls: { type: 'boolean' }, tls_config: TLS_CONFIG });

const RR_VALIDATOR = object({
  fail_if_matches_regexp: REGEXES,
  fail_if_all_match_regexp: REGEXES,
  fail_if_not_matches_regexp: REGEXES,
  fail_if_none_matches_regexp: REGEXES,
});

const DNS = object(
  {
    ...IP,
    query_name: { type: 'string', minLength: 1 },
    query_type: { type: 'string', minLength: 1 },
    query_class: { type: 'string', minLength: 1 },
    transport_protocol: { enum: ['udp', 'tcp'] },
    recursion_desired: { type: 'boolean' },
    valid_rcodes: { type: 'array', items: { type: 'string', minLength: 1 } },
    validate_answer_rrs: RR_VALIDATOR,
    validate_authority_rrs: RR_VALIDATOR,
    validate_additional_rrs: RR_VALIDATOR,
    dns_over_tls: { type: 'boolean' },
    tls_config: TLS_CONFIG,
  },
  { required: ['query_name'] },
);

const ICMP = object({
  ...IP,
  payload_size: { type: 'integer', minimum: 0, maximum: 65000 },
  dont_fragment: { type: 'boolean' },
  ttl: { type: 'integer', minimum: 0, maximum: 255 },
});

const GRPC = object({
  preferred_ip_protocol: IP_PROTOCOL,
  ip_protocol_fallback: { type: 'boolean' },
  service: { type: 'string' },
  tls: { type: 'boolean' },
  tls_config: TLS_CONFIG,
  metadata: { type: 'object', additionalProperties: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] } },
});

export const PROBERS = ['http', 'tcp', 'dns', 'icmp', 'grpc'] as const;
export type ProberName = (typeof PROBERS)[number];

export const MODULE_SCHEMA = object(
  { prober: { enum: [...PROBERS] }, timeout: DURATION, http: HTTP, tcp: TCP, dns: DNS, icmp: ICMP, grpc: GRPC, ...unsupported('') },
  { required: ['prober'] },
);

/** A whole `blackbox.yml`: only `modules` at the top level, as in blackbox_exporter. */
export const MODULES_FILE_SCHEMA = object({ modules: { type: 'object', additionalProperties: MODULE_SCHEMA } }, { required: ['modules'] });
