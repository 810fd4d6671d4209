/** Runs one probe of a target with a module under a deadline, whatever the prober. */
import { probeDns } from './dns-prober.js';
import { probeGrpc } from './grpc-prober.js';
import { probeHttp } from './http-prober.js';
import { probeIcmp } from './icmp-prober.js';
import type { ProbeModule } from './module.js';
import { describeError, type ProbeContext, type ProbeOutcome } from './probe-context.js';
import { ProbeReport } from './probe-report.js';
import { ProbeError, seconds } from './resolve.js';
import { probeTcp } from './tcp-prober.js';

type Prober<M extends ProbeModule> = (target: string, module: M, ctx: ProbeContext, report: ProbeReport) => Promise<boolean>;

const PROBERS: { [P in ProbeModule['prober']]: Prober<Extract<ProbeModule, { prober: P }>> } = {
  http: (t, m, c, r) => probeHttp(t, m.http, c, r),
  tcp: (t, m, c, r) => probeTcp(t, m.tcp, c, r),
  dns: (t, m, c, r) => probeDns(t, m.dns, c, r),
  icmp: (t, m, c, r) => probeIcmp(t, m.icmp, c, r),
  grpc: (t, m, c, r) => probeGrpc(t, m.grpc, c, r),
};

/**
 * Probes `target` once. Never throws: errors and the deadline become a failed outcome with a
 * reason. `outerSignal` (shutdown, a client hanging up) aborts like the deadline does.
 */
export async function runProbe(
  target: string,
  module: ProbeModule,
  timeoutMs: number,
  ctx: Omit<ProbeContext, 'signal' | 'deadline'>,
  outerSignal?: AbortSignal,
): Promise<ProbeOutcome> {
  const report = new ProbeReport();
  report.set('probe_timeout_seconds', timeoutMs / 1000);
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = outerSignal ? AbortSignal.any([deadline, outerSignal]) : deadline;
  const started = performance.now();
  let success = false;
  try {
    const prober = PROBERS[module.prober] as Prober<ProbeModule>; // the entry for the module's own prober
    success = await prober(target, module, { ...ctx, signal, deadline: started + timeoutMs }, report);
    if (!success) report.fail('probe failed');
  } catch (err) {
    if (signal.aborted) report.fail(deadline.aborted ? `timed out after ${timeoutMs} ms` : 'cancelled');
    else report.fail(err instanceof ProbeError ? err.message : describeError(err));
  }
  const durationSeconds = seconds(performance.now() - started);
  if (signal.aborted && !success && report.failure === 'probe failed') report.failure = `timed out after ${timeoutMs} ms`;
  report.set('probe_success', success ? 1 : 0);
  report.set('probe_duration_seconds', durationSeconds);
  return { success, ...(success ? {} : { failure: report.failure }), durationSeconds, timedOut: deadline.aborted && !success, report };
}
