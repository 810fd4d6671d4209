/**
 * The TCP prober: connect (optionally with TLS), then blackbox's query_response dialogue: wait for
 * a line matching `expect`, compare `expect_bytes`, `send` a line (with `$1`/`${name}` from the
 * match), upgrade with `starttls`.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import type { TcpSettings } from './module.js';
import type { ProbeContext } from './probe-context.js';
import type { ProbeReport } from './probe-report.js';
import { ProbeError, resolveTarget, socketFailure, splitHostPort } from './resolve.js';
import { recordTls, tlsClientOptions, tlsFacts } from './tls.js';

/** A line longer than this fails the probe instead of growing the buffer (bufio.Scanner's limit is 64 KiB). */
const MAX_LINE_BYTES = 64 * 1024;

export async function probeTcp(target: string, s: TcpSettings, ctx: ProbeContext, report: ProbeReport): Promise<boolean> {
  const split = splitHostPort(target);
  if (!split) throw new ProbeError(`target ${JSON.stringify(target)} must be host:port`);
  const { host, port } = split;
  report.set('probe_failed_due_to_regex', 0);
  report.set('probe_failed_due_to_bytes', 0);
  const resolved = await resolveTarget(host, s.ip, ctx, report);
  const serverName = ctx.hostname ?? host;
  const tlsOptions = s.tls || s.queryResponse.some((q) => q.startTls) ? await tlsClientOptions(s.tlsConfig, serverName) : undefined;
  let socket = await openSocket(
    { host: resolved.address, port, family: resolved.family, ...(s.ip.sourceAddress ? { localAddress: s.ip.sourceAddress } : {}) },
    s.tls ? tlsOptions : undefined,
    ctx.signal,
  );
  try {
    if (s.tls) recordTls(tlsFacts(socket as TLSSocket), report, { cipher: false });
    let reader = new LineReader(socket, ctx.signal);
    for (const [i, q] of s.queryResponse.entries()) {
      let send = q.send;
      if (q.expect) {
        const match = await reader.lineMatching(q.expect);
        if (!match) {
          report.set('probe_failed_due_to_regex', 1);
          return report.fail(`query_response[${i}]: no line matched ${q.expect.source} before the connection ended`);
        }
        if (send !== undefined) send = expand(send, match);
        if (q.labels.length) report.set('probe_expect_info', 1, Object.fromEntries(q.labels.map((l) => [l.name, expand(l.value, match)])));
      }
      if (q.expectBytes !== undefined) {
        const want = Buffer.from(q.expectBytes);
        const got = await reader.bytes(want.length);
        if (got.length < want.length) return report.fail(`query_response[${i}]: connection ended after ${got.length} of ${want.length} expected bytes`);
        if (!got.equals(want)) {
          report.set('probe_failed_due_to_bytes', 1);
          return report.fail(`query_response[${i}]: bytes did not match expect_bytes`);
        }
      }
      if (send !== undefined && send !== '') await write(socket, `${send}\n`);
      if (q.startTls) {
        socket = await upgrade(socket, tlsOptions as ConnectionOptions, ctx.signal);
        recordTls(tlsFacts(socket as TLSSocket), report, { cipher: false });
        reader = new LineReader(socket, ctx.signal);
      }
    }
    return true;
  } finally {
    socket.destroy();
  }
}

function openSocket(
  address: { host: string; port: number; family: number; localAddress?: string },
  tls: ConnectionOptions | undefined,
  signal: AbortSignal,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket: Socket = tls ? tlsConnect({ ...address, ...tls }) : netConnect(address);
    let connected = false;
    const onAbort = () => socket.destroy(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      signal.removeEventListener('abort', onAbort);
      resolve(socket);
    });
    socket.once('connect', () => (connected = true));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      signal.removeEventListener('abort', onAbort);
      if (signal.aborted) return reject(signal.reason as Error);
      reject(socketFailure(tls && connected ? 'TLS handshake' : 'connect', err));
    });
  });
}

function upgrade(socket: Socket, tls: ConnectionOptions, signal: AbortSignal): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    socket.removeAllListeners('data');
    const secure = tlsConnect({ ...tls, socket });
    const onAbort = () => secure.destroy(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    secure.once('secureConnect', () => {
      signal.removeEventListener('abort', onAbort);
      resolve(secure);
    });
    secure.once('error', (err) => {
      signal.removeEventListener('abort', onAbort);
      reject(signal.aborted ? (signal.reason as Error) : new ProbeError(`STARTTLS handshake failed: ${err.message}`));
    });
  });
}

function write(socket: Socket, data: string): Promise<void> {
  return new Promise((resolve, reject) => socket.write(data, (err) => (err ? reject(new ProbeError(`send failed: ${err.message}`)) : resolve())));
}

/** `$1`, `${1}`, `$name`, `${name}` and `$$` in a template, from a regex match (Go's Regexp.Expand). */
export function expand(template: string, match: RegExpExecArray): string {
  return template.replace(/\$(\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g, (_, whole: string, braced?: string, bare?: string) => {
    if (whole === '$') return '$';
    const key = (braced ?? bare) as string;
    const v = /^\d+$/.test(key) ? match[Number(key)] : match.groups?.[key];
    return v ?? '';
  });
}

/** Reads lines and byte runs from a socket as the dialogue asks for them. */
class LineReader {
  private buffer = Buffer.alloc(0);
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(socket: Socket, signal: AbortSignal) {
    socket.on('data', (d: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, d]);
      this.notify();
    });
    socket.once('end', () => {
      this.ended = true;
      this.notify();
    });
    socket.once('error', (err) => {
      this.failure = signal.aborted ? (signal.reason as Error) : new ProbeError(`read failed: ${err.message}`);
      this.notify();
    });
    signal.addEventListener(
      'abort',
      () => {
        this.failure = signal.reason as Error;
        this.notify();
      },
      { once: true },
    );
  }

  /** The first line (without its line ending) the pattern matches, or undefined at end of stream. */
  async lineMatching(re: RegExp): Promise<RegExpExecArray | undefined> {
    for (;;) {
      const line = await this.line();
      if (line === undefined) return undefined;
      const m = re.exec(line);
      if (m) return m;
    }
  }

  private async line(): Promise<string | undefined> {
    for (;;) {
      const nl = this.buffer.indexOf(10);
      if (nl >= 0) {
        const line = this.buffer.subarray(0, nl).toString('utf8').replace(/\r$/, '');
        this.buffer = this.buffer.subarray(nl + 1);
        return line;
      }
      if (this.buffer.length > MAX_LINE_BYTES) throw new ProbeError(`a line longer than ${MAX_LINE_BYTES} bytes arrived`);
      if (this.ended) {
        if (this.buffer.length === 0) return undefined;
        const last = this.buffer.toString('utf8');
        this.buffer = Buffer.alloc(0);
        return last;
      }
      await this.more();
    }
  }

  async bytes(n: number): Promise<Buffer> {
    while (this.buffer.length < n && !this.ended) await this.more();
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(out.length);
    return out;
  }

  private more(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<void>((resolve) => (this.wake = resolve)).then(() => {
      if (this.failure) throw this.failure;
    });
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}
