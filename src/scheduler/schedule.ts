import cron from 'node-cron';
import { parseDuration } from '../config/duration.js';

export type Schedule = { kind: 'interval'; ms: number; text: string } | { kind: 'cron'; expression: string; text: string };

/** Parses `15s`-style intervals (whole seconds, at least 1s) or five/six-field cron expressions. */
export function parseSchedule(text: string): Schedule | { error: string } {
  const ms = parseDuration(text);
  if (ms !== undefined) {
    if (ms < 1000 || ms % 1000 !== 0) return { error: `interval ${text} must be a whole number of seconds, at least 1s` };
    return { kind: 'interval', ms, text };
  }
  const fields = text.trim().split(/\s+/).length;
  if ((fields === 5 || fields === 6) && cron.validate(text)) return { kind: 'cron', expression: text, text };
  return { error: `${JSON.stringify(text)} is neither an interval like 15s nor a valid five- or six-field cron expression` };
}

/**
 * Phase of an interval schedule: a stable hash of the name spreads collectors (and later probe
 * targets) over the interval so they do not all fire at once, and keeps the phase across restarts.
 */
export function phaseOffsetMs(name: string, intervalMs: number): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
  return (h % (intervalMs / 1000)) * 1000;
}

/** The first slot strictly after `nowMs` on the grid `offset + k·interval`. */
export function nextSlotMs(nowMs: number, intervalMs: number, offsetMs: number): number {
  const k = Math.floor((nowMs - offsetMs) / intervalMs) + 1;
  return offsetMs + k * intervalMs;
}

/** Longest time between two runs, used to keep timeouts below the interval. */
export function periodMs(s: Schedule): number | undefined {
  return s.kind === 'interval' ? s.ms : undefined;
}
