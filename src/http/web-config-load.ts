import { X509Certificate } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { readBounded } from '../fs/bounded-read.js';
import tls from 'node:tls';
import { formatWebConfigProblem, parseWebConfig, type PemSource, type TlsSettings, type WebSettings } from './web-config.js';

const MAX_FILE_BYTES = 1 << 20;

export interface LoadedTls {
  settings: TlsSettings;
  /** For `tls.createServer` / `setSecureContext`. */
  context: tls.SecureContextOptions;
  /** When the server certificate stops being valid (for the log). */
  notAfter: Date;
}

export interface WebConfig extends Omit<WebSettings, 'tls'> {
  file: string;
  tls: LoadedTls | undefined;
  /** The files read (config, certificates); a change to any of them triggers a reload. */
  sources: readonly string[];
}

export type WebConfigResult = { ok: true; config: WebConfig } | { ok: false; errors: string[] };

/** Reads and checks a web config and the certificates it names; nothing is applied here. */
export async function loadWebConfig(file: string): Promise<WebConfigResult> {
  let text: string;
  try {
    text = await readLimited(file);
  } catch (err) {
    return { ok: false, errors: [`${file}: cannot read web config: ${(err as Error).message}`] };
  }
  const parsed = parseWebConfig(text, file);
  if ('problems' in parsed) return { ok: false, errors: parsed.problems.map(formatWebConfigProblem) };
  const { tls: tlsSettings, ...rest } = parsed.settings;
  const sources = [file];
  if (!tlsSettings) return { ok: true, config: { ...rest, file, tls: undefined, sources } };

  const errors: string[] = [];
  const pem = async (what: string, source: PemSource): Promise<string | undefined> => {
    if ('inline' in source) return source.inline;
    sources.push(source.file);
    try {
      return await readLimited(source.file);
    } catch (err) {
      errors.push(`${file}: tls_server_config: cannot read ${what} (${source.file}): ${(err as Error).message}`);
      return undefined;
    }
  };
  const cert = await pem('cert_file', tlsSettings.cert);
  const key = await pem('key_file', tlsSettings.key);
  const ca = tlsSettings.clientCa ? await pem('client_ca_file', tlsSettings.clientCa) : undefined;
  if (errors.length || cert === undefined || key === undefined) return { ok: false, errors };

  const context: tls.SecureContextOptions = {
    cert,
    key,
    minVersion: tlsSettings.minVersion,
    maxVersion: tlsSettings.maxVersion,
    honorCipherOrder: tlsSettings.honorCipherOrder,
    ...(ca !== undefined ? { ca } : {}),
    ...(tlsSettings.ciphers ? { ciphers: tlsSettings.ciphers } : {}),
    ...(tlsSettings.ecdhCurve ? { ecdhCurve: tlsSettings.ecdhCurve } : {}),
  };
  let notAfter: Date;
  try {
    tls.createSecureContext(context); // the key must match the certificate, the PEMs must parse
    notAfter = new Date(new X509Certificate(cert).validTo);
    if (ca !== undefined && !/-----BEGIN CERTIFICATE-----/.test(ca)) throw new Error('client CA holds no PEM certificate');
  } catch (err) {
    return { ok: false, errors: [`${file}: tls_server_config: ${(err as Error).message}`] };
  }
  return { ok: true, config: { ...rest, file, tls: { settings: tlsSettings, context, notAfter }, sources } };
}

/** What changes when any of the files changes (a ConfigMap update swaps a symlink: the inode changes). */
export async function sourcesFingerprint(sources: readonly string[]): Promise<string> {
  const parts = await Promise.all(
    sources.map(async (f) => {
      try {
        const s = await stat(f);
        return `${s.ino}:${s.size}:${s.mtimeMs}`;
      } catch {
        return 'missing';
      }
    }),
  );
  return parts.join('|');
}

async function readLimited(path: string): Promise<string> {
  return (await readBounded(path, MAX_FILE_BYTES)).toString('utf8');
}
