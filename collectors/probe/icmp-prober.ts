import type { IcmpSettings } from './module.js';
import type { ProbeContext } from './prober.js';
import type { ProbeReport } from './probe-report.js';
import { ProbeError } from './resolve.js';

/** Node has no ICMP sockets; the native prober (raw or ping sockets, as blackbox) is not written yet. */
export async function probeIcmp(_target: string, _s: IcmpSettings, _ctx: ProbeContext, _report: ProbeReport): Promise<boolean> {
  throw new ProbeError('ICMP is not implemented yet in spyglass; use a tcp_connect module meanwhile');
}
