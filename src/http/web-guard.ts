import type http from 'node:http';
import type tls from 'node:tls';
import type { Logger } from '../log.js';
import { BasicAuth } from './basic-auth.js';
import { TokenBucket } from './rate-limit.js';
import { loadWebConfig, sourcesFingerprint, type LoadedTls, type WebConfig } from './web-config-load.js';

const POLL_MS = 2000;

export type Rejection = 'rate_limited' | 'auth_missing' | 'auth_malformed' | 'auth_failed' | 'auth_busy' | 'client_cert' | 'tls_handshake';

export interface WebGuardStatus {
  reloadSuccessful: boolean;
  lastSuccessMs: number;
  tls: boolean;
  rejections: ReadonlyMap<Rejection, number>;
}

/** Applies a `--web.config.file`: security headers, rate limit, basic auth, client-certificate rules; follows changes to the files. */
export class WebGuard {
  private bucket: TokenBucket | undefined;
  private readonly auth = new BasicAuth();
  private readonly rejections = new Map<Rejection, number>();
  private reloadSuccessful = true;
  private lastSuccessMs = Date.now();
  private fingerprint = '';
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<unknown> = Promise.resolve();
  /** Called with the new TLS settings after a reload (the server swaps its secure context). */
  onTlsChange: (tls: LoadedTls) => void = () => {};

  private constructor(
    private config: WebConfig,
    private readonly logger: Logger,
  ) {
    this.bucket = this.newBucket();
  }

  static async load(file: string, logger: Logger): Promise<{ guard: WebGuard } | { errors: string[] }> {
    const loaded = await loadWebConfig(file);
    if (!loaded.ok) return { errors: loaded.errors };
    const guard = new WebGuard(loaded.config, logger);
    guard.fingerprint = await sourcesFingerprint(loaded.config.sources);
    return { guard };
  }

  get tls(): LoadedTls | undefined {
    return this.config.tls;
  }

  get basicAuth(): boolean {
    return this.config.users.size > 0;
  }

  status(): WebGuardStatus {
    return {
      reloadSuccessful: this.reloadSuccessful,
      lastSuccessMs: this.lastSuccessMs,
      tls: this.config.tls !== undefined,
      rejections: new Map(this.rejections),
    };
  }

  /** Polls the config and certificate files; a change reloads (certificate rotation needs no restart). */
  watch(): void {
    this.timer = setInterval(() => void this.reloadIfChanged(), POLL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.auth.close();
  }

  async reloadIfChanged(): Promise<void> {
    const now = await sourcesFingerprint(this.config.sources);
    if (now !== this.fingerprint) await this.reload();
  }

  /** Re-reads the files; a bad config is logged and the running one stays. */
  reload(): Promise<{ ok: true } | { ok: false; error: string }> {
    const attempt = this.reloading.then(async () => {
      const before = await sourcesFingerprint(this.config.sources);
      const loaded = await loadWebConfig(this.config.file);
      const fail = (error: string) => {
        this.fingerprint = before; // retry only after the next change
        this.reloadSuccessful = false;
        this.logger.error({ file: this.config.file, err: error }, 'web config reload failed; keeping the running one');
        return { ok: false as const, error };
      };
      if (!loaded.ok) return fail(loaded.errors.join('; '));
      if ((loaded.config.tls === undefined) !== (this.config.tls === undefined)) {
        return fail(`turning TLS ${loaded.config.tls ? 'on' : 'off'} needs a restart`);
      }
      this.fingerprint = await sourcesFingerprint(loaded.config.sources);
      this.config = loaded.config;
      this.bucket = this.newBucket();
      if (loaded.config.tls) this.onTlsChange(loaded.config.tls);
      this.reloadSuccessful = true;
      this.lastSuccessMs = Date.now();
      this.logger.info({ file: this.config.file, tls: this.config.tls !== undefined, users: this.config.users.size }, 'web config loaded');
      return { ok: true as const };
    });
    this.reloading = attempt.catch(() => undefined);
    return attempt;
  }

  /**
   * Headers, rate limit and auth for one request: true to go on; otherwise the answer is sent.
   * `openPaths` (web.unauthenticated_paths: the health endpoints, which reveal nothing) skip rate limit and auth.
   * Synchronous unless a password has to go through bcrypt.
   */
  admit(req: http.IncomingMessage, res: http.ServerResponse, path: string, openPaths: ReadonlySet<string>): boolean | Promise<boolean> {
    const config = this.config;
    for (const [name, value] of config.headers) res.setHeader(name, value);
    if (openPaths.has(path)) return true;
    if (this.bucket && !this.bucket.take()) return this.refuse(res, 'rate_limited', 429, 'Too Many Requests');
    if (config.users.size === 0) return true;
    const verdict = this.auth.check(config.users, req.headers.authorization);
    return typeof verdict === 'string' ? this.afterAuth(res, verdict) : verdict.then((v) => this.afterAuth(res, v));
  }

  /** The client-certificate rules that a TLS handshake alone does not enforce; a reason to drop the connection, or undefined. */
  clientCertificateProblem(socket: tls.TLSSocket): string | undefined {
    const settings = this.config.tls?.settings;
    if (!settings || settings.clientAuth === 'NoClientCert') return undefined;
    const cert = socket.getPeerCertificate();
    const given = cert !== null && Object.keys(cert).length > 0;
    const mode = settings.clientAuth;
    if (!given) return mode === 'RequireAnyClientCert' || mode === 'RequireAndVerifyClientCert' ? 'no client certificate' : undefined;
    if ((mode === 'VerifyClientCertIfGiven' || mode === 'RequireAndVerifyClientCert') && !socket.authorized) {
      return `client certificate not verified: ${String(socket.authorizationError)}`;
    }
    if (settings.clientAllowedSans) {
      const sans = (cert.subjectaltname ?? '').split(', ').map((s) => s.slice(s.indexOf(':') + 1));
      if (!sans.some((s) => settings.clientAllowedSans?.includes(s)))
        return `no allowed SAN in the client certificate (it has: ${cert.subjectaltname ?? 'none'})`;
    }
    return undefined;
  }

  count(reason: Rejection): void {
    this.rejections.set(reason, (this.rejections.get(reason) ?? 0) + 1);
  }

  private afterAuth(res: http.ServerResponse, verdict: Awaited<ReturnType<BasicAuth['check']>>): boolean {
    switch (verdict) {
      case 'ok':
        return true;
      case 'busy':
        return this.refuse(res, 'auth_busy', 503, 'Service Unavailable: too many authentication attempts in progress');
      default:
        res.setHeader('WWW-Authenticate', 'Basic');
        return this.refuse(res, verdict === 'missing' ? 'auth_missing' : verdict === 'malformed' ? 'auth_malformed' : 'auth_failed', 401, 'Unauthorized');
    }
  }

  private refuse(res: http.ServerResponse, reason: Rejection, code: number, text: string): false {
    this.count(reason);
    if (!res.headersSent && !res.destroyed) {
      res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`${text}\n`);
    }
    return false;
  }

  private newBucket(): TokenBucket | undefined {
    const limit = this.config.rateLimit;
    if (!limit) return undefined;
    // Keep the saved-up tokens' meaning when only unrelated settings changed.
    if (this.bucket && this.bucket.intervalMs === limit.intervalMs && this.bucket.burst === limit.burst) return this.bucket;
    return new TokenBucket(limit.intervalMs, limit.burst);
  }
}
