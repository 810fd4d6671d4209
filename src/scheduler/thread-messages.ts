/** What the engine and a collector's worker thread (see collector-thread.ts) say to each other. */
import type { Paths } from '../collector.js';
import type { Format } from '../metrics/render.js';
import type { RunResult } from './run.js';

/** Handed to the worker when it starts: everything of the collector's settings a run needs. */
export interface ThreadSetup {
  /** URL of the module whose default export is the collector definition. */
  module: string;
  name: string;
  options: Record<string, unknown>;
  timeoutMs: number;
  maxSeries: number | undefined;
  builtin: boolean;
  sampleTimestamps: boolean;
  paths: Paths;
  /** Whether debug lines are wanted at all (each one is a message to the main thread). */
  debug: boolean;
  /** The thread's old-generation heap, in MiB: past it the thread ends, the run fails, and the next run starts a fresh thread. */
  heapLimitMb: number;
}

/** Rendered bytes moved (not copied) between threads: the body is the first `length` bytes of `buffer`. */
export interface MovedBytes {
  buffer: ArrayBuffer;
  length: number;
}

export type ToThread =
  /** Collect, cap, and render `formats` into the `spares` where they fit. */
  | { type: 'run'; id: number; formats: Format[]; spares: Partial<Record<Format, ArrayBuffer>> }
  /** Render the families of run `runId` (the last one) in another format. */
  | { type: 'render'; id: number; runId: number; format: Format };

export type FromThread =
  | {
      type: 'done';
      id: number;
      result: RunResult;
      runTimeMs: number;
      durationMs: number;
      error?: string;
      /** On success: the families with samples, the series count after the cap, and what the cap dropped. */
      familyNames?: string[];
      series?: number;
      dropped?: number;
      bodies?: Partial<Record<Format, MovedBytes>>;
      skipped: Array<[string, number]>;
    }
  /** The collector's own promise of run `id` settled (much later than `done` for a timed-out run). */
  | { type: 'settled'; id: number; skipped: Array<[string, number]> }
  | { type: 'rendered'; id: number; body?: MovedBytes; error?: string }
  | { type: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; obj: object | string; msg?: string };
