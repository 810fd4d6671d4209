/**
 * The remote-write 1.0 body, protobuf-encoded by hand: prometheus.WriteRequest holds repeated
 * TimeSeries (field 1), each with repeated Label (field 1: name = 1, value = 2) and repeated Sample
 * (field 2: value = 1 double, timestamp = 2 int64 ms). See
 * https://prometheus.io/docs/specs/prw/remote_write_spec/ and prompb/types.proto.
 *
 * Written by hand rather than with protobufjs: four fixed messages need a few dozen lines, and
 * writing each series' label bytes once (they are cached across runs) beats building an object
 * tree per sample for a generic encoder to walk. Repeated fields concatenate, so the encoded
 * series of several queue records joined together are themselves a valid WriteRequest.
 */

/** Prometheus's staleness marker: a NaN with this exact bit pattern (model/value/value.go), little-endian. */
const staleBytes = Buffer.alloc(8);
staleBytes.writeBigUInt64LE(0x7ff0000000000002n);

function varintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

function writeVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

/** The Label messages of a series, each as field 1 of TimeSeries: computed once per series and reused. */
export function encodeLabels(labels: ReadonlyArray<readonly [string, string]>): Buffer {
  const parts: Array<[Buffer, Buffer]> = labels.map(([n, v]) => [Buffer.from(n, 'utf8'), Buffer.from(v, 'utf8')]);
  let size = 0;
  for (const [n, v] of parts) {
    const inner = 1 + varintLength(n.length) + n.length + 1 + varintLength(v.length) + v.length;
    size += 1 + varintLength(inner) + inner;
  }
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  for (const [n, v] of parts) {
    const inner = 1 + varintLength(n.length) + n.length + 1 + varintLength(v.length) + v.length;
    out[pos++] = 0x0a;
    pos = writeVarint(out, pos, inner);
    out[pos++] = 0x0a;
    pos = writeVarint(out, pos, n.length);
    pos += n.copy(out, pos);
    out[pos++] = 0x12;
    pos = writeVarint(out, pos, v.length);
    pos += v.copy(out, pos);
  }
  return out;
}

/** Appends WriteRequest.timeseries entries (one sample each) to a growing buffer. */
export class SeriesWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(sizeHint = 4096) {
    this.buf = Buffer.allocUnsafe(sizeHint);
  }

  get length(): number {
    return this.pos;
  }

  /** One TimeSeries with `labels` (from encodeLabels) and a single sample; `stale` writes the staleness NaN. */
  series(labels: Buffer, value: number, timestampMs: number, stale = false): void {
    // Sample: 0x09 + 8-byte double, 0x10 + varint timestamp (non-negative here: epoch milliseconds).
    const sampleLen = 1 + 8 + 1 + varintLength(timestampMs);
    const tsLen = labels.length + 1 + varintLength(sampleLen) + sampleLen;
    this.reserve(1 + varintLength(tsLen) + tsLen);
    const b = this.buf;
    let p = this.pos;
    b[p++] = 0x0a;
    p = writeVarint(b, p, tsLen);
    p += labels.copy(b, p);
    b[p++] = 0x12;
    p = writeVarint(b, p, sampleLen);
    b[p++] = 0x09;
    if (stale) staleBytes.copy(b, p);
    else b.writeDoubleLE(value, p);
    p += 8;
    b[p++] = 0x10;
    p = writeVarint(b, p, timestampMs);
    this.pos = p;
  }

  /** The bytes written so far (a copy), and a fresh start. */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    return out;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}
