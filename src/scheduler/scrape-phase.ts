/**
 * Learns when scrapers come, so collectors can run just before them.
 *
 * Prometheus scrapes each target at a fixed phase of its interval. A collector whose interval
 * divides that period and whose runs finish a little before each scrape hands every scrape data
 * of the same age: rate() and irate() see no aliasing and the data is as fresh as collecting at
 * scrape time, without collecting on the scrape path. See docs/aliasing.md.
 */
export interface Scraper {
  /** Measured period (arrival jitter included, so not exact). */
  periodMs: number;
  /** Unix time of its last scrape; its phase modulo an exact collector interval derives from it. */
  lastScrapeMs: number;
}

const HISTORY = 5; // intervals kept per scraper
const MIN_INTERVALS = 2; // before a period is trusted (Prometheus keeps its interval to the millisecond)
const TOLERANCE = 0.05; // relative spread allowed among the intervals
const MAX_SCRAPERS = 64;

interface Track {
  last: number;
  intervals: number[];
}

export class ScrapeTracker {
  /** By client address, then query string: one entry per scrape job. */
  private readonly tracks = new Map<string, Map<string, Track>>();
  private count = 0;

  /**
   * Records a scrape by a client (address plus query: one Prometheus job). True when that made a
   * steady period known, or changed it by a second or more: schedules that follow scrapers change.
   */
  record(address: string, query: string, nowMs: number): boolean {
    let byQuery = this.tracks.get(address);
    const t = byQuery?.get(query);
    if (!t) {
      if (this.count >= MAX_SCRAPERS) return false; // enough scrapers known; the rest keep their schedules
      if (!byQuery) this.tracks.set(address, (byQuery = new Map()));
      byQuery.set(query, { last: nowMs, intervals: [] });
      this.count++;
      return false;
    }
    const interval = nowMs - t.last;
    if (interval < 500) return false; // a retry or a person with curl, not a periodic scrape
    const before = steadyPeriod(t.intervals);
    t.intervals.push(interval);
    if (t.intervals.length > HISTORY) t.intervals.shift();
    t.last = nowMs;
    const after = steadyPeriod(t.intervals);
    return before === undefined ? after !== undefined : after === undefined || Math.abs(after - before) >= 1000;
  }

  /** Scrapers with a steady period that have come within the last three periods. */
  scrapers(nowMs: number): Scraper[] {
    const out: Scraper[] = [];
    for (const [address, byQuery] of this.tracks) {
      for (const [query, t] of byQuery) {
        const periodMs = steadyPeriod(t.intervals);
        if (nowMs - t.last > 3 * (periodMs ?? 60_000)) {
          byQuery.delete(query); // gone quiet: forget it (and let a newcomer take its place)
          this.count--;
          continue;
        }
        if (periodMs !== undefined) out.push({ periodMs, lastScrapeMs: t.last });
      }
      if (byQuery.size === 0) this.tracks.delete(address);
    }
    return out;
  }
}

function steadyPeriod(intervals: readonly number[]): number | undefined {
  if (intervals.length < MIN_INTERVALS) return undefined;
  const sorted = [...intervals].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] as number;
  if (sorted.some((i) => Math.abs(i - median) > median * TOLERANCE)) return undefined;
  return median;
}

/**
 * The interval that serves every scraper once per scrape: the greatest common divisor of their
 * periods (in whole seconds, as Prometheus configures them), at least `floorMs`. Undefined
 * when no scraper is known.
 */
export function followedIntervalMs(scrapers: readonly Scraper[], floorMs: number): number | undefined {
  let g = 0;
  for (const s of scrapers) g = gcd(g, Math.max(1, Math.round(s.periodMs / 1000)));
  if (g === 0) return undefined;
  const ms = g * 1000;
  return ms >= floorMs ? ms : Math.ceil(floorMs / ms) * ms;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * Offset (ms, in [0, interval)) at which a collector with `intervalMs` should run so that it
 * finishes at least `leadMs` before the scrapes it can serve: those of scrapers whose period is
 * a whole multiple of the interval. With several such scrapers, it runs just before the one that
 * follows the longest quiet stretch, so no scrape lands right on a run. Undefined when no
 * scraper fits.
 */
export function lockedOffsetMs(intervalMs: number, scrapers: readonly Scraper[], leadMs: number): number | undefined {
  const phases = scrapers
    .filter((s) => isMultiple(s.periodMs, intervalMs))
    .map((s) => mod(s.lastScrapeMs, intervalMs))
    .sort((a, b) => a - b);
  if (phases.length === 0) return undefined;
  let target = phases[0] as number;
  let widest = -1;
  for (let i = 0; i < phases.length; i++) {
    const phase = phases[i] as number;
    const previous = i === 0 ? (phases[phases.length - 1] as number) - intervalMs : (phases[i - 1] as number);
    if (phase - previous > widest) {
      widest = phase - previous;
      target = phase;
    }
  }
  return mod(Math.round(target - leadMs), intervalMs);
}

function isMultiple(periodMs: number, intervalMs: number): boolean {
  const ratio = periodMs / intervalMs;
  return ratio >= 1 - TOLERANCE && Math.abs(ratio - Math.round(ratio)) <= TOLERANCE * Math.round(ratio);
}

function mod(a: number, m: number): number {
  return ((a % m) + m) % m;
}
