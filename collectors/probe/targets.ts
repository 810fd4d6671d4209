/**
 * Probe targets: what to probe, with which module, how often, under which labels. They come from
 * the config (static), from file_sd files and DNS SRV/A/AAAA discovery, and from `--probe URL`.
 */
import type { Labels } from '../../src/metrics/model.js';
import type { ProbeModule } from './module.js';

export interface TargetSpec {
  /** As written: a URL for http, `host:port` for tcp/grpc/dns, a host for icmp; a scheme may pick the module. */
  target: string;
  module?: string | undefined;
  intervalMs?: number | undefined;
  timeoutMs?: number | undefined;
  labels?: Record<string, string> | undefined;
  /**
   * What Prometheus would put in `__address__` for this target from the same source, and so what
   * the shard hash reads (shard.ts): `target` as written for static and file_sd targets, `host:port`
   * for dns_sd. Absent: `target`.
   */
  address?: string | undefined;
}

export interface ProbeTarget {
  /** Identity: module, target and labels. */
  key: string;
  /** What the prober is given. */
  target: string;
  module: string;
  intervalMs: number;
  timeoutMs: number;
  /** `target`, `module` and the configured labels: every series of the target carries them. */
  labels: Labels;
  /** Where it came from: `static`, `file_sd`, `dns_sd`. */
  source: string;
}

export interface TargetDefaults {
  intervalMs: number;
  timeoutMs: number;
}

/** Labels the probe families use themselves; a target's own labels may not take them. */
export const RESERVED_LABELS = new Set([
  'target',
  'module',
  'phase',
  'result',
  'le',
  'version',
  'cipher',
  'serving_status',
  'fingerprint_sha256',
  'subject',
  'issuer',
  'subjectalternative',
  'serialnumber',
  'instance',
  'job',
]);
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** A timeout never reaches the interval: at most this share of it. */
const MAX_TIMEOUT_SHARE = 0.9;

/** Scheme → module and the target the prober gets, when a target names no module (a bare host:port is tcp_connect). */
const SCHEMES: Record<string, { module: string; keepScheme: boolean }> = {
  'http:': { module: 'http_2xx', keepScheme: true },
  'https:': { module: 'http_2xx', keepScheme: true },
  'tcp:': { module: 'tcp_connect', keepScheme: false },
  'grpc:': { module: 'grpc', keepScheme: false },
  'grpcs:': { module: 'grpc_tls', keepScheme: false },
  'icmp:': { module: 'icmp', keepScheme: false },
};

export type TargetProblem = { message: string };

/** Turns a spec into a target, or says what is wrong with it. */
export function buildTarget(
  spec: TargetSpec,
  modules: ReadonlyMap<string, ProbeModule | Error>,
  defaults: TargetDefaults,
  source: string,
): ProbeTarget | TargetProblem {
  const { target, module: moduleName } = splitScheme(spec.target, spec.module);
  if (!target) return { message: `target ${JSON.stringify(spec.target)} is empty` };
  if (!moduleName)
    return {
      message: `target ${JSON.stringify(spec.target)} names no module, and neither its scheme (http, https, tcp, grpc, grpcs, icmp) nor a host:port form implies one`,
    };
  const module = modules.get(moduleName);
  if (!module) return { message: `target ${spec.target}: unknown module ${moduleName}; the modules are ${[...modules.keys()].sort().join(', ')}` };
  if (module instanceof Error) return { message: `target ${spec.target}: module ${moduleName} is invalid: ${module.message}` };
  for (const name of Object.keys(spec.labels ?? {})) {
    if (!LABEL_NAME.test(name) || name.startsWith('__')) return { message: `target ${spec.target}: invalid label name ${JSON.stringify(name)}` };
    if (RESERVED_LABELS.has(name)) return { message: `target ${spec.target}: label ${name} is reserved` };
  }
  const intervalMs = spec.intervalMs ?? defaults.intervalMs;
  if (spec.timeoutMs !== undefined && spec.timeoutMs >= intervalMs)
    return { message: `target ${spec.target}: timeout ${spec.timeoutMs} ms must be shorter than the interval ${intervalMs} ms` };
  const timeoutMs = Math.min(spec.timeoutMs ?? module.timeoutMs ?? defaults.timeoutMs, Math.floor(intervalMs * MAX_TIMEOUT_SHARE));
  const shown = redactUserinfo(target);
  const labels: Labels = { ...(spec.labels ?? {}), target: shown, module: moduleName };
  const key = JSON.stringify([moduleName, target, Object.entries(spec.labels ?? {}).sort()]);
  return { key, target, module: moduleName, intervalMs, timeoutMs, labels, source };
}

function splitScheme(target: string, module: string | undefined): { target: string; module: string | undefined } {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*:)\/\//.exec(target);
  const scheme = m ? SCHEMES[(m[1] as string).toLowerCase()] : undefined;
  if (!scheme) return { target, module: module ?? (!m && /^(\[[^\]]+\]|[^:/[\]]+):\d+$/.test(target) ? 'tcp_connect' : undefined) };
  const stripped = scheme.keepScheme ? target : target.slice((m as RegExpExecArray)[0].length).replace(/\/$/, '');
  return { target: stripped, module: module ?? scheme.module };
}

/** `https://user:pw@host/` → `https://user:<secret>@host/`: a password never reaches a label, a log or the landing page. */
export function redactUserinfo(target: string): string {
  return target.replace(/^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/@:]*):[^/@]*@/, '$1:<secret>@');
}
