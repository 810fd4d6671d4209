/**
 * Probe modules: blackbox_exporter's module syntax (already schema-checked) turned into the
 * settings the probers use, with blackbox's defaults except where noted.
 */
import { parseDuration } from '../../src/config/duration.js';
import type { ClientTlsSettings, TlsVersion } from '../../src/http/client-tls.js';
import { goRegExp } from '../../src/config/go-regexp.js';
import { hasPath } from '../../src/config/load.js';
import type { ProberName } from './module-schema.js';
import { UNSUPPORTED } from './module-schema.js';
import { SecretSource, type Secret } from './secret.js';

export type RawModule = Record<string, unknown> & { prober: ProberName; timeout?: string };

export interface IpPreference {
  /** blackbox defaults to ip6; spyglass to ip4 (IPv4-only clusters are where that default bites). */
  family: 4 | 6;
  fallback: boolean;
  sourceAddress?: string;
}

const TLS_VERSIONS: Record<string, TlsVersion> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };

export interface HeaderMatch {
  header: string;
  regexp: RegExp;
  allowMissing: boolean;
}

export interface HttpSettings {
  ip: IpPreference;
  validStatusCodes: number[];
  validHttpVersions: string[];
  method: string;
  headers: Record<string, string>;
  body?: string;
  bodyFile?: string;
  compression?: 'gzip' | 'br' | 'deflate' | 'identity';
  /** Bytes; 0 = no limit (reading stops at the probe's deadline). */
  bodySizeLimit: number;
  followRedirects: boolean;
  failIfSsl: boolean;
  failIfNotSsl: boolean;
  bodyMatches: RegExp[];
  bodyNotMatches: RegExp[];
  headerMatches: HeaderMatch[];
  headerNotMatches: HeaderMatch[];
  tls: ClientTlsSettings;
  authorization?: { type: string; credentials: Secret };
  basicAuth?: { username: string; password: Secret };
}

export interface QueryResponse {
  expect?: RegExp;
  expectBytes?: string;
  send?: string;
  startTls: boolean;
  labels: Array<{ name: string; value: string }>;
}

export interface TcpSettings {
  ip: IpPreference;
  queryResponse: QueryResponse[];
  tls: boolean;
  tlsConfig: ClientTlsSettings;
}

export interface RrValidator {
  failIfMatches: RegExp[];
  failIfAllMatch: RegExp[];
  failIfNotMatches: RegExp[];
  failIfNoneMatches: RegExp[];
}

export interface DnsSettings {
  ip: IpPreference;
  queryName: string;
  queryType: string;
  queryClass: string;
  transport: 'udp' | 'tcp';
  recursionDesired: boolean;
  validRcodes: string[];
  validateAnswer: RrValidator;
  validateAuthority: RrValidator;
  validateAdditional: RrValidator;
}

export interface IcmpSettings {
  ip: IpPreference;
  payloadSize: number;
  dontFragment: boolean;
  ttl: number;
}

export interface GrpcSettings {
  ip: IpPreference;
  service: string;
  tls: boolean;
  tlsConfig: ClientTlsSettings;
  metadata: Record<string, string[]>;
}

/** `source`: the module as written, in blackbox.yml's keys, for /probe?debug=true. */
export type ProbeModule = { name: string; timeoutMs: number | undefined; source?: RawModule } & (
  | { prober: 'http'; http: HttpSettings }
  | { prober: 'tcp'; tcp: TcpSettings }
  | { prober: 'dns'; dns: DnsSettings }
  | { prober: 'icmp'; icmp: IcmpSettings }
  | { prober: 'grpc'; grpc: GrpcSettings }
);

/** The modules every spyglass has, named as in blackbox_exporter's example configuration. */
export const BUILTIN_MODULES: Record<string, RawModule> = {
  http_2xx: { prober: 'http' },
  http_post_2xx: { prober: 'http', http: { method: 'POST' } },
  tcp_connect: { prober: 'tcp' },
  grpc: { prober: 'grpc' },
  grpc_tls: { prober: 'grpc', grpc: { tls: true } },
  icmp: { prober: 'icmp' },
};

/** Problems schema validation cannot see, as `path: message` pairs relative to the module. */
export function moduleProblems(raw: RawModule): Array<{ path: string[]; message: string }> {
  const problems: Array<{ path: string[]; message: string }> = [];
  for (const [key, why] of Object.entries(UNSUPPORTED)) {
    const path = key.split('.');
    if (hasPath(raw, path)) problems.push({ path, message: `not supported by spyglass: ${why}` });
  }
  const http = raw.http as Record<string, unknown> | undefined;
  if (http?.body !== undefined && http.body_file !== undefined)
    problems.push({ path: ['http', 'body_file'], message: 'body and body_file are mutually exclusive' });
  if (http?.body_size_limit !== undefined && parseByteSize(http.body_size_limit as string | number) === undefined) {
    problems.push({ path: ['http', 'body_size_limit'], message: 'must be a byte size such as 1048576, 512KB or 10MiB' });
  }
  for (const [prober, section] of Object.entries(raw)) {
    if (section && typeof section === 'object' && prober !== raw.prober && ['http', 'tcp', 'dns', 'icmp', 'grpc'].includes(prober)) {
      problems.push({ path: [prober], message: `options for the ${prober} prober in a module whose prober is ${raw.prober}` });
    }
  }
  const dns = raw.dns as Record<string, unknown> | undefined;
  if (raw.prober === 'dns' && !dns?.query_name) problems.push({ path: ['dns', 'query_name'], message: 'a dns module needs query_name' });
  const auth = http?.authorization as Record<string, unknown> | undefined;
  const bearer = ['bearer_token', 'bearer_token_file', 'bearer_token_env'].filter((k) => http?.[k] !== undefined);
  if ((auth || http?.basic_auth) && bearer.length)
    problems.push({ path: ['http', bearer[0] as string], message: 'use only one of basic_auth, authorization and bearer_token' });
  if (auth && http?.basic_auth) problems.push({ path: ['http', 'authorization'], message: 'use only one of basic_auth and authorization' });
  return problems;
}

/**
 * A prober's section of a module as YAML gives it, already checked against the schema above: its
 * fields are read by their blackbox.yml names.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type RawSection = Record<string, any>;

export function buildModule(name: string, raw: RawModule): ProbeModule {
  const timeoutMs = raw.timeout ? parseDuration(raw.timeout) : undefined;
  const section = (raw[raw.prober] ?? {}) as RawSection;
  const base = { name, timeoutMs: timeoutMs || undefined };
  switch (raw.prober) {
    case 'http':
      return { ...base, prober: 'http', http: httpSettings(section) };
    case 'tcp':
      return {
        ...base,
        prober: 'tcp',
        tcp: {
          ip: ipPreference(section),
          queryResponse: (section.query_response ?? []).map(queryResponse),
          tls: section.tls === true,
          tlsConfig: tlsSettings(section.tls_config),
        },
      };
    case 'dns':
      return {
        ...base,
        prober: 'dns',
        dns: {
          ip: ipPreference(section),
          queryName: section.query_name,
          queryType: (section.query_type ?? 'ANY').toUpperCase(),
          queryClass: (section.query_class ?? 'IN').toUpperCase(),
          transport: section.transport_protocol ?? 'udp',
          recursionDesired: section.recursion_desired ?? true,
          validRcodes: (section.valid_rcodes ?? ['NOERROR']).map((r: string) => r.toUpperCase()),
          validateAnswer: rrValidator(section.validate_answer_rrs),
          validateAuthority: rrValidator(section.validate_authority_rrs),
          validateAdditional: rrValidator(section.validate_additional_rrs),
        },
      };
    case 'icmp':
      return {
        ...base,
        prober: 'icmp',
        icmp: { ip: ipPreference(section), payloadSize: section.payload_size ?? 0, dontFragment: section.dont_fragment === true, ttl: section.ttl ?? 64 },
      };
    case 'grpc':
      return {
        ...base,
        prober: 'grpc',
        grpc: {
          ip: ipPreference(section),
          service: section.service ?? '',
          tls: section.tls === true,
          tlsConfig: tlsSettings(section.tls_config),
          metadata: Object.fromEntries(
            Object.entries((section.metadata ?? {}) as Record<string, string | string[]>).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v : [v]]),
          ),
        },
      };
  }
}

function httpSettings(h: RawSection): HttpSettings {
  const settings: HttpSettings = {
    ip: ipPreference(h),
    validStatusCodes: h.valid_status_codes ?? [],
    validHttpVersions: h.valid_http_versions ?? [],
    method: (h.method ?? 'GET').toUpperCase(),
    headers: h.headers ?? {},
    ...(h.body !== undefined ? { body: h.body } : {}),
    ...(h.body_file !== undefined ? { bodyFile: h.body_file } : {}),
    ...(h.compression ? { compression: h.compression } : {}),
    bodySizeLimit: h.body_size_limit !== undefined ? (parseByteSize(h.body_size_limit) ?? 0) : 0,
    followRedirects: h.no_follow_redirects === true ? false : (h.follow_redirects ?? true),
    failIfSsl: h.fail_if_ssl === true,
    failIfNotSsl: h.fail_if_not_ssl === true,
    bodyMatches: (h.fail_if_body_matches_regexp ?? []).map(goRegExp),
    bodyNotMatches: (h.fail_if_body_not_matches_regexp ?? []).map(goRegExp),
    headerMatches: (h.fail_if_header_matches ?? []).map(headerMatch),
    headerNotMatches: (h.fail_if_header_not_matches ?? []).map(headerMatch),
    tls: tlsSettings(h.tls_config),
  };
  if (h.basic_auth) settings.basicAuth = { username: h.basic_auth.username ?? '', password: secret(h.basic_auth, 'password') };
  if (h.authorization) settings.authorization = { type: h.authorization.type ?? 'Bearer', credentials: secret(h.authorization, 'credentials') };
  const bearer = secretOrUndefined(
    { bearer_token: h.bearer_token, bearer_token_file: h.bearer_token_file, bearer_token_env: h.bearer_token_env },
    'bearer_token',
  );
  if (bearer) settings.authorization = { type: 'Bearer', credentials: bearer };
  return settings;
}

function secret(section: Record<string, unknown>, key: string): Secret {
  return secretOrUndefined(section, key) ?? new SecretSource({ value: '' });
}

function secretOrUndefined(section: Record<string, unknown>, key: string): Secret | undefined {
  const file = section[`${key}_file`] as string | undefined;
  const env = section[`${key}_env`] as string | undefined;
  const value = section[key] as string | undefined;
  if (file !== undefined) return new SecretSource({ file });
  if (env !== undefined) return new SecretSource({ env });
  if (value !== undefined) return new SecretSource({ value });
  return undefined;
}

function ipPreference(s: RawSection): IpPreference {
  return {
    family: s.preferred_ip_protocol === 'ip6' ? 6 : 4,
    fallback: s.ip_protocol_fallback ?? true,
    ...(s.source_ip_address ? { sourceAddress: s.source_ip_address } : {}),
  };
}

export function tlsSettings(t: RawSection | undefined): ClientTlsSettings {
  const s: ClientTlsSettings = { insecureSkipVerify: t?.insecure_skip_verify === true };
  if (t?.ca_file) s.caFile = t.ca_file;
  if (t?.cert_file) s.certFile = t.cert_file;
  if (t?.key_file) s.keyFile = t.key_file;
  if (t?.server_name) s.serverName = t.server_name;
  if (t?.min_version) s.minVersion = TLS_VERSIONS[t.min_version];
  if (t?.max_version) s.maxVersion = TLS_VERSIONS[t.max_version];
  return s;
}

function headerMatch(m: { header: string; regexp: string; allow_missing?: boolean }): HeaderMatch {
  return { header: m.header.toLowerCase(), regexp: goRegExp(m.regexp), allowMissing: m.allow_missing === true };
}

function queryResponse(q: RawSection): QueryResponse {
  return {
    ...(q.expect !== undefined ? { expect: goRegExp(q.expect) } : {}),
    ...(q.expect_bytes !== undefined ? { expectBytes: q.expect_bytes } : {}),
    ...(q.send !== undefined ? { send: q.send } : {}),
    startTls: q.starttls === true,
    labels: q.labels ?? [],
  };
}

function rrValidator(v: Record<string, string[]> | undefined): RrValidator {
  const compile = (list: string[] | undefined) => (list ?? []).map(goRegExp);
  return {
    failIfMatches: compile(v?.fail_if_matches_regexp),
    failIfAllMatch: compile(v?.fail_if_all_match_regexp),
    failIfNotMatches: compile(v?.fail_if_not_matches_regexp),
    failIfNoneMatches: compile(v?.fail_if_none_matches_regexp),
  };
}

const BYTE_UNITS: Record<string, number> = { '': 1, B: 1, KB: 1024, KIB: 1024, MB: 1024 ** 2, MIB: 1024 ** 2, GB: 1024 ** 3, GIB: 1024 ** 3 };

/** A size in blackbox's units.Base2Bytes spelling (`512KB`, `10MB` are powers of 1024) or plain bytes. */
export function parseByteSize(v: string | number): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : undefined;
  const m = /^\s*(\d+)\s*([a-zA-Z]*)\s*$/.exec(v);
  const unit = m ? BYTE_UNITS[(m[2] as string).toUpperCase()] : undefined;
  return m && unit !== undefined ? Number(m[1]) * unit : undefined;
}
