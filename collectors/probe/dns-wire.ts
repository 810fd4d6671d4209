/**
 * DNS messages on the wire (RFC 1035): a query encoder and a response decoder that never trusts
 * the input. Records are printed the way miekg/dns's RR.String() prints them
 * (`name.\tttl\tCLASS\tTYPE\trdata`), because blackbox's validate_*_rrs regexps match that text.
 */
import { isIP } from 'node:net';

export const TYPES: Record<string, number> = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  HINFO: 13,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  NAPTR: 35,
  DS: 43,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  TLSA: 52,
  SVCB: 64,
  HTTPS: 65,
  OPT: 41,
  CAA: 257,
  AXFR: 252,
  ANY: 255,
};
export const CLASSES: Record<string, number> = { IN: 1, CS: 2, CH: 3, HS: 4, NONE: 254, ANY: 255 };
export const RCODES: Record<string, number> = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  YXDOMAIN: 6,
  YXRRSET: 7,
  NXRRSET: 8,
  NOTAUTH: 9,
  NOTZONE: 10,
  BADSIG: 16,
  BADVERS: 16,
  BADKEY: 17,
  BADTIME: 18,
  BADMODE: 19,
  BADNAME: 20,
  BADALG: 21,
  BADTRUNC: 22,
  BADCOOKIE: 23,
};
const TYPE_NAMES = invert(TYPES);
const CLASS_NAMES = invert(CLASSES);

export interface Question {
  name: string;
  type: number;
  class: number;
}

export interface ResourceRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  /** The record as miekg/dns prints it. */
  text: string;
  /** SOA serial, when the record is a SOA. */
  serial?: number;
}

export interface DnsResponse {
  id: number;
  truncated: boolean;
  rcode: number;
  answer: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
}

export class DnsFormatError extends Error {}

export function encodeQuery(id: number, q: Question, recursionDesired: boolean): Buffer {
  const name = encodeName(q.name);
  const out = Buffer.alloc(12 + name.length + 4);
  out.writeUInt16BE(id, 0);
  out.writeUInt16BE(recursionDesired ? 0x0100 : 0, 2);
  out.writeUInt16BE(1, 4); // one question, no other sections
  name.copy(out, 12);
  out.writeUInt16BE(q.type, 12 + name.length);
  out.writeUInt16BE(q.class, 14 + name.length);
  return out;
}

function encodeName(name: string): Buffer {
  const labels = name
    .replace(/\.$/, '')
    .split('.')
    .filter((l) => l.length > 0);
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(label, 'utf8');
    if (bytes.length > 63) throw new DnsFormatError(`label ${JSON.stringify(label)} is longer than 63 bytes`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  const out = Buffer.concat(parts);
  if (out.length > 255) throw new DnsFormatError(`name ${JSON.stringify(name)} is longer than 255 bytes`);
  return out;
}

/** Decodes a response; throws DnsFormatError on anything malformed. */
export function decodeResponse(msg: Buffer): DnsResponse {
  if (msg.length < 12) throw new DnsFormatError(`message of ${msg.length} bytes is shorter than a DNS header`);
  const flags = msg.readUInt16BE(2);
  if ((flags & 0x8000) === 0) throw new DnsFormatError('the message is a query, not a response');
  const counts = [msg.readUInt16BE(4), msg.readUInt16BE(6), msg.readUInt16BE(8), msg.readUInt16BE(10)] as const;
  let offset = 12;
  for (let i = 0; i < counts[0]; i++) {
    offset = readName(msg, offset).next + 4;
    if (offset > msg.length) throw new DnsFormatError('question section runs past the end of the message');
  }
  const sections: ResourceRecord[][] = [[], [], []];
  let extendedRcode = 0;
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < (counts[s + 1] as number); i++) {
      const { rr, next, optRcodeHigh } = readRecord(msg, offset);
      if (optRcodeHigh !== undefined) extendedRcode = optRcodeHigh << 4;
      (sections[s] as ResourceRecord[]).push(rr);
      offset = next;
    }
  }
  return {
    id: msg.readUInt16BE(0),
    truncated: (flags & 0x0200) !== 0,
    rcode: extendedRcode | (flags & 0x000f),
    answer: sections[0] as ResourceRecord[],
    authority: sections[1] as ResourceRecord[],
    additional: sections[2] as ResourceRecord[],
  };
}

function readRecord(msg: Buffer, offset: number): { rr: ResourceRecord; next: number; optRcodeHigh?: number } {
  const { name, next: afterName } = readName(msg, offset);
  if (afterName + 10 > msg.length) throw new DnsFormatError('record header runs past the end of the message');
  const type = msg.readUInt16BE(afterName);
  const klass = msg.readUInt16BE(afterName + 2);
  const ttl = msg.readUInt32BE(afterName + 4);
  const length = msg.readUInt16BE(afterName + 8);
  const start = afterName + 10;
  const end = start + length;
  if (end > msg.length) throw new DnsFormatError('record data runs past the end of the message');
  const rdata = rdataText(msg, type, start, end);
  const rr: ResourceRecord = { name, type, class: klass, ttl, text: `${name}\t${ttl}\t${className(klass)}\t${typeName(type)}\t${rdata.text}` };
  if (rdata.serial !== undefined) rr.serial = rdata.serial;
  if (type === TYPES.OPT) {
    // miekg prints OPT pseudo-records differently; the text is only used for regexps, which rarely target OPT.
    return { rr: { ...rr, text: `;; OPT PSEUDOSECTION: udp: ${klass}` }, next: end, optRcodeHigh: (ttl >>> 24) & 0xff };
  }
  return { rr, next: end };
}

function rdataText(msg: Buffer, type: number, start: number, end: number): { text: string; serial?: number } {
  const need = (n: number) => {
    if (start + n > end) throw new DnsFormatError(`${typeName(type)} record data is too short`);
  };
  switch (type) {
    case TYPES.A:
      if (end - start !== 4) throw new DnsFormatError('A record data is not 4 bytes');
      return { text: [...msg.subarray(start, end)].join('.') };
    case TYPES.AAAA:
      if (end - start !== 16) throw new DnsFormatError('AAAA record data is not 16 bytes');
      return { text: formatIPv6(msg.subarray(start, end)) };
    case TYPES.NS:
    case TYPES.CNAME:
    case TYPES.PTR:
      return { text: readNameWithin(msg, start, end).name };
    case TYPES.MX: {
      need(3);
      return { text: `${msg.readUInt16BE(start)} ${readNameWithin(msg, start + 2, end).name}` };
    }
    case TYPES.SRV: {
      need(7);
      return { text: `${msg.readUInt16BE(start)} ${msg.readUInt16BE(start + 2)} ${msg.readUInt16BE(start + 4)} ${readNameWithin(msg, start + 6, end).name}` };
    }
    case TYPES.SOA: {
      const ns = readNameWithin(msg, start, end);
      const mbox = readNameWithin(msg, ns.next, end);
      if (mbox.next + 20 !== end) throw new DnsFormatError('SOA record data has the wrong length');
      const n = (i: number) => msg.readUInt32BE(mbox.next + 4 * i);
      return { text: `${ns.name} ${mbox.name} ${n(0)} ${n(1)} ${n(2)} ${n(3)} ${n(4)}`, serial: n(0) };
    }
    case TYPES.TXT: {
      const strings: string[] = [];
      for (let i = start; i < end;) {
        const len = msg[i] as number;
        if (i + 1 + len > end) throw new DnsFormatError('TXT string runs past its record');
        strings.push(
          `"${msg
            .subarray(i + 1, i + 1 + len)
            .toString('latin1')
            .replace(/["\\]/g, '\\$&')}"`,
        );
        i += 1 + len;
      }
      return { text: strings.join(' ') };
    }
    default:
      return { text: `\\# ${end - start}${end > start ? ` ${msg.subarray(start, end).toString('hex')}` : ''}` };
  }
}

function readNameWithin(msg: Buffer, offset: number, end: number): { name: string; next: number } {
  const r = readName(msg, offset);
  if (r.next > end) throw new DnsFormatError('name runs past its record');
  return r;
}

/** A possibly compressed name; `next` is the offset after it in the original position. */
function readName(msg: Buffer, offset: number): { name: string; next: number } {
  const labels: string[] = [];
  let pos = offset;
  let next: number | undefined;
  let jumps = 0;
  let length = 0;
  for (;;) {
    if (pos >= msg.length) throw new DnsFormatError('name runs past the end of the message');
    const len = msg[pos] as number;
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= msg.length) throw new DnsFormatError('compression pointer runs past the end of the message');
      if (++jumps > 64) throw new DnsFormatError('compression pointers loop');
      next ??= pos + 2;
      pos = ((len & 0x3f) << 8) | (msg[pos + 1] as number);
      continue;
    }
    if (len & 0xc0) throw new DnsFormatError(`unsupported label type 0x${len.toString(16)}`);
    if (len === 0) break;
    if (pos + 1 + len > msg.length) throw new DnsFormatError('label runs past the end of the message');
    length += len + 1;
    if (length > 255) throw new DnsFormatError('name is longer than 255 bytes');
    labels.push(escapeLabel(msg.subarray(pos + 1, pos + 1 + len)));
    pos += 1 + len;
  }
  return { name: labels.length ? `${labels.join('.')}.` : '.', next: next ?? pos + 1 };
}

function escapeLabel(bytes: Buffer): string {
  let s = '';
  for (const b of bytes) {
    if (b === 0x2e || b === 0x5c || b === 0x22 || b === 0x28 || b === 0x29 || b === 0x3b || b === 0x40 || b === 0x24) s += `\\${String.fromCharCode(b)}`;
    else if (b < 0x21 || b > 0x7e) s += `\\${b.toString().padStart(3, '0')}`;
    else s += String.fromCharCode(b);
  }
  return s;
}

/** RFC 5952 text form, as Go's net.IP.String() gives it. */
export function formatIPv6(bytes: Buffer): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(bytes.readUInt16BE(i));
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) return `::ffff:${[...bytes.subarray(12)].join('.')}`;
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  const text = `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
  return isIP(text) ? text : hex.join(':');
}

export function typeName(type: number): string {
  return TYPE_NAMES[type] ?? `TYPE${type}`;
}

function className(klass: number): string {
  return CLASS_NAMES[klass] ?? `CLASS${klass}`;
}

/** `A`, `TYPE99` (RFC 3597) → number; undefined when unknown. */
export function parseType(name: string): number | undefined {
  return TYPES[name] ?? numbered(name, 'TYPE');
}

export function parseClass(name: string): number | undefined {
  return CLASSES[name] ?? numbered(name, 'CLASS');
}

function numbered(name: string, prefix: string): number | undefined {
  const m = new RegExp(`^${prefix}(\\d{1,5})$`).exec(name);
  const n = m ? Number(m[1]) : NaN;
  return n >= 0 && n <= 65535 ? n : undefined;
}

function invert(map: Record<string, number>): Record<number, string> {
  const out: Record<number, string> = {};
  for (const [k, v] of Object.entries(map)) out[v] ??= k;
  return out;
}
