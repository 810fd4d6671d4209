import { Worker } from 'node:worker_threads';
import type { CollectorLogger } from '../collector.js';
import type { Format } from '../metrics/render.js';
import type { RunOutcome } from './run.js';
import type { FromThread, MovedBytes, ThreadSetup, ToThread } from './thread-messages.js';

/** A successful run as the worker thread rendered it. */
export interface ThreadRendered {
  runId: number;
  familyNames: string[];
  series: number;
  dropped: number;
  bodies: Partial<Record<Format, Buffer>>;
  /** The memory each body sits in, to be handed back (see SectionTable.takeSpares) once it is no longer served. */
  storage: Partial<Record<Format, Buffer>>;
}

export interface ThreadRunOutcome extends Omit<RunOutcome, 'families'> {
  rendered?: ThreadRendered;
}

/**
 * A collector thread's old-generation heap, in MiB. The container collector's thread holds about
 * 70 MiB of live objects at 5,000 containers (docs/benchmarks.md); one that grows past this (a
 * leak, a runaway collector) ends and is started afresh, instead of taking the process past the
 * DaemonSet's 512 MiB memory limit.
 */
export const THREAD_HEAP_LIMIT_MB = 256;

/**
 * A collector thread's young generation, in MiB (V8 otherwise sizes it from the old generation).
 * The container collector's run makes its garbage in one burst, so a large young generation only
 * holds that garbage in RSS longer. Side by side at 1,000 containers: RSS median 136 vs 141–153 MiB,
 * max 140 vs 146–169, CPU the same (docs/benchmarks.md).
 */
export const THREAD_YOUNG_GENERATION_MB = 3;

/** How long past its deadline a run may stay unanswered before the thread is taken to be stuck in synchronous code. */
const STUCK_GRACE_MS = 2000;

type Done = Extract<FromThread, { type: 'done' }>;

/**
 * Runs one collector in a worker thread of its own (CollectorDefinition.workerModule). The thread
 * keeps the collector's state, and renders each run there: the main thread receives only the
 * bytes, moved rather than copied. A thread that dies or stays stuck past the run's deadline is
 * terminated and started afresh (with fresh state) for the next run.
 */
export class CollectorThread {
  private worker: Worker | undefined;
  private nextId = 1;
  /** Who waits for which answer, and from which thread (a terminated thread's exit fails only its own). */
  private readonly replies = new Map<number, { worker: Worker; reply: (m: FromThread | Error) => void }>();
  private readonly settles = new Map<number, { worker: Worker; resolve: () => void }>();

  constructor(
    private readonly setup: ThreadSetup,
    private readonly logger: CollectorLogger,
    private readonly countSkipped: (reason: string, count: number) => void,
  ) {}

  /** One run: collect, cap and render `formats`, into the `spares` where they fit (their memory moves to the thread). */
  async run(formats: Format[], spares: Partial<Record<Format, Buffer>>): Promise<ThreadRunOutcome> {
    const id = this.nextId++;
    const started = Date.now();
    const sent = performance.now();
    const worker = (this.worker ??= this.start());
    const settled = new Promise<void>((resolve) => this.settles.set(id, { worker, resolve }));
    const moved: Partial<Record<Format, ArrayBuffer>> = {};
    for (const format of formats) {
      const spare = spares[format];
      if (spare && spare.byteOffset === 0 && spare.length === spare.buffer.byteLength) moved[format] = spare.buffer as ArrayBuffer;
    }
    const m = await this.ask({ type: 'run', id, formats, spares: moved }, Object.values(moved), this.setup.timeoutMs + STUCK_GRACE_MS);
    const failed = (error: string, result: 'error' | 'timeout' = 'error'): ThreadRunOutcome => {
      this.settle(id);
      return { result, runTimeMs: started, durationMs: performance.now() - sent, error, settled };
    };
    if (m instanceof Error) return m instanceof StuckError ? failed(m.message, 'timeout') : failed(m.message);
    const done = m as Done;
    for (const [reason, n] of done.skipped) this.countSkipped(reason, n);
    const outcome: ThreadRunOutcome = { result: done.result, runTimeMs: done.runTimeMs, durationMs: done.durationMs, settled };
    if (done.error !== undefined) outcome.error = done.error;
    if (done.result === 'success' && done.bodies) {
      const rendered: ThreadRendered = {
        runId: id,
        familyNames: done.familyNames ?? [],
        series: done.series ?? 0,
        dropped: done.dropped ?? 0,
        bodies: {},
        storage: {},
      };
      for (const [format, bytes] of Object.entries(done.bodies) as Array<[Format, MovedBytes]>) {
        rendered.bodies[format] = Buffer.from(bytes.buffer, 0, bytes.length);
        rendered.storage[format] = Buffer.from(bytes.buffer);
      }
      outcome.rendered = rendered;
    }
    return outcome;
  }

  /** Renders run `runId`'s families in a format the run did not render; fails once a newer run has finished. */
  async render(runId: number, format: Format): Promise<Buffer> {
    const m = await this.ask({ type: 'render', id: this.nextId++, runId, format }, [], this.setup.timeoutMs + STUCK_GRACE_MS);
    if (m instanceof Error) throw m;
    const r = m as Extract<FromThread, { type: 'rendered' }>;
    if (!r.body) throw new Error(r.error ?? 'not rendered');
    return Buffer.from(r.body.buffer, 0, r.body.length);
  }

  /** Stops the thread (the collector is retired); its state goes with it. */
  close(): void {
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
  }

  private ask(message: ToThread, transfer: ArrayBuffer[], answerWithinMs: number): Promise<FromThread | Error> {
    const worker = (this.worker ??= this.start());
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.replies.delete(message.id);
        this.logger.error({ within_ms: answerWithinMs }, 'collector thread stuck; restarting it');
        resolve(new StuckError(`collector thread did not answer within ${answerWithinMs} ms; restarted it`));
        if (this.worker === worker) this.close();
      }, answerWithinMs);
      this.replies.set(message.id, {
        worker,
        reply: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
      worker.postMessage(message, transfer);
    });
  }

  private start(): Worker {
    const worker = new Worker(new URL('./collector-thread-worker.js', import.meta.url), {
      workerData: this.setup,
      resourceLimits: { maxOldGenerationSizeMb: this.setup.heapLimitMb, maxYoungGenerationSizeMb: THREAD_YOUNG_GENERATION_MB },
    });
    worker.unref();
    worker.on('message', (m: FromThread) => this.receive(m));
    let failure: Error | undefined;
    worker.on('error', (err) => {
      failure = err;
      this.logger.error({ err: err.message }, 'collector thread failed');
    });
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = undefined;
      const ended = new Error(`collector thread ended: ${failure?.message ?? `exit code ${code}`}`);
      for (const [id, waiting] of this.replies) {
        if (waiting.worker !== worker) continue;
        this.replies.delete(id);
        waiting.reply(ended);
      }
      for (const [id, waiting] of this.settles) if (waiting.worker === worker) this.settle(id);
    });
    return worker;
  }

  private receive(m: FromThread): void {
    if (m.type === 'log') {
      this.logger[m.level](m.obj, m.msg);
      return;
    }
    if (m.type === 'settled') {
      for (const [reason, n] of m.skipped) this.countSkipped(reason, n);
      this.settle(m.id);
      return;
    }
    const waiting = this.replies.get(m.id);
    this.replies.delete(m.id);
    waiting?.reply(m);
  }

  private settle(id: number): void {
    this.settles.get(id)?.resolve();
    this.settles.delete(id);
  }
}

class StuckError extends Error {}
