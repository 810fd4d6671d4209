/**
 * One HTTP POST of a remote-write 1.0 body (https://prometheus.io/docs/specs/prw/remote_write_spec/),
 * with the endpoint's headers, credentials and TLS settings, and what the answer means for the
 * batch: sent, retry (5xx, 429, no answer, timeout), or drop (other 4xx, which retrying cannot fix).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { ClientTlsSettings } from '../http/client-tls.js';
import { VERSION } from '../version.js';

export interface ClientSettings {
  url: string;
  timeoutMs: number;
  headers: Readonly<Record<string, string>>;
  basicAuth?: { username: string; password?: string; passwordFile?: string };
  authorization?: { type: string; credentials?: string; credentialsFile?: string };
  tls: ClientTlsSettings;
}

export type SendResult = { outcome: 'sent' } | { outcome: 'retry'; error: string; retryAfterMs?: number } | { outcome: 'drop'; error: string };

/** Longest error text kept from a receiver's answer. */
const MAX_ERROR_BODY = 512;

export class RemoteWriteClient {
  private readonly url: URL;
  private readonly agent: http.Agent;

  constructor(private readonly s: ClientSettings) {
    this.url = new URL(s.url);
    const t = s.tls;
    this.agent =
      this.url.protocol === 'https:'
        ? new https.Agent({
            keepAlive: true,
            ...(t.caFile ? { ca: readFileSync(t.caFile) } : {}),
            ...(t.certFile ? { cert: readFileSync(t.certFile) } : {}),
            ...(t.keyFile ? { key: readFileSync(t.keyFile) } : {}),
            ...(t.serverName ? { servername: t.serverName } : {}),
            rejectUnauthorized: !t.insecureSkipVerify,
          })
        : new http.Agent({ keepAlive: true });
  }

  close(): void {
    this.agent.destroy();
  }

  send(body: Buffer): Promise<SendResult> {
    const lib = this.url.protocol === 'https:' ? https : http;
    return new Promise((resolve) => {
      let settled = false;
      const done = (r: SendResult) => {
        if (!settled) {
          settled = true;
          resolve(r);
        }
      };
      let headers: Record<string, string>;
      try {
        headers = this.headers(body.length);
      } catch (err) {
        return done({ outcome: 'retry', error: `credentials: ${(err as Error).message}` });
      }
      const req = lib.request(this.url, { method: 'POST', agent: this.agent, headers, timeout: this.s.timeoutMs }, (res) => {
        const status = res.statusCode ?? 0;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (text.length < MAX_ERROR_BODY) text += chunk;
        });
        res.on('error', (err) => done({ outcome: 'retry', error: `reading the answer: ${err.message}` }));
        res.on('aborted', () => done({ outcome: 'retry', error: 'the answer was cut off' }));
        res.on('end', () => {
          const detail = `HTTP ${status}${text ? `: ${text.slice(0, MAX_ERROR_BODY).trim()}` : ''}`;
          if (status >= 200 && status < 300) done({ outcome: 'sent' });
          else if (status === 429 || status >= 500) done({ outcome: 'retry', error: detail, ...retryAfter(res.headers['retry-after']) });
          else done({ outcome: 'drop', error: detail });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within remote_timeout (${this.s.timeoutMs} ms)`)));
      req.on('error', (err) => done({ outcome: 'retry', error: err.message }));
      req.end(body);
    });
  }

  private headers(length: number): Record<string, string> {
    const h: Record<string, string> = {
      ...this.s.headers,
      'Content-Encoding': 'snappy',
      'Content-Type': 'application/x-protobuf',
      'Content-Length': String(length),
      'User-Agent': `spyglass/${VERSION}`,
      'X-Prometheus-Remote-Write-Version': '0.1.0',
    };
    const auth = this.authorization();
    if (auth) h.Authorization = auth;
    return h;
  }

  /** Read on every request, so rotated credential files take effect without a restart (as Prometheus does). */
  private authorization(): string | undefined {
    const b = this.s.basicAuth;
    if (b) {
      const password = b.passwordFile ? readFileSync(b.passwordFile, 'utf8').trim() : (b.password ?? '');
      return `Basic ${Buffer.from(`${b.username}:${password}`).toString('base64')}`;
    }
    const a = this.s.authorization;
    if (a) {
      const credentials = a.credentialsFile ? readFileSync(a.credentialsFile, 'utf8').trim() : (a.credentials ?? '');
      return `${a.type} ${credentials}`;
    }
    return undefined;
  }
}

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3). */
function retryAfter(value: string | undefined): { retryAfterMs?: number } {
  if (!value) return {};
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return { retryAfterMs: seconds * 1000 };
  const date = Date.parse(value);
  return Number.isNaN(date) ? {} : { retryAfterMs: Math.max(0, date - Date.now()) };
}
