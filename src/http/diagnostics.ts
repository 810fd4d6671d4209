/**
 * Opt-in diagnostics over HTTP (`web.diagnostics: true` or `--web.enable-diagnostics`), behind
 * the web config's authentication like every path but /healthz and /readyz:
 *   GET /debug/cpu-profile?seconds=N  a CPU profile of the main thread (.cpuprofile, as `node --cpu-prof` writes)
 *   GET /debug/heap-snapshot          a V8 heap snapshot (.heapsnapshot), streamed
 * Both open in Chrome DevTools. One at a time, at most one start per MIN_GAP_MS, so a client
 * cannot keep the process busy profiling; a heap larger than MAX_SNAPSHOT_HEAP_BYTES is refused
 * (the snapshot pauses the process and costs about as much memory again).
 */
import { Session } from 'node:inspector/promises';

export const MAX_PROFILE_SECONDS = 60;
const MIN_GAP_MS = 10_000;
const MAX_SNAPSHOT_HEAP_BYTES = 512 * 1024 * 1024;

export type Refusal = { status: 400 | 404 | 429; message: string; retryAfterS?: number };

export class Diagnostics {
  private busy = false;
  private lastStartMs = -Infinity;

  constructor(private readonly enabled: boolean) {}

  /** Why a diagnostic cannot start now, or undefined: then the caller owns the slot until `done`. */
  admit(nowMs = Date.now()): Refusal | undefined {
    if (!this.enabled) return { status: 404, message: 'diagnostics are off: start spyglass with --web.enable-diagnostics (or web.diagnostics: true)\n' };
    const wait = Math.ceil((this.lastStartMs + MIN_GAP_MS - nowMs) / 1000);
    if (this.busy || wait > 0)
      return { status: 429, message: 'another diagnostic is running or ran moments ago; try again shortly\n', retryAfterS: Math.max(1, wait) };
    this.busy = true;
    this.lastStartMs = nowMs;
    return undefined;
  }

  done(): void {
    this.busy = false;
  }

  /** Profiles the main thread for `seconds` (or until `signal` aborts); the profile as JSON. */
  async cpuProfile(seconds: number, signal: AbortSignal): Promise<string> {
    const session = new Session();
    session.connect();
    try {
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, seconds * 1000);
        signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
      const { profile } = await session.post('Profiler.stop');
      return JSON.stringify(profile);
    } finally {
      session.disconnect();
    }
  }

  /** Writes a heap snapshot chunk by chunk; refuses a heap past the size limit. */
  async heapSnapshot(write: (chunk: string) => void): Promise<Refusal | undefined> {
    const used = process.memoryUsage().heapUsed;
    if (used > MAX_SNAPSHOT_HEAP_BYTES)
      return { status: 400, message: `the heap holds ${used} bytes, more than the ${MAX_SNAPSHOT_HEAP_BYTES} a snapshot is taken of\n` };
    const session = new Session();
    session.connect();
    try {
      session.on('HeapProfiler.addHeapSnapshotChunk', (m) => write(m.params.chunk));
      await session.post('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
      return undefined;
    } finally {
      session.disconnect();
    }
  }
}

/** `seconds` from a query: a whole number from 1 to MAX_PROFILE_SECONDS, 10 when absent. */
export function profileSeconds(raw: string | undefined): number | string {
  if (raw === undefined) return 10;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PROFILE_SECONDS) return `seconds must be a whole number from 1 to ${MAX_PROFILE_SECONDS}`;
  return n;
}
