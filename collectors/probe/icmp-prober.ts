import type { IcmpSettings } from './module.js';
import type { ProbeContext } from './prober.js';
import type { ProbeReport } from './probe-report.js';
import { ProbeError } from './resolve.js';

export async function probeIcmp(_target: string, _s: IcmpSettings, _ctx: ProbeContext, _report: ProbeReport): Promise<boolean> {
  throw new ProbeError('TODO icmp');
}
