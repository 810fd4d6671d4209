/**
 * A growable byte buffer the renderer writes exposition text into. Cached pieces (a family's name,
 * a labels object's `{…}` block) are copied as bytes, so the 50,000 lines of a large section are
 * never joined into strings and encoded again; whole numbers are written digit by digit.
 */
export class ByteWriter {
  private buf: Buffer;
  private length = 0;

  /**
   * `sizeHint`: the expected length (the section's previous body), so the buffer rarely grows;
   * `allocate` gives the storage (a caller may hand back memory of an earlier body it no longer serves).
   */
  constructor(
    sizeHint = 0,
    private readonly allocate: (size: number) => Buffer = allocUnsafe,
  ) {
    this.buf = allocate(Math.max(MIN_CAPACITY, Math.ceil(sizeHint * 1.05)));
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  byte(c: number): void {
    this.reserve(1);
    this.buf[this.length++] = c;
  }

  text(s: string): void {
    this.reserve(s.length * 3); // UTF-8 needs at most 3 bytes per UTF-16 unit
    this.length += this.buf.write(s, this.length, 'utf8');
  }

  /** A sample value as Prometheus spells it (see formatValue); whole numbers without String(). */
  number(v: number, spell: (v: number) => string): void {
    if (!(v >= 0 && v <= MAX_DIGITS_VALUE && Number.isInteger(v))) {
      this.text(spell(v));
      return;
    }
    let digits = 1;
    for (let rest = v; rest >= 10; rest = Math.floor(rest / 10)) digits++;
    this.reserve(digits);
    let at = this.length + digits;
    let rest = v;
    do {
      this.buf[--at] = 48 + (rest % 10);
      rest = Math.floor(rest / 10);
    } while (rest > 0);
    this.length += digits;
  }

  /** The bytes written; copied out when most of the buffer would otherwise be held for nothing. */
  finish(): Buffer {
    const written = this.buf.subarray(0, this.length);
    return this.buf.length - this.length > Math.max(MIN_CAPACITY, this.length / 4) ? Buffer.from(written) : written;
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const bigger = this.allocate(Math.max(this.length + n, this.buf.length * 2));
    this.buf.copy(bigger, 0, 0, this.length);
    this.buf = bigger;
  }
}

const MIN_CAPACITY = 16 * 1024;
const allocUnsafe = (size: number) => Buffer.allocUnsafe(size);

/**
 * An allocator for ByteWriter that writes into `spare` (memory of an earlier body no longer served)
 * when it fits, at most once and only if it is not more than twice the size asked for, else into
 * `fresh` memory; `storage()` is the memory last handed out, which the finished body sits in.
 */
export function reusingAllocator(spare: Buffer | undefined, fresh: (size: number) => Buffer = allocUnsafe) {
  let storage: Buffer | undefined;
  const allocate = (size: number) => (storage = spare && storage !== spare && spare.length >= size && spare.length <= 2 * size ? spare : fresh(size));
  return { allocate, storage: () => storage };
}
/** Below 2^53 every whole double is exact, and String() would spell it in plain digits too (up to 1e21). */
const MAX_DIGITS_VALUE = Number.MAX_SAFE_INTEGER;
