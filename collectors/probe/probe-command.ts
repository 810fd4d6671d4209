/**
 * `spyglass probe TARGET`: probes one target `count` times (0: until stopped), printing each result
 * as it comes (table format), then each phase's min/p50/p90/p99/max, or all of it as JSON, for
 * debugging latency by hand. Stopping (Ctrl-C) ends the run with the summary of what ran.
 */
import type { CollectorLogger } from '../../src/collector.js';
import { parseDuration } from '../../src/config/duration.js';
import type { ProbeGauge } from './probe-report.js';
import { moduleTable, targetDefaults, type RawProbeOptions, normalizeOptions } from './probe-options.js';
import type { ProbeOutcome } from './probe-context.js';
import { runProbe } from './prober.js';
import { buildTarget } from './targets.js';

export interface ProbeCommandOptions {
  module?: string;
  /** 0: until `stop` aborts. */
  count: number;
  interval: string;
  timeout?: string;
  format: 'table' | 'json';
}

const PHASE_GAUGES: ProbeGauge[] = ['probe_http_duration_seconds', 'probe_dns_duration_seconds', 'probe_grpc_duration_seconds', 'probe_icmp_duration_seconds'];

export interface ProbeCommandResult {
  output: string;
  failed: number;
  error?: string;
}

export interface ProbeCommandIO {
  /** Lines as they happen (the table's header and one line per probe). */
  write: (text: string) => void;
  /** Ends the run early (Ctrl-C); the probe under way is abandoned. */
  stop?: AbortSignal;
}

export async function probeCommand(
  target: string,
  probeOptions: RawProbeOptions,
  o: ProbeCommandOptions,
  logger: CollectorLogger,
  io: ProbeCommandIO = { write: () => undefined },
): Promise<ProbeCommandResult> {
  const options = normalizeOptions(probeOptions);
  const { modules } = await moduleTable(options);
  const intervalMs = parseDuration(o.interval);
  if (intervalMs === undefined) return { output: '', failed: 0, error: `--interval ${o.interval} is not a duration` };
  const timeoutMs = o.timeout === undefined ? undefined : parseDuration(o.timeout);
  if (o.timeout !== undefined && timeoutMs === undefined) return { output: '', failed: 0, error: `--timeout ${o.timeout} is not a duration` };
  const defaults = targetDefaults(options);
  // One-off probes are not bounded by an interval: the timeout is the module's, the flag's or the default.
  const built = buildTarget({ target, module: o.module, timeoutMs }, modules, { ...defaults, intervalMs: Number.MAX_SAFE_INTEGER }, 'command line');
  if ('message' in built) return { output: '', failed: 0, error: built.message };
  const outcomes: ProbeOutcome[] = [];
  const stop = io.stop;
  const live = o.format === 'table';
  if (live) io.write(`probing ${built.target} with module ${built.module}\n`);
  for (let i = 0; (o.count === 0 || i < o.count) && !stop?.aborted; i++) {
    if (i > 0 && !(await pause(intervalMs, stop))) break;
    const outcome = await runProbe(built.target, modules.get(built.module) as never, built.timeoutMs, { logger }, stop);
    if (stop?.aborted) break; // cut short by the user: not a result
    outcomes.push(outcome);
    if (live) io.write(probeLine(outcomes.length, outcome));
  }
  const failed = outcomes.filter((x) => !x.success).length;
  const output = o.format === 'json' ? json(built.target, built.module, outcomes) : summary(outcomes);
  return { output, failed };
}

/** Waits `ms`; false if stopped meanwhile. */
function pause(ms: number, stop: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (stop?.aborted) return resolve(false);
    const timer = setTimeout(() => resolve(true), ms);
    stop?.addEventListener('abort', () => (clearTimeout(timer), resolve(false)), { once: true });
  });
}

function probeLine(n: number, o: ProbeOutcome): string {
  return `  #${n}  ${o.success ? 'success' : 'FAILED '}  ${(o.durationSeconds * 1000).toFixed(3)} ms${o.failure ? `  ${o.failure}` : ''}\n`;
}

/** Each phase's durations over the probes (ms), and the whole probe's. */
function phaseSeries(outcomes: readonly ProbeOutcome[]): Map<string, number[]> {
  const series = new Map<string, number[]>();
  const add = (name: string, seconds: number) => {
    let s = series.get(name);
    if (!s) series.set(name, (s = []));
    s.push(Math.round(seconds * 1e9) / 1e6); // ms to the nanosecond, without float noise
  };
  for (const o of outcomes) {
    for (const gauge of PHASE_GAUGES) for (const s of o.report.gauges.get(gauge) ?? []) add(s.labels?.phase as string, s.value);
    if (!PHASE_GAUGES.some((g) => o.report.gauges.has(g))) {
      const lookup = o.report.value('probe_dns_lookup_time_seconds');
      if (lookup !== undefined) add('resolve', lookup);
    }
    add('total', o.durationSeconds);
  }
  return series;
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

function stats(values: readonly number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    min: sorted[0] as number,
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1] as number,
  };
}

/** The phases table and the count, after the per-probe lines. */
function summary(outcomes: readonly ProbeOutcome[]): string {
  const lines: string[] = [];
  if (outcomes.length === 0) return '\nno probe finished\n';
  const rows = [['phase (ms)', 'min', 'p50', 'p90', 'p99', 'max']];
  for (const [phase, values] of phaseSeries(outcomes)) {
    const s = stats(values);
    rows.push([phase, ...[s.min, s.p50, s.p90, s.p99, s.max].map((v) => v.toFixed(3))]);
  }
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] as string).length))) ?? [];
  lines.push('', ...rows.map((r) => r.map((v, c) => (c === 0 ? v.padEnd(widths[c] as number) : v.padStart(widths[c] as number))).join('  ')));
  const ok = outcomes.filter((o) => o.success).length;
  lines.push('', `${ok}/${outcomes.length} succeeded`);
  return `${lines.join('\n')}\n`;
}

function json(target: string, module: string, outcomes: readonly ProbeOutcome[]): string {
  const phases = Object.fromEntries(
    [...phaseSeries(outcomes)].map(([phase, values]) => [phase, Object.fromEntries(Object.entries(stats(values)).map(([k, v]) => [`${k}_ms`, v]))]),
  );
  const probes = outcomes.map((o) => ({
    success: o.success,
    duration_seconds: o.durationSeconds,
    ...(o.failure ? { failure: o.failure } : {}),
    metrics: Object.fromEntries(
      [...o.report.gauges].map(([name, samples]) => [name, samples.map((s) => ({ ...(s.labels ? { labels: s.labels } : {}), value: s.value }))]),
    ),
  }));
  return `${JSON.stringify({ target, module, succeeded: outcomes.filter((o) => o.success).length, probes: outcomes.length, phases, results: probes }, null, 2)}\n`;
}
