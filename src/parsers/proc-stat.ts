import { parseFailure, parseNumber, type ParseResult } from './parse-result.js';

/** Kernel USER_HZ; fixed at 100 on every Linux ABI that node_exporter supports (procfs hardcodes it too). */
export const USER_HZ = 100;

export const CPU_MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal', 'guest', 'guest_nice'] as const;
export type CpuMode = (typeof CPU_MODES)[number];
/** Seconds per mode; modes the kernel does not report are absent. */
export type CpuTimes = Partial<Record<CpuMode, number>>;

export interface ProcStat {
  /** Per-CPU times keyed by CPU number (the aggregate `cpu` line is not kept). */
  cpus: Map<string, CpuTimes>;
  bootTime?: number;
  contextSwitches?: number;
  forks?: number;
  interrupts?: number;
  procsRunning?: number;
  procsBlocked?: number;
  /** The `softirq` line's per-vector counts (after its total), in kernel order: hi, timer, net_tx, … */
  softirqs?: number[];
  /** The `softirq` line, when it has a count that is not a number (the rest of the file is still good). */
  garbledSoftirqLine?: number;
}

const FILE = '/proc/stat';

export function parseProcStat(text: string): ParseResult<ProcStat> {
  const stat: ProcStat = { cpus: new Map() };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    const fields = line.trim().split(/\s+/);
    const key = fields[0] as string;
    if (key.startsWith('cpu')) {
      if (key === 'cpu') continue;
      const id = key.slice(3);
      if (!/^\d+$/.test(id)) return parseFailure(FILE, i + 1, `unexpected CPU label ${JSON.stringify(key)}`);
      if (fields.length < 5) return parseFailure(FILE, i + 1, `CPU line has ${fields.length - 1} fields, expected at least 4`);
      const times: CpuTimes = {};
      for (let m = 0; m < CPU_MODES.length && m + 1 < fields.length; m++) {
        const ticks = parseNumber(fields[m + 1]);
        if (ticks === undefined) return parseFailure(FILE, i + 1, `field ${m + 1} of ${key} is not a number: ${JSON.stringify(fields[m + 1])}`);
        times[CPU_MODES[m] as CpuMode] = ticks / USER_HZ;
      }
      stat.cpus.set(id, times);
      continue;
    }
    if (key === 'softirq') {
      const counts = fields.slice(2).map(parseNumber);
      if (fields.length < 2 || counts.some((c) => c === undefined)) stat.garbledSoftirqLine = i + 1;
      else stat.softirqs = counts as number[];
      continue;
    }
    const single = SINGLE_VALUE_KEYS[key];
    if (single) {
      const v = parseNumber(fields[1]);
      if (v === undefined) return parseFailure(FILE, i + 1, `${key} value is not a number: ${JSON.stringify(fields[1])}`);
      stat[single] = v;
    }
  }
  if (stat.cpus.size === 0) return parseFailure(FILE, 1, 'no per-CPU lines found');
  return { ok: true, value: stat };
}

const SINGLE_VALUE_KEYS: Record<string, Exclude<keyof ProcStat, 'cpus' | 'softirqs' | 'garbledSoftirqLine'> | undefined> = {
  btime: 'bootTime',
  ctxt: 'contextSwitches',
  processes: 'forks',
  intr: 'interrupts',
  procs_running: 'procsRunning',
  procs_blocked: 'procsBlocked',
};
