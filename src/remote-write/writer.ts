/**
 * Remote write (docs/remote-write.md): every collector run's samples, as /metrics serves them,
 * pushed to each configured endpoint through its own on-disk queue.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import type { MetricFamily } from '../metrics/model.js';
import type { RelabelRule } from '../metrics/relabel.js';
import type { ClientSettings } from './client.js';
import { EndpointQueue, type QueueSettings } from './queue.js';
import { SeriesEncoder } from './series.js';

export interface RemoteWriteEndpoint {
  name: string;
  client: ClientSettings;
  rules: RelabelRule[];
  queue: QueueSettings;
}

export interface RemoteWriteSettings {
  endpoints: RemoteWriteEndpoint[];
  externalLabels: ReadonlyArray<readonly [string, string]>;
  /** Directory holding one queue directory per endpoint. */
  queueDir: string;
  /** Bytes each endpoint's queue holds at most on disk. */
  maxQueueBytes: number;
}

/** What the landing page and the self-metrics show of one endpoint. */
export interface EndpointStatus {
  name: string;
  url: string;
  shards: number;
  minShards: number;
  queue: EndpointQueue;
}

/**
 * The directory of an endpoint's queue: named after its URL (and name), so a reordered list
 * keeps each queue, and a changed URL does not send another receiver's backlog.
 */
function endpointDir(root: string, e: { name: string; client: { url: string } }): string {
  const hash = createHash('sha256').update(`${e.name}\n${e.client.url}`).digest('hex').slice(0, 12);
  return join(root, `${e.name.replace(/[^A-Za-z0-9_.-]/g, '_')}-${hash}`);
}

/** The name Prometheus gives an unnamed queue: a hash of its settings; here of its URL. */
export function defaultEndpointName(url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 6);
}

class Endpoint {
  readonly encoder: SeriesEncoder;
  readonly queue: EndpointQueue;

  constructor(
    readonly e: RemoteWriteEndpoint,
    s: RemoteWriteSettings,
    logger: Logger,
  ) {
    this.encoder = new SeriesEncoder({
      externalLabels: s.externalLabels,
      rules: e.rules,
      shards: e.queue.maxShards,
      maxSamplesPerRecord: e.queue.maxSamplesPerSend,
    });
    this.queue = new EndpointQueue(e.name, e.client.url, endpointDir(s.queueDir, e), s.maxQueueBytes, e.client, e.queue, logger);
  }

  offer(collector: string, families: readonly MetricFamily[], runTimeMs: number): void {
    if (this.queue.isStopped()) return; // replaced by a reload: its directory may be another queue's now
    const records = this.encoder.encodeRun(collector, families, runTimeMs);
    const dropped = this.encoder.takeDropped();
    if (dropped) this.queue.countDropped('relabel', dropped);
    const c = this.queue.counters;
    for (const r of records) {
      this.queue.wal.append(r);
      if (r.maxTimestampMs > c.highestQueuedTimestampMs) c.highestQueuedTimestampMs = r.maxTimestampMs;
    }
    if (records.length) this.queue.pump();
  }
}

export class RemoteWriter {
  private readonly endpoints: Endpoint[];

  constructor(
    readonly settings: RemoteWriteSettings,
    private readonly logger: Logger,
  ) {
    this.endpoints = [];
    try {
      for (const e of settings.endpoints) this.endpoints.push(new Endpoint(e, settings, logger.child({ remote_name: e.name })));
    } catch (err) {
      this.stop(); // the queues opened so far, so that nothing else holds their directories
      throw err;
    }
  }

  /** A collector's run as published (or `[]` when its series are withdrawn): queued for every endpoint. */
  offer(collector: string, families: readonly MetricFamily[], runTimeMs: number): void {
    for (const e of this.endpoints) {
      try {
        e.offer(collector, families, runTimeMs);
      } catch (err) {
        this.logger.error({ remote_name: e.e.name, collector, err: (err as Error).message }, 'remote write: cannot queue a run');
      }
    }
  }

  status(): EndpointStatus[] {
    return this.endpoints.map((e) => ({ name: e.e.name, url: e.e.client.url, shards: e.e.queue.maxShards, minShards: e.e.queue.minShards, queue: e.queue }));
  }

  stop(): void {
    for (const e of this.endpoints) e.queue.stop();
  }
}
