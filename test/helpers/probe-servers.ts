/**
 * Real servers on 127.0.0.1 for the probe tests: HTTP and HTTPS with injectable delays (and
 * their own timing of each request), a line-based TCP server, dnsmasq and a garbage-answering
 * UDP server, a gRPC health server (@grpc/grpc-js), and a CA with certificates made by openssl.
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './spyglass.js';
import { gzipSync as zlibGzip } from 'node:zlib';

export interface Certificates {
  dir: string;
  caFile: string;
  /** Valid for 127.0.0.1 and localhost, signed by the CA. */
  serverCert: string;
  serverKey: string;
  /** Expired in 2020, signed by the CA, valid for 127.0.0.1. */
  expiredCert: string;
  expiredKey: string;
  clientCert: string;
  clientKey: string;
  cleanup(): void;
}

/** A throwaway CA and certificates, made with the openssl command line. */
export function makeCertificates(): Certificates {
  const dir = mkdtempSync(join(tmpdir(), 'spyglass-ca-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const key = (name: string) => ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`];
  ssl('req', '-x509', ...key('ca'), '-out', 'ca.crt', '-days', '30', '-subj', '/O=spyglass test/CN=spyglass test CA');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [name, subject, ext] of [
    ['server', '/O=spyglass test/CN=localhost', 'server.ext'],
    ['client', '/CN=spyglass probe', 'client.ext'],
  ] as const) {
    ssl('req', ...key(name), '-out', `${name}.csr`, '-subj', subject);
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '20', '-extfile', ext, '-out', `${name}.crt`);
  }
  // openssl ca is the command that takes explicit validity dates, for a certificate that expired long ago.
  mkdirSync(join(dir, 'db'));
  writeFileSync(join(dir, 'db', 'index.txt'), '');
  writeFileSync(join(dir, 'db', 'serial'), '1000\n');
  writeFileSync(
    join(dir, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = test',
      '[test]',
      'dir = .',
      'database = db/index.txt',
      'serial = db/serial',
      'new_certs_dir = db',
      'certificate = ca.crt',
      'private_key = ca.key',
      'default_md = sha256',
      'policy = any',
      'copy_extensions = copy',
      '[any]',
      'commonName = supplied',
      '',
    ].join('\n'),
  );
  ssl('req', ...key('expired'), '-out', 'expired.csr', '-subj', '/CN=expired', '-addext', 'subjectAltName=IP:127.0.0.1');
  ssl('ca', '-batch', '-config', 'ca.cnf', '-in', 'expired.csr', '-out', 'expired.crt', '-startdate', '20200101000000Z', '-enddate', '20200102000000Z');
  const f = (name: string) => join(dir, name);
  return {
    dir,
    caFile: f('ca.crt'),
    serverCert: f('server.crt'),
    serverKey: f('server.key'),
    expiredCert: f('expired.crt'),
    expiredKey: f('expired.key'),
    clientCert: f('client.crt'),
    clientKey: f('client.key'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** What the HTTP test server measured itself for one request (ms, performance.now clock of this process). */
export interface ServedRequest {
  path: string;
  /** When the request arrived, ms since the epoch (sub-ms precision, from the monotonic clock). */
  arrivedAtMs: number;
  headers: IncomingMessage['headers'];
  /** From the request's arrival (headers parsed) to the response headers being written. */
  beforeHeadersMs: number;
  /** From the response headers to the end of the body. */
  bodyMs: number;
}

/**
 * Routes (query parameters): `headers_delay=MS` waits before the headers, `body_delay=MS` between
 * the first and the rest of the body, `status=N`, `size=BYTES` of body, `header=Name:Value`,
 * `redirect=URL` (302), `loop=1` (302 to itself), `body=TEXT`, `gzip=1`, `garbage=1` (a malformed response), `hang=1`.
 */
export function probeHandler(served: ServedRequest[]) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const arrived = performance.now();
    const url = new URL(req.url ?? '/', 'http://x');
    const q = (k: string) => url.searchParams.get(k);
    if (q('hang')) return; // never answers
    if (q('garbage')) {
      req.socket.end('HTTP/1.1 2OO OK\r\nthis is not http\r\n\r\n');
      return;
    }
    const send = () => {
      const headersAt = performance.now();
      const status = Number(q('status') ?? 200);
      const headers: Record<string, string> = { 'content-type': 'text/plain' };
      for (const h of url.searchParams.getAll('header')) {
        const i = h.indexOf(':');
        headers[h.slice(0, i)] = h.slice(i + 1);
      }
      if (q('redirect')) headers.location = q('redirect') as string;
      if (q('loop')) headers.location = req.url as string;
      let body = Buffer.from(q('body') ?? 'x'.repeat(Number(q('size') ?? 16)));
      if (q('gzip')) {
        body = zlibGzip(body);
        headers['content-encoding'] = 'gzip';
      }
      headers['content-length'] = String(body.length);
      res.writeHead(headers.location ? 302 : status, headers);
      const finish = () => {
        res.end(body.subarray(1), () =>
          served.push({
            path: req.url ?? '',
            arrivedAtMs: performance.timeOrigin + arrived,
            headers: req.headers,
            beforeHeadersMs: headersAt - arrived,
            bodyMs: performance.now() - headersAt,
          }),
        );
      };
      res.write(body.subarray(0, 1));
      const bodyDelay = Number(q('body_delay') ?? 0);
      if (bodyDelay) setTimeout(finish, bodyDelay);
      else finish();
    };
    const delay = Number(q('headers_delay') ?? 0);
    req.resume();
    if (delay) setTimeout(send, delay);
    else send();
  };
}

export interface Listening<S> {
  server: S;
  port: number;
  close(): Promise<void>;
}

function listen<S extends NetServer>(server: S, port = 0, host = '127.0.0.1'): Promise<Listening<S>> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const p = (server.address() as AddressInfo).port;
      resolve({
        server,
        port: p,
        close: () =>
          new Promise<void>((r) => {
            (server as unknown as Server).closeAllConnections?.();
            server.close(() => r());
          }),
      });
    });
  });
}

/** On 127.0.0.1 unless told another loopback address. */
export function startHttpServer(served: ServedRequest[] = [], host = '127.0.0.1'): Promise<Listening<Server>> {
  return listen(createHttpServer({ keepAlive: false }, probeHandler(served)), 0, host);
}

/** An HTTPS server answering like the probe test server, or with `handler` when given. */
export function startHttpsServer(
  cert: string,
  key: string,
  served: ServedRequest[] = [],
  options: { ca?: string; requestCert?: boolean } = {},
  handler?: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<Listening<Server>> {
  return listen(
    createHttpsServer(
      {
        cert: readFileSync(cert),
        key: readFileSync(key),
        ...(options.ca ? { ca: readFileSync(options.ca) } : {}),
        requestCert: options.requestCert ?? false,
        rejectUnauthorized: options.requestCert ?? false,
      },
      handler ?? probeHandler(served),
    ) as unknown as Server,
  );
}

/** A TCP server that greets with `banner`, then answers each line `PING x` with `PONG x`. */
export function startLineServer(banner: string): Promise<Listening<NetServer>> {
  return listen(
    createNetServer((socket) => {
      socket.write(`${banner}\r\n`);
      let buf = '';
      socket.on('data', (d) => {
        buf += d.toString();
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line.startsWith('PING ')) socket.write(`PONG ${line.slice(5)}\r\n`);
          if (line === 'QUIT') socket.end('BYE\r\n');
        }
      });
      socket.on('error', () => undefined);
    }),
  );
}

/** A TCP server that accepts and never says anything. */
export function startSilentServer(): Promise<Listening<NetServer>> {
  return listen(createNetServer((s) => s.on('error', () => undefined).resume()));
}

export interface Dnsmasq {
  port: number;
  stop(): Promise<void>;
}

/**
 * dnsmasq answering only from its command line (no upstream, no /etc/hosts) on 127.0.0.1, UDP and TCP.
 * `records` are dnsmasq options such as `--host-record=web.test,127.0.0.1`.
 */
export async function startDnsmasq(records: string[]): Promise<Dnsmasq> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'dnsmasq',
    [
      '--keep-in-foreground',
      '--no-daemon',
      '--no-resolv',
      '--no-hosts',
      '--no-poll',
      '--bind-interfaces',
      '--listen-address=127.0.0.1',
      `--port=${port}`,
      '--user=root',
      '--pid-file=',
      '--log-facility=-',
      ...records,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  await waitFor(async () => (await udpAnswers(port)) || child.exitCode !== null, 5000, 'dnsmasq to answer');
  if (child.exitCode !== null) throw new Error(`dnsmasq exited: ${stderr}`);
  return {
    port,
    stop: () =>
      new Promise((r) => {
        if (child.exitCode !== null) return r();
        child.once('exit', () => r());
        child.kill('SIGTERM');
      }),
  };
}

/** A query for `.` NS: any reply means the server is up. */
function udpAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      resolve(false);
    }, 200);
    s.once('message', () => {
      clearTimeout(t);
      s.close();
      resolve(true);
    });
    s.once('error', () => undefined);
    s.send(Buffer.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1]), port, '127.0.0.1');
  });
}

/** A UDP "DNS server" that answers every datagram with `reply(query)`. */
export function startUdpResponder(reply: (query: Buffer) => Buffer | undefined): Promise<{ port: number; socket: UdpSocket; close(): void }> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.on('message', (msg, rinfo) => {
      const out = reply(msg);
      if (out) socket.send(out, rinfo.port, rinfo.address);
    });
    socket.bind(0, '127.0.0.1', () => resolve({ port: socket.address().port, socket, close: () => socket.close() }));
  });
}

export interface GrpcHealthServer {
  port: number;
  setStatus(service: string, status: 'SERVING' | 'NOT_SERVING' | 'UNKNOWN'): void;
  stop(): Promise<void>;
}

/** A real gRPC server (@grpc/grpc-js) with the standard health service (grpc-health-check). */
export async function startGrpcHealthServer(
  statuses: Record<string, 'SERVING' | 'NOT_SERVING' | 'UNKNOWN'>,
  tls?: { cert: string; key: string },
): Promise<GrpcHealthServer> {
  const grpc = await import('@grpc/grpc-js');
  const { HealthImplementation } = await import('grpc-health-check');
  const health = new HealthImplementation(statuses);
  const server = new grpc.Server();
  health.addToServer(server);
  const credentials = tls
    ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: readFileSync(tls.cert), private_key: readFileSync(tls.key) }])
    : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p))));
  return {
    port,
    setStatus: (service, status) => health.setStatus(service, status),
    stop: () => new Promise((r) => server.tryShutdown(() => r())),
  };
}

export interface HttpServerProcess {
  port: number;
  served: ServedRequest[];
  stop(): Promise<void>;
}

/** startHttpServer in a child process (see http-server-process.ts). */
export async function startHttpServerProcess(): Promise<HttpServerProcess> {
  const child = fork(new URL('./http-server-process.js', import.meta.url), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const served: ServedRequest[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`HTTP server process exited with ${code}`)));
    child.on('message', (m: { port?: number; served?: ServedRequest }) => {
      if (m.port) resolve(m.port);
      if (m.served) served.push(m.served);
    });
  });
  return {
    port,
    served,
    stop: () =>
      new Promise((r) => {
        child.removeAllListeners('exit');
        child.once('exit', () => r());
        child.disconnect();
      }),
  };
}
