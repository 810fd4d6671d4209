/**
 * `--web.config.file`: the web configuration format of Prometheus' exporter-toolkit
 * (docs/web-configuration.md there), so the files and habits of node_exporter users carry over.
 * This module is the pure part: YAML text in, a checked description out. Reading the referenced
 * certificate files happens in web-config-load.ts.
 */
import { dirname, isAbsolute, join } from 'node:path';
import yaml from 'js-yaml';
import { locateKey } from '../config/locate.js';

export const CLIENT_AUTH_TYPES = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

/** toolkit name → Node/OpenSSL minVersion/maxVersion. */
export const TLS_VERSIONS = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const;
type TlsVersionName = keyof typeof TLS_VERSIONS;

/**
 * Go's crypto/tls suite names (the ones `tls.CipherSuites()` lists, which toolkit accepts) → OpenSSL.
 * As in Go, the list restricts TLS 1.2 and below; TLS 1.3 suites are not configurable, and naming
 * one is accepted and changes nothing.
 */
export const CIPHER_SUITES: Readonly<Record<string, string | null>> = {
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_AES_128_GCM_SHA256: null,
  TLS_AES_256_GCM_SHA384: null,
  TLS_CHACHA20_POLY1305_SHA256: null,
};

/** toolkit curve names → OpenSSL group names for `ecdhCurve`. */
export const CURVES: Readonly<Record<string, string>> = { CurveP256: 'P-256', CurveP384: 'P-384', CurveP521: 'P-521', X25519: 'X25519' };

/** The only response headers toolkit lets a web config set, with the values allowed where they are an enumeration. */
export const ALLOWED_HEADERS: Readonly<Record<string, readonly string[] | null>> = {
  'Strict-Transport-Security': null,
  'X-Content-Type-Options': ['nosniff'],
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-XSS-Protection': null,
  'Content-Security-Policy': null,
};

/** A PEM given inline or a file (resolved against the web config's directory), as toolkit allows for each. */
export type PemSource = { inline: string } | { file: string };

export interface TlsSettings {
  cert: PemSource;
  key: PemSource;
  clientCa: PemSource | undefined;
  clientAuth: ClientAuthType;
  clientAllowedSans: readonly string[] | undefined;
  minVersion: (typeof TLS_VERSIONS)[TlsVersionName];
  maxVersion: (typeof TLS_VERSIONS)[TlsVersionName];
  /** OpenSSL cipher list for TLS ≤ 1.2, when restricted. */
  ciphers: string | undefined;
  ecdhCurve: string | undefined;
  honorCipherOrder: boolean;
}

export interface WebSettings {
  tls: TlsSettings | undefined;
  /** user → bcrypt hash. */
  users: ReadonlyMap<string, string>;
  headers: ReadonlyArray<readonly [string, string]>;
  /** Token bucket: one token per `intervalMs`, at most `burst` saved up. */
  rateLimit: { intervalMs: number; burst: number } | undefined;
  /** `http_server_config.http2`: accepted for compatibility; spyglass serves HTTP/1.1. */
  http2: boolean;
}

export interface WebConfigProblem {
  file: string;
  line?: number;
  key?: string;
  message: string;
}

const KEYS: Record<string, readonly string[]> = {
  '': ['tls_server_config', 'http_server_config', 'basic_auth_users', 'rate_limit'],
  tls_server_config: [
    'cert',
    'key',
    'client_ca',
    'cert_file',
    'key_file',
    'client_auth_type',
    'client_ca_file',
    'cipher_suites',
    'curve_preferences',
    'min_version',
    'max_version',
    'prefer_server_cipher_suites',
    'client_allowed_sans',
  ],
  http_server_config: ['http2', 'headers'],
  rate_limit: ['interval', 'burst'],
};

/** bcrypt's modular crypt format: `$2a$`, `$2b$`, `$2x$` or `$2y$` (what `htpasswd -B` writes), cost 04-31, 22 salt + 31 hash characters. */
const BCRYPT_HASH = /^\$2[abxy]?\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$/;
/** Go's time.ParseDuration syntax, which toolkit uses for `rate_limit.interval`. */
const GO_DURATION = /^(?:0|(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/;
const GO_UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseGoDuration(text: string): number | undefined {
  if (!GO_DURATION.test(text)) return undefined;
  let ms = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * (GO_UNIT_MS[m[2] as string] as number);
  return ms;
}

/** Checks a web config's text; `file` names it in messages and anchors relative paths. */
export function parseWebConfig(text: string, file: string): { settings: WebSettings } | { problems: WebConfigProblem[] } {
  const problems: WebConfigProblem[] = [];
  const problem = (path: string[], message: string) => {
    const pos = locateKey(text, path);
    problems.push({ file, ...(pos ? { line: pos.line } : {}), ...(path.length ? { key: path.join('.') } : {}), message });
  };
  let doc: unknown;
  try {
    doc = yaml.load(text, { filename: file }) ?? {};
  } catch (err) {
    const e = err as yaml.YAMLException;
    return { problems: [{ file, line: e.mark ? e.mark.line + 1 : undefined, message: `invalid YAML: ${e.reason ?? e.message}` } as WebConfigProblem] };
  }
  if (!isMapping(doc)) return { problems: [{ file, line: 1, message: 'the web config must be a YAML mapping' }] };

  const section = (name: string): Record<string, unknown> => {
    const value = doc[name];
    if (value === undefined || value === null) return {};
    if (!isMapping(value)) {
      problem([name], 'must be a mapping');
      return {};
    }
    unknownKeys(value, name);
    return value;
  };
  const unknownKeys = (obj: Record<string, unknown>, at: string) => {
    for (const k of Object.keys(obj)) if (!(KEYS[at] ?? []).includes(k)) problem(at ? [at, k] : [k], `unknown key "${k}"`);
  };
  unknownKeys(doc, '');

  const tlsRaw = section('tls_server_config');
  const httpRaw = section('http_server_config');
  const rateRaw = section('rate_limit');
  const usersRaw = doc.basic_auth_users ?? {};

  const str = (obj: Record<string, unknown>, at: string, key: string): string | undefined => {
    const v = obj[key];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') {
      problem([at, key], 'must be a string');
      return undefined;
    }
    return v;
  };
  const oneOf = <T extends string>(at: string, key: string, allowed: readonly T[], fallback: T): T => {
    const v = str(tlsRaw, at, key);
    if (v === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(v)) {
      problem([at, key], `"${v}" is not one of ${allowed.join(', ')}`);
      return fallback;
    }
    return v as T;
  };
  const stringList = (obj: Record<string, unknown>, at: string, key: string): string[] | undefined => {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
      problem([at, key], 'must be a list of strings');
      return undefined;
    }
    return v as string[];
  };
  const resolvePath = (p: string) => (isAbsolute(p) ? p : join(dirname(file), p));

  let tls: TlsSettings | undefined;
  const at = 'tls_server_config';
  const certFile = str(tlsRaw, at, 'cert_file');
  const cert = str(tlsRaw, at, 'cert');
  const keyFile = str(tlsRaw, at, 'key_file');
  const key = str(tlsRaw, at, 'key');
  const caFile = str(tlsRaw, at, 'client_ca_file');
  const ca = str(tlsRaw, at, 'client_ca');
  const clientAuth = oneOf(at, 'client_auth_type', [...CLIENT_AUTH_TYPES, 'RequireClientCert'], 'NoClientCert');
  const tlsWanted = [certFile, cert, keyFile, key, caFile, ca, tlsRaw.client_auth_type].some((v) => v !== undefined && v !== '');
  if (tlsWanted) {
    if (!certFile && !cert) problem([at], 'missing one of cert or cert_file');
    if (!keyFile && !key) problem([at], 'missing one of key or key_file');
    if (certFile && cert) problem([at, 'cert'], 'set only one of cert and cert_file');
    if (keyFile && key) problem([at, 'key'], 'set only one of key and key_file');
    if (caFile && ca) problem([at, 'client_ca'], 'set only one of client_ca and client_ca_file');
    const mode: ClientAuthType = clientAuth === 'RequireClientCert' ? 'RequireAnyClientCert' : clientAuth;
    if ((caFile || ca) && mode === 'NoClientCert')
      problem(
        [at, 'client_auth_type'],
        "client CA's have been configured without a Client Auth Policy (set client_auth_type, e.g. RequireAndVerifyClientCert)",
      );
    if (!caFile && !ca && (mode === 'VerifyClientCertIfGiven' || mode === 'RequireAndVerifyClientCert'))
      problem([at, 'client_ca_file'], `client_auth_type ${mode} needs client_ca_file or client_ca to verify against`);
    const minName = oneOf(at, 'min_version', Object.keys(TLS_VERSIONS) as TlsVersionName[], 'TLS12');
    const maxName = oneOf(at, 'max_version', Object.keys(TLS_VERSIONS) as TlsVersionName[], 'TLS13');
    if (minName > maxName) problem([at, 'min_version'], `min_version ${minName} is above max_version ${maxName}`);
    const ciphers: string[] = [];
    for (const name of stringList(tlsRaw, at, 'cipher_suites') ?? []) {
      if (!(name in CIPHER_SUITES)) problem([at, 'cipher_suites'], `unknown cipher: ${name}`);
      else if (CIPHER_SUITES[name]) ciphers.push(CIPHER_SUITES[name] as string);
    }
    const curves: string[] = [];
    for (const name of stringList(tlsRaw, at, 'curve_preferences') ?? []) {
      if (!CURVES[name]) problem([at, 'curve_preferences'], `unknown curve: ${name}`);
      else curves.push(CURVES[name]);
    }
    const prefer = tlsRaw.prefer_server_cipher_suites;
    if (prefer !== undefined && typeof prefer !== 'boolean') problem([at, 'prefer_server_cipher_suites'], 'must be true or false');
    tls = {
      cert: certFile ? { file: resolvePath(certFile) } : { inline: cert ?? '' },
      key: keyFile ? { file: resolvePath(keyFile) } : { inline: key ?? '' },
      clientCa: caFile ? { file: resolvePath(caFile) } : ca ? { inline: ca } : undefined,
      clientAuth: mode,
      clientAllowedSans: stringList(tlsRaw, at, 'client_allowed_sans'),
      minVersion: TLS_VERSIONS[minName],
      maxVersion: TLS_VERSIONS[maxName],
      // TLS 1.3 suites stay on whatever the list says, as in Go.
      ciphers: ciphers.length ? [...ciphers, 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256'].join(':') : undefined,
      ecdhCurve: curves.length ? curves.join(':') : undefined,
      honorCipherOrder: prefer !== false,
    };
  }

  const http2 = httpRaw.http2;
  if (http2 !== undefined && typeof http2 !== 'boolean') problem(['http_server_config', 'http2'], 'must be true or false');
  const headers: Array<[string, string]> = [];
  const headersRaw = httpRaw.headers;
  if (headersRaw !== undefined && headersRaw !== null) {
    if (!isMapping(headersRaw)) problem(['http_server_config', 'headers'], 'must be a mapping of header names to values');
    else {
      for (const [name, value] of Object.entries(headersRaw)) {
        const allowed = ALLOWED_HEADERS[name];
        if (allowed === undefined)
          problem(['http_server_config', 'headers', name], `HTTP header "${name}" can not be configured (allowed: ${Object.keys(ALLOWED_HEADERS).join(', ')})`);
        else if (typeof value !== 'string' || /[\r\n]/.test(value)) problem(['http_server_config', 'headers', name], 'must be a single-line string');
        else if (allowed && !allowed.includes(value))
          problem(
            ['http_server_config', 'headers', name],
            `invalid value for ${name}: expected one of ${allowed.map((a) => `"${a}"`).join(', ')}, got "${value}"`,
          );
        else headers.push([name, value]);
      }
    }
  }

  const users = new Map<string, string>();
  if (!isMapping(usersRaw)) problem(['basic_auth_users'], 'must be a mapping of user names to bcrypt hashes');
  else {
    for (const [user, hash] of Object.entries(usersRaw)) {
      if (typeof hash !== 'string' || !BCRYPT_HASH.test(hash))
        problem(['basic_auth_users', user], `the password of user "${user}" must be a bcrypt hash ($2a$, $2b$ or $2y$, as htpasswd -nBC 10 writes)`);
      else if (user.includes(':')) problem(['basic_auth_users', user], 'a user name cannot contain ":"');
      else users.set(user, hash);
    }
  }

  let rateLimit: WebSettings['rateLimit'];
  if (rateRaw.interval !== undefined) {
    const text = String(rateRaw.interval);
    const intervalMs = typeof rateRaw.interval === 'number' && rateRaw.interval === 0 ? 0 : parseGoDuration(text);
    const burst = rateRaw.burst ?? 0;
    if (intervalMs === undefined) problem(['rate_limit', 'interval'], `"${text}" is not a duration (e.g. 1s, 500ms)`);
    else if (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 0) problem(['rate_limit', 'burst'], 'must be a whole number ≥ 0');
    else if (intervalMs > 0) rateLimit = { intervalMs, burst };
  } else if (rateRaw.burst !== undefined) problem(['rate_limit', 'interval'], 'burst is set but interval is not; set both (interval 0 turns the limit off)');

  if (problems.length) return { problems };
  return { settings: { tls, users, headers, rateLimit, http2: http2 !== false } };
}

export function formatWebConfigProblem(p: WebConfigProblem): string {
  return `${p.file}${p.line ? `:${p.line}` : ''}: ${p.key ? `${p.key}: ` : ''}${p.message}`;
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
