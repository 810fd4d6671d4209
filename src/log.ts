import { pino, type Logger } from 'pino';

export type LogFormat = 'json' | 'logfmt';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type { Logger };

/** Keys that may hold credentials anywhere in a log object; pino replaces their values. */
const REDACT = ['password', '*.password', 'authorization', '*.authorization', '*.headers.authorization', 'basic_auth_users', '*.basic_auth_users'];

/** JSON lines on stderr by default; `logfmt` for people reading a terminal. */
export function createLogger(level: LogLevel, format: LogFormat, destination: NodeJS.WritableStream = process.stderr): Logger {
  const options = { level, base: undefined, redact: { paths: REDACT, censor: '<redacted>' }, timestamp: pino.stdTimeFunctions.isoTime };
  if (format === 'json') return pino(options, pino.destination({ dest: fdOf(destination), sync: true }));
  return pino(options, { write: (line: string) => destination.write(toLogfmt(line)) });
}

function fdOf(stream: NodeJS.WritableStream): number {
  return (stream as { fd?: number }).fd ?? 2;
}

const LEVEL_NAMES: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** Turns one pino JSON line into `time=… level=… msg="…" key=value…`. */
export function toLogfmt(jsonLine: string): string {
  const rec = JSON.parse(jsonLine) as Record<string, unknown>;
  const { time, level, msg, ...rest } = rec;
  const parts = [`time=${String(time)}`, `level=${LEVEL_NAMES[level as number] ?? String(level)}`];
  if (msg !== undefined) parts.push(`msg=${logfmtValue(msg)}`);
  for (const [k, v] of Object.entries(rest)) parts.push(`${k}=${logfmtValue(v)}`);
  return `${parts.join(' ')}\n`;
}

function logfmtValue(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return /^[^\s"=]+$/.test(s) ? s : JSON.stringify(s);
}
