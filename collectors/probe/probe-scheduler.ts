/**
 * Runs every target on its own interval. A new target is probed within its first second (spread
 * by a hash of the target), then on a fixed grid (offset + k·interval, the offset a hash of the
 * target, so starts are spread over the interval and stay put across restarts); at most `maxConcurrent` probes run at once and the rest wait in
 * line; a target whose previous probe is still running, or still waiting when its next slot
 * comes, skips that slot instead of piling up. Timers are plain setTimeout: node-cron ticks once
 * a second, too coarse to spread 1,000 targets and measure their start delay.
 */
import { createHash } from 'node:crypto';

export interface ScheduledTarget {
  key: string;
  intervalMs: number;
}

export interface SchedulerEvents<T extends ScheduledTarget> {
  /** Runs one probe of `target`; `delayMs` is how late it starts against its slot. */
  probe(target: T, delayMs: number): Promise<void>;
  skipped(target: T, why: 'busy' | 'queue'): void;
}

interface Entry<T extends ScheduledTarget> {
  target: T;
  timer: NodeJS.Timeout | undefined;
  nextSlotMs: number;
  running: boolean;
  queuedSlotMs: number | undefined;
}

export class ProbeScheduler<T extends ScheduledTarget> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly queue: Array<Entry<T>> = [];
  private inFlight = 0;
  private stopped = false;

  constructor(
    private readonly maxConcurrent: number,
    private readonly events: SchedulerEvents<T>,
  ) {}

  get running(): number {
    return this.inFlight;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** Makes the scheduled set exactly `targets`. Unchanged targets keep their slots; a changed interval re-slots. */
  setTargets(targets: readonly T[]): void {
    const wanted = new Map(targets.map((t) => [t.key, t]));
    for (const [key, e] of this.entries) {
      const next = wanted.get(key);
      if (next && next.intervalMs === e.target.intervalMs) {
        e.target = next;
        continue;
      }
      clearTimeout(e.timer);
      this.entries.delete(key);
      const queued = this.queue.indexOf(e);
      if (queued >= 0) this.queue.splice(queued, 1);
    }
    const now = Date.now();
    for (const t of wanted.values()) {
      if (this.entries.has(t.key)) continue;
      const e: Entry<T> = {
        target: t,
        timer: undefined,
        nextSlotMs: now + (hashOf(t) % Math.min(t.intervalMs, FIRST_PROBE_SPREAD_MS)),
        running: false,
        queuedSlotMs: undefined,
      };
      this.entries.set(t.key, e);
      this.arm(e);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const e of this.entries.values()) clearTimeout(e.timer);
    this.entries.clear();
    this.queue.length = 0;
  }

  private arm(e: Entry<T>): void {
    e.timer = setTimeout(() => this.due(e), Math.max(0, e.nextSlotMs - Date.now()));
    e.timer.unref();
  }

  private due(e: Entry<T>): void {
    if (this.stopped || this.entries.get(e.target.key) !== e) return;
    const slot = e.nextSlotMs;
    e.nextSlotMs = firstSlot(e.target, Math.max(slot, Date.now())); // past slots are gone if the process was suspended
    this.arm(e);
    if (e.running) return this.events.skipped(e.target, 'busy');
    if (e.queuedSlotMs !== undefined) {
      e.queuedSlotMs = slot; // still waiting from the last slot: that slot is lost, this one keeps the place in line
      return this.events.skipped(e.target, 'queue');
    }
    if (this.inFlight < this.maxConcurrent) return this.start(e, slot);
    e.queuedSlotMs = slot;
    this.queue.push(e);
  }

  private start(e: Entry<T>, slotMs: number): void {
    e.running = true;
    this.inFlight++;
    void this.events
      .probe(e.target, Date.now() - slotMs)
      .catch(() => undefined)
      .finally(() => {
        e.running = false;
        this.inFlight--;
        this.next();
      });
  }

  private next(): void {
    while (!this.stopped && this.inFlight < this.maxConcurrent && this.queue.length) {
      const e = this.queue.shift() as Entry<T>;
      const slot = e.queuedSlotMs as number;
      e.queuedSlotMs = undefined;
      if (this.entries.get(e.target.key) === e) this.start(e, slot);
    }
  }
}

/** New targets' first probes are spread over this much time (or their interval, if shorter). */
const FIRST_PROBE_SPREAD_MS = 1000;

function hashOf(t: ScheduledTarget): number {
  return createHash('sha1').update(t.key).digest().readUInt32BE(0);
}

/** The target's first grid slot after `now`: offset (a hash of its key) + k·interval. */
export function firstSlot(t: ScheduledTarget, now: number): number {
  const offset = hashOf(t) % t.intervalMs;
  const base = now - (now % t.intervalMs) + offset;
  return base > now ? base : base + t.intervalMs;
}
