/**
 * The D-Bus wire format (the D-Bus Specification, "Message Protocol"): encoding method calls and
 * decoding any message, in either byte order. Pure: bytes in, values out, no socket. Bad input
 * (a truncated, garbled or oversized message) throws a DBusWireError, never anything else.
 */

/** A decoded value: `y n q i u h` → number, `x t` → bigint, `b` → boolean, `s o g` → string, `a` and structs → arrays, dict entries → [key, value], `v` → Variant. */
export type DBusValue = number | bigint | boolean | string | Variant | DBusValue[];

export interface Variant {
  signature: string;
  value: DBusValue;
}

export class DBusWireError extends Error {}

export const MessageType = { METHOD_CALL: 1, METHOD_RETURN: 2, ERROR: 3, SIGNAL: 4 } as const;

/** The specification's limits: a message of at most 128 MiB, an array of at most 64 MiB, 255-byte signatures. */
export const MAX_MESSAGE_BYTES = 2 ** 27;
const MAX_ARRAY_BYTES = 2 ** 26;
const MAX_DEPTH = 64;
const FIXED_HEADER = 16;

const FIELD = { PATH: 1, INTERFACE: 2, MEMBER: 3, ERROR_NAME: 4, REPLY_SERIAL: 5, DESTINATION: 6, SENDER: 7, SIGNATURE: 8, UNIX_FDS: 9 } as const;

export interface Message {
  type: number;
  flags: number;
  serial: number;
  path?: string;
  interface?: string;
  member?: string;
  errorName?: string;
  replySerial?: number;
  destination?: string;
  sender?: string;
  signature: string;
  body: DBusValue[];
}

const ALIGN: Record<string, number> = { y: 1, b: 4, n: 2, q: 2, i: 4, u: 4, x: 8, t: 8, d: 8, h: 4, s: 4, o: 4, g: 1, v: 1, a: 4, '(': 8, '{': 8 };

/** Index just past the single complete type that starts at `i` of `sig`. */
function typeEnd(sig: string, i: number, depth = 0): number {
  if (depth > MAX_DEPTH) throw new DBusWireError(`signature nested too deeply: ${sig}`);
  const c = sig[i];
  if (c === undefined) throw new DBusWireError(`incomplete signature: ${sig}`);
  if ('ybnqiuxtdhsogv'.includes(c)) return i + 1;
  if (c === 'a') return typeEnd(sig, i + 1, depth + 1);
  if (c === '(' || c === '{') {
    const close = c === '(' ? ')' : '}';
    let j = i + 1;
    let members = 0;
    while (sig[j] !== close) {
      if (sig[j] === undefined) throw new DBusWireError(`unclosed ${c} in signature: ${sig}`);
      j = typeEnd(sig, j, depth + 1);
      members++;
    }
    if (members === 0 || (c === '{' && members !== 2)) throw new DBusWireError(`bad ${c}…${close} in signature: ${sig}`);
    return j + 1;
  }
  throw new DBusWireError(`unknown type code ${JSON.stringify(c)} in signature: ${sig}`);
}

/** The complete types of a signature, in order. */
export function splitSignature(sig: string): string[] {
  if (sig.length > 255) throw new DBusWireError('signature longer than 255 bytes');
  const types: string[] = [];
  for (let i = 0; i < sig.length;) {
    const end = typeEnd(sig, i);
    types.push(sig.slice(i, end));
    i = end;
  }
  return types;
}

class Reader {
  constructor(
    private readonly buf: Buffer,
    public pos: number,
    private readonly le: boolean,
  ) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new DBusWireError(`truncated: ${n} bytes wanted at offset ${this.pos} of ${this.buf.length}`);
  }

  align(n: number): void {
    const pad = (n - (this.pos % n)) % n;
    this.need(pad);
    for (let k = 0; k < pad; k++) if (this.buf[this.pos + k] !== 0) throw new DBusWireError(`non-zero padding at offset ${this.pos + k}`);
    this.pos += pad;
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++] as number;
  }

  u32(): number {
    this.align(4);
    this.need(4);
    const v = this.le ? this.buf.readUInt32LE(this.pos) : this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  private text(len: number): string {
    this.need(len + 1);
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    if (this.buf[this.pos + len] !== 0) throw new DBusWireError(`string not NUL-terminated at offset ${this.pos + len}`);
    this.pos += len + 1;
    return s;
  }

  value(sig: string, depth = 0): DBusValue {
    if (depth > MAX_DEPTH) throw new DBusWireError('value nested too deeply');
    const c = sig[0] as string;
    const le = this.le;
    switch (c) {
      case 'y':
        return this.u8();
      case 'n':
      case 'q': {
        this.align(2);
        this.need(2);
        const v =
          c === 'n'
            ? le
              ? this.buf.readInt16LE(this.pos)
              : this.buf.readInt16BE(this.pos)
            : le
              ? this.buf.readUInt16LE(this.pos)
              : this.buf.readUInt16BE(this.pos);
        this.pos += 2;
        return v;
      }
      case 'b': {
        const v = this.u32();
        if (v > 1) throw new DBusWireError(`boolean ${v}`);
        return v === 1;
      }
      case 'i': {
        this.align(4);
        this.need(4);
        const v = le ? this.buf.readInt32LE(this.pos) : this.buf.readInt32BE(this.pos);
        this.pos += 4;
        return v;
      }
      case 'u':
      case 'h':
        return this.u32();
      case 'x':
      case 't':
      case 'd': {
        this.align(8);
        this.need(8);
        const p = this.pos;
        this.pos += 8;
        if (c === 'd') return le ? this.buf.readDoubleLE(p) : this.buf.readDoubleBE(p);
        if (c === 'x') return le ? this.buf.readBigInt64LE(p) : this.buf.readBigInt64BE(p);
        return le ? this.buf.readBigUInt64LE(p) : this.buf.readBigUInt64BE(p);
      }
      case 's':
      case 'o':
        return this.text(this.u32());
      case 'g':
        return this.text(this.u8());
      case 'v': {
        const inner = this.text(this.u8());
        const types = splitSignature(inner);
        if (types.length !== 1) throw new DBusWireError(`variant signature ${JSON.stringify(inner)} is not one complete type`);
        return { signature: inner, value: this.value(inner, depth + 1) };
      }
      case 'a': {
        const len = this.u32();
        if (len > MAX_ARRAY_BYTES) throw new DBusWireError(`array of ${len} bytes`);
        const elem = sig.slice(1, typeEnd(sig, 1));
        this.align(ALIGN[elem[0] as string] ?? 1);
        this.need(len);
        const end = this.pos + len;
        const out: DBusValue[] = [];
        while (this.pos < end) out.push(this.value(elem, depth + 1));
        if (this.pos !== end) throw new DBusWireError(`array element overruns its array at offset ${this.pos}`);
        return out;
      }
      case '(':
      case '{': {
        this.align(8);
        const out: DBusValue[] = [];
        for (const member of splitSignature(sig.slice(1, typeEnd(sig, 0) - 1))) out.push(this.value(member, depth + 1));
        return out;
      }
      default:
        throw new DBusWireError(`unknown type code ${JSON.stringify(c)}`);
    }
  }
}

/**
 * Length in bytes of the message at the start of `buf` once its fixed header is there; undefined
 * before. Throws on a header no D-Bus peer sends (bad byte order mark or version, over 128 MiB).
 */
export function messageLength(buf: Buffer): number | undefined {
  if (buf.length < FIXED_HEADER) return undefined;
  const endian = buf[0];
  if (endian !== 0x6c && endian !== 0x42) throw new DBusWireError(`bad byte order mark 0x${(endian as number).toString(16)}`);
  if (buf[3] !== 1) throw new DBusWireError(`unknown protocol version ${buf[3]}`);
  const le = endian === 0x6c;
  const bodyLen = le ? buf.readUInt32LE(4) : buf.readUInt32BE(4);
  const fieldsLen = le ? buf.readUInt32LE(12) : buf.readUInt32BE(12);
  const total = FIXED_HEADER + fieldsLen + ((8 - (fieldsLen % 8)) % 8) + bodyLen;
  if (total > MAX_MESSAGE_BYTES) throw new DBusWireError(`message of ${total} bytes is over the 128 MiB limit`);
  return total;
}

/** Decodes one whole message (exactly `messageLength` bytes). */
export function decodeMessage(buf: Buffer): Message {
  const total = messageLength(buf);
  if (total === undefined || buf.length < total) throw new DBusWireError(`truncated message: ${buf.length} of ${total ?? '≥16'} bytes`);
  const le = buf[0] === 0x6c;
  const r = new Reader(buf.subarray(0, total), 12, le);
  const fields = r.value('a(yv)') as Array<[number, Variant]>;
  const msg: Message = { type: buf[1] as number, flags: buf[2] as number, serial: le ? buf.readUInt32LE(8) : buf.readUInt32BE(8), signature: '', body: [] };
  if (msg.type < 1 || msg.type > 4) throw new DBusWireError(`unknown message type ${msg.type}`);
  for (const [code, v] of fields) {
    const want = code === FIELD.REPLY_SERIAL || code === FIELD.UNIX_FDS ? 'u' : code === FIELD.PATH ? 'o' : code === FIELD.SIGNATURE ? 'g' : 's';
    if (code > FIELD.UNIX_FDS || code === 0) continue; // unknown fields are to be ignored
    if (v.signature !== want) throw new DBusWireError(`header field ${code} has type ${v.signature}, not ${want}`);
    if (code === FIELD.PATH) msg.path = v.value as string;
    else if (code === FIELD.INTERFACE) msg.interface = v.value as string;
    else if (code === FIELD.MEMBER) msg.member = v.value as string;
    else if (code === FIELD.ERROR_NAME) msg.errorName = v.value as string;
    else if (code === FIELD.REPLY_SERIAL) msg.replySerial = v.value as number;
    else if (code === FIELD.DESTINATION) msg.destination = v.value as string;
    else if (code === FIELD.SENDER) msg.sender = v.value as string;
    else if (code === FIELD.SIGNATURE) msg.signature = v.value as string;
  }
  r.align(8);
  const bodyStart = r.pos;
  for (const type of splitSignature(msg.signature)) msg.body.push(r.value(type));
  if (r.pos !== total)
    throw new DBusWireError(`body is ${total - bodyStart} bytes but its signature ${JSON.stringify(msg.signature)} covers ${r.pos - bodyStart}`);
  return msg;
}

class Writer {
  private chunks: Buffer[] = [];
  length = 0;

  private push(b: Buffer): void {
    this.chunks.push(b);
    this.length += b.length;
  }

  align(n: number): void {
    const pad = (n - (this.length % n)) % n;
    if (pad) this.push(Buffer.alloc(pad));
  }

  u8(v: number): void {
    this.push(Buffer.from([v]));
  }

  u32(v: number): void {
    this.align(4);
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    this.push(b);
  }

  string(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.u32(bytes.length);
    this.push(bytes);
    this.u8(0);
  }

  signature(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    if (bytes.length > 255) throw new DBusWireError('signature longer than 255 bytes');
    this.u8(bytes.length);
    this.push(bytes);
    this.u8(0);
  }

  private fixed(n: number, write: (b: Buffer) => void): void {
    this.align(n);
    const b = Buffer.alloc(n);
    write(b);
    this.push(b);
  }

  /** Every type but unix fds. */
  value(sig: string, v: DBusValue): void {
    const c = sig[0];
    if (c === 'y') this.u8(v as number);
    else if (c === 'u') this.u32(v as number);
    else if (c === 'i') this.fixed(4, (b) => b.writeInt32LE(v as number));
    else if (c === 'n') this.fixed(2, (b) => b.writeInt16LE(v as number));
    else if (c === 'q') this.fixed(2, (b) => b.writeUInt16LE(v as number));
    else if (c === 'x') this.fixed(8, (b) => b.writeBigInt64LE(BigInt(v as bigint)));
    else if (c === 't') this.fixed(8, (b) => b.writeBigUInt64LE(BigInt(v as bigint)));
    else if (c === 'd') this.fixed(8, (b) => b.writeDoubleLE(v as number));
    else if (c === 'b') this.u32(v ? 1 : 0);
    else if (c === 's' || c === 'o') this.string(v as string);
    else if (c === 'g') this.signature(v as string);
    else if (c === 'v') {
      const variant = v as Variant;
      this.signature(variant.signature);
      this.value(variant.signature, variant.value);
    } else if (c === 'a') {
      const elem = sig.slice(1, typeEnd(sig, 1));
      this.u32(0);
      const lengthAt = this.chunks.length - 1;
      this.align(ALIGN[elem[0] as string] ?? 1);
      const start = this.length;
      for (const item of v as DBusValue[]) this.value(elem, item);
      (this.chunks[lengthAt] as Buffer).writeUInt32LE(this.length - start);
    } else if (c === '(' || c === '{') {
      this.align(8);
      const members = splitSignature(sig.slice(1, typeEnd(sig, 0) - 1));
      members.forEach((m, i) => this.value(m, (v as DBusValue[])[i] as DBusValue));
    } else throw new DBusWireError(`cannot encode type ${JSON.stringify(c)}`);
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

export interface MethodCall {
  serial: number;
  path: string;
  interface?: string;
  member: string;
  destination?: string;
  signature?: string;
  body?: DBusValue[];
}

/** A little-endian METHOD_CALL message. */
export function encodeMethodCall(call: MethodCall): Buffer {
  return encodeMessage({ ...call, type: MessageType.METHOD_CALL, flags: 0 });
}

/** Encodes any message, little-endian (a call, or a reply from the stand-in peers the tests run). */
export function encodeMessage(m: Omit<Message, 'body' | 'signature'> & { signature?: string; body?: DBusValue[] }): Buffer {
  const signature = m.signature ?? '';
  const body = new Writer();
  splitSignature(signature).forEach((t, i) => body.value(t, (m.body ?? [])[i] as DBusValue));
  const fields: Array<[number, Variant]> = [];
  const add = (code: number, sig: string, value: string | number | undefined) => value !== undefined && fields.push([code, { signature: sig, value }]);
  add(FIELD.PATH, 'o', m.path);
  add(FIELD.INTERFACE, 's', m.interface);
  add(FIELD.MEMBER, 's', m.member);
  add(FIELD.ERROR_NAME, 's', m.errorName);
  add(FIELD.REPLY_SERIAL, 'u', m.replySerial);
  add(FIELD.DESTINATION, 's', m.destination);
  add(FIELD.SENDER, 's', m.sender);
  if (signature !== '') add(FIELD.SIGNATURE, 'g', signature);
  const bodyBytes = body.bytes();
  const head = new Writer();
  for (const b of [0x6c, m.type, m.flags, 1]) head.u8(b);
  head.u32(bodyBytes.length);
  head.u32(m.serial);
  head.value('a(yv)', fields);
  head.align(8);
  return Buffer.concat([head.bytes(), bodyBytes]);
}
