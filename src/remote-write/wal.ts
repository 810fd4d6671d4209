/**
 * The on-disk queue of one remote-write endpoint: records appended to numbered segment files,
 * read back in order, and released once the receiver has them.
 *
 * Record: u32 payload length, u32 CRC-32 (of the rest of the header and the payload), u16 shard,
 * u32 samples, f64 highest timestamp (ms), then the payload (encoded TimeSeries). A record cut
 * short by a crash, or one whose checksum fails, ends its segment: on open the last segment is
 * truncated there, so the records before it replay and new ones follow intact.
 *
 * Where the sender has got to is kept in a small `checkpoint` file (segment and offset), replaced
 * by rename so it is never half-written. After a crash the records past the checkpoint are sent
 * again: the same samples at the same timestamps, which receivers take as duplicates.
 *
 * The queue is bounded by bytes: to make room the oldest segment is removed, sent or not, and
 * its unsent samples are counted as dropped. A write the disk refuses (ENOSPC, EIO) drops only
 * that record, counted, and truncates the segment back to its last whole record.
 */
import {
  closeSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

const HEADER = 22;
const SEGMENT_NAME = /^(\d{8})\.seg$/;
/** A record longer than this is taken as corruption (a queue record is at most max_samples_per_send series). */
const MAX_RECORD = 64 << 20;

export interface QueueRecord {
  shard: number;
  samples: number;
  maxTimestampMs: number;
  payload: Buffer;
}

/** A record read back, with where it ends (for the checkpoint once it is sent). */
export interface ReadRecord extends QueueRecord {
  segment: number;
  end: number;
}

interface Segment {
  id: number;
  bytes: number;
  /** Samples in the segment's records, and of those the ones released (sent or given up on). */
  samples: number;
  released: number;
}

export type DropReason = 'queue_full' | 'disk_full' | 'corrupt' | 'too_large';

export interface WalOptions {
  dir: string;
  maxBytes: number;
  /** Counts samples lost, and why. */
  dropped: (reason: DropReason, samples: number, err?: Error) => void;
}

export class WriteAheadQueue {
  private readonly segments: Segment[] = [];
  private fd: number | undefined;
  /** Closed by its endpoint's stop: a late append must not open a segment in a directory a newer queue may own. */
  private closed = false;
  private readonly segmentBytes: number;
  /** Read cursor: the next record to hand to the sender. */
  private readSegment = 0;
  private readOffset = 0;
  private readFd: { id: number; fd: number } | undefined;
  /** Released up to here (the checkpoint). */
  private doneSegment = 0;
  private doneOffset = 0;
  private checkpointDirty = false;
  /** The last append failed (disk full): the segment being written is recycled as soon as it is all sent. */
  private refused = false;

  constructor(private readonly o: WalOptions) {
    // At least four segments, so making room drops at most a quarter of the queue.
    this.segmentBytes = Math.max(64 << 10, Math.min(16 << 20, Math.floor(o.maxBytes / 4)));
    mkdirSync(o.dir, { recursive: true });
    this.open();
  }

  /** Bytes on disk. */
  get bytes(): number {
    return this.segments.reduce((n, s) => n + s.bytes, 0);
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** Samples written and not yet released. */
  get pendingSamples(): number {
    return this.segments.reduce((n, s) => n + s.samples - s.released, 0);
  }

  /** Appends one record; false if the disk refused it (counted as dropped). */
  append(r: QueueRecord): boolean {
    if (this.closed) return false;
    // The reader refuses a longer record as corrupt (and the rest of its segment with it).
    if (r.payload.length > MAX_RECORD) {
      this.o.dropped('too_large', r.samples, new Error(`a record of ${r.payload.length} bytes is over the queue's ${MAX_RECORD}`));
      return false;
    }
    const size = HEADER + r.payload.length;
    try {
      this.makeRoom(size);
      let seg = this.segments[this.segments.length - 1];
      if (!seg || this.fd === undefined || seg.bytes + size > this.segmentBytes) seg = this.rotate();
      const buf = Buffer.allocUnsafe(size);
      buf.writeUInt32LE(r.payload.length, 0);
      buf.writeUInt16LE(r.shard, 8);
      buf.writeUInt32LE(r.samples, 10);
      buf.writeDoubleLE(r.maxTimestampMs, 14);
      r.payload.copy(buf, HEADER);
      buf.writeUInt32LE(crc32(buf.subarray(8)), 4);
      this.writeAll(this.fd as number, buf, seg);
      seg.bytes += size;
      seg.samples += r.samples;
      return true;
    } catch (err) {
      this.refused = true;
      this.o.dropped('disk_full', r.samples, err as Error);
      return false;
    }
  }

  /** The next record after the read cursor, or undefined when the sender has read everything. */
  next(): ReadRecord | undefined {
    for (;;) {
      const seg = this.segments.find((s) => s.id >= this.readSegment);
      if (!seg) return undefined;
      if (seg.id !== this.readSegment) {
        this.readSegment = seg.id;
        this.readOffset = 0;
      }
      if (this.readOffset + HEADER <= seg.bytes) {
        const rec = this.readAt(seg, this.readOffset);
        if (rec) {
          this.readOffset = rec.end;
          return rec;
        }
        // Unreadable despite the scan at open (changed underneath us): skip the rest of the segment.
        this.o.dropped('corrupt', 0);
        this.readOffset = seg.bytes;
      }
      if (seg === this.segments[this.segments.length - 1]) return undefined;
      this.readSegment = seg.id + 1;
      this.readOffset = 0;
    }
  }

  /** Moves the read cursor back to the checkpoint (records handed out but not released are read again). */
  rewind(): void {
    this.readSegment = this.doneSegment;
    this.readOffset = this.doneOffset;
  }

  /** Records up to `r` (inclusive, in read order) are sent or given up on. */
  release(r: ReadRecord): void {
    const seg = this.segments.find((s) => s.id === r.segment);
    if (seg) seg.released = Math.min(seg.samples, seg.released + r.samples);
    if (r.segment > this.doneSegment || (r.segment === this.doneSegment && r.end > this.doneOffset)) {
      this.doneSegment = r.segment;
      this.doneOffset = r.end;
      this.checkpointDirty = true;
    }
    // Segments wholly behind the checkpoint are done with (the one being written stays).
    while (this.segments.length > 1 && (this.segments[0] as Segment).id < this.doneSegment) this.removeOldest(false);
    // All sent: a large or disk-filling segment being written gives its space back now, not when it is full.
    const last = this.segments[this.segments.length - 1];
    if (last && last.id === this.doneSegment && this.doneOffset >= last.bytes && (this.refused || last.bytes >= this.segmentBytes / 4)) {
      try {
        this.rotateNoAppend();
        this.removeOldest(false);
        this.refused = false;
      } catch {
        // Not even an empty file fits: the next append tries again.
      }
    }
  }

  /** Writes the checkpoint if it moved; cheap to call often. */
  saveCheckpoint(): void {
    if (!this.checkpointDirty) return;
    const tmp = join(this.o.dir, 'checkpoint.tmp');
    try {
      writeFileSync(tmp, JSON.stringify({ segment: this.doneSegment, offset: this.doneOffset }));
      renameSync(tmp, join(this.o.dir, 'checkpoint'));
      this.checkpointDirty = false;
    } catch {
      // A full disk: the checkpoint stays behind, which only means records are sent again after a restart.
    }
  }

  close(): void {
    this.closed = true;
    this.saveCheckpoint();
    if (this.fd !== undefined) closeSync(this.fd);
    if (this.readFd) closeSync(this.readFd.fd);
    this.fd = undefined;
    this.readFd = undefined;
  }

  private open(): void {
    const ids = readdirSync(this.o.dir)
      .map((n) => SEGMENT_NAME.exec(n)?.[1])
      .filter((m): m is string => m !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    const cp = this.readCheckpoint();
    for (const id of ids) {
      if (id < cp.segment) {
        rmSync(this.path(id), { force: true });
        continue;
      }
      this.segments.push(this.scan(id, id === cp.segment ? cp.offset : 0));
    }
    this.doneSegment = this.readSegment = this.segments[0]?.id ?? cp.segment;
    this.doneOffset = this.readOffset = this.segments[0]?.id === cp.segment ? cp.offset : 0;
  }

  private readCheckpoint(): { segment: number; offset: number } {
    try {
      const cp = JSON.parse(readFileSync(join(this.o.dir, 'checkpoint'), 'utf8')) as { segment: unknown; offset: unknown };
      if (Number.isSafeInteger(cp.segment) && Number.isSafeInteger(cp.offset)) return { segment: cp.segment as number, offset: cp.offset as number };
    } catch {
      // none yet, or unreadable: start from the oldest segment
    }
    return { segment: 0, offset: 0 };
  }

  /** Reads a segment's records to count them; cuts it at the first torn or corrupt record. */
  private scan(id: number, releasedUpTo: number): Segment {
    const fd = openSync(this.path(id), 'r+');
    try {
      const size = fstatSync(fd).size;
      const seg: Segment = { id, bytes: size, samples: 0, released: 0 };
      let offset = 0;
      while (offset < size) {
        const rec = this.readFrom(fd, id, offset, size);
        if (!rec) break;
        seg.samples += rec.samples;
        if (rec.end <= releasedUpTo) seg.released += rec.samples;
        offset = rec.end;
      }
      if (offset < size) {
        ftruncateSync(fd, offset);
        seg.bytes = offset;
        this.o.dropped('corrupt', 0);
      }
      return seg;
    } finally {
      closeSync(fd);
    }
  }

  private readAt(seg: Segment, offset: number): ReadRecord | undefined {
    if (this.readFd?.id !== seg.id) {
      if (this.readFd) closeSync(this.readFd.fd);
      this.readFd = { id: seg.id, fd: openSync(this.path(seg.id), 'r') };
    }
    return this.readFrom(this.readFd.fd, seg.id, offset, seg.bytes);
  }

  private readFrom(fd: number, segment: number, offset: number, size: number): ReadRecord | undefined {
    if (offset + HEADER > size) return undefined;
    const head = Buffer.allocUnsafe(HEADER);
    if (readSync(fd, head, 0, HEADER, offset) !== HEADER) return undefined;
    const length = head.readUInt32LE(0);
    if (length > MAX_RECORD || offset + HEADER + length > size) return undefined;
    const buf = Buffer.allocUnsafe(HEADER + length);
    head.copy(buf);
    if (readSync(fd, buf, HEADER, length, offset + HEADER) !== length) return undefined;
    if (crc32(buf.subarray(8)) !== head.readUInt32LE(4)) return undefined;
    return {
      shard: head.readUInt16LE(8),
      samples: head.readUInt32LE(10),
      maxTimestampMs: head.readDoubleLE(14),
      payload: buf.subarray(HEADER),
      segment,
      end: offset + HEADER + length,
    };
  }

  private rotate(): Segment {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    const last = this.segments[this.segments.length - 1];
    const id = last ? last.id + 1 : this.doneSegment;
    // An empty segment is reused rather than followed by another.
    if (last && last.bytes === 0) {
      this.fd = openSync(this.path(last.id), 'a');
      return last;
    }
    this.fd = openSync(this.path(id), 'a');
    const seg = { id, bytes: 0, samples: 0, released: 0 };
    this.segments.push(seg);
    return seg;
  }

  private writeAll(fd: number, buf: Buffer, seg: Segment): void {
    let written = 0;
    try {
      while (written < buf.length) written += writeSync(fd, buf, written);
    } catch (err) {
      // Leave no partial record behind for the reader (or the next append) to trip over.
      if (written > 0) ftruncateSync(fd, seg.bytes);
      throw err;
    }
  }

  /** Removes the oldest segments until `size` more bytes fit, counting their unsent samples. */
  private makeRoom(size: number): void {
    while (this.segments.length > 1 && this.bytes + size > this.o.maxBytes) this.removeOldest(true);
    // One segment left and still too big: start afresh with it dropped.
    const only = this.segments[0];
    if (only && this.segments.length === 1 && only.bytes > 0 && only.bytes + size > this.o.maxBytes) {
      this.rotateNoAppend();
      this.removeOldest(true);
    }
  }

  private rotateNoAppend(): void {
    const last = this.segments[this.segments.length - 1] as Segment;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.fd = openSync(this.path(last.id + 1), 'a');
    this.segments.push({ id: last.id + 1, bytes: 0, samples: 0, released: 0 });
  }

  private removeOldest(countDropped: boolean): void {
    const seg = this.segments.shift() as Segment;
    if (this.readFd?.id === seg.id) {
      closeSync(this.readFd.fd);
      this.readFd = undefined;
    }
    if (this.segments.length === 0 && this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
    rmSync(this.path(seg.id), { force: true });
    const unsent = seg.samples - seg.released;
    if (countDropped && unsent > 0) this.o.dropped('queue_full', unsent);
    const next = this.segments[0];
    if (this.readSegment <= seg.id) {
      this.readSegment = next?.id ?? seg.id + 1;
      this.readOffset = 0;
    }
    if (this.doneSegment <= seg.id) {
      this.doneSegment = next?.id ?? seg.id + 1;
      this.doneOffset = 0;
      this.checkpointDirty = true;
    }
  }

  private path(id: number): string {
    return join(this.o.dir, `${String(id).padStart(8, '0')}.seg`);
  }
}
