import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type tls from 'node:tls';
import type express from 'express';
import type { Engine } from '../engine.js';
import type { Logger } from '../log.js';
import type { Format } from '../metrics/render.js';
import { Diagnostics, profileSeconds } from './diagnostics.js';
import { renderLandingPage } from './landing.js';
import { CONTENT_TYPES, negotiateEncoding, negotiateFormat } from './negotiate.js';
import { parseSelection } from './selection.js';
import type { LoadedTls } from './web-config-load.js';
import type { WebGuard } from './web-guard.js';

export interface HttpOptions {
  maxRequests: number;
  maxConnections: number;
  headerTimeoutMs: number;
  requestTimeoutMs: number;
  maxHeaderBytes: number;
  /** Serve /debug/cpu-profile and /debug/heap-snapshot (see diagnostics.ts). */
  diagnostics: boolean;
  /** Where the metrics are served (`web.telemetry_path`, node_exporter's --web.telemetry-path). */
  telemetryPath: string;
  /** Paths the web config's auth and rate limit leave open (web.unauthenticated_paths). */
  unauthenticatedPaths: ReadonlySet<string>;
}

export type ReloadHandler = () => Promise<{ ok: true } | { ok: false; error: string }>;

/**
 * The HTTP surface. `/metrics` takes a fast path on node:http that writes cached buffers (Express
 * costs 2-5× in throughput there, measured with a cached 200 KB body; Express's overhead against
 * node:http: https://github.com/expressjs/express/issues/6360); every other route is Express.
 */
export class HttpServer {
  readonly server: http.Server | https.Server;
  private inFlight = 0;
  /** /metrics requests in flight per client address: one client may hold half the slots at most. */
  private readonly inFlightByClient = new Map<string, number>();
  /**
   * Open connections, with how many Express requests (which may be async, like a reload) each has
   * in progress, for a graceful shutdown. /metrics needs no entry: it writes its whole response
   * synchronously, so ending its socket later only flushes what is queued.
   */
  private readonly connections = new Map<net.Socket, number>();
  private closing = false;

  constructor(
    private readonly engine: Engine,
    private readonly options: HttpOptions,
    reload: ReloadHandler,
    private readonly logger: Logger,
    /** From `--web.config.file`: TLS, auth, rate limit and headers. */
    private readonly guard?: WebGuard,
  ) {
    // Express serves the pages people and operators open; loaded on the first such request, so a
    // process only scraped and health-checked never holds it (about 10 MiB, docs/benchmarks.md).
    let app: Promise<express.Express> | undefined;
    const viaExpress = (req: http.IncomingMessage, res: http.ServerResponse) => {
      app ??= this.expressApp(reload);
      app.then(
        (handler) => handler(req, res),
        (err: Error) => this.failed(res, err),
      );
    };
    const serverOptions: http.ServerOptions = {
      maxHeaderSize: options.maxHeaderBytes,
      headersTimeout: options.headerTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      keepAliveTimeout: 5000,
      connectionsCheckingInterval: Math.min(1000, options.headerTimeoutMs),
    };
    const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const path = q === -1 ? url : url.slice(0, q);
      const isMetrics = path === options.telemetryPath;
      this.trackResponse(req.socket, res);
      const serve = () => {
        if (isMetrics) return this.serveMetrics(req, res, q === -1 ? '' : url.slice(q + 1));
        if (path === '/healthz' || path === '/readyz') return this.serveHealth(req, res, path);
        viaExpress(req, res);
      };
      // HTTP/0.9 (a request line without a version) has no status line or headers to answer with.
      if (req.httpVersionMajor < 1) return this.badRequest(res, 'a request line needs an HTTP version');
      const admitted = guard ? guard.admit(req, res, path, options.unauthenticatedPaths) : true;
      if (admitted === true) return serve();
      if (admitted === false) return this.refused(isMetrics, res);
      admitted.then(
        (ok) => (ok ? serve() : this.refused(isMetrics, res)),
        (err: Error) => this.failed(res, err),
      );
    };
    const tlsSettings = guard?.tls;
    this.server = tlsSettings ? https.createServer({ ...serverOptions, ...tlsServerOptions(tlsSettings) }, handle) : http.createServer(serverOptions, handle);
    if (tlsSettings && guard) this.enforceClientCertificates(this.server as https.Server, guard);
    this.server.maxConnections = options.maxConnections;
    this.server.on('connection', (socket: net.Socket) => {
      this.connections.set(socket, 0);
      socket.once('close', () => this.connections.delete(socket));
    });
  }

  get scheme(): 'http' | 'https' {
    return this.guard?.tls ? 'https' : 'http';
  }

  /**
   * Node verifies a client certificate against the CA but leaves "required" and SAN rules to the
   * application: drop a connection that breaks them before any request is read. Reloaded TLS
   * settings are swapped in for new connections.
   */
  private enforceClientCertificates(server: https.Server, guard: WebGuard): void {
    server.prependListener('secureConnection', (socket: tls.TLSSocket) => {
      const problem = guard.clientCertificateProblem(socket);
      if (problem === undefined) return;
      guard.count('client_cert');
      this.logger.debug({ remote: socket.remoteAddress, problem }, 'TLS connection refused');
      socket.destroy();
    });
    server.on('tlsClientError', (err: Error, socket: tls.TLSSocket) => {
      guard.count('tls_handshake');
      this.logger.debug({ remote: socket.remoteAddress, err: err.message }, 'TLS handshake failed');
    });
    guard.onTlsChange = (next) => {
      server.setSecureContext(next.context);
      // tls.Server reads these per connection; setSecureContext leaves them as they were.
      Object.assign(server, { requestCert: tlsServerOptions(next).requestCert });
    };
  }

  private refused(isMetrics: boolean, res: http.ServerResponse): void {
    if (isMetrics) this.engine.countMetricsRequest(res.statusCode);
  }

  private badRequest(res: http.ServerResponse, why: string): void {
    res.shouldKeepAlive = false;
    res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' }).end(`Bad Request: ${why}\n`);
  }

  private failed(res: http.ServerResponse, err: Error): void {
    this.logger.error({ err: err.message }, 'request admission failed');
    if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('internal error\n');
  }

  private trackResponse(socket: net.Socket, res: http.ServerResponse): void {
    this.connections.set(socket, (this.connections.get(socket) ?? 0) + 1);
    if (this.closing) res.shouldKeepAlive = false;
    res.on('close', this.onResponseClosed);
  }

  /** Shared by every response (no per-request closure); `this` is the response. */
  private readonly onResponseClosed = ((server: HttpServer) =>
    function (this: http.ServerResponse) {
      const socket = this.req.socket;
      const left = (server.connections.get(socket) ?? 1) - 1;
      server.connections.set(socket, left);
      if (server.closing && left === 0) socket.end();
    })(this);

  listen(address: string): Promise<void> {
    const { host, port } = parseListenAddress(address);
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  /**
   * Stops accepting, lets in-flight requests finish and their bytes drain, then drops what is
   * left after `timeoutMs`. Idle connections are ended (not destroyed) so buffered writes flush.
   */
  async close(timeoutMs: number): Promise<void> {
    this.closing = true;
    // http.Server#close would also destroy "idle" connections, including one whose response is
    // complete but still buffered for a slow reader; net.Server#close only stops accepting.
    const closed = new Promise<void>((resolve) => net.Server.prototype.close.call(this.server, () => resolve()));
    for (const [socket, active] of this.connections) if (active === 0) socket.end();
    const timer = setTimeout(() => {
      for (const socket of this.connections.keys()) socket.destroy();
    }, timeoutMs);
    await closed;
    clearTimeout(timer);
  }

  private serveMetrics(req: http.IncomingMessage, res: http.ServerResponse, query: string): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') return this.reply(res, 405, 'Method Not Allowed\n', ['Allow', 'GET, HEAD']);
    const limit = this.options.maxRequests;
    if (limit > 0 && this.inFlight >= limit) return this.reply(res, 503, `Limit of concurrent requests reached (${limit}), try again later.\n`);
    const client = req.socket.remoteAddress ?? '';
    const ofClient = this.inFlightByClient.get(client) ?? 0;
    if (limit > 0 && ofClient >= Math.ceil(limit / 2))
      return this.reply(res, 503, `Limit of concurrent requests from one client reached (${Math.ceil(limit / 2)}), try again later.\n`);
    // In flight from here until the response is delivered: waiting for its body, or for a slow reader,
    // who loses the slot (and the connection) when request_timeout passes before the last byte went out.
    this.inFlight++;
    this.inFlightByClient.set(client, ofClient + 1);
    const deadline = setTimeout(() => res.destroy(), this.options.requestTimeoutMs);
    res.on('close', () => {
      clearTimeout(deadline);
      this.inFlight--;
      const left = (this.inFlightByClient.get(client) ?? 1) - 1;
      if (left > 0) this.inFlightByClient.set(client, left);
      else this.inFlightByClient.delete(client);
    });
    let selection: ReadonlySet<string> | undefined;
    if (query) {
      const selected = parseSelection(new URLSearchParams(query), this.engine.knownCollectors(), this.engine.enabledCollectors());
      if (!selected.ok) return this.reply(res, 400, `${selected.message}\n`);
      selection = selected.selection;
    }

    const format = negotiateFormat(req.headers.accept);
    const encoding = negotiateEncoding(req.headers['accept-encoding']);
    if (encoding === undefined)
      return this.reply(res, 406, 'Not Acceptable: the body is available as gzip or identity, and Accept-Encoding refuses both\n', ['Vary', 'Accept-Encoding']);
    this.sendMetrics(req, res, query, format, encoding === 'gzip', selection);
  }

  /** Waits first when the body is still being built, or rendered in a collector's thread (see BodyCache.bodyWhenReady). */
  private sendMetrics(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    query: string,
    format: Format,
    gzip: boolean,
    selection: ReadonlySet<string> | undefined,
  ): void {
    // When the scrape came, not when its body was ready: the scheduler times runs by it.
    this.engine.recordScrape(req.socket.remoteAddress, query);
    const ready = this.engine.bodies.bodyWhenReady(format, gzip, selection);
    if (!(ready instanceof Promise)) return this.sendBody(req, res, format, gzip, ready);
    ready.then(
      (body) => this.sendBody(req, res, format, gzip, body),
      (err: unknown) => {
        this.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'building the /metrics body failed');
        if (!res.destroyed) this.reply(res, 500, 'The response body could not be built.\n');
      },
    );
  }

  private sendBody(req: http.IncomingMessage, res: http.ServerResponse, format: Format, gzip: boolean, body: Buffer): void {
    if (res.destroyed) return;
    this.engine.countMetricsRequest(200);
    const headers = ['Content-Type', CONTENT_TYPES[format], 'Content-Length', String(body.length), 'Vary', 'Accept, Accept-Encoding'];
    if (gzip) headers.push('Content-Encoding', 'gzip');
    if (this.closing) res.shouldKeepAlive = false;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  /** The kubelet's and load balancers' probes, every few seconds: answered without Express. */
  private serveHealth(req: http.IncomingMessage, res: http.ServerResponse, path: '/healthz' | '/readyz'): void {
    const text = (code: number, body: string, extra: string[] = []) => {
      res.writeHead(code, ['Content-Type', 'text/plain; charset=utf-8', 'Content-Length', String(Buffer.byteLength(body)), ...extra]);
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(405, 'Method Not Allowed\n', ['Allow', 'GET, HEAD']);
    if (path === '/healthz') return text(200, 'OK\n');
    if (this.engine.isReady()) return text(200, 'ready\n');
    text(503, 'not ready: collectors have not all finished their first run\n');
  }

  private reply(res: http.ServerResponse, code: number, body: string, extraHeaders: string[] = []): void {
    this.engine.countMetricsRequest(code);
    res.writeHead(code, ['Content-Type', 'text/plain; charset=utf-8', ...extraHeaders]);
    res.end(body);
  }

  private async expressApp(reload: ReloadHandler): Promise<express.Express> {
    const { default: express } = await import('express');
    const app = express();
    app.disable('x-powered-by');
    app.set('etag', false);
    app.get('/', (_req, res) => {
      res.type('html').send(renderLandingPage(this.engine.status(), this.engine.isReady(), this.options.telemetryPath));
    });
    app.post('/-/reload', async (_req, res) => {
      const result = await reload();
      if (result.ok) res.type('text').send('configuration reloaded\n');
      else res.status(500).type('text').send(`failed to reload config: ${result.error}\n`);
    });
    const diagnostics = new Diagnostics(this.options.diagnostics);
    const admitDiagnostic = (res: express.Response): boolean => {
      const refused = diagnostics.admit();
      if (!refused) return true;
      if (refused.retryAfterS) res.set('Retry-After', String(refused.retryAfterS));
      res.status(refused.status).type('text').send(refused.message);
      return false;
    };
    app.get('/debug/cpu-profile', async (req, res) => {
      const seconds = profileSeconds(typeof req.query.seconds === 'string' ? req.query.seconds : undefined);
      if (typeof seconds === 'string') return void res.status(400).type('text').send(`${seconds}\n`);
      if (!admitDiagnostic(res)) return;
      const clientGone = new AbortController();
      res.on('close', () => clientGone.abort());
      try {
        const profile = await diagnostics.cpuProfile(seconds, clientGone.signal);
        this.logger.info({ seconds }, 'CPU profile taken');
        res.type('application/json').set('Content-Disposition', 'attachment; filename="spyglass.cpuprofile"').send(profile);
      } finally {
        diagnostics.done();
      }
    });
    app.get('/debug/heap-snapshot', async (_req, res) => {
      if (!admitDiagnostic(res)) return;
      try {
        res.type('application/json').set('Content-Disposition', 'attachment; filename="spyglass.heapsnapshot"');
        const refused = await diagnostics.heapSnapshot((chunk) => res.write(chunk));
        if (refused) return void res.status(refused.status).type('text').send(refused.message);
        this.logger.info('heap snapshot taken');
        res.end();
      } finally {
        diagnostics.done();
      }
    });
    app.all(['/-/reload', '/'], (req, res) => {
      res
        .status(405)
        .set('Allow', req.path === '/-/reload' ? 'POST' : 'GET, HEAD')
        .type('text')
        .send('Method Not Allowed\n');
    });
    app.get(/.*/, async (req, res, next) => {
      const handler = this.engine.route(req.path);
      if (!handler) return next();
      const clientGone = new AbortController();
      res.on('close', () => clientGone.abort());
      const query = new URLSearchParams(req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '');
      const answer = await handler({ query, headers: req.headers, signal: clientGone.signal });
      if (!res.headersSent && !res.destroyed) res.status(answer.status).type(answer.contentType).send(answer.body);
    });
    app.use((req, res) => {
      const owner = this.engine.disabledRouteOwner(req.path);
      const hint = owner
        ? `${req.path} is served by the ${owner} collector, which is off: enable it with --collector.${owner} (collectors.${owner}.enabled: true) and see its README for its options\n`
        : '';
      res.status(404).type('text').send(`404 page not found\n${hint}`);
    });
    app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      this.logger.error({ err: err.message }, 'HTTP handler failed');
      if (!res.headersSent) res.status(500).type('text').send('internal error\n');
    });
    return app;
  }
}

function tlsServerOptions(loaded: LoadedTls): tls.TlsOptions {
  // Verification failures are judged per connection (enforceClientCertificates), as each mode needs.
  return { ...loaded.context, requestCert: loaded.settings.clientAuth !== 'NoClientCert', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] };
}

/** `:9473`, `0.0.0.0:9473`, `[::1]:9473`, `localhost:9473`; an empty host means every interface. */
export function parseListenAddress(address: string): { host: string | undefined; port: number } {
  const colon = address.lastIndexOf(':');
  const hostPart = address.slice(0, colon);
  const port = Number(address.slice(colon + 1));
  const host = hostPart.startsWith('[') ? hostPart.slice(1, -1) : hostPart;
  return { host: host === '' ? undefined : host, port };
}
