import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';

export type LogFormat = 'json' | 'logfmt';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type { Logger };

/** Keys that may hold credentials anywhere in a log object; pino replaces their values. */
const REDACT = ['password', '*.password', 'authorization', '*.authorization', '*.headers.authorization', 'basic_auth_users', '*.basic_auth_users'];

/** The package root, so that `caller` reads `src/engine.js:140` wherever spyglass is installed. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * As the Prometheus exporters log (go-kit's fields): `ts`, `caller`, `level` by name, `msg`. JSON
 * lines on stderr by default; `logfmt` for people reading a terminal.
 */
export function createLogger(level: LogLevel, format: LogFormat, destination: NodeJS.WritableStream = process.stderr): Logger {
  const options = {
    level,
    base: undefined,
    redact: { paths: REDACT, censor: '<redacted>' },
    timestamp: () => `,"ts":"${new Date().toISOString()}"`,
    formatters: { level: (label: string) => ({ level: label }) },
    // Only for lines that are written: a disabled level never gets here.
    mixin: () => ({ caller: callerOf(new Error().stack) }),
  };
  if (format === 'json') return pino(options, pino.destination({ dest: fdOf(destination), sync: true }));
  return pino(options, { write: (line: string) => destination.write(toLogfmt(line)) });
}

function fdOf(stream: NodeJS.WritableStream): number {
  return (stream as { fd?: number }).fd ?? 2;
}

/** The first stack frame outside pino and this file, as `path:line` within the package. */
function callerOf(stack: string | undefined): string | undefined {
  for (const line of (stack ?? '').split('\n').slice(1)) {
    const m = /\(?(?:file:\/\/)?(\/[^():]+):(\d+):\d+\)?$/.exec(line);
    if (!m) continue;
    const path = m[1] as string;
    if (path.includes('/node_modules/pino/') || path.endsWith('/log.js')) continue;
    return `${(path.startsWith(ROOT) ? path.slice(ROOT.length) : path).replace(/^dist\//, '')}:${m[2]}`;
  }
  return undefined;
}

/** Turns one pino JSON line into `ts=… caller=… level=… msg="…" key=value…`, nested values flattened. */
export function toLogfmt(jsonLine: string): string {
  const rec = JSON.parse(jsonLine) as Record<string, unknown>;
  const { ts, caller, level, msg, ...rest } = rec;
  const parts = [`ts=${String(ts)}`];
  if (caller !== undefined) parts.push(`caller=${logfmtValue(caller)}`);
  parts.push(`level=${String(level)}`);
  if (msg !== undefined) parts.push(`msg=${logfmtValue(msg)}`);
  for (const [k, v] of flatten(rest, '')) parts.push(`${k}=${logfmtValue(v)}`);
  return `${parts.join(' ')}\n`;
}

/** `{a: {b: 1}}` as `a.b=1`; a list of plain values as `a,b`. */
function* flatten(value: Record<string, unknown>, prefix: string): Generator<[string, unknown]> {
  for (const [k, v] of Object.entries(value)) {
    const key = `${prefix}${k}`;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) yield* flatten(v as Record<string, unknown>, `${key}.`);
    else if (Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object')) yield [key, v.join(',')];
    else yield [key, v];
  }
}

function logfmtValue(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return /^[^\s"=]+$/.test(s) ? s : JSON.stringify(s);
}
