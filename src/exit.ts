/**
 * Leaving the process when kernel calls are stuck.
 *
 * A syscall that never returns (statfs on a dead NFS mount, a read on a hung sysfs file) pins a
 * libuv thread, and Node cannot exit while a thread is pinned: process.exit() waits for it
 * forever. Collectors record such calls here; exitProcess then ends the process with SIGKILL,
 * the only way out, and says why. Without stuck calls it is a normal exit.
 */
import type { Logger } from './log.js';

const stuckCalls = new Map<string, number>();

export function markStuck(call: string): void {
  stuckCalls.set(call, (stuckCalls.get(call) ?? 0) + 1);
}

export function markReturned(call: string): void {
  const n = (stuckCalls.get(call) ?? 1) - 1;
  if (n > 0) stuckCalls.set(call, n);
  else stuckCalls.delete(call);
}

export function stuckKernelCalls(): string[] {
  return [...stuckCalls.keys()];
}

export function exitProcess(code: number, logger?: Logger): never {
  const stuck = stuckKernelCalls();
  if (stuck.length === 0) process.exit(code);
  const message = `exiting with SIGKILL: ${stuck.length} kernel call(s) still blocked (${stuck.join(', ')}); Node cannot exit normally while a thread is blocked`;
  if (logger) logger.warn({ stuck, intended_exit_code: code }, message);
  else process.stderr.write(`spyglass: ${message}\n`);
  process.kill(process.pid, 'SIGKILL');
  // Unreachable except as PID 1, where the kernel ignores our own SIGKILL: then the runtime must kill us.
  return process.exit(code);
}
