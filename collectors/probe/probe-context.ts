/**
 * What the probe runner and the probers share: the context a prober runs in, the outcome of one
 * probe, and how an error reads in a failure reason. A leaf module: the probers import it and the
 * runner (prober.ts) imports the probers, so neither imports the other back.
 */
import type { CollectorLogger } from '../../src/collector.js';
import type { ProbeReport } from './probe-report.js';

export interface ProbeContext {
  /** Aborted at the probe's deadline; every socket and wait listens to it. */
  signal: AbortSignal;
  /** performance.now() at which `signal` aborts. */
  deadline: number;
  logger: CollectorLogger;
  /**
   * Called with every address the probe is about to connect to (each redirect too) and the name
   * it was resolved from; a returned
   * string is why that address is refused (the /probe endpoint's allow-list).
   */
  checkAddress?: (address: string, family: 4 | 6, host: string) => string | undefined;
  /** Overrides Host and TLS server name (`hostname=` of the /probe endpoint). */
  hostname?: string;
}

export interface ProbeOutcome {
  success: boolean;
  /** Set when the probe failed: why, in a few words and the detail. */
  failure?: string;
  /** The whole probe, including client set-up. */
  durationSeconds: number;
  timedOut: boolean;
  report: ProbeReport;
}

/** `code: message` for system errors (ECONNREFUSED, CERT_HAS_EXPIRED, HPE_INVALID_CONSTANT …). */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
}
