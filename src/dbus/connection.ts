/**
 * A small D-Bus client over a unix socket: EXTERNAL authentication, method calls pipelined by
 * serial, replies and errors matched back to them. Enough to ask systemd for its units and their
 * properties, on the system bus (with Hello) or on systemd's private peer-to-peer socket (without).
 * No file descriptor passing, no signals subscribed (any signal that arrives is dropped).
 */
import net from 'node:net';
import { decodeMessage, encodeMethodCall, messageLength, MessageType, type DBusValue, type Message, type Variant } from './wire.js';

/** The system bus where `DBUS_SYSTEM_BUS_ADDRESS` does not say otherwise (the specification's well-known address). */
export const DEFAULT_SYSTEM_BUS = 'unix:path=/run/dbus/system_bus_socket';

/** A D-Bus error reply (`org.freedesktop.DBus.Error.UnknownObject: …`). */
export class DBusError extends Error {
  constructor(
    override readonly name: string,
    message: string,
  ) {
    super(`${name}: ${message}`);
  }
}

/** The first unix transport of a D-Bus address list (`unix:path=…` or `unix:abstract=…`), as a path net.connect takes. */
export function socketPathOf(address: string): string {
  for (const entry of address.split(';')) {
    const colon = entry.indexOf(':');
    if (entry.slice(0, colon) !== 'unix') continue;
    const keys = new Map(
      entry
        .slice(colon + 1)
        .split(',')
        .map((kv) => {
          const eq = kv.indexOf('=');
          return [kv.slice(0, eq), decodeURIComponent(kv.slice(eq + 1))] as [string, string];
        }),
    );
    const path = keys.get('path');
    if (path) return path;
    const abstract = keys.get('abstract');
    if (abstract) return `\0${abstract}`;
  }
  throw new Error(`no unix:path= or unix:abstract= transport in D-Bus address ${JSON.stringify(address)}`);
}

interface Pending {
  resolve(m: Message): void;
  reject(e: Error): void;
}

export interface OpenOptions {
  /** Aborting it closes the connection and fails every call still waiting. */
  signal: AbortSignal;
  /** Say Hello to a message bus first; false on a peer-to-peer socket (systemd's private one). */
  bus: boolean;
}

export class DBusConnection {
  private serial = 0;
  private readonly pending = new Map<number, Pending>();
  private buffered: Buffer = Buffer.alloc(0);
  private failure: Error | undefined;

  private constructor(private readonly socket: net.Socket) {}

  /** Connects, authenticates as this process's uid and, on a bus, says Hello. */
  static async open(address: string, opts: OpenOptions): Promise<DBusConnection> {
    const path = socketPathOf(address);
    opts.signal.throwIfAborted();
    const socket = net.connect({ path });
    const conn = new DBusConnection(socket);
    const onAbort = () => conn.fail(opts.signal.reason instanceof Error ? opts.signal.reason : new Error('aborted'));
    opts.signal.addEventListener('abort', onAbort, { once: true });
    socket.once('close', () => opts.signal.removeEventListener('abort', onAbort));
    try {
      await conn.authenticate(path);
      if (opts.bus) await conn.call({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'Hello' });
    } catch (err) {
      conn.close();
      throw err;
    }
    return conn;
  }

  /** The SASL exchange (the specification's "Authentication Protocol"), then the binary protocol. */
  private authenticate(path: string): Promise<void> {
    const uid = process.getuid?.() ?? 0;
    return new Promise((resolve, reject) => {
      let text = '';
      const cleanup = () => {
        this.socket.off('data', onData);
        this.socket.off('error', onError);
        this.socket.off('close', onClose);
        this.rejectAuth = undefined;
      };
      const onError = (err: Error) => {
        cleanup();
        reject(new Error(`D-Bus socket ${path}: ${err.message}`));
      };
      const onClose = () => onError(new Error('closed during authentication'));
      this.rejectAuth = (err) => {
        cleanup();
        reject(err);
      };
      const onData = (chunk: Buffer) => {
        text += chunk.toString('latin1');
        const end = text.indexOf('\r\n');
        if (end < 0) {
          if (text.length > 4096) onError(new Error('authentication line over 4 KiB'));
          return;
        }
        const line = text.slice(0, end);
        cleanup();
        if (!line.startsWith('OK ')) return reject(new Error(`D-Bus socket ${path}: authentication refused (${line.slice(0, 200)})`));
        this.socket.write('BEGIN\r\n');
        this.socket.on('data', (d: Buffer) => this.receive(d));
        this.socket.on('error', (err) => this.fail(new Error(`D-Bus socket ${path}: ${err.message}`)));
        this.socket.on('close', () => this.fail(new Error(`D-Bus socket ${path}: closed by the peer`)));
        const rest = Buffer.from(text.slice(end + 2), 'latin1');
        if (rest.length) this.receive(rest);
        resolve();
      };
      this.socket.on('data', onData);
      this.socket.on('error', onError);
      this.socket.on('close', onClose);
      this.socket.write(Buffer.concat([Buffer.from([0]), Buffer.from(`AUTH EXTERNAL ${Buffer.from(String(uid)).toString('hex')}\r\n`)]));
    });
  }

  private rejectAuth: ((err: Error) => void) | undefined;

  private receive(chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    try {
      for (;;) {
        const len = messageLength(this.buffered);
        if (len === undefined || this.buffered.length < len) return;
        const msg = decodeMessage(this.buffered.subarray(0, len));
        this.buffered = this.buffered.subarray(len);
        if (msg.type !== MessageType.METHOD_RETURN && msg.type !== MessageType.ERROR) continue;
        const waiting = msg.replySerial === undefined ? undefined : this.pending.get(msg.replySerial);
        if (!waiting) continue;
        this.pending.delete(msg.replySerial as number);
        waiting.resolve(msg);
      }
    } catch (err) {
      this.fail(new Error(`D-Bus: unreadable message from the peer: ${(err as Error).message}`));
    }
  }

  /** Closes the connection and fails every call still waiting (and any later one) with `err`. */
  private fail(err: Error): void {
    if (!this.failure) this.failure = err;
    this.rejectAuth?.(err);
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
    this.socket.destroy();
  }

  /** Sends a method call; resolves with the reply's body, rejects with a DBusError for an error reply. */
  async call(c: { destination?: string; path: string; interface: string; member: string; signature?: string; body?: DBusValue[] }): Promise<DBusValue[]> {
    if (this.failure) throw this.failure;
    this.serial = this.serial >= 0xffffffff ? 1 : this.serial + 1;
    const serial = this.serial;
    const reply = new Promise<Message>((resolve, reject) => this.pending.set(serial, { resolve, reject }));
    this.socket.write(encodeMethodCall({ serial, ...c }));
    const m = await reply;
    if (m.type === MessageType.ERROR) throw new DBusError(m.errorName ?? 'org.freedesktop.DBus.Error.Failed', typeof m.body[0] === 'string' ? m.body[0] : '');
    return m.body;
  }

  /** org.freedesktop.DBus.Properties.Get: the property's variant. */
  async getProperty(destination: string | undefined, path: string, iface: string, property: string): Promise<Variant> {
    const [v] = await this.call({ destination, path, interface: 'org.freedesktop.DBus.Properties', member: 'Get', signature: 'ss', body: [iface, property] });
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw new DBusError('spyglass.Error.BadReply', `Get ${iface}.${property}: reply is not a variant`);
    return v;
  }

  close(): void {
    this.fail(new Error('D-Bus connection closed'));
  }
}
