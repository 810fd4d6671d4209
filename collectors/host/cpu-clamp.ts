import { CPU_MODES, type CpuTimes } from '../../src/parsers/proc-stat.js';

/** An idle counter falling back by this much means the CPU went offline and came back (hotplug). */
const IDLE_JUMP_BACK_SECONDS = 3;

export interface ClampResult {
  times: Map<string, CpuTimes>;
  /** CPUs whose idle time fell by the hotplug threshold; their cache was reset. */
  reset: string[];
  /** `cpu/mode` pairs that went backwards and kept their previous value. */
  heldBack: string[];
}

/**
 * Keeps per-CPU counters monotonic as node_exporter does: a field that goes backwards (kernel
 * accounting jitter) keeps its previous value; an idle drop of 3 s or more resets that CPU.
 */
export function clampCpuTimes(previous: ReadonlyMap<string, CpuTimes>, current: ReadonlyMap<string, CpuTimes>): ClampResult {
  const times = new Map<string, CpuTimes>();
  const reset: string[] = [];
  const heldBack: string[] = [];
  for (const [cpu, now] of current) {
    const before = previous.get(cpu);
    if (!before || (before.idle ?? 0) - (now.idle ?? 0) >= IDLE_JUMP_BACK_SECONDS) {
      if (before) reset.push(cpu);
      times.set(cpu, { ...now });
      continue;
    }
    const merged: CpuTimes = {};
    for (const mode of CPU_MODES) {
      const n = now[mode];
      if (n === undefined) continue;
      const b = before[mode];
      if (b !== undefined && n < b) {
        heldBack.push(`${cpu}/${mode}`);
        merged[mode] = b;
      } else {
        merged[mode] = n;
      }
    }
    times.set(cpu, merged);
  }
  return { times, reset, heldBack };
}
