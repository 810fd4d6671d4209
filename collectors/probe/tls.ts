/** TLS for probes: client options from a module's tls_config, and blackbox's certificate gauges. */
import { createHash, X509Certificate } from 'node:crypto';
import { readBounded } from '../../src/fs/bounded-read.js';

/** Certificates and keys: a chain of a few certificates is a few KiB. */
const MAX_TLS_FILE_BYTES = 1 << 20;
import { isIP } from 'node:net';
import { checkServerIdentity, type ConnectionOptions, type DetailedPeerCertificate, type TLSSocket } from 'node:tls';
import type { ClientTlsSettings } from '../../src/http/client-tls.js';
import type { ProbeReport } from './probe-report.js';
import { ProbeError } from './resolve.js';

/** Go's zero time as a Unix time: what blackbox reports for a chain it did not verify. */
const GO_ZERO_TIME_UNIX = -62135596800;

/** Client options for `tls.connect`; files are read on every probe, so renewed certificates are picked up. */
export async function tlsClientOptions(s: ClientTlsSettings, defaultServerName: string): Promise<ConnectionOptions> {
  const read = async (what: string, file: string) => {
    try {
      return await readBounded(file, MAX_TLS_FILE_BYTES);
    } catch (err) {
      throw new ProbeError(`cannot read TLS ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const serverName = s.serverName || defaultServerName;
  const options: ConnectionOptions = {
    rejectUnauthorized: !s.insecureSkipVerify,
    // SNI carries host names only; an IP literal is still checked against the certificate's IP SANs.
    ...(serverName && !isIP(serverName) ? { servername: serverName } : {}),
    // Checked against the name (or IP) the target was given by, not the address connected to.
    checkServerIdentity: (_host, cert) => checkServerIdentity(serverName, cert),
    ...(s.minVersion ? { minVersion: s.minVersion } : {}),
    ...(s.maxVersion ? { maxVersion: s.maxVersion } : {}),
  };
  if (s.caFile) options.ca = await read('CA file', s.caFile);
  if (s.certFile) options.cert = await read('certificate', s.certFile);
  if (s.keyFile) options.key = await read('key', s.keyFile);
  return options;
}

/**
 * What a TLS connection showed at its handshake. Taken then: once the server closes the connection
 * (right after an HTTP/1.0 or `Connection: close` response) the socket no longer has the peer's
 * certificates to give.
 */
export interface TlsFacts {
  chain: X509Certificate[];
  authorized: boolean;
  protocol: string | null;
  cipher: string | undefined;
}

export function tlsFacts(socket: TLSSocket): TlsFacts {
  return { chain: peerChain(socket), authorized: socket.authorized, protocol: socket.getProtocol(), cipher: socket.getCipher()?.standardName };
}

/** The gauges blackbox sets for a TLS connection (http, tcp with tls, grpc with tls). */
export function recordTls(facts: TlsFacts, report: ProbeReport, opts: { cipher: boolean; chainExpiry?: boolean }): void {
  const { chain } = facts;
  const leaf = chain[0];
  if (!leaf) return;
  const expiries = chain.map((c) => Date.parse(c.validTo) / 1000).filter((t) => Number.isFinite(t));
  report.set('probe_ssl_earliest_cert_expiry', Math.min(...expiries));
  if (opts.chainExpiry !== false) report.set('probe_ssl_last_chain_expiry_timestamp_seconds', facts.authorized ? Math.min(...expiries) : GO_ZERO_TIME_UNIX);
  report.set('probe_tls_version_info', 1, { version: tlsVersionName(facts.protocol) });
  if (opts.cipher) report.set('probe_tls_cipher_info', 1, { cipher: facts.cipher ?? 'unknown' });
  report.set('probe_ssl_last_chain_info', 1, {
    fingerprint_sha256: createHash('sha256').update(leaf.raw).digest('hex'),
    subject: goName(leaf.subject),
    issuer: goName(leaf.issuer),
    subjectalternative: dnsNames(leaf.subjectAltName),
    serialnumber: leaf.serialNumber.toLowerCase().replace(/^(00)+(?=.)/, ''),
  });
}

/** The certificates of the connection, leaf first (Node gives the chain as OpenSSL built it). */
function peerChain(socket: TLSSocket): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (cert?.raw && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    chain.push(new X509Certificate(cert.raw));
    cert = cert.issuerCertificate;
  }
  return chain;
}

/** `TLSv1.3` as Go's crypto/tls names it: `TLS 1.3`. */
export function tlsVersionName(protocol: string | null): string {
  switch (protocol) {
    case 'TLSv1':
      return 'TLS 1.0';
    case 'TLSv1.1':
      return 'TLS 1.1';
    case 'TLSv1.2':
      return 'TLS 1.2';
    case 'TLSv1.3':
      return 'TLS 1.3';
    default:
      return 'unknown';
  }
}

/** A distinguished name the way Go's pkix.Name.String prints it: last RDN first, comma-separated. */
export function goName(name: string): string {
  return name
    .split('\n')
    .filter(Boolean)
    .reverse()
    .map((rdn) => rdn.replace(/([,+"\\<>;])/g, '\\$1'))
    .join(',');
}

/** The DNS names among the subject alternative names, comma-separated as blackbox prints them. */
export function dnsNames(subjectAltName: string | undefined): string {
  if (!subjectAltName) return '';
  return subjectAltName
    .split(', ')
    .filter((n) => n.startsWith('DNS:'))
    .map((n) => n.slice(4))
    .join(',');
}
