/**
 * The ICMP prober: one echo request, one matching reply, as blackbox_exporter. Sockets come from
 * native/icmp.c: an unprivileged ping socket first, a raw socket when that is refused, and an
 * error naming both privileges when neither opens. The round trip is timed from just before the
 * send to the kernel's receive timestamp.
 */
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadNativeAddon } from '../../src/native-addon.js';
import type { IcmpSettings } from './module.js';
import { describeError, type ProbeContext } from './probe-context.js';
import type { ProbeReport } from './probe-report.js';
import { ProbeError, resolveTarget, seconds } from './resolve.js';

type SocketHandle = { readonly icmpSocket: unique symbol };
type ReplyListener = (from: string, identifier: number, sequence: number, hopLimit: number, payload: Buffer, rttNanoseconds: number) => void;

interface IcmpAddon {
  open(family: 4 | 6, kind: SocketKind, sourceAddress: string, ttl: number, dontFragment: boolean, onReply: ReplyListener): SocketHandle;
  identifier(socket: SocketHandle): number;
  send(socket: SocketHandle, address: string, identifier: number, sequence: number, payload: Buffer): void;
  close(socket: SocketHandle): void;
}

type SocketKind = 'dgram' | 'raw';

export interface EchoReply {
  hopLimit: number;
  rttSeconds: number;
}

const PAYLOAD_TEXT = 'spyglass ICMP probe';

let addon: IcmpAddon | Error | undefined;
let lastSequence = randomInt(0x10000);

export async function probeIcmp(target: string, s: IcmpSettings, ctx: ProbeContext, report: ProbeReport): Promise<boolean> {
  for (const phase of ['resolve', 'setup', 'rtt']) report.set('probe_icmp_duration_seconds', 0, { phase });
  const resolved = await resolveTarget(target, s.ip, ctx, report);
  report.set('probe_icmp_duration_seconds', resolved.lookupSeconds, { phase: 'resolve' });

  const setupStarted = performance.now();
  let onReply: ReplyListener = () => {};
  const { socket, kind, icmp } = openEchoSocket(resolved.family, s, (...reply) => onReply(...reply));
  try {
    const identifier = kind === 'dgram' ? icmp.identifier(socket) : randomInt(0x10000);
    const sequence = (lastSequence = (lastSequence + 1) & 0xffff);
    const payload = echoPayload(s.payloadSize);
    const expectedFrom = canonicalAddress(resolved.address);
    report.set('probe_icmp_duration_seconds', seconds(performance.now() - setupStarted), { phase: 'setup' });

    const reply = await new Promise<EchoReply>((resolve, reject) => {
      const onAbort = () => reject(ctx.signal.reason as Error);
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      onReply = (from, replyIdentifier, replySequence, hopLimit, replyPayload, rttNanoseconds) => {
        // A raw socket sees every echo reply on the host; a ping socket only its own.
        if (replySequence !== sequence || (kind === 'raw' && replyIdentifier !== identifier)) return;
        if (canonicalAddress(from) !== expectedFrom || !replyPayload.equals(payload)) return;
        ctx.signal.removeEventListener('abort', onAbort);
        resolve({ hopLimit, rttSeconds: Math.max(0, Math.round(rttNanoseconds)) / 1e9 });
      };
      try {
        icmp.send(socket, resolved.address, identifier, sequence, payload);
      } catch (err) {
        ctx.signal.removeEventListener('abort', onAbort);
        reject(new ProbeError(`sending the echo request to ${resolved.address} failed: ${describeError(err)}`));
      }
    });
    report.set('probe_icmp_duration_seconds', reply.rttSeconds, { phase: 'rtt' });
    if (reply.hopLimit >= 0) report.set('probe_icmp_reply_hop_limit', reply.hopLimit);
    return true;
  } finally {
    icmp.close(socket);
  }
}

/** blackbox's rule with spyglass's text: the text alone, or `size` bytes beginning with it. */
export function echoPayload(size: number): Buffer {
  if (size === 0) return Buffer.from(PAYLOAD_TEXT);
  const payload = Buffer.alloc(size);
  payload.write(PAYLOAD_TEXT.slice(0, size));
  return payload;
}

function openEchoSocket(family: 4 | 6, s: IcmpSettings, onReply: ReplyListener): { socket: SocketHandle; kind: SocketKind; icmp: IcmpAddon } {
  addon ??= loadNativeAddon<IcmpAddon>('icmp');
  if (addon instanceof Error) throw new ProbeError(`ICMP probes need spyglass's icmp addon: ${addon.message}`);
  for (const kind of ['dgram', 'raw'] as const) {
    try {
      return { socket: addon.open(family, kind, s.ip.sourceAddress ?? '', s.ttl, s.dontFragment, onReply), kind, icmp: addon };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') continue;
      throw new ProbeError(`cannot open an ICMP socket: ${describeError(err)}`);
    }
  }
  throw new ProbeError(missingPrivilege(readPingGroupRange(), process.getgid?.() ?? 0));
}

/** What an operator has to change when neither a ping socket nor a raw socket may be opened. */
export function missingPrivilege(pingGroupRange: string | undefined, gid: number): string {
  const range = pingGroupRange ? `"${pingGroupRange}"` : 'unreadable';
  return (
    'ICMP is not permitted for this process: a ping socket needs its group ' +
    `(gid ${gid}) inside net.ipv4.ping_group_range (here ${range}; e.g. sysctl net.ipv4.ping_group_range="0 2147483647", ` +
    'in Kubernetes the pod securityContext sysctl), and a raw socket needs CAP_NET_RAW'
  );
}

function readPingGroupRange(): string | undefined {
  try {
    return readFileSync('/proc/sys/net/ipv4/ping_group_range', 'utf8').trim().replace(/\s+/, ' ');
  } catch {
    return undefined;
  }
}

/** One spelling per address, so `::0001` and `::1` match. */
function canonicalAddress(address: string): string {
  return address.includes(':') ? new URL(`http://[${address}]/`).hostname : address;
}
