import type { CollectContext, CollectorLogger } from '../collector.js';
import type { CollectorSettings } from '../config/load.js';
import type { Paths } from '../collector.js';
import type { MetricFamily } from '../metrics/model.js';
import { validateFamilies } from '../metrics/validate.js';

export type RunResult = 'success' | 'error' | 'timeout';

export interface RunOutcome {
  result: RunResult;
  runTimeMs: number;
  durationMs: number;
  families?: MetricFamily[];
  error?: string;
  /** Settles when the collector's own promise settles, which for a timed-out run may be much later (or never). */
  settled: Promise<void>;
}

/** What a run needs of a collector's settings. */
export type RunSettings = Pick<CollectorSettings, 'definition' | 'options' | 'timeoutMs' | 'builtin' | 'maxSeries'>;

export interface RunInput {
  settings: RunSettings;
  paths: Paths;
  logger: CollectorLogger;
  state: unknown;
  /** Where `ctx.skip` counts; without it skipped items are only logged. */
  countSkipped?: (reason: string) => void;
  /** The only run (`spyglass dump`), see CollectContext.once. */
  once?: boolean;
  /** See CollectContext.runSoon; without it the request is ignored. */
  runSoon?: () => void;
  /** See CollectContext.servedElsewhere; without it no family is. */
  servedElsewhere?: (familyName: string) => string | undefined;
}

/**
 * Runs a collector once under its deadline. A run past its deadline is abandoned: its signal is
 * aborted, its result (if it ever comes) is ignored, and the outcome is `timeout`.
 */
export async function runCollector(input: RunInput): Promise<RunOutcome> {
  const { settings } = input;
  const runTimeMs = Date.now();
  const started = performance.now();
  const controller = new AbortController();
  const ctx: CollectContext = {
    config: settings.options,
    paths: input.paths,
    signal: controller.signal,
    logger: input.logger,
    runTimeMs,
    state: input.state,
    once: input.once ?? false,
    runSoon: input.runSoon ?? (() => undefined),
    servedElsewhere: input.servedElsewhere ?? (() => undefined),
    maxSeries: settings.maxSeries,
    skip(reason, detail) {
      input.countSkipped?.(reason);
      input.logger.debug({ reason, detail }, 'skipped');
    },
  };
  let work: Promise<unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the definition's own option and state types are not known here
    work = Promise.resolve(settings.definition.collect(ctx as CollectContext<any, any>));
  } catch (err) {
    work = Promise.reject(err);
  }
  const settled = work.then(
    () => undefined,
    () => undefined,
  );
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), settings.timeoutMs);
  });
  const elapsed = () => performance.now() - started;
  try {
    const winner = await Promise.race([work, deadline]);
    if (winner === 'timeout') {
      controller.abort(new Error(`deadline of ${settings.timeoutMs} ms passed`));
      return { result: 'timeout', runTimeMs, durationMs: elapsed(), error: `timed out after ${settings.timeoutMs} ms`, settled };
    }
    // Checking 50,000 series of a built-in collector costs tens of ms of event loop per run.
    const problems = settings.builtin ? [] : validateFamilies(winner);
    if (problems.length) return { result: 'error', runTimeMs, durationMs: elapsed(), error: `invalid metrics: ${problems.join('; ')}`, settled };
    return { result: 'success', runTimeMs, durationMs: elapsed(), families: winner as MetricFamily[], settled };
  } catch (err) {
    return { result: 'error', runTimeMs, durationMs: elapsed(), error: errorMessage(err), settled };
  } finally {
    clearTimeout(timer);
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
