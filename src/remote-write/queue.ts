/**
 * One remote-write endpoint's sending side: records come off the on-disk queue in order and are
 * handed to their shard (a series always has the same one, so its samples arrive in order); each
 * shard sends batches of up to max_samples_per_send, one at a time, retrying with exponential
 * backoff (or the receiver's Retry-After) until they are accepted or refused for good. The queue
 * is released up to the oldest record some shard still holds; the checkpoint of what was sent is
 * written every second, so a restart may send again what was accepted in the last second before it
 * (the same samples: the receiver keeps one).
 */
import snappy from 'snappy';
import type { Logger } from '../log.js';
import { RemoteWriteClient, type ClientSettings } from './client.js';
import { WriteAheadQueue, type DropReason, type ReadRecord } from './wal.js';

export interface QueueSettings {
  capacity: number;
  maxShards: number;
  minShards: number;
  maxSamplesPerSend: number;
  batchSendDeadlineMs: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  retryOnHttp429: boolean;
}

/** The counters Prometheus's queue manager keeps (storage/remote/queue_manager.go), per endpoint. */
export interface EndpointCounters {
  samplesSent: number;
  samplesFailed: number;
  samplesRetried: number;
  samplesDropped: Map<string, number>;
  bytesSent: number;
  batchesSent: number;
  highestSentTimestampMs: number;
  /** Highest sample timestamp queued (Prometheus: highest_timestamp_in_seconds, what came in). */
  highestQueuedTimestampMs: number;
  lastError: string | undefined;
  lastErrorMs: number | undefined;
  lastSendMs: number | undefined;
}

interface Held extends ReadRecord {
  seq: number;
  readAtMs: number;
}

class Shard {
  readonly records: Held[] = [];
  samples = 0;
  busy = false;
  backoffMs: number;
  timer: NodeJS.Timeout | undefined;

  constructor(minBackoffMs: number) {
    this.backoffMs = minBackoffMs;
  }
}

/**
 * The longest wait a receiver's Retry-After gets: a shard waits in one timer, and Node fires a
 * timer of more than 2^31-1 ms at once; a receiver asking for days would stall the shard as long.
 */
const RETRY_AFTER_CAP_MS = 5 * 60_000;

export class EndpointQueue {
  readonly counters: EndpointCounters = {
    samplesSent: 0,
    samplesFailed: 0,
    samplesRetried: 0,
    samplesDropped: new Map(),
    bytesSent: 0,
    batchesSent: 0,
    highestSentTimestampMs: 0,
    highestQueuedTimestampMs: 0,
    lastError: undefined,
    lastErrorMs: undefined,
    lastSendMs: undefined,
  };
  readonly wal: WriteAheadQueue;
  private readonly client: RemoteWriteClient;
  private readonly shards: Shard[] = [];
  /** Records handed to shards, by read order; released in that order once sent. */
  private readonly held: Held[] = [];
  private readonly done = new Set<number>();
  private nextSeq = 0;
  private stopped = false;
  private readonly checkpointTimer: NodeJS.Timeout;
  private lastDropLogMs = 0;

  constructor(
    readonly name: string,
    readonly url: string,
    dir: string,
    maxBytes: number,
    client: ClientSettings,
    readonly q: QueueSettings,
    private readonly logger: Logger,
  ) {
    this.wal = new WriteAheadQueue({ dir, maxBytes, dropped: (reason, n, err) => this.countDropped(reason, n, err) });
    this.client = new RemoteWriteClient(client);
    for (let i = 0; i < q.maxShards; i++) this.shards.push(new Shard(q.minBackoffMs));
    this.checkpointTimer = setInterval(() => this.wal.saveCheckpoint(), 1000);
    this.checkpointTimer.unref();
    this.pump();
  }

  countDropped(reason: DropReason | 'relabel', samples: number, err?: Error): void {
    const d = this.counters.samplesDropped;
    d.set(reason, (d.get(reason) ?? 0) + samples);
    if (reason === 'relabel') return;
    const now = Date.now();
    if (now - this.lastDropLogMs > 10_000) {
      this.lastDropLogMs = now;
      this.logger.warn({ remote_name: this.name, reason, samples, ...(err ? { err: err.message } : {}) }, 'remote write queue dropped samples');
    }
  }

  /** Samples read off the queue and waiting in shards. */
  get heldSamples(): number {
    return this.shards.reduce((n, s) => n + s.samples, 0);
  }

  /** Takes new records from the queue into the shards and starts the sends that are due. */
  pump(): void {
    try {
      this.fill();
    } catch (err) {
      // The queue's files changed underneath (deleted, unreadable): say so; the next run tries again.
      this.noteError(`reading the queue: ${(err as Error).message}`);
    }
  }

  private fill(): void {
    if (this.stopped) return;
    const limit = this.q.capacity;
    for (;;) {
      if (this.shards.some((s) => s.samples >= limit)) break;
      const r = this.wal.next();
      if (!r) break;
      const held: Held = { ...r, seq: this.nextSeq++, readAtMs: Date.now() };
      const shard = this.shards[r.shard % this.shards.length] as Shard;
      shard.records.push(held);
      shard.samples += r.samples;
      this.held.push(held);
    }
    for (const s of this.shards) this.maybeSend(s);
  }

  private maybeSend(s: Shard): void {
    if (s.busy || s.timer || !s.records.length || this.stopped) return;
    const first = s.records[0] as Held;
    const waited = Date.now() - first.readAtMs;
    if (s.samples < this.q.maxSamplesPerSend && waited < this.q.batchSendDeadlineMs) {
      s.timer = setTimeout(() => {
        s.timer = undefined;
        this.pump();
      }, this.q.batchSendDeadlineMs - waited);
      return;
    }
    this.sendBatch(s).catch((err: Error) => {
      // Not an answer from the receiver but a fault here: the batch stays at the head of its shard and is tried again.
      s.busy = false;
      this.noteError(`sending: ${err.message}`);
      s.timer = setTimeout(() => {
        s.timer = undefined;
        this.pump();
      }, this.q.maxBackoffMs);
    });
  }

  private async sendBatch(s: Shard): Promise<void> {
    const batch: Held[] = [];
    let samples = 0;
    for (const r of s.records) {
      if (batch.length && samples + r.samples > this.q.maxSamplesPerSend) break;
      batch.push(r);
      samples += r.samples;
    }
    s.busy = true;
    const body = snappy.compressSync(batch.length === 1 ? (batch[0] as Held).payload : Buffer.concat(batch.map((r) => r.payload)));
    for (;;) {
      const result = await this.client.send(body);
      if (this.stopped) return;
      const c = this.counters;
      if (result.outcome === 'retry' && (this.q.retryOnHttp429 || !result.error.startsWith('HTTP 429'))) {
        c.samplesRetried += samples;
        this.noteError(result.error);
        const wait = Math.min(result.retryAfterMs ?? s.backoffMs, RETRY_AFTER_CAP_MS);
        s.backoffMs = Math.min(this.q.maxBackoffMs, s.backoffMs * 2);
        await new Promise<void>((resolve) => {
          s.timer = setTimeout(resolve, wait);
        });
        s.timer = undefined;
        if (this.stopped) return;
        continue;
      }
      s.backoffMs = this.q.minBackoffMs;
      if (result.outcome === 'sent') {
        c.samplesSent += samples;
        c.bytesSent += body.length;
        c.batchesSent++;
        c.lastSendMs = Date.now();
        for (const r of batch) if (r.maxTimestampMs > c.highestSentTimestampMs) c.highestSentTimestampMs = r.maxTimestampMs;
      } else {
        c.samplesFailed += samples;
        this.noteError(result.error);
        this.logger.error({ remote_name: this.name, url: this.url, samples, err: result.error }, 'remote write batch refused; dropped');
      }
      break;
    }
    s.records.splice(0, batch.length);
    s.samples -= samples;
    s.busy = false;
    for (const r of batch) this.done.add(r.seq);
    this.releaseDone();
    this.pump();
  }

  private noteError(error: string): void {
    const c = this.counters;
    if (c.lastError !== error || Date.now() - (c.lastErrorMs ?? 0) > 60_000)
      this.logger.warn({ remote_name: this.name, url: this.url, err: error }, 'remote write failed; retrying');
    c.lastError = error;
    c.lastErrorMs = Date.now();
  }

  /** Releases the records all of whose predecessors are sent too. */
  private releaseDone(): void {
    let last: Held | undefined;
    while (this.held.length && this.done.has((this.held[0] as Held).seq)) {
      last = this.held.shift() as Held;
      this.done.delete(last.seq);
      this.wal.release(last);
    }
  }

  isStopped(): boolean {
    return this.stopped;
  }

  /** Stops sending; what is not yet sent stays on disk for the next start. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.checkpointTimer);
    for (const s of this.shards) if (s.timer) clearTimeout(s.timer);
    this.wal.close();
    this.client.close();
  }
}
