/**
 * Values of /sys/class attributes as the kernel prints them and node_exporter (through the procfs
 * library) reads them: whitespace-trimmed text, integers in Go's base-0 syntax (decimal, `0x` hex,
 * `0o`/leading-0 octal, `0b` binary), InfiniBand's `ID: NAME` states and `N Gb/sec (…)` rates.
 * Pure: text in, value or undefined out.
 */

const UINT64_MAX = (1n << 64n) - 1n;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** Digits (with Go's `_` separators, allowed only after a base prefix) in Go's base-0 syntax. */
function unsignedBase0(text: string): bigint | undefined {
  let digits = text;
  let radix = 10;
  let prefixed = false;
  const lower = text.toLowerCase();
  if (lower.startsWith('0x')) [digits, radix, prefixed] = [text.slice(2), 16, true];
  else if (lower.startsWith('0b')) [digits, radix, prefixed] = [text.slice(2), 2, true];
  else if (lower.startsWith('0o')) [digits, radix, prefixed] = [text.slice(2), 8, true];
  else if (text.length > 1 && text.startsWith('0')) [digits, radix, prefixed] = [text.slice(1), 8, true];
  if (prefixed && digits.includes('_')) {
    // Go: underscores only between digits (or right after the prefix).
    if (digits.endsWith('_') || digits.includes('__')) return undefined;
    digits = digits.replace(/_/g, '');
  }
  const valid = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ }[radix as 2 | 8 | 10 | 16];
  if (!valid.test(digits)) return undefined;
  const prefix = { 2: '0b', 8: '0o', 10: '', 16: '0x' }[radix as 2 | 8 | 10 | 16];
  return BigInt(prefix + digits);
}

/** An unsigned 64-bit integer in Go's base-0 syntax (strconv.ParseUint(s, 0, 64)); undefined when not one. */
export function parseGoUint64(text: string | undefined): bigint | undefined {
  if (text === undefined || text === '' || text.startsWith('+') || text.startsWith('-')) return undefined;
  const value = unsignedBase0(text);
  return value !== undefined && value <= UINT64_MAX ? value : undefined;
}

/** A signed 64-bit integer in Go's base-0 syntax (strconv.ParseInt(s, 0, 64)); undefined when not one. */
export function parseGoInt64(text: string | undefined): bigint | undefined {
  if (text === undefined || text === '') return undefined;
  const negative = text.startsWith('-');
  const body = negative || text.startsWith('+') ? text.slice(1) : text;
  if (body === '' || body.startsWith('+') || body.startsWith('-')) return undefined;
  const magnitude = unsignedBase0(body);
  if (magnitude === undefined) return undefined;
  const value = negative ? -magnitude : magnitude;
  return value >= INT64_MIN && value <= INT64_MAX ? value : undefined;
}

/** A plain decimal unsigned 64-bit integer (strconv.ParseUint(s, 10, 64)). */
export function parseDecimalUint64(text: string | undefined): bigint | undefined {
  if (text === undefined || !/^[0-9]+$/.test(text)) return undefined;
  const value = BigInt(text);
  return value <= UINT64_MAX ? value : undefined;
}

/**
 * An InfiniBand port `state` or `phys_state` file: `4: ACTIVE`, `5: LinkUp`. Exactly one colon,
 * the number decimal and 32-bit.
 */
export function parseInfiniBandState(text: string): { id: number; name: string } | undefined {
  const parts = text.split(':');
  if (parts.length !== 2) return undefined;
  const id = (parts[0] as string).trim();
  if (!/^[0-9]+$/.test(id) || Number(id) > 0xffffffff) return undefined;
  return { id: Number(id), name: (parts[1] as string).trim() };
}

/**
 * An InfiniBand port `rate` file, `40 Gb/sec (4X QDR)`, in bytes per second: the number before the
 * first space, read as a 32-bit float like node_exporter does, × 125000000, truncated.
 */
export function parseInfiniBandRate(text: string): number | undefined {
  const space = text.indexOf(' ');
  if (space < 0) return undefined;
  const number = text.slice(0, space).trim();
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(number)) return undefined;
  const gbps = Math.fround(Number(number));
  if (!Number.isFinite(gbps) || gbps < 0) return undefined;
  return Math.trunc(gbps * 125000000);
}

/** The uint64 arithmetic node_exporter does on counters (× 4 for InfiniBand data words), wrapping like Go. */
export function wrapUint64(value: bigint): bigint {
  return BigInt.asUintN(64, value);
}

export { UINT64_MAX };

/** Length of the valid UTF-8 sequence starting at `i` (Go's utf8.DecodeRune rules), 0 when it is not one. */
function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const b = bytes[i]!;
  const cont = (j: number, lo = 0x80, hi = 0xbf) => i + j < bytes.length && bytes[i + j]! >= lo && bytes[i + j]! <= hi;
  if (b < 0x80) return 1;
  if (b >= 0xc2 && b <= 0xdf) return cont(1) ? 2 : 0;
  if (b >= 0xe0 && b <= 0xef) {
    const [lo, hi] = b === 0xe0 ? [0xa0, 0xbf] : b === 0xed ? [0x80, 0x9f] : [0x80, 0xbf];
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (b >= 0xf0 && b <= 0xf4) {
    const [lo, hi] = b === 0xf0 ? [0x90, 0xbf] : b === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/**
 * Text with each run of bytes that are not valid UTF-8 replaced by one U+FFFD, as Go's
 * strings.ToValidUTF8(s, "\uFFFD") (node_exporter's power supply labels); Node's decoder would
 * put one U+FFFD per invalid sequence.
 */
export function goValidUtf8(bytes: Uint8Array): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let out = '';
  let start = 0;
  let i = 0;
  while (i < bytes.length) {
    const n = utf8SequenceLength(bytes, i);
    if (n > 0) {
      i += n;
      continue;
    }
    out += `${buffer.toString('utf8', start, i)}\uFFFD`;
    while (i < bytes.length && utf8SequenceLength(bytes, i) === 0) i++;
    start = i;
  }
  return out + buffer.toString('utf8', start, i);
}
