/**
 * Entry point of a collector's worker thread (see collector-thread.ts): keeps the collector's
 * state, runs it under its deadline, applies the series cap and renders the result, so the
 * garbage of 50,000 samples per run is collected here and not on the thread serving /metrics.
 */
import { setPriority } from 'node:os';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { CollectorDefinition, CollectorLogger } from '../collector.js';
import type { MetricFamily } from '../metrics/model.js';
import type { Format } from '../metrics/render.js';
import { renderCollectorRun, renderFormats } from './render-run.js';
import { errorMessage, runCollector, type RunOutcome } from './run.js';
import type { FromThread, MovedBytes, ThreadSetup, ToThread } from './thread-messages.js';

const setup = workerData as ThreadSetup;
lowerPriority();
const port = parentPort as MessagePort;
const definition = await loadDefinition(setup);
const settings = { definition, options: setup.options, timeoutMs: setup.timeoutMs, builtin: setup.builtin, maxSeries: setup.maxSeries };
const state: unknown = definition.initialState?.();
const skipped = new Map<string, number>();
const logger: CollectorLogger = { debug: setup.debug ? logAt('debug') : () => {}, info: logAt('info'), warn: logAt('warn'), error: logAt('error') };
/** The capped families of the last successful run, for a format asked for after it was rendered. */
let last: { runId: number; families: MetricFamily[]; runTimeMs: number } | undefined;
/** Size of the last body per format: the next render rarely has to grow its buffer. */
const lastSize: Partial<Record<Format, number>> = {};

port.on('message', (m: ToThread) => {
  if (m.type === 'run') void run(m);
  else void renderAgain(m);
});

async function run(m: Extract<ToThread, { type: 'run' }>): Promise<void> {
  const outcome = await runCollector({
    settings,
    paths: setup.paths,
    logger,
    state,
    countSkipped: (reason) => skipped.set(reason, (skipped.get(reason) ?? 0) + 1),
  });
  void outcome.settled.then(() => post({ type: 'settled', id: m.id, skipped: takeSkipped() }));
  const reply: Extract<FromThread, { type: 'done' }> = {
    type: 'done',
    id: m.id,
    result: outcome.result,
    runTimeMs: outcome.runTimeMs,
    durationMs: outcome.durationMs,
    skipped: [],
  };
  const moved: ArrayBuffer[] = [];
  try {
    if (outcome.result === 'success') Object.assign(reply, await renderRun(m, outcome, moved));
    else {
      last = undefined; // the engine withdraws the section, and the collector may reuse what the last run's families are made of
      reply.error = outcome.error ?? outcome.result;
    }
  } catch (err) {
    Object.assign(reply, { result: 'error', error: `cannot publish: ${errorMessage(err)}` });
  }
  reply.skipped = takeSkipped();
  post(reply, moved);
}

async function renderRun(
  m: Extract<ToThread, { type: 'run' }>,
  outcome: RunOutcome,
  moved: ArrayBuffer[],
): Promise<Partial<Extract<FromThread, { type: 'done' }>>> {
  last = undefined;
  const spares: Partial<Record<Format, Buffer>> = {};
  for (const [format, spare] of Object.entries(m.spares) as Array<[Format, ArrayBuffer]>) spares[format] = Buffer.from(spare);
  const run = await renderCollectorRun(outcome.families ?? [], {
    ...renderOptionsFor(outcome.runTimeMs),
    collector: setup.name,
    maxSeries: setup.maxSeries,
    groupLabel: definition.seriesGroupLabel,
    formats: m.formats,
    spares,
  });
  if (!run.ok) return { result: 'error', error: run.error };
  const bodies: Partial<Record<Format, MovedBytes>> = {};
  for (const [format, body] of Object.entries(run.bodies) as Array<[Format, Buffer]>) {
    lastSize[format] = body.length;
    bodies[format] = movable(body, run.storage[format]);
    moved.push(bodies[format].buffer);
  }
  last = { runId: m.id, families: run.families, runTimeMs: outcome.runTimeMs };
  return { familyNames: run.familyNames, series: run.series, dropped: run.dropped, bodies };
}

async function renderAgain(m: Extract<ToThread, { type: 'render' }>): Promise<void> {
  if (last?.runId !== m.runId) return post({ type: 'rendered', id: m.id, error: `run ${m.runId} is no longer the last one` });
  try {
    const { bodies, storage } = await renderFormats(last.families, { ...renderOptionsFor(last.runTimeMs), formats: [m.format], spares: {} });
    const rendered = bodies[m.format] as Buffer;
    lastSize[m.format] = rendered.length;
    const body = movable(rendered, storage[m.format]);
    post({ type: 'rendered', id: m.id, body }, [body.buffer]);
  } catch (err) {
    post({ type: 'rendered', id: m.id, error: errorMessage(err) });
  }
}

/** Rendered at once (this thread serves no scrapes), into memory that can be moved, not pooled memory. */
function renderOptionsFor(runTimeMs: number) {
  return {
    timestamps: setup.sampleTimestamps,
    runTimeMs,
    cacheLabels: definition.stableLabels === true,
    sizeHint: (format: Format) => lastSize[format],
    fresh: (size: number) => Buffer.allocUnsafeSlow(size),
    yieldNow: () => undefined,
  };
}

/**
 * The body as memory that can be moved to the main thread: its storage when the body fills it from
 * the start, else a copy (the writer copies a body out of storage much larger than it; that copy
 * may sit in a shared pool).
 */
function movable(body: Buffer, storage: Buffer | undefined): MovedBytes {
  if (body.buffer === storage?.buffer && body.byteOffset === 0) return { buffer: body.buffer as ArrayBuffer, length: body.length };
  const own = Buffer.allocUnsafeSlow(body.length);
  body.copy(own);
  return { buffer: own.buffer as ArrayBuffer, length: own.length };
}

function takeSkipped(): Array<[string, number]> {
  const out = [...skipped];
  skipped.clear();
  return out;
}

function post(message: FromThread, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

function logAt(level: 'debug' | 'info' | 'warn' | 'error') {
  return (obj: object | string, msg?: string) => {
    const line = msg === undefined ? {} : { msg };
    try {
      post({ type: 'log', level, obj, ...line });
    } catch {
      post({ type: 'log', level, obj: String(obj), ...line }); // holds something that cannot cross threads (a function, a socket)
    }
  };
}

async function loadDefinition(s: ThreadSetup): Promise<CollectorDefinition> {
  const loaded = (await import(s.module)) as { default?: CollectorDefinition; collector?: CollectorDefinition };
  const definition = loaded.default ?? loaded.collector;
  if (definition?.name !== s.name) throw new Error(`${s.module} does not export the collector ${s.name}`);
  return definition;
}

/**
 * Scrapes first: this thread yields the CPU to the one answering scrapes when both want it. On Linux
 * this lowers this thread only, and only against the threads of its own cgroup (a pod, a systemd
 * service) where the CPU controller groups them. Nice 10 rather than 19: where nothing groups them,
 * a node whose CPUs are all busy still leaves it about a tenth of a normal thread's share, enough to
 * finish a run (100–200 ms of CPU) within the default 10 s deadline.
 */
function lowerPriority(): void {
  try {
    setPriority(10);
  } catch {
    // A sandbox that forbids setpriority: the collector runs at normal priority.
  }
}
