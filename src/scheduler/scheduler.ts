import cron, { type ScheduledTask } from 'node-cron';
import { nextSlotMs, phaseOffsetMs, type Schedule } from './schedule.js';

/** When an interval job runs: every `intervalMs`, at `offsetMs` into each interval (Unix-time grid). */
export interface Plan {
  intervalMs: number;
  offsetMs: number;
}

/** The plan of an interval job now; it may change as scrapers are learned (see scrape-phase.ts). */
export type PlanFor = (job: ScheduledJob) => Plan;

/** Its own interval, at a phase spread by a hash of its name. */
export const fixedPlan: PlanFor = (job) => {
  const intervalMs = (job.schedule as { ms: number }).ms;
  return { intervalMs, offsetMs: phaseOffsetMs(job.name, intervalMs) };
};

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

/** Ticks earlier than this before a slot still count as on time (timers fire a few ms early or late). */
const SLOT_TOLERANCE_MS = 20;
/** A new plan whose phase is this close to the current one keeps the current one: scrape arrival jitter does not move runs. */
const PHASE_HYSTERESIS_MS = 250;

/** Requests for an early run that come this close together make one run. */
const RUN_SOON_MS = 200;

interface Due {
  at: number;
  plan: Plan;
}

/**
 * Runs every job once at start, then interval jobs on their plan's grid with one timer armed for
 * the earliest slot (a process with nothing due sleeps), and cron-expression jobs through
 * node-cron, one task each. A slot that finds the job's previous run still busy is counted as
 * skipped, so runs never overlap and a hung collector cannot pile up calls.
 */
export class Scheduler {
  private readonly tasks: ScheduledTask[] = [];
  private readonly due = new Map<ScheduledJob, Due>();
  private readonly intervalJobs: ScheduledJob[];
  private timer: NodeJS.Timeout | undefined;
  private readonly soon = new Set<ScheduledJob>();
  private stopped = false;

  constructor(
    private readonly jobs: readonly ScheduledJob[],
    private readonly planFor: PlanFor = fixedPlan,
  ) {
    this.intervalJobs = jobs.filter((j) => j.schedule.kind === 'interval');
  }

  /** Runs every job once now; resolves when each first run has an outcome. */
  start(): Promise<void> {
    const now = Date.now();
    for (const j of this.intervalJobs) this.due.set(j, this.slotAfter(this.planFor(j), now));
    this.arm();
    for (const j of this.jobs) {
      if (j.schedule.kind === 'cron') {
        this.tasks.push(cron.schedule(j.schedule.expression, () => this.fire(j), { name: `spyglass-${j.name}`, unref: true }));
      }
    }
    return startOneByOne(this.jobs, (j) => this.fire(j));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const t of this.tasks) void t.destroy();
    this.tasks.length = 0;
  }

  /** Plans may have changed (a scraper was learned or forgotten): re-reads them and re-arms. */
  replan(): void {
    if (this.stopped) return;
    const now = Date.now();
    for (const j of this.intervalJobs) {
      const current = this.due.get(j) as Due;
      const plan = this.planFor(j);
      if (!samePlan(current.plan, plan)) this.due.set(j, this.slotAfter(plan, now));
    }
    this.arm();
  }

  /** Runs a job shortly (once for all the requests of RUN_SOON_MS), unless it is busy then. */
  runSoon(job: ScheduledJob): void {
    if (this.stopped || this.soon.has(job)) return;
    this.soon.add(job);
    setTimeout(() => {
      this.soon.delete(job);
      if (!this.stopped && !job.busy()) void job.run();
    }, RUN_SOON_MS).unref();
  }

  private arm(): void {
    clearTimeout(this.timer);
    if (this.stopped || this.due.size === 0) return;
    let earliest = Infinity;
    for (const d of this.due.values()) earliest = Math.min(earliest, d.at);
    this.timer = setTimeout(() => this.tick(), Math.max(0, earliest - Date.now()));
    this.timer.unref();
  }

  private tick(): void {
    const now = Date.now();
    const dueNow: ScheduledJob[] = [];
    for (const j of this.intervalJobs) {
      let d = this.due.get(j) as Due;
      const plan = this.planFor(j);
      if (!samePlan(d.plan, plan)) this.due.set(j, (d = this.slotAfter(plan, now - SLOT_TOLERANCE_MS)));
      if (now + SLOT_TOLERANCE_MS < d.at) continue;
      this.due.set(j, this.slotAfter(d.plan, now + SLOT_TOLERANCE_MS));
      dueNow.push(j);
    }
    this.arm();
    if (dueNow.length) void startOneByOne(dueNow, (j) => this.fire(j));
  }

  private slotAfter(plan: Plan, now: number): Due {
    return { at: nextSlotMs(now, plan.intervalMs, plan.offsetMs), plan };
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

/** Equal, or only as far apart in phase as arrival jitter moves it. */
function samePlan(a: Plan, b: Plan): boolean {
  return a.intervalMs === b.intervalMs && phaseDistance(a.offsetMs, b.offsetMs, a.intervalMs) <= PHASE_HYSTERESIS_MS;
}

function phaseDistance(a: number, b: number, intervalMs: number): number {
  const d = Math.abs(a - b) % intervalMs;
  return Math.min(d, intervalMs - d);
}
