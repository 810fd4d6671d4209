import cron, { type ScheduledTask } from 'node-cron';
import { nextSlotMs, phaseOffsetMs, type Schedule } from './schedule.js';

/** Where in its interval a job runs (ms, a whole second); may change as scrapers are learned. */
export type OffsetFor = (job: ScheduledJob, intervalMs: number) => number;

const hashOffset: OffsetFor = (job, intervalMs) => phaseOffsetMs(job.name, intervalMs);

export interface ScheduledJob {
  name: string;
  schedule: Schedule;
  /** Starts one run; resolves when the run's outcome is known (success, error or deadline). */
  run(): Promise<void>;
  /** True while an earlier run has not settled, including an abandoned (timed-out) one still hung. */
  busy(): boolean;
  /** Called when a tick finds the previous run still busy. */
  skipped(): void;
}

/**
 * Starts each item after yielding to the event loop, so the synchronous part of each collector
 * (reading /proc, rendering) is its own macrotask: timers and scrapes run in between, and the
 * longest stall is one collector's, not the sum of all that are due together.
 */
export async function startOneByOne<T>(items: readonly T[], start: (item: T) => Promise<void>): Promise<void> {
  const running: Array<Promise<void>> = [];
  for (const item of items) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    running.push(start(item));
  }
  await Promise.all(running);
}

/** Ticks earlier than this before a slot still count as on time (node-cron fires a few ms late or early). */
const SLOT_TOLERANCE_MS = 50;

/**
 * Drives every job with node-cron. Interval jobs share one per-second cron task and fire on
 * their own grid `offset + k·interval` (offsets spread jobs apart, or line them up just before
 * the scrapes, see scrape-phase.ts); cron-expression jobs get a task each. Every job runs once
 * at start. A tick that finds the job's previous run still busy is counted as skipped, so runs
 * never overlap and a hung collector cannot pile up calls.
 */
export class Scheduler {
  private readonly tasks: ScheduledTask[] = [];
  private readonly due = new Map<ScheduledJob, { at: number; offset: number }>();
  private stopped = false;

  constructor(
    private readonly jobs: readonly ScheduledJob[],
    private readonly offsetFor: OffsetFor = hashOffset,
  ) {}

  /** Runs every job once now; resolves when each first run has an outcome. */
  start(): Promise<void> {
    const now = Date.now();
    const intervalJobs = this.jobs.filter((j) => j.schedule.kind === 'interval');
    for (const j of intervalJobs) this.due.set(j, this.nextSlot(j, now));
    if (intervalJobs.length) {
      this.tasks.push(cron.schedule('* * * * * *', () => this.tickIntervals(intervalJobs), { name: 'spyglass-intervals', unref: true }));
    }
    for (const j of this.jobs) {
      if (j.schedule.kind === 'cron') {
        this.tasks.push(cron.schedule(j.schedule.expression, () => this.fire(j), { name: `spyglass-${j.name}`, unref: true }));
      }
    }
    return startOneByOne(this.jobs, (j) => this.fire(j));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.tasks) void t.destroy();
    this.tasks.length = 0;
  }

  private tickIntervals(jobs: readonly ScheduledJob[]): void {
    const now = Date.now();
    const dueNow: ScheduledJob[] = [];
    for (const j of jobs) {
      let due = this.due.get(j) as { at: number; offset: number };
      const interval = (j.schedule as { ms: number }).ms;
      if (this.offsetFor(j, interval) !== due.offset) this.due.set(j, (due = this.nextSlot(j, now)));
      if (now + SLOT_TOLERANCE_MS < due.at) continue;
      this.due.set(j, this.nextSlot(j, now + SLOT_TOLERANCE_MS));
      dueNow.push(j);
    }
    if (dueNow.length) void startOneByOne(dueNow, (j) => this.fire(j));
  }

  private nextSlot(j: ScheduledJob, now: number): { at: number; offset: number } {
    const interval = (j.schedule as { ms: number }).ms;
    const offset = this.offsetFor(j, interval);
    return { at: nextSlotMs(now, interval, offset), offset };
  }

  private async fire(j: ScheduledJob): Promise<void> {
    if (this.stopped) return;
    if (j.busy()) {
      j.skipped();
      return;
    }
    await j.run();
  }
}
